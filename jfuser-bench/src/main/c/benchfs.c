/*
 * The benchmark tree (see Tree.java) on libfuse 3's low-level API: the reference every Java library is compared
 * with. Same node ids, names, sizes, modes, times and content as the Java implementations.
 *
 *   benchfs MOUNTPOINT cache|nocache [BIG_SIZE] [clone_fd] [readdirplus]
 *
 * Runs in the foreground with libfuse's multi-threaded loop (its defaults: up to 10 workers, one shared fd
 * unless clone_fd). Unmount with umount(8).
 */
#define FUSE_USE_VERSION 314
#include <fuse_lowlevel.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define ROOT 1
#define DIR10K 2
#define SMALL 3
#define SCRATCH 4
#define BIG 5
#define SMALL_BASE 100
#define DIR_BASE 1000
#define SCRATCH_BASE 1000000
#define DIR_FILES 10000
#define SMALL_FILES 256
#define SMALL_SIZE 4096
#define DIR_FILE_SIZE 100
#define TIME 1700000000L
#define PERIOD 1048573
#define MAX_IO (1 << 20)

static char *pattern;            /* PERIOD + MAX_IO bytes: a read is one pointer into it */
static long long big_size = 1LL << 30;
static double timeout;           /* entry and attribute timeout: 0 or 60 s */
static int cache;

/* Scratch files: chained hash tables by name and by node over one mutex. Node ids are never reused. */
struct scratch {
    char *name;
    fuse_ino_t node;
    long long size;
    struct scratch *next_by_name, *next_by_node;
};
#define BUCKETS 4096
static struct scratch *by_name[BUCKETS], *by_node[BUCKETS];
static pthread_mutex_t scratch_lock = PTHREAD_MUTEX_INITIALIZER;
static fuse_ino_t next_scratch = SCRATCH_BASE;

static unsigned hash(const char *s) {
    unsigned h = 2166136261u;
    while (*s) h = (h ^ (unsigned char)*s++) * 16777619u;
    return h % BUCKETS;
}

static struct scratch *find_name(const char *name) {
    for (struct scratch *s = by_name[hash(name)]; s; s = s->next_by_name)
        if (strcmp(s->name, name) == 0) return s;
    return NULL;
}

static struct scratch *find_node(fuse_ino_t node) {
    for (struct scratch *s = by_node[node % BUCKETS]; s; s = s->next_by_node)
        if (s->node == node) return s;
    return NULL;
}

static int is_dir(fuse_ino_t n) { return n >= ROOT && n <= SCRATCH; }

/* Size of node n, or -1 if it does not exist. */
static long long size_of(fuse_ino_t n) {
    if (n == BIG) return big_size;
    if (n >= SMALL_BASE && n < SMALL_BASE + SMALL_FILES) return SMALL_SIZE;
    if (n >= DIR_BASE && n < DIR_BASE + DIR_FILES) return DIR_FILE_SIZE;
    if (is_dir(n)) return 4096;
    pthread_mutex_lock(&scratch_lock);
    struct scratch *s = find_node(n);
    long long size = s ? s->size : -1;
    pthread_mutex_unlock(&scratch_lock);
    return size;
}

static int fill_attr(fuse_ino_t n, struct stat *st) {
    long long size = size_of(n);
    if (size < 0) return 0;
    memset(st, 0, sizeof *st);
    st->st_ino = n;
    st->st_mode = n == SCRATCH ? 040777 : is_dir(n) ? 040755 : n >= SCRATCH_BASE ? 0100666 : 0100644;
    st->st_nlink = is_dir(n) ? 2 : 1;
    st->st_size = size;
    st->st_blocks = (size + 511) / 512;
    st->st_blksize = 4096;
    st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec = TIME;
    return 1;
}

/* "s012" → 12 when name is prefix + exactly digits digits, else -1 */
static long number(const char *name, char prefix, int digits) {
    if ((int)strlen(name) != digits + 1 || name[0] != prefix) return -1;
    long v = 0;
    for (int i = 1; i <= digits; i++) {
        if (name[i] < '0' || name[i] > '9') return -1;
        v = v * 10 + (name[i] - '0');
    }
    return v;
}

