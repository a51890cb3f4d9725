/* Configuration: read nestwarden.conf with inih, validate every key against one table, fill defaults.
 * Errors cite "PATH:LINE: key 'x': why" so an admin can fix the file without reading the source. */
#include "config.h"

#include <ctype.h>
#include <fcntl.h>
#include <ini.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <syslog.h>

#include "thumbprint.h"

typedef enum key_type {
        KEY_STRING, /* non-empty text; empty means the default (or "missing" when required) */
        KEY_PATH,   /* absolute path; empty means unset */
        KEY_URL,    /* https:// vCenter SDK endpoint */
        KEY_BOOL,
        KEY_INT,    /* int64_t in min..max */
        KEY_CHOICE, /* one of choices, copied into a char[size] */
        KEY_LIST,   /* comma-separated items into an nw_strv; empty means none */
        KEY_SIZE,   /* int64_t bytes in min..max, with an optional K, M or G suffix (powers of 1024) */
        KEY_THUMBPRINT, /* SHA-256 certificate fingerprint, stored as "SHA256:" + 64 lowercase hex */
} key_type;

typedef struct key_def {
        const char *section;
        const char *name;
        key_type type;
        bool required;
        int64_t min, max;
        const char *const *choices;
        size_t offset;
        size_t size;
        const char *def; /* KEY_STRING default */
} key_def;

#define FIELD(m) .offset = offsetof(nw_config, m)
#define FIELD_SIZE(m) .size = sizeof(((nw_config *) NULL)->m)

static const char *const limit_policies[] = { "allow", "drop", NULL };
static const char *const modes[] = { "report", "remediate", NULL };
static const char *const log_levels[] = { "err", "warning", "notice", "info", "debug", NULL };

/* Integer and boolean defaults live in config_defaults(), nw_policy_cfg_defaults() and
 * nw_remedy_cfg_defaults(). */
static const key_def keys[] = {
        { "vcenter", "url", KEY_URL, .required = true, FIELD(vcenter.url) },
        { "vcenter", "user", KEY_STRING, .required = true, FIELD(vcenter.user) },
        { "vcenter", "password_file", KEY_PATH, FIELD(vcenter.password_file) },
        { "vcenter", "insecure", KEY_BOOL, FIELD(vcenter.insecure) },
        { "vcenter", "ca_file", KEY_PATH, FIELD(vcenter.ca_file) },
        { "vcenter", "thumbprint", KEY_THUMBPRINT, FIELD(vcenter.thumbprint) },
        { "vcenter", "timeout", KEY_INT, .min = 5, .max = 3600, FIELD(vcenter.timeout) },
        { "vcenter", "page_size", KEY_INT, .min = 1, .max = 10000, FIELD(vcenter.page_size) },
        { "vcenter", "max_reply_size", KEY_SIZE, .min = 1 << 20, .max = INT64_C(1) << 30,
          FIELD(vcenter.max_reply_size) },

        { "selection", "tag_category", KEY_STRING, FIELD(selection.tag_category), .def = "nested" },
        { "selection", "tag", KEY_STRING, FIELD(selection.tag), .def = "nested-hyperv" },

        { "policy", "nested_hv", KEY_BOOL, FIELD(policy.nested_hv) },
        { "policy", "forged_transmits", KEY_BOOL, FIELD(policy.forged_transmits) },
        { "policy", "mac_learning", KEY_BOOL, FIELD(policy.mac_learning) },
        { "policy", "mac_changes", KEY_BOOL, FIELD(policy.mac_changes) },
        { "policy", "mac_learning_limit", KEY_INT, .min = 0, .max = 4096, FIELD(policy.mac_learning_limit) },
        { "policy", "mac_learning_limit_policy", KEY_CHOICE, .choices = limit_policies,
          FIELD(limit_policy_buf), FIELD_SIZE(limit_policy_buf) },
        { "policy", "standard_portgroups", KEY_BOOL, FIELD(policy.standard_portgroups) },

        { "daemon", "interval", KEY_INT, .min = 30, .max = 86400, FIELD(daemon.interval) },
        { "daemon", "tag_refresh", KEY_INT, .min = 5, .max = 3600, FIELD(daemon.tag_refresh) },
        { "daemon", "mode", KEY_CHOICE, .choices = modes, FIELD(daemon.mode), FIELD_SIZE(daemon.mode) },
        { "daemon", "log_level", KEY_CHOICE, .choices = log_levels, FIELD(daemon.log_level),
          FIELD_SIZE(daemon.log_level) },

        { "remediation", "nested_hv", KEY_BOOL, FIELD(remediation.nested_hv) },
        { "remediation", "portgroups", KEY_BOOL, FIELD(remediation.portgroups) },
        { "remediation", "fix_on_power_off", KEY_BOOL, FIELD(remediation.fix_on_power_off) },
        { "remediation", "fix_templates", KEY_BOOL, FIELD(remediation.fix_templates) },
        { "remediation", "allow_promiscuous_on_shared", KEY_BOOL, FIELD(remediation.allow_promiscuous_on_shared) },
        { "remediation", "dry_run", KEY_BOOL, FIELD(remediation.dry_run) },
        { "remediation", "max_changes_per_pass", KEY_INT, .min = 1, .max = 1000,
          FIELD(remediation.max_changes_per_pass) },
        { "remediation", "flap_limit", KEY_INT, .min = 1, .max = 100, FIELD(remediation.flap_limit) },
        { "remediation", "flap_window", KEY_INT, .min = 60, .max = 604800, FIELD(remediation.flap_window) },
        { "remediation", "exclude", KEY_LIST, FIELD(remediation.exclude) },
};

