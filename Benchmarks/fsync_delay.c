/*
 * LD_PRELOAD shim for `GateBenchmarks latency --fsync-ms N`: every fsync/fdatasync first sleeps
 * FSYNC_DELAY_US microseconds, so a laptop's fast disk behaves like a gate's SD card or eMMC
 * (a good A1 card: ~2-5 ms per durable commit; a cheap one far more). Only for benchmarks.
 *
 * With FSYNC_TRACE=FILE it also appends one line per call to FILE, "NS PATH": CLOCK_MONOTONIC
 * nanoseconds when the call was made and the file it syncs, so the benchmark can count the
 * fsyncs between a scan and the relay (one write(2) per line, O_APPEND: lines never interleave).
 *
 *   cc -shared -fPIC -O2 -o fsync_delay.so fsync_delay.c -ldl
 *   FSYNC_DELAY_US=5000 LD_PRELOAD=./fsync_delay.so eguma-gate run ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static void trace(int fd) {
    static int out = -2;  /* -2: not opened yet, -1: no trace */
    int current = __atomic_load_n(&out, __ATOMIC_ACQUIRE);
    if (current == -2) {
        const char *path = getenv("FSYNC_TRACE");
        int opened = path ? open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600) : -1;
        int expected = -2;
        if (!__atomic_compare_exchange_n(&out, &expected, opened, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
            if (opened >= 0) close(opened);  /* another thread was first */
        }
        current = __atomic_load_n(&out, __ATOMIC_ACQUIRE);
    }
    if (current < 0) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    char link[64], target[512];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    ssize_t length = readlink(link, target, sizeof target - 1);
    if (length < 0) length = 0;
    target[length] = 0;
    char line[600];
    int size = snprintf(line, sizeof line, "%lld %s\n", (long long)now.tv_sec * 1000000000LL + now.tv_nsec, target);
    if (size > 0) (void)!write(current, line, size < (int)sizeof line ? (size_t)size : sizeof line - 1);
}

static void storage_delay(void) {
    static long micros = -1;
    if (micros < 0) {
        const char *text = getenv("FSYNC_DELAY_US");
        micros = text ? atol(text) : 0;
    }
    if (micros <= 0) return;
    struct timespec left = { micros / 1000000, (micros % 1000000) * 1000 };
    while (nanosleep(&left, &left) == -1 && errno == EINTR) {}
}

int fsync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
    trace(fd);
    storage_delay();
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    trace(fd);
    storage_delay();
    return real(fd);
}