static long long lookup_node(fuse_ino_t parent, const char *name) {
    if (parent == ROOT) {
        if (!strcmp(name, "dir10k")) return DIR10K;
        if (!strcmp(name, "small")) return SMALL;
        if (!strcmp(name, "scratch")) return SCRATCH;
        if (!strcmp(name, "big")) return BIG;
        return -1;
    }
    if (parent == SMALL) {
        long i = number(name, 's', 3);
        return i >= 0 && i < SMALL_FILES ? SMALL_BASE + i : -1;
    }
    if (parent == DIR10K) {
        long i = number(name, 'f', 5);
        return i >= 0 && i < DIR_FILES ? DIR_BASE + i : -1;
    }
    if (parent == SCRATCH) {
        pthread_mutex_lock(&scratch_lock);
        struct scratch *s = find_name(name);
        long long n = s ? (long long)s->node : -1;
        pthread_mutex_unlock(&scratch_lock);
        return n;
    }
    return -1;
}

static void reply_entry(fuse_req_t req, fuse_ino_t n) {
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    if (!fill_attr(n, &e.attr)) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    e.ino = n;
    e.attr_timeout = e.entry_timeout = timeout;
    fuse_reply_entry(req, &e);
}

static void bench_init(void *userdata, struct fuse_conn_info *conn) {
    (void)userdata;
    conn->max_write = MAX_IO;
}

static void bench_lookup(fuse_req_t req, fuse_ino_t parent, const char *name) {
    long long n = lookup_node(parent, name);
    if (n < 0) fuse_reply_err(req, ENOENT);
    else reply_entry(req, n);
}

static void bench_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    (void)fi;
    struct stat st;
    if (!fill_attr(ino, &st)) fuse_reply_err(req, ENOENT);
    else fuse_reply_attr(req, &st, timeout);
}

static void bench_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
                          struct fuse_file_info *fi) {
    if (to_set & FUSE_SET_ATTR_SIZE) {
        pthread_mutex_lock(&scratch_lock);
        struct scratch *s = find_node(ino);
        if (s) s->size = attr->st_size;
        pthread_mutex_unlock(&scratch_lock);
        if (!s) {
            fuse_reply_err(req, EACCES);
            return;
        }
    }
    bench_getattr(req, ino, fi);
}

static void set_open_flags(struct fuse_file_info *fi) {
    if (cache) fi->keep_cache = 1;
    else fi->direct_io = 1;
}

static void bench_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi) {
    if ((fi->flags & 3) != 0 && ino < SCRATCH_BASE) {
        fuse_reply_err(req, EACCES);
        return;
    }
    fi->fh = ino;
    set_open_flags(fi);
    fuse_reply_open(req, fi);
}

static void bench_create(fuse_req_t req, fuse_ino_t parent, const char *name, mode_t mode,
                         struct fuse_file_info *fi) {
    (void)mode;
    if (parent != SCRATCH) {
        fuse_reply_err(req, EACCES);
        return;
    }
    pthread_mutex_lock(&scratch_lock);
    struct scratch *s = find_name(name);
    if (!s) {
        s = calloc(1, sizeof *s);
        s->name = strdup(name);
        s->node = next_scratch++;
        unsigned h = hash(name);
        s->next_by_name = by_name[h];
        by_name[h] = s;
        s->next_by_node = by_node[s->node % BUCKETS];
        by_node[s->node % BUCKETS] = s;
    }
    fuse_ino_t n = s->node;
    pthread_mutex_unlock(&scratch_lock);
    struct fuse_entry_param e;
    memset(&e, 0, sizeof e);
    fill_attr(n, &e.attr);
    e.ino = n;
    e.attr_timeout = e.entry_timeout = timeout;
    fi->fh = n;
    set_open_flags(fi);
    fuse_reply_create(req, &e, fi);
}

static void bench_unlink(fuse_req_t req, fuse_ino_t parent, const char *name) {
    if (parent != SCRATCH) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    pthread_mutex_lock(&scratch_lock);
    struct scratch **pp = &by_name[hash(name)], *s;
    while ((s = *pp) && strcmp(s->name, name) != 0) pp = &s->next_by_name;
    if (s) {
        *pp = s->next_by_name;
        struct scratch **qp = &by_node[s->node % BUCKETS];
        while (*qp != s) qp = &(*qp)->next_by_node;
        *qp = s->next_by_node;
    }
    pthread_mutex_unlock(&scratch_lock);
    if (!s) {
        fuse_reply_err(req, ENOENT);
        return;
    }
    free(s->name);
    free(s);
    fuse_reply_err(req, 0);
}

