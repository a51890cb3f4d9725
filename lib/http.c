/* Transport: libcurl locked down the way libvirt's esx driver does it: verification on by default,
 * no redirects, no signals, no 100-continue stall, timeouts and a cap on what a server may send. */
#include "http.h"

#include <curl/curl.h>
#include <malloc.h>
#include <string.h>

#include "tls.h"

/* The largest legitimate replies measured against the scenario are about 2.6 MB (the first
 * WaitForUpdatesEx update set for 1,000 tagged VMs) and 2.2 MB (a RetrievePropertiesEx page of 1,000
 * VMs): 64 MiB is some 25 times that, and caps what a gzip bomb can inflate to. */
#define DEFAULT_MAX_BODY (64u * 1024 * 1024)

struct nw_http {
        CURL *curl;
        nw_http_opts opts;
        nw_buf *body;
        const nw_http_req *req;
        nw_err *err;
        size_t received;
        int sink_r;             /* the request's sink said stop: its code */
        bool too_big;
        unsigned long requests;
        nw_http_trace_fn trace;
        void *trace_userdata;
        nw_tls tls;
        char errbuf[CURL_ERROR_SIZE];
};

static size_t write_cb(char *p, size_t size, size_t n, void *ud) {
        nw_http *h = ud;
        size_t len = size * n;
        long status = 0;
        int r;

        if (len > h->opts.max_body - h->received) {
                h->too_big = true;
                return 0;
        }
        h->received += len;
        if (!h->req->sink)
                return nw_buf_append(h->body, p, len) < 0 ? 0 : len;
        curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
        r = h->req->sink(h->req->sink_userdata, status, p, len, h->err);
        if (r < 0) {
                h->sink_r = r;
                return 0;
        }
        return len;
}

static int progress_cb(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow) {
        nw_http *h = ud;

        if (h->opts.tick)
                h->opts.tick(h->opts.tick_userdata);
        /* Non-zero aborts the transfer: how a long-poll yields to SIGTERM without waiting it out. */
        return h->opts.abort_flag && *h->opts.abort_flag;
}

static CURLcode ssl_ctx_cb(CURL *curl, void *ssl_ctx, void *userdata) {
        return (CURLcode) tls_ctx_setup(curl, ssl_ctx, userdata);
}

/* libcurl copies the Login body (with the password) into its request buffer, builds the Basic
 * Authorization header of the vAPI session creation, and keeps the session token's header and the
 * cookie in strings of its own; all of it is freed without wiping. Every block libcurl frees goes
 * through here and is wiped first, whatever it held. */
static void wiping_free(void *p) {
        if (!p)
                return;
        nw_wipe(p, malloc_usable_size(p));
        free(p);
}

static void *wiping_realloc(void *p, size_t n) {
        size_t old;
        void *q;

        if (!p)
                return malloc(n);
        /* realloc() would free the old block as it is. */
        old = malloc_usable_size(p);
        q = malloc(n ?: 1);
        if (!q)
                return NULL;
        memcpy(q, p, old < n ? old : n);
        wiping_free(p);
        return q;
}

static void curl_global_once(void) {
        static bool done;

        if (!done) {
                curl_global_init_mem(CURL_GLOBAL_DEFAULT, malloc, wiping_free, wiping_realloc, strdup, calloc);
                done = true;
        }
}

int nw_http_new(const nw_http_opts *opts, nw_http **ret, nw_err *err) {
        nw_http *h;
        CURL *c;

        curl_global_once();
        h = calloc(1, sizeof(*h));
        if (!h)
                return nw_errf(err, -ENOMEM, "out of memory");
        h->opts = *opts;
        if (!h->opts.max_body)
                h->opts.max_body = DEFAULT_MAX_BODY;
        if (h->opts.timeout <= 0)
                h->opts.timeout = 60;

        h->tls.insecure = opts->insecure;
        h->tls.ca_file = opts->ca_file;
        if (opts->thumbprint) {
                char why[256];

                if (thumbprint_parse(opts->thumbprint, h->tls.pin, why, sizeof(why)) < 0) {
                        free(h);
                        return nw_errf(err, -NW_ECONFIG, "thumbprint: %s", why);
                }
                h->tls.pinned = true;
        }

        c = h->curl = curl_easy_init();
        if (!c) {
                free(h);
                return nw_errf(err, -ENOMEM, "curl_easy_init failed");
        }
        curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
        curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https");
        curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->opts.timeout < 15 ? h->opts.timeout : 15L);
        curl_easy_setopt(c, CURLOPT_TIMEOUT, h->opts.timeout);
        /* Pinned, the pin is checked in the handshake instead (tls.c): curl's CA and host checks are off. */
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, opts->insecure || h->tls.pinned ? 0L : 1L);
        curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, opts->insecure || h->tls.pinned ? 0L : 2L);
        if (curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb) != CURLE_OK && h->tls.pinned) {
                curl_easy_cleanup(c);
                free(h);
                return nw_errf(err, -NW_ETLS, "thumbprint: this libcurl has no OpenSSL backend, so it cannot pin");
        }
        curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, &h->tls);
        if (opts->ca_file) {
                /* Instead of the system store, not besides it: Debian's libcurl also has a CA path
                 * built in, which would let any public CA vouch for the vCenter's name. */
                curl_easy_setopt(c, CURLOPT_CAINFO, opts->ca_file);
                curl_easy_setopt(c, CURLOPT_CAPATH, NULL);
        }
        curl_easy_setopt(c, CURLOPT_SSLVERSION, (long) CURL_SSLVERSION_TLSv1_2);
        /* In-memory cookie engine: carries vmware_soap_session for the life of the handle. */
        curl_easy_setopt(c, CURLOPT_COOKIEFILE, "");
        /* The cap applies to the decoded body (write_cb sees what curl inflated); this one refuses a
         * reply whose Content-Length alone says it is too big, before it is downloaded. */
        curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t) h->opts.max_body);
        curl_easy_setopt(c, CURLOPT_USERAGENT, "nestwarden/" NW_VERSION);
        curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
        curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, h);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
        curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);

        *ret = h;
        return 0;
}

