/* Transport: one locked-down curl handle per vCenter, reused for every SOAP and REST request. */
#pragma once

#include <signal.h>

#include "util.h"

typedef struct nw_http_opts {
        bool insecure;          /* skip peer and host verification */
        const char *ca_file;    /* PEM bundle; NULL: the system store */
        const char *thumbprint; /* "SHA256:<hex>": trust exactly the certificate with this SHA-256, checked in
                                 * the handshake instead of CA, host name and dates; NULL: none */
        long timeout;           /* seconds for a whole request */
        size_t max_body;        /* cap on a reply's decoded size; 0: 64 MiB */
        /* Set (by a signal handler) to abort the request in flight within about a second. */
        const volatile sig_atomic_t *abort_flag;
        /* Called about once a second while a request is in flight (the daemon's watchdog). */
        void (*tick)(void *userdata);
        void *tick_userdata;
        /* Each request is counted here too (NULL: not): a count that outlives the handle, across
         * sessions (the daemon's metrics). */
        uint64_t *request_count;
} nw_http_opts;

typedef struct nw_http nw_http;

typedef struct nw_http_req {
        const char *method;     /* "GET", "POST", "DELETE" */
        const char *url;
        const char *const *headers; /* NULL-terminated, may be NULL */
        const char *body;       /* NULL: none */
        size_t body_len;
        const char *user;       /* HTTP Basic auth for this request only; NULL: none */
        const char *password;
        /* Streaming: the decoded reply goes to sink piece by piece as it arrives, instead of into
         * ret_body (then NULL), so a reply is never held whole. status is the HTTP status. A negative
         * return aborts the transfer and becomes nw_http_do's result, with err as sink set it. The
         * max_body cap still applies to the whole. */
        int (*sink)(void *userdata, long status, const char *data, size_t len, nw_err *err);
        void *sink_userdata;
} nw_http_req;

int nw_http_new(const nw_http_opts *opts, nw_http **ret, nw_err *err);
void nw_http_free(nw_http *h);
static inline void nw_http_freep(nw_http **h) {
        nw_http_free(*h);
}
#define _cleanup_http_ _cleanup_(nw_http_freep)

/* Performs req. Any HTTP status is success here (the caller judges it); transport failures are
 * -ECONNREFUSED, -EHOSTUNREACH, -ETIMEDOUT, -NW_ETLS, -ECANCELED (abort flag), -EFBIG (cap), -EIO. */
int nw_http_do(nw_http *h, const nw_http_req *req, long *ret_status, nw_buf *ret_body, nw_err *err);

/* Test hook: called with every request before it goes out (the wire-fidelity tests record bodies).
 * Never set in production code paths: bodies carry the password at login. */
typedef void (*nw_http_trace_fn)(void *userdata, const nw_http_req *req);
void nw_http_set_trace(nw_http *h, nw_http_trace_fn fn, void *userdata);

/* Milliseconds the next requests may take, e.g. a long-poll's wait plus the usual timeout;
 * 0 restores the configured timeout. */
void nw_http_set_timeout_ms(nw_http *h, long ms);
/* The configured timeout plus ms, for a request that may wait on purpose (a long-poll). */
void nw_http_add_timeout_ms(nw_http *h, long ms);

/* How many requests went out on this handle, for benchmarks and --stats. */
unsigned long nw_http_requests(const nw_http *h);

/* The abort flag the handle was made with (NULL: none), for work on a reply that must yield to it too. */
const volatile sig_atomic_t *nw_http_abort_flag(const nw_http *h);
