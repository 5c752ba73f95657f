/*
 * libfuse 3's figure for the same call as dev.jfuser.bench.NotifyLatency: the time one
 * fuse_lowlevel_notify_inval_inode takes for an inode the kernel holds.
 *
 *   notify_latency MOUNTPOINT [COUNT]
 *
 * Mounts a one-file filesystem (node 2, "f", cached for an hour) on MOUNTPOINT with the low-level API, serves it
 * on a thread with the single-threaded loop, opens the file so the kernel has (and keeps) its inode, makes
 * COUNT/2 warm-up calls, then times COUNT calls (default 10000) and prints the median, p90 and p99. Unmounts at
 * the end. Root.
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define FILE_NODE 2
#define HOUR 3600.0

static void fill(fuse_ino_t ino, struct stat *st) {
    memset(st, 0, sizeof(*st));
    st->st_ino = ino;
    if (ino == FUSE_ROOT_ID) {
        st->st_mode = S_IFDIR | 0755;
        st->st_nlink = 2;
    } else {
        st->st_mode = S_IFREG | 0644;
        st->st_nlink = 1;
        st->st_size = 4096;
    }
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    if (parent != FUSE_ROOT_ID || strcmp(name, "f") != 0) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct fuse_entry_param e;
    memset(&e, 0, sizeof(e));
    e.ino = FILE_NODE;
    e.attr_timeout = HOUR;
    e.entry_timeout = HOUR;
    fill(FILE_NODE, &e.attr);
    fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void) fi;
    if (ino != FUSE_ROOT_ID && ino != FILE_NODE) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    struct stat st;
    fill(ino, &st);
    fuse_reply_attr(req, &st, HOUR);
}

static const struct fuse_lowlevel_ops ops = {
    .lookup = op_lookup,
    .getattr = op_getattr,
};

static void *serve(void *se) {
    fuse_session_loop(se);
    return NULL;
}

static int by_value(const void *a, const void *b) {
    long long x = *(const long long *) a, y = *(const long long *) b;
    return x < y ? -1 : x > y;
}

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s MOUNTPOINT [COUNT]\n", argv[0]);
        return 2;
    }
    const char *mp = argv[1];
    int count = argc > 2 ? atoi(argv[2]) : 10000;
    if (count < 10) {
        fprintf(stderr, "notify_latency: COUNT must be at least 10, got '%s'\n", argv[2]);
        return 2;
    }
    char *fargv[] = {argv[0], "-o", "fsname=notify-latency", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
    if (se == NULL || fuse_session_mount(se, mp) != 0) {
        fprintf(stderr, "notify_latency: could not mount on %s\n", mp);
        return 1;
    }
    pthread_t loop;
    pthread_create(&loop, NULL, serve, se);

    int status = 0;
    char path[4096];
    snprintf(path, sizeof(path), "%s/f", mp);
    /* Held open, so the kernel keeps the inode even when memory pressure evicts unused ones (ENOENT). */
    int pin = open(path, O_RDONLY);
    if (pin < 0) {
        perror("notify_latency: open");
        status = 1;
    } else {
        long long *ns = malloc(sizeof(long long) * count);
        for (int i = 0; i < count / 2; i++) {
            fuse_lowlevel_notify_inval_inode(se, FILE_NODE, 0, 0);
        }
        for (int i = 0; i < count && status == 0; i++) {
            long long t = now_ns();
            int err = fuse_lowlevel_notify_inval_inode(se, FILE_NODE, 0, 0);
            ns[i] = now_ns() - t;
            if (err != 0) {
                fprintf(stderr, "notify_latency: fuse_lowlevel_notify_inval_inode: %s\n", strerror(-err));
                status = 1;
            }
        }
        if (status == 0) {
            qsort(ns, count, sizeof(long long), by_value);
            printf("libfuse %s fuse_lowlevel_notify_inval_inode over /dev/fuse, %d calls: median %.1f us, "
                   "p90 %.1f us, p99 %.1f us\n", fuse_pkgversion(), count, ns[count / 2] / 1000.0,
                   ns[count * 9 / 10] / 1000.0, ns[count * 99 / 100] / 1000.0);
        }
        free(ns);
        close(pin);
    }
    fuse_session_exit(se);
    fuse_session_unmount(se);
    pthread_join(loop, NULL);
    fuse_session_destroy(se);
    return status;
}
