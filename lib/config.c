/* Configuration: read nestwarden.conf with inih one line at a time, refuse unknown and repeated keys,
 * then check what needs the whole file (required keys, contradictions). What each key accepts is in
 * config-keys.c. Errors cite "PATH:LINE: key 'x': why" so an admin can fix the file without reading
 * the source. */
#include "config.h"

#include <fcntl.h>
#include <ini.h>
#include <string.h>
#include <sys/stat.h>

#include "config-keys.h"

typedef struct parse_state {
        nw_config *cfg;
        const char *path;
        FILE *f;
        unsigned line;
        int read_errno;
        bool colon_separator; /* the current line is "key: value" */
        unsigned *seen;       /* per config_keys[] entry, the line it was given on; 0 = not given */
        unsigned err_line;    /* 0 = no error yet */
        nw_err err;
} parse_state;

/* Keeps only the first error: inih goes on after one, and later ones are often its echoes. */
_printf_(2, 3)
static int line_error(parse_state *st, const char *fmt, ...) {
        char why[sizeof(st->err.msg)];
        va_list ap;

        if (st->err_line)
                return 0;
        va_start(ap, fmt);
        vsnprintf(why, sizeof(why), fmt, ap);
        va_end(ap);
        st->err_line = st->line;
        nw_errf(&st->err, -NW_ECONFIG, "%s:%u: %s", st->path, st->line, why);
        return 0;
}

/* inih's convention, not ours: nonzero accepts the line, 0 refuses it (the message is in st->err). */
static int handler(void *user, const char *section, const char *name, const char *value) {
        parse_state *st = user;
        char why[sizeof(st->err.msg)];
        const config_key *k;
        bool section_known;
        size_t i;
        int r;

        if (st->err_line)
                return 0;
        if (st->colon_separator)
                return line_error(st, "expected 'key = value', not 'key: value'");
        if (section[0] == '\0')
                return line_error(st, "key '%s' is outside of any section", name);

        k = config_key_find(section, name, &section_known);
        if (!k) {
                if (!section_known)
                        return line_error(st, "unknown section [%s]", section);
                return line_error(st, "unknown key '%s' in section [%s]", name, section);
        }

        i = (size_t) (k - config_keys);
        if (st->seen[i])
                return line_error(st, "key '%s' given twice (first on line %u)", name, st->seen[i]);
        st->seen[i] = st->line;

        r = config_key_set(st->cfg, k, value, why, sizeof(why));
        if (r == -ENOMEM) {
                st->err_line = st->line;
                nw_errf(&st->err, -ENOMEM, "%s:%u: out of memory", st->path, st->line);
                return 0;
        }
        if (r < 0)
                return line_error(st, "%s", why);
        return 1;
}

/* inih's handler gets no line number (Debian builds it without INI_HANDLER_LINENO, and the handler
 * signature is fixed at its compile time), so this reader hands inih one line at a time and counts.
 * It also strips leading blanks: inih would take an indented line after a key as a continuation of
 * that key's value (INI_ALLOW_MULTILINE), silently changing "  timeout = 5" into part of another key. */
static char *reader(char *str, int num, void *stream) {
        parse_state *st = stream;
        size_t len = 0, skip;
        int c;

        if (st->err_line)
                return NULL; /* only the first error is reported; stop early */

        /* By hand rather than fgets(): inih would read the rest of an overlong line as the next line,
         * and a NUL byte would hide the rest of its line. Both are refused here. */
        while ((c = getc(st->f)) != EOF) {
                if (len == 0)
                        st->line++;
                if (len + 1 >= (size_t) num) {
                        line_error(st, "line longer than %d characters", num - 2);
                        return NULL;
                }
                if (c == '\0') {
                        line_error(st, "contains a NUL byte");
                        return NULL;
                }
                str[len++] = (char) c;
                if (c == '\n')
                        break;
        }
        if (ferror(st->f)) {
                st->read_errno = errno ?: EIO;
                return NULL;
        }
        if (len == 0)
                return NULL;
        str[len] = '\0';
        st->colon_separator = false;

        skip = strspn(str, " \t");
        if (skip > 0) {
                memmove(str, str + skip, len - skip + 1);
                len -= skip;
        }

        /* inih takes "key: value" too (Python configparser style); only '=' is documented. A key name
         * cannot contain '=' or ':', so the first of them is the separator inih will use. */
        if (str[0] != '\0' && !strchr("[;#", str[0])) {
                const char *sep = strpbrk(str, "=:");

                st->colon_separator = sep && *sep == ':';
        }
        return str;
}