typedef struct parse_state {
        nw_config *cfg;
        const char *path;
        FILE *f;
        unsigned line;
        int read_errno;
        bool colon_separator; /* the current line is "key: value" */
        unsigned seen[ELEMENTSOF(keys)]; /* line each key was given on; 0 = not given */
        unsigned err_line;    /* 0 = no error yet */
        nw_err err;
} parse_state;

static void *field(nw_config *cfg, const key_def *k) {
        return (char *) cfg + k->offset;
}

static const key_def *key_find(const char *section, const char *name, bool *ret_section_known) {
        bool known = false;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                if (strcmp(keys[i].section, section) != 0)
                        continue;
                known = true;
                if (strcmp(keys[i].name, name) == 0)
                        return &keys[i];
        }
        if (ret_section_known)
                *ret_section_known = known;
        return NULL;
}

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

/* Returns why url is unusable, or stores the normalized copy. The URL carries no secret, but
 * userinfo is refused so that nobody is tempted to put the password there. */
static int url_normalize(const char *url, char **ret, const char **ret_why) {
        const char *auth, *path, *host_end, *port = NULL;
        size_t auth_len;
        char *copy;

        if (strncasecmp(url, "http://", 7) == 0) {
                *ret_why = "http:// is refused: nestwarden never sends the vCenter password in clear; use https://";
                return -EINVAL;
        }
        if (strncasecmp(url, "https://", 8) != 0) {
                *ret_why = "must be an https:// URL like https://vcenter.example.com/sdk";
                return -EINVAL;
        }
        for (const char *p = url; *p; p++)
                if ((unsigned char) *p <= ' ' || *p == 0x7f) {
                        *ret_why = "must not contain spaces or control characters";
                        return -EINVAL;
                }
        if (strpbrk(url, "?#")) {
                *ret_why = "must not have a query or fragment";
                return -EINVAL;
        }

        auth = url + 8;
        auth_len = strcspn(auth, "/");
        path = auth + auth_len;
        if (memchr(auth, '@', auth_len)) {
                *ret_why = "must not contain user info (user@host); set [vcenter] user instead";
                return -EINVAL;
        }

        host_end = auth + auth_len;
        if (auth[0] == '[') {
                const char *close = memchr(auth, ']', auth_len);

                if (!close) {
                        *ret_why = "has an IPv6 address without ']'";
                        return -EINVAL;
                }
                if (close + 1 < host_end) {
                        if (close[1] != ':') {
                                *ret_why = "has garbage after the IPv6 address";
                                return -EINVAL;
                        }
                        port = close + 2;
                }
                host_end = close + 1;
        } else {
                const char *colon = memchr(auth, ':', auth_len);

                if (colon) {
                        port = colon + 1;
                        host_end = colon;
                }
        }
        if (host_end == auth || (auth[0] == '[' && host_end - auth <= 2)) {
                *ret_why = "has no host";
                return -EINVAL;
        }
        if (port) {
                char buf[8];
                size_t n = (size_t) (auth + auth_len - port);
                int64_t v;

                if (n == 0 || n >= sizeof(buf)) {
                        *ret_why = "has a bad port (1..65535)";
                        return -EINVAL;
                }
                memcpy(buf, port, n);
                buf[n] = '\0';
                if (nw_parse_int64(buf, 1, 65535, &v) < 0 || buf[0] == '+' || buf[0] == '-') {
                        *ret_why = "has a bad port (1..65535)";
                        return -EINVAL;
                }
        }

        if (path[0] == '\0' || strcmp(path, "/") == 0) {
                size_t n = (size_t) (path - url);

                copy = malloc(n + sizeof("/sdk"));
                if (!copy)
                        return -ENOMEM;
                memcpy(copy, url, n);
                memcpy(copy + n, "/sdk", sizeof("/sdk"));
        } else {
                copy = strdup(url);
                if (!copy)
                        return -ENOMEM;
        }
        *ret = copy;
        return 0;
}

