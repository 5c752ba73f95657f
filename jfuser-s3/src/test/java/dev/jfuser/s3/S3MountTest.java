package dev.jfuser.s3;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.async.AsyncRequestBody;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * s3fs mounted through the real kernel on a real S3 API (S3Proxy in this JVM): what shell tools do on the mount
 * must show up as objects in the bucket, and objects put behind its back must show up as files.
 */
@Tag("mount")
class S3MountTest extends S3MountSupport {
    private S3Fs fs(S3FsOptions o) {
        return S3Fs.create(o, S3Server.credentials());
    }

    private S3FsOptions opts() {
        return server.options(bucket).withParts(S3FsOptions.MIN_PART_SIZE, 2);
    }

    private Set<String> keys() throws Exception {
        Set<String> out = new TreeSet<>();
        String token = null;
        do {
            String t = token;
            var r = direct.listObjectsV2(b -> b.bucket(bucket).continuationToken(t)).get(20, TimeUnit.SECONDS);
            r.contents().stream().map(S3Object::key).forEach(out::add);
            token = r.isTruncated() ? r.nextContinuationToken() : null;
        } while (token != null);
        return out;
    }

    @Test
    void objectsPutBehindItsBackAreFilesAndDirectories() throws Exception {
        put("top.txt", "hello\n".getBytes(StandardCharsets.UTF_8));
        put("a/b/c.bin", new byte[4097]);
        put("a/x.txt", "x".getBytes(StandardCharsets.UTF_8));
        put("empty/", new byte[0]); // a directory marker
        put("both", "file shadowed by the directory".getBytes(StandardCharsets.UTF_8));
        put("both/inner", new byte[3]);
        Path mp = mounts.mount(fs(opts()));
        Shell.Result find = Shell.sh("cd \"$1\" && find . -printf '%y %P %s\\n' | LC_ALL=C sort", mp.toString());
        ok(find);
        assertEquals(String.join("\n", List.of("d  0", "d a 0", "d a/b 0", "d both 0", "d empty 0",
                "f a/b/c.bin 4097", "f a/x.txt 1", "f both/inner 3", "f top.txt 6")) + "\n", find.output());
        assertEquals("hello\n", Files.readString(mp.resolve("top.txt")));
        Shell.Result missing = Shell.sh("cat \"$1\"/nope", mp.toString());
        assertTrue(missing.output().contains("No such file"), missing.output());
    }

    @Test
    void listingsLongerThanOnePageAreComplete() throws Exception {
        for (int i = 0; i < 1203; i++) {
            put(String.format("many/f%04d", i), new byte[i % 7]);
        }
        Path mp = mounts.mount(fs(opts()));
        Shell.Result ls = Shell.sh("ls -1 \"$1\"/many | wc -l; ls -l \"$1\"/many/f1202", mp.toString());
        ok(ls);
        assertTrue(ls.output().startsWith("1203\n"), ls.output());
        assertTrue(ls.output().contains(" 5 "), ls.output()); // 1202 % 7: the size came from the listing
    }