static void bench_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    (void)fi;
    long long len = size_of(ino);
    size_t n = off >= len ? 0 : (size_t)(len - off < (long long)size ? len - off : (long long)size);
    /* zero copy: libfuse writev()s straight from the pattern */
    fuse_reply_buf(req, pattern + off % PERIOD, n);
}

static void bench_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
                        struct fuse_file_info *fi) {
    (void)buf;
    (void)fi;
    pthread_mutex_lock(&scratch_lock);
    struct scratch *s = find_node(ino);
    if (s && s->size < off + (long long)size) s->size = off + size;
    pthread_mutex_unlock(&scratch_lock);
    if (!s) fuse_reply_err(req, EACCES);
    else fuse_reply_write(req, size);
}

static void bench_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, struct fuse_file_info *fi) {
    (void)fi;
    if (!is_dir(ino)) {
        fuse_reply_err(req, ENOTDIR);
        return;
    }
    static const char *root_names[] = {"big", "dir10k", "scratch", "small"};
    char *buf = malloc(size), name[16];
    size_t used = 0;
    long count = ino == ROOT ? 4 : ino == DIR10K ? DIR_FILES : ino == SMALL ? SMALL_FILES : 0;
    /* entries ".", "..", then the names; entry i carries cookie i + 1 (the scratch dir lists empty here) */
    for (long i = off; i < count + 2; i++) {
        struct stat st;
        memset(&st, 0, sizeof st);
        const char *nm;
        if (i < 2) {
            nm = i == 0 ? "." : "..";
            st.st_ino = ino;
            st.st_mode = S_IFDIR;
        } else {
            long k = i - 2;
            if (ino == ROOT) {
                nm = root_names[k];
                st.st_ino = lookup_node(ROOT, nm);
                st.st_mode = st.st_ino == BIG ? S_IFREG : S_IFDIR;
            } else {
                snprintf(name, sizeof name, ino == DIR10K ? "f%05ld" : "s%03ld", k);
                nm = name;
                st.st_ino = (ino == DIR10K ? DIR_BASE : SMALL_BASE) + k;
                st.st_mode = S_IFREG;
            }
        }
        size_t need = fuse_add_direntry(req, buf + used, size - used, nm, &st, i + 1);
        if (need > size - used) break;
        used += need;
    }
    fuse_reply_buf(req, buf, used);
    free(buf);
}

static const struct fuse_lowlevel_ops ops = {
    .init = bench_init,
    .lookup = bench_lookup,
    .getattr = bench_getattr,
    .setattr = bench_setattr,
    .open = bench_open,
    .create = bench_create,
    .unlink = bench_unlink,
    .read = bench_read,
    .write = bench_write,
    .readdir = bench_readdir,
};

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MOUNTPOINT cache|nocache [BIG_SIZE] [clone_fd]\n", argv[0]);
        return 2;
    }
    cache = strcmp(argv[2], "cache") == 0;
    timeout = cache ? 60.0 : 0.0;
    int clone_fd = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "clone_fd")) clone_fd = 1;
        else big_size = atoll(argv[i]);
    }
    pattern = aligned_alloc(4096, ((size_t)PERIOD + MAX_IO + 4095) & ~(size_t)4095);
    for (long i = 0; i < PERIOD + MAX_IO; i++) {
        long j = i % PERIOD;
        pattern[i] = (char)((j * 131 + (j >> 11)) & 0xff);
    }
    char *fargv[] = {argv[0], "-o", "fsname=bench", NULL};
    struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
    struct fuse_session *se = fuse_session_new(&args, &ops, sizeof ops, NULL);
    if (!se) return 1;
    if (fuse_set_signal_handlers(se) != 0 || fuse_session_mount(se, argv[1]) != 0) return 1;
    printf("ready\n");
    fflush(stdout);
    struct fuse_loop_config *cfg = fuse_loop_cfg_create();
    fuse_loop_cfg_set_clone_fd(cfg, clone_fd);
    int r = fuse_session_loop_mt(se, cfg);
    fuse_loop_cfg_destroy(cfg);
    fuse_session_unmount(se);
    fuse_remove_signal_handlers(se);
    fuse_session_destroy(se);
    return r ? 1 : 0;
}
