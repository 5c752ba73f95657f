package dev.jfuser.path;

import dev.jfuser.FileType;
import java.util.Objects;

/**
 * One entry of a directory listing answered by {@link PathFilesystem#readdir}.
 *
 * @param name the entry's name (one path component: no {@code '/'}, not empty, not {@code "."} or {@code ".."})
 * @param type the entry's file type, as {@code ls --color} and {@code find -type} see it without a {@code stat}
 * @param ino the entry's inode number as {@code readdir(3)} reports it (its identity, as {@link
 *     PathFilesystem#getattr} answers it), or 0 to let the adapter choose one
 */
public record DirEntry(String name, FileType type, long ino) {
    /** Checks the name. */
    public DirEntry {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        if (name.isEmpty() || name.equals(".") || name.equals("..") || name.indexOf('/') >= 0
                || name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("not a directory entry name: '" + name
                    + "' (one path component: no '/', not empty, not '.' or '..')");
        }
    }

    /**
     * An entry whose inode number the adapter chooses.
     *
     * @param name the entry's name
     * @param type its file type
     * @return the entry
     */
    public static DirEntry of(String name, FileType type) {
        return new DirEntry(name, type, 0);
    }
}
