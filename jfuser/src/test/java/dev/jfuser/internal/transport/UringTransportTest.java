package dev.jfuser.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class UringTransportTest {
    @Test
    void countsTheCpusOfAKernelCpuList() {
        assertEquals(1, UringTransport.countCpus("0"));
        assertEquals(2, UringTransport.countCpus("0-1\n"));
        assertEquals(8, UringTransport.countCpus("0-3,8-11"));
        assertEquals(3, UringTransport.countCpus("0,2,4"));
    }

    @Test
    void oneQueuePerPossibleCpu() throws Exception {
        // The kernel wants a queue for every possible CPU, which is at least every online one.
        assertTrue(UringTransport.possibleCpus() >= Runtime.getRuntime().availableProcessors());
    }
}
