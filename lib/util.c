/* Shared helpers: error records, buffers, strict parsing. */
#include "util.h"

#include <ctype.h>
#include <inttypes.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int nw_errf(nw_err *e, int code, const char *fmt, ...) {
        va_list ap;

        if (!e)
                return code;
        e->code = code;
        e->fault[0] = '\0';
        va_start(ap, fmt);
        vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
        va_end(ap);
        return code;
}

int nw_err_prefix(nw_err *e, int code, const char *fmt, ...) {
        char prefix[512], old[sizeof(e->msg)];
        va_list ap;
        int n;

        if (!e)
                return code;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        memcpy(old, e->msg, sizeof(old));
        n = snprintf(e->msg, sizeof(e->msg), "%s: ", prefix);
        if (n > 0 && (size_t) n < sizeof(e->msg)) {
                /* Truncating the tail of an over-long message is fine; losing the prefix is not. */
                size_t room = sizeof(e->msg) - (size_t) n - 1, len = strnlen(old, room);
                memcpy(e->msg + n, old, len);
                e->msg[n + len] = '\0';
        }
        e->code = code;
        return code;
}

void nw_buf_done(nw_buf *b) {
        if (!b)
                return;
        if (b->sensitive)
                nw_wipe(b->data, b->cap);
        free(b->data);
        *b = (nw_buf) { .sensitive = b->sensitive };
}

static int buf_reserve(nw_buf *b, size_t extra) {
        size_t want;
        char *p;

        if (b->oom)
                return -ENOMEM;
        if (extra > SIZE_MAX / 2 - b->len)
                goto oom;
        want = b->len + extra + 1;
        if (want <= b->cap)
                return 0;
        if (want < 256)
                want = 256;
        if (want < b->cap * 2)
                want = b->cap * 2;
        if (b->sensitive) {
                /* realloc would free the old block as it is, password and all. */
                p = malloc(want);
                if (!p)
                        goto oom;
                if (b->data) {
                        memcpy(p, b->data, b->len + 1);
                        nw_wipe(b->data, b->cap);
                        free(b->data);
                }
        } else
                p = realloc(b->data, want);
        if (!p)
                goto oom;
        b->data = p;
        b->cap = want;
        return 0;
oom:
        b->oom = true;
        return -ENOMEM;
}

int nw_buf_append(nw_buf *b, const void *p, size_t n) {
        if (buf_reserve(b, n) < 0)
                return -ENOMEM;
        memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int nw_buf_puts(nw_buf *b, const char *s) {
        return nw_buf_append(b, s, strlen(s));
}

int nw_buf_printf(nw_buf *b, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(NULL, 0, fmt, ap);
        va_end(ap);
        if (n < 0 || buf_reserve(b, (size_t) n) < 0)
                return -ENOMEM;
        va_start(ap, fmt);
        vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
        va_end(ap);
        b->len += (size_t) n;
        return 0;
}

int nw_buf_put_xml(nw_buf *b, const char *s) {
        for (const char *p = s; *p; p++) {
                const char *rep = NULL;
                int r;

                switch (*p) {
                case '&': rep = "&amp;"; break;
                case '<': rep = "&lt;"; break;
                case '>': rep = "&gt;"; break;
                case '"': rep = "&quot;"; break;
                case '\'': rep = "&apos;"; break;
                }
                r = rep ? nw_buf_puts(b, rep) : nw_buf_append(b, p, 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

char *nw_buf_steal(nw_buf *b) {
        char *p;

        if (b->oom)
                return NULL;
        if (!b->data && buf_reserve(b, 0) < 0)
                return NULL;
        p = b->data;
        *b = (nw_buf) {};
        return p;
}

void nw_wipe(void *p, size_t n) {
        if (!p)
                return;
        explicit_bzero(p, n);
}

int nw_parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret) {
        char *end;
        long long v;

        if (!s || !*s || isspace((unsigned char) *s))
                return -EINVAL;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (*end != '\0')
                return -EINVAL;
        if (errno == ERANGE || v < min || v > max)
                return -ERANGE;
        *ret = v;
        return 0;
}

int nw_parse_bool(const char *s, bool *ret) {
        static const char *const yes[] = { "yes", "true", "on", "1" };
        static const char *const no[] = { "no", "false", "off", "0" };

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(s, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(s, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

int nw_strv_push(nw_strv *s, const char *str) {
        char *copy;

        if (s->n == s->cap) {
                size_t cap = s->cap ? s->cap * 2 : 8;
                char **v = reallocarray(s->v, cap, sizeof(char *));
                if (!v)
                        return -ENOMEM;
                s->v = v;
                s->cap = cap;
        }
        copy = strdup(str);
        if (!copy)
                return -ENOMEM;
        s->v[s->n++] = copy;
        return 0;
}

bool nw_strv_contains(const nw_strv *s, const char *str) {
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->v[i], str) == 0)
                        return true;
        return false;
}

void nw_strv_done(nw_strv *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++)
                free(s->v[i]);
        free(s->v);
        *s = (nw_strv) {};
}

void nw_utf8_trim_partial(char *s) {
        size_t len = strlen(s), start = len, need;
        unsigned char lead;

        while (start > 0 && ((unsigned char) s[start - 1] & 0xc0) == 0x80)
                start--;
        if (start == 0)
                return;
        lead = (unsigned char) s[start - 1];
        if (lead < 0xc0)
                return;
        need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
        if (len - (start - 1) < need)
                s[start - 1] = '\0';
}


double nw_now_mono(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

int nw_textf(char *buf, size_t size, const char *fmt, ...) {
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(buf, size, fmt, ap);
        va_end(ap);
        if (n < 0)
                return -EINVAL;
        if ((size_t) n < size)
                return 0;
        nw_utf8_trim_partial(buf);
        return -ENOBUFS;
}
