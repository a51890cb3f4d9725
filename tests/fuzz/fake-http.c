/* The transport the multi-reply harnesses link instead of lib/http.c: requests are answered from the
 * fuzz input, so the real call paths (soap_call, vim_retrieve's paging, vapi_call) run unchanged. */
#include <string.h>

#include "fuzz.h"

typedef struct reply {
        const uint8_t *p;
        size_t len;
} reply;

struct nw_http {
        reply *q;
        size_t n, cap, next;
        unsigned long requests;
};

int nw_http_new(const nw_http_opts *opts, nw_http **ret, nw_err *err) {
        nw_http *h = calloc(1, sizeof(*h));

        if (!h)
                return nw_errf(err, -ENOMEM, "out of memory");
        *ret = h;
        return 0;
}

void nw_http_free(nw_http *h) {
        if (!h)
                return;
        free(h->q);
        free(h);
}

static void push(nw_http *h, const uint8_t *p, size_t len) {
        if (h->n == h->cap) {
                size_t cap = h->cap ? h->cap * 2 : 16;
                reply *q = reallocarray(h->q, cap, sizeof(*q));

                if (!q)
                        abort();
                h->q = q;
                h->cap = cap;
        }
        h->q[h->n++] = (reply) { p, len };
}

void fuzz_http_queue(nw_http *h, const uint8_t *data, size_t size) {
        const size_t seplen = strlen(FUZZ_REPLY_SEP);
        const uint8_t *p = data, *end = data + size;

        for (;;) {
                const uint8_t *sep = memmem(p, (size_t) (end - p), FUZZ_REPLY_SEP, seplen);

                if (!sep) {
                        push(h, p, (size_t) (end - p));
                        return;
                }
                push(h, p, (size_t) (sep - p));
                p = sep + seplen;
        }
}

size_t fuzz_take_morefs(const uint8_t **data, size_t *size, nw_strv *ret) {
        const size_t seplen = strlen(FUZZ_REPLY_SEP);
        const uint8_t *end = *data + *size, *sep = memmem(*data, *size, FUZZ_REPLY_SEP, seplen);
        const uint8_t *stop = sep ? sep : end, *p = *data;

        while (p < stop && ret->n < 100000) {
                const uint8_t *nl = memchr(p, '\n', (size_t) (stop - p));
                _cleanup_free_ char *line = strndup((const char *) p, (size_t) ((nl ? nl : stop) - p));

                if (!line || (line[0] && nw_strv_push(ret, line) < 0))
                        abort();
                p = nl ? nl + 1 : stop;
        }
        *data = sep ? sep + seplen : end;
        *size = (size_t) (end - *data);
        return ret->n;
}

size_t fuzz_http_left(const nw_http *h) {
        return h->n - h->next;
}

/* Takes the "HTTP NNN\n" line off r, if it has one, and returns its status (else 200). */
static long take_status(reply *r) {
        long status = 200;

        if (r->len >= 9 && memcmp(r->p, "HTTP ", 5) == 0 && r->p[8] == '\n' && r->p[5] >= '1' && r->p[5] <= '5' &&
            r->p[6] >= '0' && r->p[6] <= '9' && r->p[7] >= '0' && r->p[7] <= '9') {
                status = (r->p[5] - '0') * 100 + (r->p[6] - '0') * 10 + (r->p[7] - '0');
                r->p += 9;
                r->len -= 9;
        }
        return status;
}

bool fuzz_http_reply(const nw_http *h, size_t i, const uint8_t **ret, size_t *ret_len) {
        reply r;

        if (i >= h->n)
                return false;
        r = h->q[i];
        (void) take_status(&r);
        *ret = r.p;
        *ret_len = r.len;
        return true;
}

int nw_http_do(nw_http *h, const nw_http_req *req, long *ret_status, nw_buf *ret_body, nw_err *err) {
        _cleanup_buf_ nw_buf body = {};
        reply r;
        long status;

        h->requests++;
        if (h->next >= h->n)
                return nw_errf(err, -ECONNREFUSED, "no more replies in the input");
        r = h->q[h->next++];
        status = take_status(&r);
        *ret_status = status;
        if (req->sink) {
                /* As curl's write callback hands it out: pieces of at most 16 KiB, the first one of
                 * a length that varies with the reply, so that piece boundaries fall everywhere. */
                size_t piece = 1 + r.len % 97;

                for (size_t off = 0; off < r.len; off += piece, piece = 16384) {
                        size_t n = piece < r.len - off ? piece : r.len - off;
                        int ret = req->sink(req->sink_userdata, status, (const char *) r.p + off, n, err);

                        if (ret < 0)
                                return ret;
                }
                return 0;
        }
        /* As curl's write callback: an empty reply leaves the buffer without data. */
        if (r.len > 0 && nw_buf_append(&body, r.p, r.len) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        if (ret_body) {
                nw_buf_done(ret_body);
                *ret_body = body;
                body = (nw_buf) {};
        }
        return 0;
}

void nw_http_set_trace(nw_http *h, nw_http_trace_fn fn, void *userdata) {
}

void nw_http_set_timeout_ms(nw_http *h, long ms) {
}

void nw_http_add_timeout_ms(nw_http *h, long ms) {
}

unsigned long nw_http_requests(const nw_http *h) {
        return h->requests;
}

const volatile sig_atomic_t *nw_http_abort_flag(const nw_http *h) {
        return NULL;
}
