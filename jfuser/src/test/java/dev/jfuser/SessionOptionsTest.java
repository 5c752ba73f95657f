package dev.jfuser;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.jfuser.protocol.Opcode;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Each {@code with*} changes its own component and keeps every other one. */
class SessionOptionsTest {
    private final SessionOptions custom = SessionOptions.DEFAULT.withReaderThreads(3).withMaxInFlight(7)
            .withInline(Opcode.GETATTR).withTransport(Transport.AUTO).withRingDepth(16).withRingThreadsPinned(false);

    @Test
    void defaultsPinRingThreadsUnlessThePropertySaysFalse() {
        assertEquals(!"false".equalsIgnoreCase(System.getProperty(SessionOptions.PIN_RING_THREADS_PROPERTY)),
                SessionOptions.DEFAULT.pinRingThreads());
        assertEquals(SessionOptions.DEFAULT_RING_DEPTH, SessionOptions.DEFAULT.ringDepth());
    }

    @Test
    void withMethodsKeepTheOtherComponents() {
        assertEquals(3, custom.readerThreads());
        assertEquals(7, custom.maxInFlight());
        assertEquals(Set.of(Opcode.GETATTR), custom.inline());
        assertEquals(Transport.AUTO, custom.transport());
        assertEquals(16, custom.ringDepth());
        assertFalse(custom.pinRingThreads());
        SessionOptions again = custom.withReaderThreads(4).withDebug(System.err).withRingThreadsPinned(true);
        assertEquals(4, again.readerThreads());
        assertEquals(Set.of(Opcode.GETATTR), again.inline());
        assertEquals(16, again.ringDepth());
        assertTrue(again.pinRingThreads());
        assertEquals(custom, again.withReaderThreads(3).withDebug(null).withRingThreadsPinned(false));
    }

    @Test
    void badValuesAreRefusedWithTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> custom.withRingDepth(0));
        assertTrue(e.getMessage().contains("got 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> custom.withReaderThreads(65));
        assertTrue(e.getMessage().contains("65"), e.getMessage());
    }
}
