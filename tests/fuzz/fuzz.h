/* What the harnesses share: a transport that answers from the fuzz input instead of the network
 * (linked in place of lib/http.c), and the input format of the harnesses that take several replies. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "http.h"

/* Replies in one input are separated by this line. A reply may start with "HTTP NNN\n", its
 * status (the seeds carry the status the scenario sent); without it the status is 200. */
#define FUZZ_REPLY_SEP "\n--nw-fuzz-next-reply--\n"

/* The multi-reply inputs of the gather start with the tagged VMs' morefs (a "chunk" of lines, what
 * vapi_attached_vms returned), then the replies: reads that first chunk into *ret (at most 100000). */
size_t fuzz_take_morefs(const uint8_t **data, size_t *size, nw_strv *ret);

/* Queues the replies in data (borrowed: it must outlive their use) on h, after those already
 * queued. Each request takes the next one; once they run out a request fails -ECONNREFUSED, as
 * with a vCenter that went away, so every loop over replies ends. */
void fuzz_http_queue(nw_http *h, const uint8_t *data, size_t size);
/* The body of the i-th reply queued (without its status line); false past the last. */
bool fuzz_http_reply(const nw_http *h, size_t i, const uint8_t **ret, size_t *ret_len);
/* Replies queued and not yet taken. */
size_t fuzz_http_left(const nw_http *h);

/* A contract of the code under test does not hold: abort, so that the replay test fails in a
 * plain build too, not only under a sanitizer. */
#define FUZZ_ASSERT(cond)                                                                        \
        do {                                                                                     \
                if (!(cond)) {                                                                   \
                        fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
                        abort();                                                                 \
                }                                                                                \
        } while (0)

/* NW_FUZZ_VERBOSE=1: one line per input on what the code under test made of it (to see that a
 * seed gets past the parsers it is meant for). */
#define FUZZ_LOG(...)                                                                            \
        do {                                                                                     \
                static int verbose_ = -1;                                                        \
                if (verbose_ < 0)                                                                \
                        verbose_ = getenv("NW_FUZZ_VERBOSE") != NULL;                            \
                if (verbose_)                                                                    \
                        fprintf(stderr, __VA_ARGS__);                                            \
        } while (0)

/* The libFuzzer entry points, declared for -Wmissing-prototypes. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);