/* Checks that need the whole file: required keys, defaults of string keys, contradictions. */
static int config_finish(parse_state *st) {
        nw_config *cfg = st->cfg;

        for (size_t i = 0; i < config_n_keys; i++) {
                const config_key *k = &config_keys[i];
                char **p;

                if (k->type != KEY_STRING && k->type != KEY_URL)
                        continue;
                p = config_key_field(cfg, k);
                if (*p)
                        continue;
                if (k->required)
                        return nw_errf(&st->err, -NW_ECONFIG, "%s: [%s] %s is required",
                                       st->path, k->section, k->name);
                if (k->def) {
                        *p = strdup(k->def);
                        if (!*p)
                                return nw_errf(&st->err, -ENOMEM, "%s: out of memory", st->path);
                }
        }

        if (cfg->vcenter.insecure && cfg->vcenter.ca_file) {
                const config_key *k = config_key_find("vcenter", "insecure", NULL);

                return nw_errf(&st->err, -NW_ECONFIG,
                               "%s:%u: key 'insecure': yes contradicts ca_file = %s (nothing is verified when "
                               "insecure); drop one of them",
                               st->path, st->seen[k - config_keys], cfg->vcenter.ca_file);
        }
        /* A pin replaces CA verification (host name and dates too), as vSphere's thumbprint trust does:
         * a CA bundle beside it would be silently ignored, and insecure would contradict it. */
        if (cfg->vcenter.thumbprint && (cfg->vcenter.insecure || cfg->vcenter.ca_file)) {
                const config_key *k = config_key_find("vcenter", "thumbprint", NULL);

                return nw_errf(&st->err, -NW_ECONFIG,
                               "%s:%u: key 'thumbprint': the pin replaces CA verification; %s; drop one of them",
                               st->path, st->seen[k - config_keys],
                               cfg->vcenter.insecure ? "insecure = yes contradicts it"
                                                     : "ca_file would be ignored beside it");
        }

        cfg->policy.mac_learning_limit_policy = cfg->limit_policy_buf;
        return 0;
}

int config_load(const char *path, nw_config **ret, nw_err *err) {
        _cleanup_config_ nw_config *cfg = NULL;
        _cleanup_free_ unsigned *seen = NULL;
        _cleanup_fclose_ FILE *f = NULL;
        _cleanup_close_ int fd = -EBADF;
        parse_state st = { .path = path };
        struct stat sb;
        int r;

        /* O_NONBLOCK and the S_ISREG check: a FIFO or device named by mistake is refused at once
         * instead of hanging start-up (or a reload) on a read that never ends. */
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0) {
                r = -errno;
                return nw_errf(err, r, "%s: cannot open: %s", path, strerror(-r));
        }
        if (fstat(fd, &sb) < 0) {
                r = -errno;
                return nw_errf(err, r, "%s: cannot stat: %s", path, strerror(-r));
        }
        if (!S_ISREG(sb.st_mode))
                return nw_errf(err, -EBADFD, "%s: not a regular file but %s: --config must name the configuration file",
                               path,
                               S_ISDIR(sb.st_mode)    ? "a directory"
                               : S_ISFIFO(sb.st_mode) ? "a FIFO"
                               : S_ISCHR(sb.st_mode)  ? "a character device"
                               : S_ISBLK(sb.st_mode)  ? "a block device"
                               : S_ISSOCK(sb.st_mode) ? "a socket"
                                                      : "something else");
        f = fdopen(fd, "re");
        if (!f) {
                r = -errno;
                return nw_errf(err, r, "%s: cannot open: %s", path, strerror(-r));
        }
        fd = -EBADF; /* f owns it now */

        cfg = calloc(1, sizeof(*cfg));
        if (!cfg)
                return nw_errf(err, -ENOMEM, "%s: out of memory", path);
        cfg->path = strdup(path);
        if (!cfg->path)
                return nw_errf(err, -ENOMEM, "%s: out of memory", path);
        if (config_defaults(cfg) < 0)
                return nw_errf(err, -EINVAL, "%s: internal error: default limit policy too long", path);
        seen = calloc(config_n_keys, sizeof(*seen));
        if (!seen)
                return nw_errf(err, -ENOMEM, "%s: out of memory", path);

        st.cfg = cfg;
        st.f = f;
        st.seen = seen;
        r = ini_parse_stream(reader, &st, handler, &st);

        if (st.read_errno)
                return nw_errf(err, -st.read_errno, "%s: cannot read: %s", path, strerror(st.read_errno));
        if (r < 0)
                return nw_errf(err, -ENOMEM, "%s: out of memory", path);
        /* inih returns the first line it had trouble with: ours (the handler said no) or its own
         * (no '=', no closing ']'), whichever came first. */
        if (r > 0 && (!st.err_line || (unsigned) r < st.err_line))
                return nw_errf(err, -NW_ECONFIG, "%s:%d: expected '[section]' or 'key = value'", path, r);
        r = st.err_line ? st.err.code : config_finish(&st);
        if (r < 0) {
                if (err)
                        *err = st.err;
                return r;
        }

        *ret = cfg;
        cfg = NULL;
        return 0;
}

void config_free(nw_config *cfg) {
        if (!cfg)
                return;
        free(cfg->path);
        free(cfg->vcenter.url);
        free(cfg->vcenter.user);
        free(cfg->vcenter.password_file);
        free(cfg->vcenter.ca_file);
        free(cfg->vcenter.thumbprint);
        free(cfg->vcenter.annotation_field);
        free(cfg->selection.tag_category);
        free(cfg->selection.tag);
        free(cfg->daemon.metrics_file);
        nw_strv_done(&cfg->remediation.exclude);
        free(cfg);
}