static int set_string(parse_state *st, const key_def *k, char *value) {
        char **p = field(st->cfg, k);

        free(*p);
        *p = value;
        return 1;
}

/* Items are trimmed and empty ones dropped, so "a, b," and "a,b" agree; names may hold spaces
 * ("VM Network") but not commas. */
static int list_set(nw_strv *l, const char *value) {
        nw_strv_free(l);
        for (const char *p = value;;) {
                size_t n = strcspn(p, ",");
                const char *b = p, *e = p + n;

                while (b < e && isspace((unsigned char) *b))
                        b++;
                while (e > b && isspace((unsigned char) e[-1]))
                        e--;
                if (e > b) {
                        _cleanup_free_ char *item = strndup(b, (size_t) (e - b));

                        if (!item || nw_strv_push(l, item) < 0)
                                return -ENOMEM;
                }
                if (p[n] == '\0')
                        return 1;
                p += n + 1;
        }
}

/* "67108864", "65536K", "64M", "1G": binary multiples, as systemd's size settings read them. */
static int size_parse(const char *value, int64_t min, int64_t max, int64_t *ret) {
        static const char units[] = "KMG";
        char digits[32];
        size_t n = strlen(value);
        const char *u;
        int shift = 0;
        int64_t v;
        int r;

        if (n > 0 && (u = strchr(units, toupper((unsigned char) value[n - 1])))) {
                shift = 10 * (int) (u - units + 1);
                n--;
        }
        if (n == 0 || n >= sizeof(digits) || !isdigit((unsigned char) value[0]))
                return -EINVAL;
        memcpy(digits, value, n);
        digits[n] = '\0';
        r = nw_parse_int64(digits, 0, max >> shift, &v);
        if (r < 0)
                return r;
        v <<= shift;
        if (v < min)
                return -ERANGE;
        *ret = v;
        return 0;
}

