package dev.jfuser.examples.passthrough;

/** The real-clients suite with kernel passthrough: the programs' reads and writes go to the source files. */
class PassthroughKernelRealClientsTest extends PassthroughRealClientsTest {
    @Override
    boolean kernelPassthrough() {
        return true;
    }
}
