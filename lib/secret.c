/* The vCenter password: read once from password_file or the systemd credential, never copied around,
 * never put in a message, wiped when released. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* secure_getenv */
#endif

#include "secret.h"

#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#define SECRET_MAX 4096
#define SECRET_BUF (SECRET_MAX + 2) /* the cap, one byte to notice growth since fstat(), NUL */

/* Wipes the whole buffer, not just up to the first NUL: a refused file may contain one. */
static void secret_buf_freep(char **p) {
        if (!*p)
                return;
        nw_wipe(*p, SECRET_BUF);
        free(*p);
}

enum { LINE_EXTRA = 1, LINE_BLANK_AFTER, LINE_BARE_CR, LINE_CR_INSIDE };

/* 0 when buf (its one line end already stripped) is a single line, else -LINE_*. */
static int secret_check_line(const char *buf, size_t len) {
        const char *lf = memchr(buf, '\n', len), *cr = memchr(buf, '\r', len);

        if (lf) {
                for (const char *p = lf; p < buf + len; p++)
                        if (*p != '\n' && *p != '\r')
                                return -LINE_EXTRA;
                return -LINE_BLANK_AFTER;
        }
        if (cr)
                return cr == buf + len - 1 ? -LINE_BARE_CR : -LINE_CR_INSIDE;
        return 0;
}

static const char *line_problem(int r) {
        switch (-r) {
        case LINE_EXTRA:
                return "more than one line: the file must hold only the password, on one line";
        case LINE_BLANK_AFTER:
                return "a blank line follows the password: remove it (one line end at most after the password)";
        case LINE_BARE_CR:
                return "the password ends in a bare CR (carriage return without a newline): end the line with "
                       "\\n or \\r\\n, or not at all";
        default:
                return "the password contains a CR (carriage return): the file must hold only the password, on "
                       "one line";
        }
}

/* Reads path into a fresh buffer. check_mode: refuse a file others may read or write; a systemd
 * credential skips it because systemd owns and locks down the credentials directory. */
static int secret_read_file(const char *what, const char *path, bool check_mode, char **ret, nw_err *err) {
        _cleanup_close_ int fd = -EBADF;
        _cleanup_(secret_buf_freep) char *buf = NULL;
        size_t len = 0;
        struct stat st;
        int r;

        /* No O_NOFOLLOW: configuration management often links secrets into place. O_NONBLOCK keeps a
         * FIFO given by mistake from hanging the daemon before fstat() refuses it. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                return nw_errf(err, r, "%s %s: cannot open: %s", what, path, strerror(-r));
        }
        if (fstat(fd, &st) < 0) {
                r = -errno;
                return nw_errf(err, r, "%s %s: cannot stat: %s", what, path, strerror(-r));
        }
        if (!S_ISREG(st.st_mode))
                return nw_errf(err, -EBADFD, "%s %s: not a regular file", what, path);
        if (check_mode && (st.st_mode & 0027))
                return nw_errf(err, -EPERM,
                               "%s %s: writable by its group or open to others (mode %04o): it holds the vCenter "
                               "password; run chmod 600 %s",
                               what, path, (unsigned) (st.st_mode & 07777), path);
        if (st.st_size > SECRET_MAX)
                return nw_errf(err, -EFBIG, "%s %s: larger than %d bytes", what, path, SECRET_MAX);

        /* Never realloc'd: realloc may leave an unwiped copy behind. */
        buf = calloc(1, SECRET_BUF);
        if (!buf)
                return nw_errf(err, -ENOMEM, "%s %s: out of memory", what, path);
        for (;;) {
                ssize_t n = read(fd, buf + len, SECRET_MAX + 1 - len);

                if (n < 0) {
                        r = -errno;

                        if (r == -EINTR)
                                continue;
                        return nw_errf(err, r, "%s %s: cannot read: %s", what, path, strerror(-r));
                }
                if (n == 0)
                        break;
                len += (size_t) n;
                if (len > SECRET_MAX)
                        return nw_errf(err, -EFBIG, "%s %s: larger than %d bytes", what, path, SECRET_MAX);
        }
        buf[len] = '\0';

        if (memchr(buf, '\0', len))
                return nw_errf(err, -EBADMSG, "%s %s: contains a NUL byte", what, path);
        if (len > 0 && buf[len - 1] == '\n') {
                buf[--len] = '\0';
                if (len > 0 && buf[len - 1] == '\r')
                        buf[--len] = '\0';
        }
        if (len == 0 || strspn(buf, "\r\n") == len)
                return nw_errf(err, -ENODATA, "%s %s: empty", what, path);
        /* Anything else that looks like a line end would be sent as part of the password and come
         * back as InvalidLogin, which points at the wrong culprit. */
        r = secret_check_line(buf, len);
        if (r < 0)
                return nw_errf(err, -EBADMSG, "%s %s: %s", what, path, line_problem(r));

        *ret = buf;
        buf = NULL;
        return 0;
}

int secret_read(const nw_config *cfg, char **ret, nw_err *err) {
        _cleanup_free_ char *path = NULL;
        const char *dir;

        if (cfg->vcenter.password_file)
                return secret_read_file("password_file", cfg->vcenter.password_file, true, ret, err);

        dir = secure_getenv("CREDENTIALS_DIRECTORY");
        if (!dir || !*dir)
                return nw_errf(err, -NW_ECONFIG,
                               "no password: set [vcenter] password_file or run under systemd with "
                               "LoadCredential=" NW_CREDENTIAL_NAME ":...");

        if (asprintf(&path, "%s/%s", dir, NW_CREDENTIAL_NAME) < 0) {
                path = NULL;
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        return secret_read_file("credential", path, false, ret, err);
}

void secret_free(char *s) {
        if (!s)
                return;
        nw_wipe(s, strlen(s));
        free(s);
}
