package dev.jfuser.internal.mount;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One line of {@code /proc/self/mountinfo} (see proc(5)), reduced to what mounting needs.
 *
 * <p>Reading mountinfo never touches the mounted filesystem, unlike {@code stat} on the mountpoint, which blocks
 * until a FUSE daemon answers (or forever, before it has answered FUSE_INIT).
 *
 * @param mountId    unique id of the mount (reused only after it is gone)
 * @param mountPoint where it is mounted, relative to this process's root, unescaped
 * @param fsType     e.g. {@code fuse} or {@code fuse.hello}
 * @param source     the mount source; for FUSE the {@code fsname}
 */
public record MountInfo(int mountId, Path mountPoint, String fsType, String source) {
    static final Path PROC_SELF_MOUNTINFO = Path.of("/proc/self/mountinfo");

    /** All current mounts of this process's mount namespace, in mount order. */
    public static List<MountInfo> read() {
        try {
            // Bytes, not readString: a mount point that is not valid UTF-8 must not make every lookup fail.
            return parse(new String(Files.readAllBytes(PROC_SELF_MOUNTINFO), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + PROC_SELF_MOUNTINFO + " (is /proc mounted?)", e);
        }
    }

    /** The topmost mount at {@code mountPoint} (absolute, normalized, symlinks already resolved), if any. */
    public static Optional<MountInfo> find(Path mountPoint) {
        Path wanted = mountPoint.toAbsolutePath().normalize();
        MountInfo found = null;
        for (MountInfo m : read()) {
            if (m.mountPoint.equals(wanted)) {
                found = m; // later lines are mounted on top of earlier ones
            }
        }
        return Optional.ofNullable(found);
    }

    /**
     * Parses mountinfo text. Line format:
     * {@code 36 35 98:0 /root /mnt/point rw,noatime master:1 - ext3 /dev/root rw,errors=continue}: the mount point is
     * field 5; after the optional fields and a lone {@code -} come the type and the source.
     */
    static List<MountInfo> parse(String text) {
        List<MountInfo> mounts = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] f = line.split(" ");
            int dash = -1;
            for (int i = 6; i < f.length; i++) {
                if (f[i].equals("-")) {
                    dash = i;
                    break;
                }
            }
            if (f.length < 5 || dash < 0 || dash + 2 >= f.length) {
                continue; // not a line this parser understands; never seen in practice
            }
            mounts.add(new MountInfo(Integer.parseInt(f[0]), Path.of(unescape(f[4])), unescape(f[dash + 1]),
                    unescape(f[dash + 2])));
        }
        return mounts;
    }

    /**
     * Undoes the kernel's escaping of mountinfo fields: space, tab, newline and backslash appear as three-digit octal
     * escapes ({@code \040}, {@code \011}, {@code \012}, {@code \134}).
     */
    static String unescape(String field) {
        if (field.indexOf('\\') < 0) {
            return field;
        }
        StringBuilder sb = new StringBuilder(field.length());
        for (int i = 0; i < field.length(); i++) {
            char c = field.charAt(i);
            if (c == '\\' && isOctal(field, i + 1) && isOctal(field, i + 2) && isOctal(field, i + 3)) {
                sb.append((char) Integer.parseInt(field.substring(i + 1, i + 4), 8));
                i += 3;
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    private static boolean isOctal(String s, int i) {
        return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '7';
    }
}
