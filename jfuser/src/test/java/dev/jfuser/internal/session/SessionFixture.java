package dev.jfuser.internal.session;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;

/**
 * A session under test on a scripted {@link FakeKernel}: the test starts {@link #session} on {@link #kernel}; after
 * each test the kernel unmounts and the session must have ended.
 */
abstract class SessionFixture {
    final FakeKernel kernel = new FakeKernel();
    Session session;

    @AfterEach
    void unmountAndAwaitTheEnd() throws Exception {
        kernel.unmount();
        if (session != null) {
            session.terminated().get(15, TimeUnit.SECONDS);
        }
    }
}
