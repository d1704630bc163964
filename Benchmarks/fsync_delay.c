/*
 * LD_PRELOAD shim for `GateBenchmarks latency --fsync-ms N`: every fsync/fdatasync first sleeps
 * FSYNC_DELAY_US microseconds, so a laptop's fast disk behaves like a gate's SD card or eMMC
 * (a good A1 card: ~2-5 ms per durable commit; a cheap one far more). Only for benchmarks.
 *
 *   cc -shared -fPIC -O2 -o fsync_delay.so fsync_delay.c -ldl
 *   FSYNC_DELAY_US=5000 LD_PRELOAD=./fsync_delay.so eguma-gate run ...
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

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
    storage_delay();
    return real(fd);
}

int fdatasync(int fd) {
    static int (*real)(int);
    if (!real) real = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
    storage_delay();
    return real(fd);
}
