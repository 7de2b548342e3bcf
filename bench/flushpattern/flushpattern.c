// The light load's log pattern without the server: one thread writes a commit's frames
// (24,720 bytes) every 0.5 ms over a file already written out (as a log that has started over
// does), a second thread flushes (fdatasync) whatever was written since its last flush, as
// LogFlusher does. Before each flush it asks the file for nothing, for its link count
// (statx, as LogFlusher does), or for everything (fstat, as LogFlusher did).
//
// usage: flushpattern FILE none|statx|fstat SECONDS
// Prints the flushes' p50 / p90 / p99. Run it under `perf record -e block:block_rq_issue` to
// see which flushes also write the inode's block (WSM requests).
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { kCommitBytes = 24720, kFileBytes = 16 << 20, kMaxFlushes = 1 << 20 };

static int fd;
static int askMode; // 0 none, 1 statx (link count), 2 fstat
static atomic_long written, flushed;
static atomic_int stop;
static double flushMs[kMaxFlushes];
static int flushCount;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static void *flusher(void *unused)
{
    (void)unused;
    while (!atomic_load(&stop)) {
        const long upTo = atomic_load(&written);
        if (upTo == atomic_load(&flushed)) {
            usleep(20);
            continue;
        }
        if (askMode == 1) {
            struct statx st;
            statx(fd, "", AT_EMPTY_PATH, STATX_NLINK, &st);
        } else if (askMode == 2) {
            struct stat st;
            fstat(fd, &st);
        }
        const double start = now();
        if (fdatasync(fd) != 0) {
            perror("fdatasync");
            exit(1);
        }
        if (flushCount < kMaxFlushes)
            flushMs[flushCount++] = (now() - start) * 1e3;
        atomic_store(&flushed, upTo);
    }
    return NULL;
}

static int compare(const void *a, const void *b)
{
    const double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc != 4 || (strcmp(argv[2], "none") && strcmp(argv[2], "statx") && strcmp(argv[2], "fstat"))) {
        fprintf(stderr, "usage: %s FILE none|statx|fstat SECONDS\n", argv[0]);
        return 2;
    }
    askMode = !strcmp(argv[2], "statx") ? 1 : !strcmp(argv[2], "fstat") ? 2 : 0;
    const int seconds = atoi(argv[3]);
    fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) {
        perror(argv[1]);
        return 1;
    }
    // Written out and flushed first, so that every commit writes over blocks on disk.
    char *zeros = calloc(1, 1 << 20);
    for (long offset = 0; offset < kFileBytes; offset += 1 << 20) {
        if (pwrite(fd, zeros, 1 << 20, offset) != 1 << 20) {
            perror("pwrite");
            return 1;
        }
    }
    fdatasync(fd);
    free(zeros);

    char *commit = malloc(kCommitBytes);
    memset(commit, 0x5a, kCommitBytes);
    pthread_t thread;
    pthread_create(&thread, NULL, flusher, NULL);
    long offset = 0, commits = 0;
    double next = now();
    const double end = next + seconds;
    while (next < end) {
        next += 0.0005;
        while (now() < next) {
        }
        if (offset + kCommitBytes > kFileBytes)
            offset = 0;
        if (pwrite(fd, commit, kCommitBytes, offset) != kCommitBytes) {
            perror("pwrite");
            return 1;
        }
        offset += kCommitBytes;
        atomic_store(&written, ++commits);
    }
    atomic_store(&stop, 1);
    pthread_join(thread, NULL);
    unlink(argv[1]);
    if (flushCount == 0)
        return 1;
    qsort(flushMs, flushCount, sizeof flushMs[0], compare);
    printf("%-5s %d commits, %d flushes: fdatasync p50 %.3f p90 %.3f p99 %.3f ms\n", argv[2],
           (int)commits, flushCount, flushMs[flushCount / 2], flushMs[flushCount * 9 / 10],
           flushMs[flushCount * 99 / 100]);
    return 0;
}