void nw_http_free(nw_http *h) {
        if (!h)
                return;
        curl_easy_cleanup(h->curl);
        free(h);
}

void nw_http_set_timeout_ms(nw_http *h, long ms) {
        curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, ms > 0 ? ms : h->opts.timeout * 1000L);
}

void nw_http_add_timeout_ms(nw_http *h, long ms) {
        curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, h->opts.timeout * 1000L + ms);
}

void nw_http_set_trace(nw_http *h, nw_http_trace_fn fn, void *userdata) {
        h->trace = fn;
        h->trace_userdata = userdata;
}

unsigned long nw_http_requests(const nw_http *h) {
        return h->requests;
}

const volatile sig_atomic_t *nw_http_abort_flag(const nw_http *h) {
        return h->opts.abort_flag;
}

static int too_big(const nw_http *h, nw_err *err) {
        size_t cap = h->opts.max_body;

        if (cap % (1024 * 1024) == 0)
                return nw_errf(err, -EFBIG, "reply larger than %zu MiB (decoded): raise [vcenter] max_reply_size "
                               "if this vCenter's replies really are that big", cap / (1024 * 1024));
        return nw_errf(err, -EFBIG, "reply larger than %zu bytes (decoded): raise [vcenter] max_reply_size "
                       "if this vCenter's replies really are that big", cap);
}

static int map_curl_error(CURLcode cc) {
        switch (cc) {
        case CURLE_COULDNT_CONNECT:
                return -ECONNREFUSED;
        case CURLE_COULDNT_RESOLVE_HOST:
        case CURLE_COULDNT_RESOLVE_PROXY:
                return -EHOSTUNREACH;
        case CURLE_OPERATION_TIMEDOUT:
                return -ETIMEDOUT;
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
                return -NW_ETLS;
        case CURLE_ABORTED_BY_CALLBACK:
                return -ECANCELED;
        default:
                return -EIO;
        }
}

int nw_http_do(nw_http *h, const nw_http_req *req, long *ret_status, nw_buf *ret_body, nw_err *err) {
        _cleanup_buf_ nw_buf body = {};
        struct curl_slist *hdrs = NULL, *t;
        CURL *c = h->curl;
        CURLcode cc;
        long status = 0;
        int r = 0;

        /* An empty Expect: avoids curl waiting ~1 s for "100 Continue" on every POST. */
        t = curl_slist_append(hdrs, "Expect:");
        if (!t)
                return nw_errf(err, -ENOMEM, "out of memory");
        hdrs = t;
        for (const char *const *p = req->headers; p && *p; p++) {
                t = curl_slist_append(hdrs, *p);
                if (!t) {
                        curl_slist_free_all(hdrs);
                        return nw_errf(err, -ENOMEM, "out of memory");
                }
                hdrs = t;
        }

        curl_easy_setopt(c, CURLOPT_URL, req->url);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, NULL);
        if (strcmp(req->method, "GET") == 0)
                curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        else {
                curl_easy_setopt(c, CURLOPT_POST, 1L);
                curl_easy_setopt(c, CURLOPT_POSTFIELDS, req->body ? req->body : "");
                curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, req->body ? (long) req->body_len : 0L);
                if (strcmp(req->method, "POST") != 0)
                        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, req->method);
        }
        if (req->user) {
                curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long) CURLAUTH_BASIC);
                curl_easy_setopt(c, CURLOPT_USERNAME, req->user);
                curl_easy_setopt(c, CURLOPT_PASSWORD, req->password ? req->password : "");
        }

        if (h->trace)
                h->trace(h->trace_userdata, req);
        /* A reply the caller marked secret (a session token) is secret from its first byte. */
        body.sensitive = ret_body && ret_body->sensitive;
        h->tls.seen = (nw_tls_seen) {};
        h->body = &body;
        h->req = req;
        h->err = err;
        h->received = 0;
        h->sink_r = 0;
        h->too_big = false;
        h->errbuf[0] = '\0';
        h->requests++;
        if (h->opts.request_count)
                (*h->opts.request_count)++;
        cc = curl_easy_perform(c);
        h->body = NULL;
        h->req = NULL;
        h->err = NULL;

        if (req->user) {
                /* Credentials stay on the handle otherwise; the next request must not carry them. */
                curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
                curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
                curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long) CURLAUTH_NONE);
        }
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
        /* curl_slist_append() copied every header, the vAPI session token's too. */
        for (t = hdrs; t; t = t->next)
                nw_wipe(t->data, strlen(t->data));
        curl_slist_free_all(hdrs);

        if (cc != CURLE_OK) {
                if (h->sink_r < 0)
                        return h->sink_r;
                if (h->too_big || cc == CURLE_FILESIZE_EXCEEDED)
                        return too_big(h, err);
                r = map_curl_error(cc);
                if (r == -ECANCELED)
                        return nw_errf(err, r, "request aborted");
                r = tls_explain(&h->tls, cc, h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc), req->url, err);
                if (r < 0)
                        return r;
                r = map_curl_error(cc);
                return nw_errf(err, r, "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(cc));
        }
        if (body.oom)
                return nw_errf(err, -ENOMEM, "out of memory");

        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        *ret_status = status;
        if (ret_body) {
                nw_buf_done(ret_body);
                *ret_body = body;
                body = (nw_buf) {};
        }
        return 0;
}
