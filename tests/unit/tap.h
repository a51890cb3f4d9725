/* A minimal assertion kit for the unit tests: count failures, keep going, exit non-zero on any. */
#pragma once

#include <stdio.h>
#include <string.h>

static int tap_failed, tap_run;

#define CHECK(cond)                                                                          \
        do {                                                                                 \
                tap_run++;                                                                   \
                if (!(cond)) {                                                               \
                        tap_failed++;                                                        \
                        fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
                }                                                                            \
        } while (0)

#define CHECK_STREQ(a, b)                                                                    \
        do {                                                                                 \
                const char *_a = (a), *_b = (b);                                             \
                tap_run++;                                                                   \
                if (!_a || !_b || strcmp(_a, _b) != 0) {                                     \
                        tap_failed++;                                                        \
                        fprintf(stderr, "%s:%d: %s == %s failed:\n  got:  %s\n  want: %s\n", \
                                __FILE__, __LINE__, #a, #b, _a ? _a : "(null)", _b ? _b : "(null)"); \
                }                                                                            \
        } while (0)

#define CHECK_INTEQ(a, b)                                                                    \
        do {                                                                                 \
                long long _a = (long long) (a), _b = (long long) (b);                        \
                tap_run++;                                                                   \
                if (_a != _b) {                                                              \
                        tap_failed++;                                                        \
                        fprintf(stderr, "%s:%d: %s == %s failed: got %lld, want %lld\n",      \
                                __FILE__, __LINE__, #a, #b, _a, _b);                         \
                }                                                                            \
        } while (0)

static inline int tap_exit(const char *name) {
        printf("%s: %d checks, %d failed\n", name, tap_run, tap_failed);
        return tap_failed ? 1 : 0;
}