    @Test
    void nodesTheKernelForgetsLeaveTheTable() throws Exception {
        List<java.util.concurrent.CompletableFuture<?>> puts = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            int n = i;
            puts.add(direct.putObject(b -> b.bucket(bucket).key(String.format("many/f%04d", n)),
                    AsyncRequestBody.fromBytes(new byte[n % 5])));
        }
        java.util.concurrent.CompletableFuture.allOf(puts.toArray(new java.util.concurrent.CompletableFuture<?>[0]))
                .get(60, TimeUnit.SECONDS);
        S3Fs fs = fs(opts());
        Path mp = mounts.mount(fs);
        // A listing alone makes no nodes: its names are remembered for the TTL only.
        ok(Shell.sh("ls -1 \"$1\"/many > /dev/null", mp.toString()));
        assertTrue(fs.seenCount() >= 1000, "listed names: " + fs.seenCount());
        assertTrue(fs.nodeCount() < 10, "nodes after a listing: " + fs.nodeCount());
        // Every name looked up: a node each while the kernel holds it, its attributes from the listing (no HEADs).
        long calls = fs.callCount();
        ok(Shell.sh("ls -l \"$1\"/many > /dev/null", mp.toString()));
        assertTrue(fs.nodeCount() > 1000, "nodes after ls -l: " + fs.nodeCount());
        assertTrue(fs.callCount() - calls < 20, "S3 calls for ls -l of 1000 keys: " + (fs.callCount() - calls));
        try (var open = Files.newInputStream(mp.resolve("many/f0004"))) {
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2");
            long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (fs.nodeCount() > 10 && System.nanoTime() < until) {
                Thread.sleep(100);
                Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "2");
            }
            assertTrue(fs.nodeCount() <= 10, "nodes after the kernel dropped its caches: " + fs.nodeCount());
            assertEquals(4, open.readAllBytes().length); // the open file's node stayed
        }
        until(() -> fs.seenCount() == 0, "listed names are dropped after the TTL: " + fs.seenCount());
        // Forgotten names are found again, with their attributes.
        ok(Shell.sh("test \"$(stat -c %s \"$1\"/many/f0998)\" = 3 && ls \"$1\"/many | wc -l | grep -qx 1000",
                mp.toString()));
    }

    private static void until(java.util.function.BooleanSupplier done, String what) throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < until, what);
            Thread.sleep(100);
        }
    }

    @Test
    void filesWrittenOnTheMountAreObjects() throws Exception {
        Path mp = mounts.mount(fs(opts()));
        Path local = Files.createDirectory(dir.resolve("local"));
        // empty, small, one byte over a page, one part exactly, parts plus a tail (multipart, 3 parts)
        long[] sizes = {0, 1, 4097, S3FsOptions.MIN_PART_SIZE, 2L * S3FsOptions.MIN_PART_SIZE + 12345};
        for (long s : sizes) {
            ok(Shell.sh("head -c $2 /dev/urandom > \"$1\"/f$2", local.toString(), Long.toString(s)));
            ok(Shell.sh("cp \"$1\"/f$3 \"$2\"/f$3 && cmp \"$1\"/f$3 \"$2\"/f$3", local.toString(), mp.toString(),
                    Long.toString(s)));
        }
        for (long s : sizes) {
            byte[] want = Files.readAllBytes(local.resolve("f" + s));
            assertTrue(java.util.Arrays.equals(want, get("f" + s)), "object f" + s + " differs");
        }
        Shell.Result ls = Shell.sh("ls -l \"$1\"", mp.toString());
        ok(ls);
        assertTrue(ls.output().contains(" " + sizes[4] + " "), ls.output());
    }

    @Test
    void directoriesRenamesAndRemoval() throws Exception {
        Path mp = mounts.mount(fs(opts()));
        ok(Shell.sh("cd \"$1\" && mkdir -p d/e && echo one > d/e/f && echo two > g && mv g d/h", mp.toString()));
        assertEquals(Set.of("d/", "d/e/", "d/e/f", "d/h"), keys());
        assertEquals("two\n", new String(get("d/h"), StandardCharsets.UTF_8));
        Shell.Result rmdir = Shell.sh("rmdir \"$1\"/d/e", mp.toString());
        assertTrue(rmdir.output().contains("not empty"), rmdir.output());
        // A directory rename is refused (EXDEV) and mv then copies it itself.
        ok(Shell.sh("cd \"$1\" && mv d moved && cat moved/e/f && test ! -e d", mp.toString()));
        assertEquals(Set.of("moved/", "moved/e/", "moved/e/f", "moved/h"), keys());
        ok(Shell.sh("cd \"$1\" && rm moved/e/f moved/h && rmdir moved/e moved && ls -A", mp.toString()));
        assertEquals(Set.of(), keys());
    }

    @Test
    void whatObjectsCannotDoHasClearErrnos() throws Exception {
        put("existing", "abcdef".getBytes(StandardCharsets.UTF_8));
        Path mp = mounts.mount(fs(opts()));
        String m = mp.toString();
        // writing into an existing object: open without O_TRUNC
        Shell.Result into = Shell.sh("dd if=/dev/zero of=\"$1\"/existing bs=1 count=1 seek=2 conv=notrunc", m);
        assertTrue(into.output().contains("Operation not permitted"), into.output());
        Shell.Result append = Shell.sh("echo more >> \"$1\"/existing", m);
        assertTrue(append.output().contains("Operation not permitted"), append.output());
        // a write that is not at the end (seek forward in a new file)
        Shell.Result hole = Shell.sh("dd if=/dev/zero of=\"$1\"/holey bs=1k count=1 seek=4 conv=notrunc", m);
        assertTrue(hole.output().contains("Invalid argument"), hole.output());
        Shell.Result link = Shell.sh("ln \"$1\"/existing \"$1\"/hard", m);
        assertTrue(link.output().contains("Operation not permitted"), link.output());
        Shell.Result sym = Shell.sh("ln -s existing \"$1\"/soft", m);
        assertTrue(sym.output().contains("Operation not permitted"), sym.output());
        Shell.Result chmod = Shell.sh("chmod 600 \"$1\"/existing", m);
        assertTrue(chmod.output().contains("Operation not permitted"), chmod.output());
        ok(Shell.sh("chmod 644 \"$1\"/existing && touch \"$1\"/existing", m)); // no change: accepted
        Shell.Result fifo = Shell.sh("mkfifo \"$1\"/fifo", m);
        assertTrue(fifo.output().contains("Operation not permitted"), fifo.output());
        // still the same object
        assertEquals("abcdef", new String(get("existing"), StandardCharsets.UTF_8));
        // a whole overwrite is fine
        ok(Shell.sh("echo new > \"$1\"/existing && cat \"$1\"/existing", m));
        assertEquals("new\n", new String(get("existing"), StandardCharsets.UTF_8));
        ok(Shell.sh("df \"$1\"", m));
    }

    @Test
    void readOnlyMountRefusesChanges() throws Exception {
        put("f", "data".getBytes(StandardCharsets.UTF_8));
        Path mp = mounts.mount(fs(opts().withReadOnly(true)));
        assertEquals("data", Files.readString(mp.resolve("f")));
        Shell.Result w = Shell.sh("echo x > \"$1\"/g; rm \"$1\"/f; mkdir \"$1\"/d", mp.toString());
        assertEquals(3, w.output().split("Read-only file system", -1).length - 1, w.output());
        assertEquals(Set.of("f"), keys());
    }

    @Test
    void aFileClosedOnOneMountIsReadWholeByAFreshOpenOnTheOther() throws Exception {
        // A TTL far longer than the test: what is cached must not hide a new version from an open.
        Path a = mounts.mount(fs(opts().withTtl(java.time.Duration.ofMinutes(5))));
        Path b = mounts.mount(fs(opts().withTtl(java.time.Duration.ofMinutes(5))));
        Path local = Files.createDirectory(dir.resolve("local"));
        ok(Shell.sh("head -c 7000000 /dev/urandom > \"$1\"/v1; head -c 123 /dev/urandom > \"$1\"/v2;"
                + " head -c 9000000 /dev/urandom > \"$1\"/v3", local.toString()));
        for (String v : List.of("v1", "v2", "v3")) {
            // written and closed on a, then at once opened and read on b: whole and current, every version
            ok(Shell.sh("cp \"$1\"/" + v + " \"$2\"/shared && cmp \"$1\"/" + v + " \"$3\"/shared",
                    local.toString(), a.toString(), b.toString()));
        }
        // and the other way round, after b has cached pages of the old version
        ok(Shell.sh("cp \"$1\"/v1 \"$2\"/shared && cmp \"$1\"/v1 \"$3\"/shared", local.toString(), b.toString(),
                a.toString()));
    }

    @Test
    void realClientsCopyTreesIntoTheBucket() throws Exception {
        Shell.assumeTool("rsync", "rsync");
        Path mp = mounts.mount(fs(opts()));
        Path src = Files.createDirectory(dir.resolve("src"));
        ok(Shell.sh("cd \"$1\" && mkdir -p a/b/c 'sp ace' ünï && for i in 1 2 3 4 5; do head -c $((i*3000)) "
                + "/dev/urandom > a/f$i; head -c $((i*70001)) /dev/urandom > a/b/c/g$i; done; echo hi > 'sp ace/x';"
                + " echo ü > ünï/ö; : > a/empty", src.toString()));
        ok(Shell.sh("cp -r \"$1\" \"$2\"/cp && diff -r \"$1\" \"$2\"/cp", src.toString(), mp.toString()));
        ok(Shell.sh("rsync -r --times \"$1\"/ \"$2\"/rsync/ && diff -r \"$1\" \"$2\"/rsync", src.toString(),
                mp.toString()));
        ok(Shell.sh("tar -C \"$1\" -cf \"$3\"/t.tar . && mkdir \"$2\"/tar && tar --no-same-owner -C \"$2\"/tar -xf "
                + "\"$3\"/t.tar && diff -r \"$1\" \"$2\"/tar", src.toString(), mp.toString(), dir.toString()));
        // S3 keeps upload times only (utimens is accepted and ignored), so a second rsync compares sizes: nothing
        // to copy
        Shell.Result again = Shell.sh("rsync -r --size-only --stats \"$1\"/ \"$2\"/rsync/", src.toString(),
                mp.toString());
        ok(again);
        assertTrue(again.output().contains("Number of regular files transferred: 0"), again.output());
    }

    @Test
    void gitClonesFromARepositoryInTheBucket() throws Exception {
        Shell.assumeTool("git", "git");
        Path mp = mounts.mount(fs(opts()));
        Path work = Files.createDirectory(dir.resolve("work"));
        ok(Shell.sh("cd \"$1\" && git init -q repo && cd repo && for i in 1 2 3; do echo $i > f$i; git add f$i;"
                + " git -c user.name=t -c user.email=t@t commit -qm c$i; done && git gc -q", work.toString()));
        ok(Shell.sh("cp -r \"$1\"/repo \"$2\"/repo && git clone -q \"$2\"/repo \"$1\"/clone && "
                + "git -C \"$1\"/clone log --oneline | wc -l && diff \"$1\"/repo/f3 \"$1\"/clone/f3",
                work.toString(), mp.toString()));
    }

    @Test
    void sequentialReadersGetReadAheadWithinTheBudget() throws Exception {
        byte[] data = new byte[48 << 20];
        new java.util.Random(7).nextBytes(data);
        put("seq", data);
        long budget = 12L << 20;
        S3Fs fs = fs(opts().withPrefetch(budget, 4 << 20));
        Path mp = mounts.mount(fs);
        long before = fs.callCount();
        long[] peak = {0};
        Thread sampler = Thread.ofPlatform().daemon().start(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                peak[0] = Math.max(peak[0], fs.prefetchedBytes());
                Thread.onSpinWait();
            }
        });
        Shell.Result cat = Shell.sh("cat \"$1\"/seq | sha256sum; dd if=\"$1\"/seq bs=4k skip=3001 count=1 2>/dev/null"
                + " | od -An -tx1 | head -1", mp.toString());
        sampler.interrupt();
        ok(cat);
        long gets = fs.callCount() - before;
        // The kernel reads 128 KiB at a time (384 READs); read-ahead windows growing to 4 MiB fetch it in a few
        // dozen GETs (plus the HEADs of lookup and open).
        assertTrue(gets < 40, gets + " S3 calls for a sequential read of 48 MiB");
        assertTrue(peak[0] <= budget, "read-ahead held " + peak[0] + " bytes, budget " + budget);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(data));
        assertTrue(cat.output().startsWith(sha), cat.output());
        assertEquals(0, fs.prefetchedBytes(), "read-ahead memory kept after close");
    }

    @Test
    void largeFileStreamsThroughAndHashesTheSame() throws Exception {
        long size = Long.getLong("jfuser.s3.bigFileBytes", 256L << 20);
        // A server of its own over a directory: the in-memory store holds an object in one array (< 2 GiB).
        S3Server disk = new S3Server(Files.createDirectory(dir.resolve("store")));
        try {
            String b = disk.newBucket();
            S3Fs fs = S3Fs.create(disk.options(b).withParts(16 << 20, 2).withPrefetch(64L << 20, 8 << 20),
                    S3Server.credentials());
            bigFile(mounts.mount(fs), fs, size);
            mounts.close();
            mounts = null;
        } finally {
            disk.close();
        }
    }

    private void bigFile(Path mp, S3Fs fs, long size) throws Exception {
        Path local = dir.resolve("big");
        ok(Shell.sh(300, "head -c $2 /dev/urandom > \"$1\"", local.toString(), Long.toString(size)));
        ok(Shell.sh(600, "cp \"$1\" \"$2\"/big", local.toString(), mp.toString()));
        Shell.Result sums = Shell.sh(600, "sha256sum < \"$1\"; sha256sum < \"$2\"/big", local.toString(),
                mp.toString());
        ok(sums);
        String[] lines = sums.output().split("\n");
        assertEquals(lines[0], lines[1], sums.output());
        // every read-ahead buffer went back to the budget when the file was closed
        assertEquals(0, fs.prefetchedBytes());
        Files.delete(local);
        assertFalse(Files.exists(local));
    }
}
