/* Small shared helpers: cleanup attributes, the error record lib/ hands back, a growable buffer. */
#pragma once

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _unused_ __attribute__((unused))
#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
/* Hands p's value over to a new owner and leaves p NULL (systemd's TAKE_PTR). */
#define TAKE_PTR(p)                             \
        ({                                      \
                __typeof__(p) _ptr_ = (p);      \
                (p) = NULL;                     \
                _ptr_;                          \
        })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

static inline void closep(int *fd) {
        if (*fd >= 0)
                (void) close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

/* Error codes a caller must tell apart; everything else is a plain negative errno. */
enum {
        NW_EBASE = 4096,
        NW_ENOTAUTH,      /* session expired or NotAuthenticated: log in again */
        NW_ELOGIN,        /* InvalidLogin: wrong user or password */
        NW_ESOAPFAULT,    /* any other SOAP fault; nw_err.fault has its type */
        NW_ETLS,          /* certificate not trusted, handshake failed */
        NW_ENOTFOUND,     /* a named vSphere object (tag, category) does not exist */
        NW_EREPLY,        /* a reply we cannot make sense of */
        NW_ECONFIG,       /* configuration invalid */
        NW_ECONCURRENT,   /* ConcurrentAccess: someone changed the object since we read it */
};

/* What went wrong, in words an admin can act on. lib/ fills it; daemon/ decides how to show it. */
typedef struct nw_err {
        int code;          /* negative errno or -NW_E* */
        char fault[64];    /* vim25 fault type, when there was one */
        char msg[1024];
} nw_err;

/* Sets e (if not NULL) and returns code, so callers can write `return nw_errf(e, -EIO, ...)`. */
int nw_errf(nw_err *e, int code, const char *fmt, ...) _printf_(3, 4);
/* Prefixes context to an error already set: "vCenter X: " + old message. */
int nw_err_prefix(nw_err *e, int code, const char *fmt, ...) _printf_(3, 4);

/* Cuts a partial UTF-8 character off the end of s (what snprintf leaves when it cuts at a byte), so
 * the text stays valid UTF-8. */
void nw_utf8_trim_partial(char *s);
/* snprintf into a fixed buffer for text people read: a cut never leaves half a UTF-8 character.
 * 0; -ENOBUFS when cut (buf still valid text); -EINVAL when formatting failed. */
_printf_(3, 4) int nw_textf(char *buf, size_t size, const char *fmt, ...);
/* CLOCK_MONOTONIC in seconds. */
double nw_now_mono(void);

/* Growable NUL-terminated buffer; append failures latch in oom so callers check once. */
typedef struct nw_buf {
        char *data;
        size_t len, cap;
        bool oom;
        bool sensitive;  /* holds a secret: wiped when it moves and when it is freed */
} nw_buf;

void nw_buf_done(nw_buf *b);
int nw_buf_append(nw_buf *b, const void *p, size_t n);
int nw_buf_puts(nw_buf *b, const char *s);
int nw_buf_printf(nw_buf *b, const char *fmt, ...) _printf_(2, 3);
/* Appends s with &, <, >, ", ' escaped for XML text and attribute values. */
int nw_buf_put_xml(nw_buf *b, const char *s);
/* Hands the contents over to the caller (never NULL on success) and resets b. */
char *nw_buf_steal(nw_buf *b);

static inline void nw_buf_donep(nw_buf *b) {
        nw_buf_done(b);
}
#define _cleanup_buf_ _cleanup_(nw_buf_donep)

/* Overwrites memory the compiler may not elide (passwords). */
void nw_wipe(void *p, size_t n);

/* Strict number parsing: whole string, range checked. 0 or -EINVAL / -ERANGE. */
int nw_parse_int64(const char *s, int64_t min, int64_t max, int64_t *ret);
/* "yes/no/true/false/on/off/1/0" → bool. 0 or -EINVAL. */
int nw_parse_bool(const char *s, bool *ret);

/* A string array with one owner. */
typedef struct nw_strv {
        char **v;
        size_t n, cap;
} nw_strv;
int nw_strv_push(nw_strv *s, const char *str);
bool nw_strv_contains(const nw_strv *s, const char *str);
void nw_strv_done(nw_strv *s);
static inline void nw_strv_donep(nw_strv *s) {
        nw_strv_done(s);
}
#define _cleanup_strv_ _cleanup_(nw_strv_donep)
