/**
 * The FUSE kernel protocol (7.45) as a pure codec, with no I/O: {@link dev.jfuser.protocol.RequestDecoder} turns the
 * bytes the kernel sends into {@link dev.jfuser.protocol.Operation} records, {@link dev.jfuser.protocol.ReplyEncoder}
 * and {@link dev.jfuser.protocol.DirentWriter} write replies, and {@link dev.jfuser.protocol.Abi} and
 * {@link dev.jfuser.protocol.Opcode} hold the kernel's constants under the names of its header
 * {@code <linux/fuse.h>}.
 *
 * <p>A filesystem never needs this package: the session in {@code dev.jfuser} decodes and encodes for it. It is
 * exported for tools that speak the protocol themselves, such as the test kit's fake kernel.
 */
package dev.jfuser.protocol;
