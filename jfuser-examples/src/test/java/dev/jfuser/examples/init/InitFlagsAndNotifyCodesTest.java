package dev.jfuser.examples.init;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.jfuser.Capability;
import dev.jfuser.protocol.Abi;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every notify code and INIT flag of protocol 7.45 ({@code fuse-7.45-notify-codes-and-init-flags.txt}, copied from
 * the kernel's header) is either exercised through a real mount by the test named here, or documented as out of
 * reach with the reason. The named tests are mount tests ({@code @Tag("mount")}), so bin/test runs each over
 * /dev/fuse and again over io_uring; a test that cannot run on one transport skips there saying why (only
 * NOTIFY_RESEND and FUSE_HAS_RESEND, over io_uring).
 *
 * <p>A row added to the list without an entry here fails; so does an entry naming a test that does not exist.
 */
class InitFlagsAndNotifyCodesTest {
    private static final String LIST = "fuse-7.45-notify-codes-and-init-flags.txt";
    private static final String KNOBS = "dev.jfuser.examples.init.InitKnobsMountTest#";
    private static final String NOTIFY = "dev.jfuser.examples.notify.NotifyMountTest#";

    /** How a flag or code is covered: by mount tests ("Class#method"), or not, and why. */
    sealed interface Coverage {
    }

    record Exercised(List<String> tests) implements Coverage {
        Exercised(String... tests) {
            this(List.of(tests));
        }
    }

    record OutOfReach(String reason) implements Coverage {
    }

    private static final Map<String, Coverage> NOTIFY_CODES = new LinkedHashMap<>();
    private static final Map<String, Coverage> INIT_FLAGS = new LinkedHashMap<>();

    static {
        NOTIFY_CODES.put("FUSE_NOTIFY_POLL", new Exercised(NOTIFY + "pollWakeupWakesAClientBlockedInPoll"));
        NOTIFY_CODES.put("FUSE_NOTIFY_INVAL_INODE",
                new Exercised(NOTIFY + "invalInodeMakesAKeepCacheReaderSeeNewContent"));
        NOTIFY_CODES.put("FUSE_NOTIFY_INVAL_ENTRY",
                new Exercised(NOTIFY + "invalEntryMakesANewNameAppearAndARemovedOneGo",
                        NOTIFY + "expireEntryMakesTheKernelLookTheNameUpAgain"));
        NOTIFY_CODES.put("FUSE_NOTIFY_STORE", new Exercised(NOTIFY + "storePutsBytesInThePageCacheThatReadsThenReturn"));
        NOTIFY_CODES.put("FUSE_NOTIFY_RETRIEVE",
                new Exercised(NOTIFY + "retrieveReturnsWhatWasWrittenThroughThePageCache"));
        NOTIFY_CODES.put("FUSE_NOTIFY_DELETE",
                new Exercised(NOTIFY + "deleteTakesACachedNameAwayAndTheFileIsUnlinkedForItsHolders"));
        // Over io_uring the test skips: the kernel resends only requests on /dev/fuse's processing list.
        NOTIFY_CODES.put("FUSE_NOTIFY_RESEND", new Exercised(NOTIFY + "resendMakesTheKernelSendAnUnansweredRequestAgain"));
        NOTIFY_CODES.put("FUSE_NOTIFY_INC_EPOCH", new Exercised(NOTIFY + "incEpochExpiresEveryCachedName"));
        NOTIFY_CODES.put("FUSE_NOTIFY_PRUNE", new Exercised(NOTIFY + "pruneMakesTheKernelForgetUnusedNodes"));

        INIT_FLAGS.put("FUSE_ASYNC_READ", new Exercised(KNOBS + "asyncReadSendsAReadaheadWindowAsConcurrentReads",
                KNOBS + "withoutAsyncReadReadaheadReadsOneAtATime"));
        INIT_FLAGS.put("FUSE_POSIX_LOCKS", new Exercised(KNOBS + "flockAndFcntlLocksReachAFilesystemThatImplementsSetlkAndGetlk",
                KNOBS + "locksDisabledInInitStayWithTheKernel"));
        INIT_FLAGS.put("FUSE_FILE_OPS", new OutOfReach("obsolete: no kernel offers or reads it"));
        INIT_FLAGS.put("FUSE_ATOMIC_O_TRUNC", new Exercised(KNOBS + "atomicOTruncSendsTheTruncationWithTheOpen",
                KNOBS + "withoutAtomicOTruncTheKernelTruncatesWithASetattr"));
        INIT_FLAGS.put("FUSE_EXPORT_SUPPORT",
                new Exercised("dev.jfuser.examples.memfs.MemFsHandlesMountTest#"
                        + "handlesDecodeAfterTheKernelForgotTheInodesLikeOnTmpfs"));
        INIT_FLAGS.put("FUSE_BIG_WRITES", new Exercised(KNOBS + "withTheDefaultLimitTheSameWriteTakesFourRequests"));
        INIT_FLAGS.put("FUSE_DONT_MASK", new Exercised(KNOBS + "dontMaskHandsTheUmaskToTheFilesystem",
                KNOBS + "withoutDontMaskTheKernelAppliesTheUmask"));
        String splice = "a libfuse-side bit (whether libfuse splices); the kernel neither offers nor reads it, and"
                + " jfuser copies requests and replies instead of splicing";
        INIT_FLAGS.put("FUSE_SPLICE_WRITE", new OutOfReach(splice));
        INIT_FLAGS.put("FUSE_SPLICE_MOVE", new OutOfReach(splice));
        INIT_FLAGS.put("FUSE_SPLICE_READ", new OutOfReach(splice));
        INIT_FLAGS.put("FUSE_FLOCK_LOCKS", new Exercised(KNOBS + "flockAndFcntlLocksReachAFilesystemThatImplementsSetlkAndGetlk",
                KNOBS + "locksDisabledInInitStayWithTheKernel"));
        INIT_FLAGS.put("FUSE_HAS_IOCTL_DIR", new Exercised(KNOBS + "ioctlDirLetsAnIoctlOnADirectoryReachTheFilesystem"));
        INIT_FLAGS.put("FUSE_AUTO_INVAL_DATA", new Exercised(KNOBS + "autoInvalDataDropsCachedPagesWhenTheMtimeChanges"));
        INIT_FLAGS.put("FUSE_DO_READDIRPLUS", new Exercised(KNOBS + "aListingOfAFilesystemWithReaddirplusUsesReaddirplus",
                KNOBS + "readdirplusDisabledInInitListsWithReaddir"));
        INIT_FLAGS.put("FUSE_READDIRPLUS_AUTO",
                new Exercised(KNOBS + "aListingOfAFilesystemWithReaddirplusUsesReaddirplus"));
        INIT_FLAGS.put("FUSE_ASYNC_DIO", new Exercised(KNOBS + "asyncDioSendsTheReadsOfOneDirectReadConcurrently",
                KNOBS + "withoutAsyncDioTheReadsOfOneDirectReadGoOneAtATime"));
        INIT_FLAGS.put("FUSE_WRITEBACK_CACHE", new Exercised(KNOBS + "writebackCacheMarksWritesAsComingFromThePageCache"));
        INIT_FLAGS.put("FUSE_NO_OPEN_SUPPORT", new Exercised(KNOBS + "noOpenSupportStopsOpensAfterTheFirstEnosys"));
        INIT_FLAGS.put("FUSE_PARALLEL_DIROPS", new Exercised(KNOBS + "parallelDiropsLetsLookupsInOneDirectoryRunTogether",
                KNOBS + "withoutParallelDiropsLookupsInOneDirectoryAreSerialized"));
        INIT_FLAGS.put("FUSE_HANDLE_KILLPRIV", new Exercised(KNOBS + "handleKillprivLeavesClearingSetUidToTheFilesystem",
                KNOBS + "withoutHandleKillprivTheKernelClearsSetUidWithASetattr"));
        INIT_FLAGS.put("FUSE_POSIX_ACL", new Exercised("dev.jfuser.examples.memfs.MemFsSemanticsMountTest#"
                + "posixAclsAreStoredEnforcedAndInheritedLikeOnTmpfs"));
        INIT_FLAGS.put("FUSE_ABORT_ERROR", new Exercised(KNOBS + "anAbortEndsTheSessionSaysSoAndCloseRemovesTheDeadMount",
                KNOBS + "anUnmountIsNotTakenForAnAbort"));
        INIT_FLAGS.put("FUSE_MAX_PAGES", new Exercised(KNOBS + "aFourMebibyteWriteArrivesAsOneWriteWhenTheMaxPagesLimitAllowsIt"));
        INIT_FLAGS.put("FUSE_CACHE_SYMLINKS", new Exercised(KNOBS + "cacheSymlinksKeepsTheTargetInThePageCache",
                KNOBS + "withoutCacheSymlinksEveryReadlinkReachesTheFilesystem"));
        INIT_FLAGS.put("FUSE_NO_OPENDIR_SUPPORT",
                new Exercised(KNOBS + "noOpendirSupportStopsOpendirsAfterTheFirstEnosys"));
        INIT_FLAGS.put("FUSE_EXPLICIT_INVAL_DATA",
                new Exercised(KNOBS + "explicitInvalDataKeepsCachedPagesWhenTheMtimeChanges"));
        String virtiofs = "virtiofs only (DAX windows, submounts): the kernel offers it on virtio-fs connections,"
                + " never on /dev/fuse";
        INIT_FLAGS.put("FUSE_MAP_ALIGNMENT", new OutOfReach(virtiofs));
        INIT_FLAGS.put("FUSE_SUBMOUNTS", new OutOfReach(virtiofs));
        INIT_FLAGS.put("FUSE_HANDLE_KILLPRIV_V2",
                new Exercised(KNOBS + "handleKillprivV2FlagsTheWriteThatMustClearSetUid"));
        // memfs asks for it; every setxattr on a memfs mount arrives in the extended layout.
        INIT_FLAGS.put("FUSE_SETXATTR_EXT", new Exercised("dev.jfuser.examples.memfs.MemFsSemanticsMountTest#"
                + "posixAclsAreStoredEnforcedAndInheritedLikeOnTmpfs",
                "dev.jfuser.examples.memfs.MemFsLimitsMountTest#xattrsFillTheSizeLimitAndStatfsSeesThem"));
        // flags2 is read by the kernel only with INIT_EXT: any flags2 capability taking effect shows it.
        INIT_FLAGS.put("FUSE_INIT_EXT", new Exercised(KNOBS + "withNoExportSupportNoFileHandleIsHandedOut",
                KNOBS + "createSuppGroupSendsTheGroupThatMatchesTheDirectory"));
        INIT_FLAGS.put("FUSE_INIT_RESERVED", new OutOfReach("reserved: never sent by the kernel, never to be set"));
        INIT_FLAGS.put("FUSE_SECURITY_CTX", new OutOfReach("contexts come only from an LSM that labels new files"
                + " (SELinux, Smack); this kernel runs none, so no create would carry one. jfuser does not ask for it"
                + " and skips the extension if sent"));
        INIT_FLAGS.put("FUSE_HAS_INODE_DAX", new OutOfReach(virtiofs));
        INIT_FLAGS.put("FUSE_CREATE_SUPP_GROUP",
                new Exercised(KNOBS + "createSuppGroupSendsTheGroupThatMatchesTheDirectory",
                        KNOBS + "withoutCreateSuppGroupNoGroupsComeWithACreate"));
        INIT_FLAGS.put("FUSE_HAS_EXPIRE_ONLY", new Exercised(NOTIFY + "expireEntryMakesTheKernelLookTheNameUpAgain"));
        INIT_FLAGS.put("FUSE_DIRECT_IO_ALLOW_MMAP",
                new Exercised(KNOBS + "directIoAllowMmapLetsADirectIoFileBeMapped",
                        KNOBS + "withoutDirectIoAllowMmapADirectIoFileCannotBeMappedShared"));
        INIT_FLAGS.put("FUSE_PASSTHROUGH", new Exercised("dev.jfuser.examples.passthrough.PassthroughMountTest#"
                + "withKernelPassthroughReadsAndWritesNeverReachTheDaemon"));
        INIT_FLAGS.put("FUSE_NO_EXPORT_SUPPORT", new Exercised(KNOBS + "withNoExportSupportNoFileHandleIsHandedOut",
                KNOBS + "withoutNoExportSupportAFileHandleIsHandedOut"));
        INIT_FLAGS.put("FUSE_HAS_RESEND", new Exercised(NOTIFY + "resendMakesTheKernelSendAnUnansweredRequestAgain"));
        INIT_FLAGS.put("FUSE_DIRECT_IO_RELAX", new OutOfReach("an old name of FUSE_DIRECT_IO_ALLOW_MMAP, same bit"));
        // The kernel's own check only: util-linux 2.38 here has no X-mount.idmap to make an idmapped mount.
        INIT_FLAGS.put("FUSE_ALLOW_IDMAP", new Exercised(KNOBS + "allowIdmapWithoutDefaultPermissionsIsRefusedByTheKernel",
                KNOBS + "allowIdmapWithDefaultPermissionsIsAccepted"));
        INIT_FLAGS.put("FUSE_OVER_IO_URING", new Exercised("dev.jfuser.examples.uring.UringMountTest#"
                + "blockingFilesystemMovesLargePayloadsBothWaysOnEveryQueue"));
        INIT_FLAGS.put("FUSE_REQUEST_TIMEOUT",
                new Exercised(KNOBS + "aHungRequestMakesTheKernelAbortTheConnectionAfterTheRequestTimeout"));
    }

    /** One row of the list: a name and its value as the header writes it. */
    record Row(String section, String name, String value) {
    }

    private static List<Row> rows() throws IOException {
        List<Row> rows = new ArrayList<>();
        String section = null;
        try (InputStream in = InitFlagsAndNotifyCodesTest.class.getResourceAsStream(LIST)) {
            assertNotNull(in, LIST + " is missing");
            for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
                if (line.startsWith("## ")) {
                    section = line.substring(3);
                } else if (!line.isBlank() && !line.startsWith("#")) {
                    int sp = line.indexOf(' ');
                    rows.add(new Row(section, line.substring(0, sp), line.substring(sp + 1).strip()));
                }
            }
        }
        return rows;
    }

    private static final Pattern SHIFT = Pattern.compile("\\(1(?:ULL)? << (\\d+)\\)");

    @Test
    void everyNotifyCodeAndInitFlagOfTheProtocolIsClassified() throws Exception {
        List<String> unclassified = new ArrayList<>();
        Set<String> listed = new TreeSet<>();
        int codes = 0;
        int flags = 0;
        for (Row r : rows()) {
            listed.add(r.name());
            Map<String, Coverage> table = switch (r.section()) {
                case "notify codes" -> NOTIFY_CODES;
                case "INIT flags" -> INIT_FLAGS;
                default -> throw new AssertionError("unknown section " + r.section());
            };
            if (r.section().equals("notify codes")) {
                codes++;
            } else {
                flags++;
            }
            if (!table.containsKey(r.name())) {
                unclassified.add(r.name());
            }
        }
        assertEquals(List.of(), unclassified, "rows of " + LIST + " without a classification here");
        Set<String> classified = new TreeSet<>(NOTIFY_CODES.keySet());
        classified.addAll(INIT_FLAGS.keySet());
        classified.removeAll(listed);
        assertEquals(Set.of(), classified, "classified here but not in " + LIST);
        assertEquals(9, codes, "protocol 7.45 has nine notify codes");
        assertEquals(44, flags, "protocol 7.45 has 43 INIT flag bits and one alias");
    }

    @Test
    void theListAgreesWithTheProtocolConstants() throws Exception {
        for (Row r : rows()) {
            String abiName = r.name().substring("FUSE_".length());
            long expected;
            if (r.section().equals("notify codes")) {
                expected = Long.parseLong(r.value());
            } else {
                Matcher m = SHIFT.matcher(r.value());
                if (!m.matches()) {
                    assertTrue(r.value().startsWith("FUSE_"), r + ": neither a bit nor an alias");
                    continue;
                }
                expected = 1L << Integer.parseInt(m.group(1));
            }
            long actual = ((Number) Abi.class.getField(abiName).get(null)).longValue();
            assertEquals(expected, actual, "Abi." + abiName);
        }
    }

    @Test
    void theListIsTheProtocolReferencesWhereThatIsAtHand() throws Exception {
        Path reference = Path.of("/work/shared/reference/fuse-abi-7.45.md");
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(reference), "no " + reference + " here");
        String text = Files.readString(reference);
        for (Row r : rows()) {
            assertTrue(text.contains("| " + r.name() + " |"), r.name() + " is not in " + reference);
        }
    }

    @Test
    void everyNamedTestIsAMountTestThatExists() throws Exception {
        List<String> missing = new ArrayList<>();
        for (Map<String, Coverage> table : List.of(NOTIFY_CODES, INIT_FLAGS)) {
            for (Map.Entry<String, Coverage> e : table.entrySet()) {
                if (!(e.getValue() instanceof Exercised x)) {
                    continue;
                }
                assertTrue(!x.tests().isEmpty(), e.getKey());
                for (String t : x.tests()) {
                    String[] parts = t.split("#");
                    Class<?> c = Class.forName(parts[0]);
                    Tag tag = c.getAnnotation(Tag.class);
                    assertTrue(tag != null && tag.value().equals("mount"), c + " is not tagged mount");
                    Method m = findMethod(c, parts[1]);
                    if (m == null || m.getAnnotation(Test.class) == null) {
                        missing.add(e.getKey() + " -> " + t);
                    }
                }
            }
        }
        assertEquals(List.of(), missing, "named tests that do not exist");
    }

    @Test
    void everyCapabilityIsAFlagThatAMountTestExercises() {
        for (Capability c : Capability.values()) {
            Coverage cov = INIT_FLAGS.get(c.kernelName());
            assertNotNull(cov, c + " (" + c.kernelName() + ") is not in the list");
            if (!(cov instanceof Exercised)) {
                fail(c + " is offered to filesystems but classified out of reach: " + cov);
            }
        }
    }

    private static Method findMethod(Class<?> c, String name) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            for (Method m : k.getDeclaredMethods()) {
                if (m.getName().equals(name) && m.getParameterCount() == 0) {
                    return m;
                }
            }
        }
        return null;
    }
}
