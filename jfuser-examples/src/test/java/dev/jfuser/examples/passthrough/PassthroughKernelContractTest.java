package dev.jfuser.examples.passthrough;

/** The contract suite with kernel passthrough: reads and writes go to the source files inside the kernel. */
class PassthroughKernelContractTest extends PassthroughContractTest {
    @Override
    boolean kernelPassthrough() {
        return true;
    }
}
