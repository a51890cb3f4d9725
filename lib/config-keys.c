/* What nestwarden.conf may say: one table of keys (section, type, range, field), the parser of each
 * value type, and the defaults that hold when a key is not given. No file and no line numbers here:
 * config.c reads the file and puts "PATH:LINE: " in front of the reasons given here. */
#include "config-keys.h"

#include <ctype.h>
#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "thumbprint.h"

/* The configured limit policy becomes a finding's expected value: it must fit there whole. */
_Static_assert(sizeof(((nw_config *) NULL)->limit_policy_buf) <= sizeof(((nw_value *) NULL)->limit_policy),
               "limit_policy_buf outgrows nw_value.limit_policy");

#define FIELD(m) .offset = offsetof(nw_config, m)
#define FIELD_SIZE(m) .size = sizeof(((nw_config *) NULL)->m)

static const char *const limit_policies[] = { "allow", "drop", NULL };
static const char *const modes[] = { "report", "remediate", NULL };
/* In the order of the syslog priorities config_log_level() maps them to. */
static const char *const log_levels[] = { "err", "warning", "notice", "info", "debug", NULL };

/* Integer and boolean defaults live in config_defaults() below, nw_policy_cfg_defaults() and
 * nw_remedy_cfg_defaults(). */
const config_key config_keys[] = {
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
        { "vcenter", "annotate", KEY_BOOL, FIELD(vcenter.annotate) },
        { "vcenter", "annotation_field", KEY_STRING, FIELD(vcenter.annotation_field), .def = "nestwarden" },

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
        { "daemon", "port_refresh", KEY_INT, .min = 10, .max = 86400, FIELD(daemon.port_refresh) },
        { "daemon", "mode", KEY_CHOICE, .choices = modes, FIELD(daemon.mode), FIELD_SIZE(daemon.mode) },
        { "daemon", "log_level", KEY_CHOICE, .choices = log_levels, FIELD(daemon.log_level),
          FIELD_SIZE(daemon.log_level) },
        /* node_exporter's textfile collector reads *.prom files only: another name would never be read. */
        { "daemon", "metrics_file", KEY_PATH, FIELD(daemon.metrics_file), .suffix = ".prom" },

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

const size_t config_n_keys = ELEMENTSOF(config_keys);

const config_key *config_key_find(const char *section, const char *name, bool *ret_section_known) {
        bool known = false;

        for (size_t i = 0; i < config_n_keys; i++) {
                if (strcmp(config_keys[i].section, section) != 0)
                        continue;
                known = true;
                if (strcmp(config_keys[i].name, name) == 0)
                        return &config_keys[i];
        }
        if (ret_section_known)
                *ret_section_known = known;
        return NULL;
}

_printf_(3, 4)
static int key_error(char *why, size_t why_size, const char *fmt, ...) {
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(why, why_size, fmt, ap);
        va_end(ap);
        return -EINVAL;
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

/* The field takes value over (NULL: unset) and frees what it held. */
static int set_string(nw_config *cfg, const config_key *k, char *value) {
        char **p = config_key_field(cfg, k);

        free(*p);
        *p = value;
        return 0;
}

static int set_string_copy(nw_config *cfg, const config_key *k, const char *value) {
        char *copy = strdup(value);

        if (!copy)
                return -ENOMEM;
        return set_string(cfg, k, copy);
}

/* Items are trimmed and empty ones dropped, so "a, b," and "a,b" agree; names may hold spaces
 * ("VM Network") but not commas. */
static int list_set(nw_strv *l, const char *value) {
        nw_strv_done(l);
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
                        return 0;
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

int config_key_set(nw_config *cfg, const config_key *k, const char *value, char *why, size_t why_size) {
        void *p = config_key_field(cfg, k);
        const char *url_why;
        char *copy;
        int64_t v;
        int r;

        if (k->type != KEY_BOOL && k->type != KEY_INT && k->type != KEY_SIZE && k->type != KEY_CHOICE &&
            k->type != KEY_LIST && value[0] == '\0') {
                if (k->required)
                        return key_error(why, why_size, "key '%s': must not be empty", k->name);
                /* An empty assignment resets to the default, as in systemd unit files. */
                return set_string(cfg, k, NULL);
        }

        switch (k->type) {
        case KEY_STRING:
                return set_string_copy(cfg, k, value);

        case KEY_PATH: {
                const char *name = strrchr(value, '/');

                /* The daemon may be started from any directory; a relative path would move with it. */
                if (value[0] != '/')
                        return key_error(why, why_size, "key '%s': '%s' is not an absolute path", k->name, value);
                if (k->suffix && (strlen(name + 1) <= strlen(k->suffix) ||
                                  strcmp(value + strlen(value) - strlen(k->suffix), k->suffix) != 0))
                        return key_error(why, why_size, "key '%s': '%s' must name a file ending in %s", k->name,
                                         value, k->suffix);
                return set_string_copy(cfg, k, value);
        }

        case KEY_URL:
                r = url_normalize(value, &copy, &url_why);
                if (r == -ENOMEM)
                        return r;
                if (r < 0)
                        return key_error(why, why_size, "key '%s': %s", k->name, url_why);
                return set_string(cfg, k, copy);

        case KEY_BOOL:
                if (nw_parse_bool(value, p) < 0)
                        return key_error(why, why_size,
                                         "key '%s': '%s' is not a boolean (yes/no, true/false, on/off, 1/0)",
                                         k->name, value);
                return 0;

        case KEY_INT:
                r = nw_parse_int64(value, k->min, k->max, &v);
                if (r == -ERANGE)
                        return key_error(why, why_size, "key '%s': %s is out of range %" PRId64 "..%" PRId64,
                                         k->name, value, k->min, k->max);
                if (r < 0)
                        return key_error(why, why_size,
                                         "key '%s': '%s' is not an integer (range %" PRId64 "..%" PRId64 ")",
                                         k->name, value, k->min, k->max);
                *(int64_t *) p = v;
                return 0;

        case KEY_CHOICE:
                for (const char *const *c = k->choices; *c; c++)
                        if (strcmp(value, *c) == 0) {
                                snprintf(p, k->size, "%s", *c);
                                return 0;
                        }
                {
                        char list[256] = "";

                        for (const char *const *c = k->choices; *c; c++) {
                                if (c != k->choices)
                                        strncat(list, ", ", sizeof(list) - strlen(list) - 1);
                                strncat(list, *c, sizeof(list) - strlen(list) - 1);
                        }
                        return key_error(why, why_size, "key '%s': '%s' is not one of %s", k->name, value, list);
                }

        case KEY_LIST:
                return list_set(p, value);

        case KEY_SIZE:
                r = size_parse(value, k->min, k->max, &v);
                if (r == -ERANGE)
                        return key_error(why, why_size, "key '%s': %s is out of range %" PRId64 "M..%" PRId64 "M",
                                         k->name, value, k->min >> 20, k->max >> 20);
                if (r < 0)
                        return key_error(why, why_size,
                                         "key '%s': '%s' is not a size (bytes, or a number with K, M or G; "
                                         "range %" PRId64 "M..%" PRId64 "M)",
                                         k->name, value, k->min >> 20, k->max >> 20);
                *(int64_t *) p = v;
                return 0;

        case KEY_THUMBPRINT: {
                uint8_t d[NW_THUMBPRINT_LEN];
                char reason[256];

                if (thumbprint_parse(value, d, reason, sizeof(reason)) < 0)
                        return key_error(why, why_size, "key '%s': %s", k->name, reason);
                copy = malloc(NW_THUMBPRINT_STRLEN);
                if (!copy)
                        return -ENOMEM;
                thumbprint_format(d, copy);
                return set_string(cfg, k, copy);
        }
        }
        return key_error(why, why_size, "key '%s': internal error: unknown type", k->name);
}

int config_defaults(nw_config *cfg) {
        const char *lp;

        cfg->vcenter.timeout = 60;
        cfg->vcenter.page_size = 1000;
        cfg->vcenter.max_reply_size = 64 << 20;
        cfg->daemon.interval = 600;
        cfg->daemon.tag_refresh = 60;
        cfg->daemon.port_refresh = 300;
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

int config_log_level(const nw_config *cfg) {
        static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG };

        for (size_t i = 0; i < ELEMENTSOF(prio); i++)
                if (strcmp(cfg->daemon.log_level, log_levels[i]) == 0)
                        return prio[i];
        return LOG_INFO;
}