static int key_set(parse_state *st, const key_def *k, const char *value) {
        void *p = field(st->cfg, k);
        const char *why;
        char *copy;
        int64_t v;
        int r;

        if (k->type != KEY_BOOL && k->type != KEY_INT && k->type != KEY_SIZE && k->type != KEY_CHOICE &&
            k->type != KEY_LIST && value[0] == '\0') {
                if (k->required)
                        return line_error(st, "key '%s': must not be empty", k->name);
                /* An empty assignment resets to the default, as in systemd unit files. */
                return set_string(st, k, NULL);
        }

        switch (k->type) {
        case KEY_STRING:
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
                return set_string(st, k, copy);

        case KEY_PATH:
                /* The daemon may be started from any directory; a relative path would move with it. */
                if (value[0] != '/')
                        return line_error(st, "key '%s': '%s' is not an absolute path", k->name, value);
                copy = strdup(value);
                if (!copy)
                        return -ENOMEM;
                return set_string(st, k, copy);

        case KEY_URL:
                r = url_normalize(value, &copy, &why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return line_error(st, "key '%s': %s", k->name, why);
                return set_string(st, k, copy);

        case KEY_BOOL:
                if (nw_parse_bool(value, p) < 0)
                        return line_error(st, "key '%s': '%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
                                          k->name, value);
                return 1;

        case KEY_INT:
                r = nw_parse_int64(value, k->min, k->max, &v);
                if (r == -ERANGE)
                        return line_error(st, "key '%s': %s is out of range %" PRId64 "..%" PRId64,
                                          k->name, value, k->min, k->max);
                if (r < 0)
                        return line_error(st, "key '%s': '%s' is not an integer (range %" PRId64 "..%" PRId64 ")",
                                          k->name, value, k->min, k->max);
                *(int64_t *) p = v;
                return 1;

        case KEY_CHOICE:
                for (const char *const *c = k->choices; *c; c++)
                        if (strcmp(value, *c) == 0) {
                                snprintf(p, k->size, "%s", *c);
                                return 1;
                        }
                {
                        char list[256] = "";

                        for (const char *const *c = k->choices; *c; c++) {
                                if (c != k->choices)
                                        strncat(list, ", ", sizeof(list) - strlen(list) - 1);
                                strncat(list, *c, sizeof(list) - strlen(list) - 1);
                        }
                        return line_error(st, "key '%s': '%s' is not one of %s", k->name, value, list);
                }

        case KEY_LIST:
                return list_set(p, value);

        case KEY_SIZE:
                r = size_parse(value, k->min, k->max, &v);
                if (r == -ERANGE)
                        return line_error(st, "key '%s': %s is out of range %" PRId64 "M..%" PRId64 "M",
                                          k->name, value, k->min >> 20, k->max >> 20);
                if (r < 0)
                        return line_error(st, "key '%s': '%s' is not a size (bytes, or a number with K, M or G; "
                                          "range %" PRId64 "M..%" PRId64 "M)", k->name, value, k->min >> 20,
                                          k->max >> 20);
                *(int64_t *) p = v;
                return 1;

        case KEY_THUMBPRINT: {
                uint8_t d[NW_THUMBPRINT_LEN];
                char reason[256];

                if (nw_thumbprint_parse(value, d, reason, sizeof(reason)) < 0)
                        return line_error(st, "key '%s': %s", k->name, reason);
                copy = malloc(NW_THUMBPRINT_STRLEN);
                if (!copy)
                        return -ENOMEM;
                nw_thumbprint_format(d, copy);
                return set_string(st, k, copy);
        }
        }
        return line_error(st, "key '%s': internal error: unknown type", k->name);
}

static int handler(void *user, const char *section, const char *name, const char *value) {
        parse_state *st = user;
        const key_def *k;
        bool section_known;
        size_t i;
        int r;

        if (st->err_line)
                return 0;
        if (st->colon_separator)
                return line_error(st, "expected 'key = value', not 'key: value'");
        if (section[0] == '\0')
                return line_error(st, "key '%s' is outside of any section", name);

        k = key_find(section, name, &section_known);
        if (!k) {
                if (!section_known)
                        return line_error(st, "unknown section [%s]", section);
                return line_error(st, "unknown key '%s' in section [%s]", name, section);
        }

        i = (size_t) (k - keys);
        if (st->seen[i])
                return line_error(st, "key '%s' given twice (first on line %u)", name, st->seen[i]);
        st->seen[i] = st->line;

        r = key_set(st, k, value);
        if (r == -ENOMEM) {
                st->err_line = st->line;
                nw_errf(&st->err, -ENOMEM, "%s:%u: out of memory", st->path, st->line);
                return 0;
        }
        return r;
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
                        line_error(st, "line longer than %d characters", num - 3);
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

static int config_defaults(nw_config *cfg) {
        const char *lp;

        cfg->vcenter.timeout = 60;
        cfg->vcenter.page_size = 1000;
        cfg->vcenter.max_reply_size = 64 << 20;
        cfg->daemon.interval = 600;
        cfg->daemon.tag_refresh = 60;
        strcpy(cfg->daemon.mode, "report");
        strcpy(cfg->daemon.log_level, "info");
        nw_policy_cfg_defaults(&cfg->policy);
        nw_remedy_cfg_defaults(&cfg->remediation);

        lp = cfg->policy.mac_learning_limit_policy ?: "drop";
        if (strlen(lp) >= sizeof(cfg->limit_policy_buf))
                return -EINVAL;
        strcpy(cfg->limit_policy_buf, lp);
        cfg->policy.mac_learning_limit_policy = cfg->limit_policy_buf;
        return 0;
}

/* Checks that need the whole file: required keys, defaults of string keys, contradictions. */
static int config_finish(parse_state *st) {
        nw_config *cfg = st->cfg;

        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                const key_def *k = &keys[i];
                char **p;

                if (k->type != KEY_STRING && k->type != KEY_URL)
                        continue;
                p = field(cfg, k);
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
                const key_def *k = key_find("vcenter", "insecure", NULL);

                return nw_errf(&st->err, -NW_ECONFIG,
                               "%s:%u: key 'insecure': yes contradicts ca_file = %s (nothing is verified when "
                               "insecure); drop one of them",
                               st->path, st->seen[k - keys], cfg->vcenter.ca_file);
        }
        /* A pin replaces CA verification (host name and dates too), as vSphere's thumbprint trust does:
         * a CA bundle beside it would be silently ignored, and insecure would contradict it. */
        if (cfg->vcenter.thumbprint && (cfg->vcenter.insecure || cfg->vcenter.ca_file)) {
                const key_def *k = key_find("vcenter", "thumbprint", NULL);

                return nw_errf(&st->err, -NW_ECONFIG,
                               "%s:%u: key 'thumbprint': the pin replaces CA verification; %s; drop one of them",
                               st->path, st->seen[k - keys],
                               cfg->vcenter.insecure ? "insecure = yes contradicts it"
                                                     : "ca_file would be ignored beside it");
        }

        cfg->policy.mac_learning_limit_policy = cfg->limit_policy_buf;
        return 0;
}

int config_log_level(const nw_config *cfg) {
        static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

        for (size_t i = 0; i < ELEMENTSOF(prio); i++)
                if (strcmp(cfg->daemon.log_level, log_levels[i]) == 0)
                        return prio[i];
        return LOG_INFO;
}

int config_load(const char *path, nw_config **ret, nw_err *err) {
        _cleanup_config_ nw_config *cfg = NULL;
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

        st.cfg = cfg;
        st.f = f;
        r = ini_parse_stream(reader, &st, handler, &st);

        if (st.read_errno)
                return nw_errf(err, -st.read_errno, "%s: cannot read: %s", path, strerror(st.read_errno));
        if (r < 0)
                return nw_errf(err, -ENOMEM, "%s: out of memory", path);
        /* inih returns the first line it had trouble with: ours (the handler said no) or its own
         * (no '=', no closing ']'), whichever came first. */
        if (r > 0 && (!st.err_line || (unsigned) r < st.err_line))
                return nw_errf(err, -NW_ECONFIG, "%s:%d: expected '[section]' or 'key = value'", path, r);
        if (st.err_line) {
                if (err)
                        *err = st.err;
                return st.err.code;
        }

        r = config_finish(&st);
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
        free(cfg->selection.tag_category);
        free(cfg->selection.tag);
        nw_strv_free(&cfg->remediation.exclude);
        free(cfg);
}
