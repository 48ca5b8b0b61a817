/*
 * Preloaded into herald by scripts/profile. valgrind 3.19 (Debian 12) writes into the signal
 * mask passed to rt_sigsuspend, and libdispatch's main thread (dispatch_main, under Swift's
 * async main) passes one in read-only memory: valgrind then dies of SIGSEGV at startup. This
 * sigsuspend hands the kernel a writable copy instead; it changes nothing else.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, (long)(_NSIG / 8));
}
