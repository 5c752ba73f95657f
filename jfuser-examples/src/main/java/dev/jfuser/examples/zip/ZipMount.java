package dev.jfuser.examples.zip;

import dev.jfuser.Mount;
import dev.jfuser.MountOptions;
import dev.jfuser.SessionOptions;
import dev.jfuser.nio.NioFilesystem;
import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * A zip file mounted read-write through the JDK's zip filesystem and {@link NioFilesystem}: the zip is created if
 * it does not exist, its entries keep POSIX permissions, and what was changed is written to the file when the
 * zip filesystem is closed, after unmount ({@link #close()}).
 */
public final class ZipMount implements AutoCloseable {
    private final Path zip;
    private final FileSystem zipfs;

    private ZipMount(Path zip, FileSystem zipfs) {
        this.zip = zip;
        this.zipfs = zipfs;
    }

    /**
     * Opens (or creates) a zip file for mounting.
     *
     * @param zip the zip file; created empty if it does not exist
     * @return the opened zip
     * @throws IOException if it is not a zip file or cannot be read
     */
    public static ZipMount open(Path zip) throws IOException {
        Path file = zip.toAbsolutePath();
        if (Files.isDirectory(file)) {
            throw new IOException(file + " is a directory: give a zip file (created if missing)");
        }
        try {
            FileSystem fs = FileSystems.newFileSystem(URI.create("jar:" + file.toUri()),
                    Map.of("create", "true", "enablePosixFileAttributes", "true"));
            return new ZipMount(file, fs);
        } catch (java.util.zip.ZipException e) {
            throw new IOException(file + " is not a zip file (" + e.getMessage() + ")", e);
        }
    }

    /**
     * The zip's root directory.
     *
     * @return the root of the zip filesystem
     */
    public Path root() {
        return zipfs.getPath("/");
    }

    /**
     * Mounts the zip's tree.
     *
     * @param mountpoint where to mount it
     * @param options the mount options
     * @param session the session options
     * @return the mount; {@link #close()} after it ends writes the zip
     * @throws IOException if mounting fails
     */
    public Mount mount(Path mountpoint, MountOptions options, SessionOptions session) throws IOException {
        return NioFilesystem.mount(root(), mountpoint, options, session);
    }

    /**
     * Writes the changes to the zip file and closes it; call after the mount ended.
     *
     * @throws IOException if the zip file could not be written
     */
    @Override
    public void close() throws IOException {
        try {
            zipfs.close();
        } catch (IOException e) {
            throw new IOException("could not write " + zip + ": " + e.getMessage(), e);
        }
    }
}
