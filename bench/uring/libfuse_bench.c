/*
 * The benchmark filesystem of BenchFs.java written against libfuse's low-level API, as a reference point:
 * stat0..stat63 (empty) and data (1 GiB of a repeating pattern), entry and attribute timeouts 0, served by
 * fuse_session_loop_mt over /dev/fuse (libfuse 3.14 as shipped by Debian 12 has no io_uring).
 *
 *   libfuse-bench MOUNTPOINT -f [-o options]
 */
#define FUSE_USE_VERSION 312
#include <fuse_lowlevel.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DATA_INO 2
#define FIRST_STAT 16
#define STAT_FILES 64
#define DATA_SIZE (1LL << 30)
#define PATTERN (1 << 20)

static char *pattern;

static int fill(fuse_ino_t ino, struct stat *st) {
    memset(st, 0, sizeof *st);
    st->st_ino = ino;
    st->st_mtim.tv_sec = st->st_atim.tv_sec = st->st_ctim.tv_sec = 1735689600;
    if (ino == FUSE_ROOT_ID) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else if (ino == DATA_INO) {
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
        st->st_size = DATA_SIZE;
        st->st_blocks = DATA_SIZE / 512;
        st->st_blksize = 4096;
    } else if (ino >= FIRST_STAT && ino < FIRST_STAT + STAT_FILES) {
        st->st_mode = S_IFREG | 0444;
        st->st_nlink = 1;
    } else {
        return -1;
    }
    return 0;
}

static void bench_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    fuse_ino_t ino = 0;
    if (parent == FUSE_ROOT_ID) {
        if (strcmp(name, "data") == 0) {
            ino = DATA_INO;
        } else if (strncmp(name, "stat", 4) == 0) {
            char *end;
            long i = strtol(name + 4, &end, 10);
            if (*end == 0 && end != name + 4 && i >= 0 && i < STAT_FILES) {
                ino = FIRST_STAT + i;
            }
        }
    }
    if (ino == 0 || fill(ino, &e.attr) != 0) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    e.ino = ino;
    e.attr_timeout = 0;
    e.entry_timeout = 0;
    fuse_reply_entry(req, &e);
}

static void bench_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    struct stat st;
    (void) fi;
    if (fill(ino, &st) != 0) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    fuse_reply_attr(req, &st, 0);
}

static void bench_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void) ino;
    fuse_reply_open(req, fi);
}

static void bench_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    (void) fi;
    if (ino != DATA_INO) {
        fuse_reply_err(req, EISDIR);
        return;
    }
    if (off >= DATA_SIZE) {
        fuse_reply_buf(req, NULL, 0);
        return;
    }
    if ((long long) size > DATA_SIZE - off) {
        size = DATA_SIZE - off;
    }
    if (size > PATTERN) {
        size = PATTERN;
    }
    fuse_reply_buf(req, pattern + off % PATTERN, size);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = bench_lookup,
    .getattr = bench_getattr,
    .open = bench_open,
    .read = bench_read,
};

int main(int argc, char *argv[]) {
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    struct fuse_cmdline_opts opts;
    struct fuse_loop_config *config;
    int ret = 1;

    pattern = malloc(2 * PATTERN);
    for (long i = 0; i < 2L * PATTERN; i++) {
        pattern[i] = (char) (i * 31 + 7);
    }
    if (fuse_parse_cmdline(&args, &opts) != 0 || opts.mountpoint == NULL) {
        fprintf(stderr, "usage: %s MOUNTPOINT -f [-o options]\n", argv[0]);
        return 1;
    }
    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (se == NULL) {
        goto out;
    }
    if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, opts.mountpoint) != 0) {
        goto out_session;
    }
    config = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(config, 0);
    fuse_loop_cfg_set_max_threads(config, 16);
    ret = fuse_session_loop_mt(se, config);
    fuse_loop_cfg_destroy(config);
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
out_session:
    fuse_session_destroy(se);
out:
    free(opts.mountpoint);
    fuse_opt_free_args(&args);
    return ret ? 1 : 0;
}
