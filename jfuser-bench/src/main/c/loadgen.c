/*
 * Metadata load generator for bin/bench: THREADS threads repeat one operation against a mounted benchmark tree
 * for SECONDS (after a short warm-up) and the total rate is printed as "<ops per second>".
 *
 *   loadgen OP MOUNTPOINT THREADS SECONDS
 *
 * OP: fstat        fstat(2) of an open file                      (GETATTR)
 *     stat         fstatat(2) of small/sNNN                      (LOOKUP + GETATTR when nothing is cached)
 *     statmiss     fstatat(2) of a missing name in small/        (LOOKUP answered ENOENT)
 *     openclose    open(2) + close(2) of small/sNNN              (LOOKUP, OPEN, FLUSH, RELEASE)
 *     createunlink open(O_CREAT|O_EXCL) + close + unlink in scratch/ (LOOKUP, CREATE, FLUSH, RELEASE, UNLINK)
 *     readdir      read all of dir10k (10,002 entries) with getdents64; one op = one whole listing
 *
 * A C program so the client side adds no JVM of its own to the measurement. Any unexpected failure aborts with
 * the errno, so a broken filesystem cannot look fast.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct worker {
    pthread_t thread;
    int id;
    _Atomic long ops;
    char pad[64];
};

static const char *op;
static const char *mountpoint;
static atomic_int stop;

static void die(const char *what, const char *path) {
    fprintf(stderr, "loadgen %s: %s %s: %s\n", op, what, path, strerror(errno));
    exit(1);
}

static int open_dir(const char *sub) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", mountpoint, sub);
    int fd = open(path, O_RDONLY | O_DIRECTORY);
    if (fd < 0) die("open", path);
    return fd;
}

static void *run(void *arg) {
    struct worker *w = arg;
    char name[64];
    struct stat st;
    long i = w->id * 17;
    int small = open_dir("small");
    if (!strcmp(op, "fstat")) {
        snprintf(name, sizeof name, "s%03d", w->id % 256);
        int fd = openat(small, name, O_RDONLY);
        if (fd < 0) die("open", name);
        while (!stop) {
            if (fstat(fd, &st) != 0) die("fstat", name);
            atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        }
        close(fd);
    } else if (!strcmp(op, "stat")) {
        while (!stop) {
            snprintf(name, sizeof name, "s%03ld", i++ % 256);
            if (fstatat(small, name, &st, 0) != 0) die("stat", name);
            atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        }
    } else if (!strcmp(op, "statmiss")) {
        while (!stop) {
            snprintf(name, sizeof name, "missing%ld", i++ % 256);
            if (fstatat(small, name, &st, 0) == 0 || errno != ENOENT) die("stat of a missing name", name);
            atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        }
    } else if (!strcmp(op, "openclose")) {
        while (!stop) {
            snprintf(name, sizeof name, "s%03ld", i++ % 256);
            int fd = openat(small, name, O_RDONLY);
            if (fd < 0) die("open", name);
            close(fd);
            atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        }
    } else if (!strcmp(op, "createunlink")) {
        int scratch = open_dir("scratch");
        while (!stop) {
            snprintf(name, sizeof name, "t%d_%ld", w->id, i++);
            int fd = openat(scratch, name, O_CREAT | O_EXCL | O_WRONLY, 0644);
            if (fd < 0) die("create", name);
            close(fd);
            if (unlinkat(scratch, name, 0) != 0) die("unlink", name);
            atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        }
        close(scratch);
    } else if (!strcmp(op, "readdir")) {
        static __thread char buf[65536];
        while (!stop) {
            int fd = open_dir("dir10k");
            long entries = 0;
            for (;;) {
                long n = syscall(SYS_getdents64, fd, buf, sizeof buf);
                if (n < 0) die("getdents64", "dir10k");
                if (n == 0) break;
                for (long p = 0; p < n; p += ((struct dirent64 *)(buf + p))->d_reclen) entries++;
            }
            close(fd);
            if (entries != 10002) {
                fprintf(stderr, "loadgen readdir: dir10k listed %ld entries, expected 10002\n", entries);
                exit(1);
            }
            atomic_fetch_add_explicit(&w->ops, 1, memory_order_relaxed);
        }
    } else {
        fprintf(stderr, "loadgen: unknown operation %s\n", op);
        exit(2);
    }
    close(small);
    return NULL;
}

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec / 1e9;
}

static long total(struct worker *w, int n) {
    long sum = 0;
    for (int i = 0; i < n; i++) sum += atomic_load(&w[i].ops);
    return sum;
}

static void sleep_for(double seconds) {
    struct timespec t = {(time_t)seconds, (long)((seconds - (time_t)seconds) * 1e9)};
    nanosleep(&t, NULL);
}

int main(int argc, char **argv) {
    if (argc != 5) {
        fprintf(stderr, "usage: loadgen fstat|stat|statmiss|openclose|createunlink|readdir MOUNTPOINT THREADS SECONDS\n");
        return 2;
    }
    op = argv[1];
    mountpoint = argv[2];
    int n = atoi(argv[3]);
    double seconds = atof(argv[4]);
    struct worker *w = calloc(n, sizeof *w);
    for (int i = 0; i < n; i++) {
        w[i].id = i;
        pthread_create(&w[i].thread, NULL, run, &w[i]);
    }
    sleep_for(seconds < 2 ? 0.2 : 0.5); /* warm-up: JIT, thread pools, dentries */
    long start_ops = total(w, n);
    double start = now();
    sleep_for(seconds);
    long end_ops = total(w, n);
    double end = now();
    stop = 1;
    for (int i = 0; i < n; i++) pthread_join(w[i].thread, NULL);
    printf("%.1f\n", (end_ops - start_ops) / (end - start));
    return 0;
}
