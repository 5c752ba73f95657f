/**
 * The jfuser test kit: a fake kernel that drives a filesystem through the real session and codec in memory, and a
 * JUnit 5 extension that mounts for real when the machine allows it.
 */
module dev.jfuser.testkit {
    requires transitive dev.jfuser;
    requires transitive org.junit.jupiter.api;

    exports dev.jfuser.testkit;
}
