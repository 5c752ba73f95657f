/*
 * statloop SECONDS THREADS DIR: THREADS threads each stat(2) DIR/statN (N = thread index) in a loop for SECONDS
 * seconds; prints the total number of stats per second. A stat error ends the run with exit status 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static atomic_int stop;
static char *dir;

struct worker {
    pthread_t thread;
    int index;
    long ops;
    int failed;
};

static void *run(void *arg) {
    struct worker *w = arg;
    char path[4096];
    struct stat st;
    snprintf(path, sizeof path, "%s/stat%d", dir, w->index);
    while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
        if (stat(path, &st) != 0) {
            perror(path);
            w->failed = 1;
            break;
        }
        w->ops++;
    }
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: statloop SECONDS THREADS DIR\n");
        return 2;
    }
    double seconds = atof(argv[1]);
    int threads = atoi(argv[2]);
    dir = argv[3];
    struct worker *w = calloc(threads, sizeof *w);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < threads; i++) {
        w[i].index = i;
        pthread_create(&w[i].thread, NULL, run, &w[i]);
    }
    usleep((useconds_t) (seconds * 1e6));
    atomic_store(&stop, 1);
    long total = 0;
    int failed = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(w[i].thread, NULL);
        total += w[i].ops;
        failed |= w[i].failed;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double elapsed = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("%.0f\n", total / elapsed);
    return failed;
}
