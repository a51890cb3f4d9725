/* Tests for lib/config.c: the corpus in config/, the shipped example, exact error messages.
 * Runs with tests/unit as working directory. (The password's checks: test_secret.c.) */
#include <dirent.h>
#include <fcntl.h>
#include <string.h>
#include <syslog.h>
#include <sys/stat.h>

#include "config.h"
#include "tap.h"

#define TMPDIR_TEMPLATE "/tmp/nw-test-config-XXXXXX"
#include "tmpdir.h"

static void test_good(void) {
        _cleanup_config_ nw_config *cfg = NULL;
        nw_err err = {};
        int r;

        r = config_load("config/good.conf", &cfg, &err);
        CHECK_INTEQ(r, 0);
        if (r < 0) {
                fprintf(stderr, "  %s\n", err.msg);
                return;
        }
        CHECK_STREQ(cfg->path, "config/good.conf");
        CHECK_STREQ(cfg->vcenter.url, "https://vc.lab.example:8443/sdk");
        CHECK_STREQ(cfg->vcenter.user, "nestwarden@vsphere.local");
        CHECK_STREQ(cfg->vcenter.password_file, "/etc/nestwarden/pw");
        CHECK(cfg->vcenter.insecure);
        CHECK(!cfg->vcenter.ca_file);
        CHECK_INTEQ(cfg->vcenter.timeout, 5);
        CHECK_INTEQ(cfg->vcenter.page_size, 10000);
        CHECK_INTEQ(cfg->vcenter.max_reply_size, 16 << 20);
        CHECK(cfg->vcenter.annotate);
        CHECK_STREQ(cfg->vcenter.annotation_field, "lab health");
        CHECK_STREQ(cfg->selection.tag_category, "lab;nested");
        CHECK_STREQ(cfg->selection.tag, "hv # not a comment");
        CHECK(!cfg->policy.nested_hv);
        CHECK(!cfg->policy.forged_transmits);
        CHECK(!cfg->policy.mac_learning);
        CHECK(cfg->policy.mac_changes);
        CHECK_INTEQ(cfg->policy.mac_learning_limit, 0);
        CHECK_STREQ(cfg->policy.mac_learning_limit_policy, "allow");
        CHECK(cfg->policy.mac_learning_limit_policy == cfg->limit_policy_buf);
        CHECK(!cfg->policy.standard_portgroups);
        CHECK_INTEQ(cfg->daemon.interval, 30);
        CHECK_INTEQ(cfg->daemon.tag_refresh, 3600);
        CHECK_STREQ(cfg->daemon.mode, "report");
        CHECK_STREQ(cfg->daemon.log_level, "debug");
        CHECK_INTEQ(config_log_level(cfg), LOG_DEBUG);
        CHECK_STREQ(cfg->daemon.metrics_file, "/run/nestwarden/lab.prom");
        CHECK(!cfg->remediation.nested_hv);
        CHECK(!cfg->remediation.portgroups);
        CHECK(!cfg->remediation.fix_on_power_off);
        CHECK(cfg->remediation.fix_templates);
        CHECK(cfg->remediation.allow_promiscuous_on_shared);
        CHECK(cfg->remediation.dry_run);
        CHECK_INTEQ(cfg->remediation.max_changes_per_pass, 1000);
        CHECK_INTEQ(cfg->remediation.flap_limit, 1);
        CHECK_INTEQ(cfg->remediation.flap_window, 604800);
        CHECK_INTEQ(cfg->remediation.exclude.n, 3);
        if (cfg->remediation.exclude.n == 3) {
                CHECK_STREQ(cfg->remediation.exclude.v[0], "vm-42");
                CHECK_STREQ(cfg->remediation.exclude.v[1], "VM Network");
                CHECK_STREQ(cfg->remediation.exclude.v[2], "dvportgroup-7");
        }
}

static void test_good_ca(void) {
        _cleanup_config_ nw_config *cfg = NULL;
        nw_err err = {};
        int r;

        r = config_load("config/good-ca.conf", &cfg, &err);
        CHECK_INTEQ(r, 0);
        if (r < 0) {
                fprintf(stderr, "  %s\n", err.msg);
                return;
        }
        CHECK_STREQ(cfg->vcenter.url, "https://[2001:db8::1]/sdk");
        CHECK_STREQ(cfg->vcenter.ca_file, "/etc/nestwarden/ca.pem");
        CHECK(!cfg->vcenter.insecure);
        CHECK(!cfg->vcenter.password_file);
        CHECK_INTEQ(cfg->vcenter.timeout, 3600);
        CHECK_INTEQ(cfg->vcenter.page_size, 1);
        CHECK_INTEQ(cfg->vcenter.max_reply_size, INT64_C(1) << 30);
        CHECK_INTEQ(cfg->policy.mac_learning_limit, 4096);
}

/* vSphere's colon form is stored in the canonical one, the form errors print. */
static void test_good_thumbprint(void) {
        _cleanup_config_ nw_config *cfg = NULL;
        nw_err err = {};
        int r;

        r = config_load("config/good-thumbprint.conf", &cfg, &err);
        CHECK_INTEQ(r, 0);
        if (r < 0) {
                fprintf(stderr, "  %s\n", err.msg);
                return;
        }
        CHECK_STREQ(cfg->vcenter.thumbprint, "SHA256:2158f63e713ed68badad6dc5d71a7f828626eb4c2fbf41a10b9a96c03313f244");
        CHECK(!cfg->vcenter.ca_file);
        CHECK(!cfg->vcenter.insecure);
}

static void check_defaults(const nw_config *cfg) {
        CHECK(!cfg->vcenter.insecure);
        CHECK(!cfg->vcenter.ca_file);
        CHECK(!cfg->vcenter.thumbprint);
        CHECK_INTEQ(cfg->vcenter.timeout, 60);
        CHECK_INTEQ(cfg->vcenter.page_size, 1000);
        CHECK_STREQ(cfg->selection.tag_category, "nested");
        CHECK_STREQ(cfg->selection.tag, "nested-hyperv");
        CHECK(cfg->policy.nested_hv);
        CHECK(cfg->policy.forged_transmits);
        CHECK(cfg->policy.mac_learning);
        CHECK(!cfg->policy.mac_changes);
        CHECK_INTEQ(cfg->policy.mac_learning_limit, 4096);
        CHECK_STREQ(cfg->policy.mac_learning_limit_policy, "drop");
        CHECK(cfg->policy.mac_learning_limit_policy == cfg->limit_policy_buf);
        CHECK(cfg->policy.standard_portgroups);
        CHECK_INTEQ(cfg->vcenter.max_reply_size, 64 << 20);
        CHECK(!cfg->vcenter.annotate);
        CHECK_STREQ(cfg->vcenter.annotation_field, "nestwarden");
        CHECK_INTEQ(cfg->daemon.interval, 600);
        CHECK_INTEQ(cfg->daemon.tag_refresh, 60);
        CHECK_STREQ(cfg->daemon.mode, "report");
        CHECK_STREQ(cfg->daemon.log_level, "info");
        CHECK_INTEQ(config_log_level(cfg), LOG_INFO);
        CHECK(!cfg->daemon.metrics_file);
        CHECK(cfg->remediation.nested_hv);
        CHECK(cfg->remediation.portgroups);
        CHECK(cfg->remediation.fix_on_power_off);
        CHECK(!cfg->remediation.fix_templates);
        CHECK(!cfg->remediation.allow_promiscuous_on_shared);
        CHECK(!cfg->remediation.dry_run);
        CHECK_INTEQ(cfg->remediation.max_changes_per_pass, 10);
        CHECK_INTEQ(cfg->remediation.flap_limit, 3);
        CHECK_INTEQ(cfg->remediation.flap_window, 3600);
        CHECK_INTEQ(cfg->remediation.exclude.n, 0);
}

static void test_minimal(void) {
        _cleanup_config_ nw_config *cfg = NULL;
        nw_err err = {};
        int r;

        /* CRLF line ends on purpose. */
        r = config_load("config/minimal.conf", &cfg, &err);
        CHECK_INTEQ(r, 0);
        if (r < 0) {
                fprintf(stderr, "  %s\n", err.msg);
                return;
        }
        CHECK_STREQ(cfg->vcenter.url, "https://vcenter.example.com/sdk");
        CHECK_STREQ(cfg->vcenter.user, "svc");
        CHECK_STREQ(cfg->vcenter.password_file, "/etc/nestwarden/vcenter.password");
        check_defaults(cfg);
}

/* mode = remediate is accepted now; everything else keeps its default. */
static void test_remediate(void) {
        _cleanup_config_ nw_config *cfg = NULL;
        nw_err err = {};
        int r;

        r = config_load("config/good-remediate.conf", &cfg, &err);
        CHECK_INTEQ(r, 0);
        if (r < 0) {
                fprintf(stderr, "  %s\n", err.msg);
                return;
        }
        CHECK_STREQ(cfg->daemon.mode, "remediate");
        CHECK(cfg->remediation.nested_hv);
        CHECK_INTEQ(cfg->remediation.max_changes_per_pass, 10);
        CHECK_INTEQ(cfg->remediation.exclude.n, 0);
}

/* The shipped example parses as is, and with every commented-out key switched on it still parses and
 * yields the defaults: the documented defaults are the real ones. */
static void test_example(void) {
        _cleanup_config_ nw_config *cfg = NULL, *all = NULL;
        _cleanup_buf_ nw_buf b = {};
        _cleanup_fclose_ FILE *f = NULL;
        char line[512];
        nw_err err = {};
        int r;

        r = config_load("../../conf/nestwarden.conf", &cfg, &err);
        CHECK_INTEQ(r, 0);
        if (r < 0)
                fprintf(stderr, "  %s\n", err.msg);
        else {
                CHECK_STREQ(cfg->vcenter.url, "https://vcenter.example.com/sdk");
                CHECK(!cfg->vcenter.password_file);
                check_defaults(cfg);
        }

        f = fopen("../../conf/nestwarden.conf", "re");
        CHECK(f);
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                size_t n = strspn(line + 1, "abcdefghijklmnopqrstuvwxyz_");

                if (line[0] == ';' && n > 0 && line[1 + n] == ' ' && line[2 + n] == '=')
                        nw_buf_puts(&b, line + 1);
                else
                        nw_buf_puts(&b, line);
        }
        CHECK(!b.oom);
        write_file("example-all.conf", b.data, b.len, 0644);
        r = config_load(tmp_path("example-all.conf"), &all, &err);
        CHECK_INTEQ(r, 0);
        if (r < 0) {
                fprintf(stderr, "  %s\n", err.msg);
                return;
        }
        CHECK_STREQ(all->vcenter.password_file, "/etc/nestwarden/vcenter.password");
        check_defaults(all);
}

static void test_bad(void) {
        static const struct {
                const char *file;
                int code;
                const char *msg;
        } t[] = {
                { "bad-section", -NW_ECONFIG, "config/bad-section.conf:5: unknown section [polcy]" },
                { "bad-key", -NW_ECONFIG, "config/bad-key.conf:5: unknown key 'forged_transmit' in section [policy]" },
                { "bad-bool", -NW_ECONFIG,
                  "config/bad-bool.conf:4: key 'insecure': 'maybe' is not a boolean (yes/no, true/false, on/off, 1/0)" },
                { "bad-annotate", -NW_ECONFIG,
                  "config/bad-annotate.conf:4: key 'annotate': 'sometimes' is not a boolean (yes/no, true/false, "
                  "on/off, 1/0)" },
                { "bad-range-low", -NW_ECONFIG, "config/bad-range-low.conf:4: key 'timeout': 2 is out of range 5..3600" },
                { "bad-range-high", -NW_ECONFIG,
                  "config/bad-range-high.conf:5: key 'page_size': 10001 is out of range 1..10000" },
                { "bad-limit-range", -NW_ECONFIG,
                  "config/bad-limit-range.conf:2: key 'mac_learning_limit': -1 is out of range 0..4096" },
                { "bad-number", -NW_ECONFIG,
                  "config/bad-number.conf:4: key 'timeout': '60s' is not an integer (range 5..3600)" },
                { "bad-http", -NW_ECONFIG,
                  "config/bad-http.conf:3: key 'url': http:// is refused: nestwarden never sends the vCenter "
                  "password in clear; use https://" },
                { "bad-missing-url", -NW_ECONFIG, "config/bad-missing-url.conf: [vcenter] url is required" },
                { "bad-missing-user", -NW_ECONFIG, "config/bad-missing-user.conf: [vcenter] user is required" },
                { "bad-empty-user", -NW_ECONFIG, "config/bad-empty-user.conf:3: key 'user': must not be empty" },
                { "bad-duplicate", -NW_ECONFIG,
                  "config/bad-duplicate.conf:8: key 'timeout' given twice (first on line 4)" },
                { "bad-limit-policy", -NW_ECONFIG,
                  "config/bad-limit-policy.conf:5: key 'mac_learning_limit_policy': 'block' is not one of allow, drop" },
                { "bad-insecure-ca", -NW_ECONFIG,
                  "config/bad-insecure-ca.conf:4: key 'insecure': yes contradicts ca_file = /etc/nestwarden/ca.pem "
                  "(nothing is verified when insecure); drop one of them" },
                { "bad-noeq", -NW_ECONFIG, "config/bad-noeq.conf:3: expected '[section]' or 'key = value'" },
                { "bad-continuation", -NW_ECONFIG,
                  "config/bad-continuation.conf:4: expected '[section]' or 'key = value'" },
                { "bad-colon", -NW_ECONFIG, "config/bad-colon.conf:3: expected 'key = value', not 'key: value'" },
                { "bad-outside", -NW_ECONFIG, "config/bad-outside.conf:1: key 'url' is outside of any section" },
                { "bad-unterminated", -NW_ECONFIG,
                  "config/bad-unterminated.conf:1: expected '[section]' or 'key = value'" },
                { "bad-relative", -NW_ECONFIG,
                  "config/bad-relative.conf:4: key 'password_file': 'vcenter.password' is not an absolute path" },
                { "bad-long-line", -NW_ECONFIG, "config/bad-long-line.conf:4: line longer than 198 characters" },
                { "bad-nul", -NW_ECONFIG, "config/bad-nul.conf:3: contains a NUL byte" },
                { "bad-remediation-bool", -NW_ECONFIG,
                  "config/bad-remediation-bool.conf:5: key 'dry_run': 'maybe' is not a boolean (yes/no, true/false, "
                  "on/off, 1/0)" },
                { "bad-remediation-key", -NW_ECONFIG,
                  "config/bad-remediation-key.conf:5: unknown key 'fix_template' in section [remediation]" },
                { "bad-max-changes", -NW_ECONFIG,
                  "config/bad-max-changes.conf:5: key 'max_changes_per_pass': 0 is out of range 1..1000" },
                { "bad-flap-limit", -NW_ECONFIG, "config/bad-flap-limit.conf:5: key 'flap_limit': 101 is out of range 1..100" },
                { "bad-flap-window", -NW_ECONFIG,
                  "config/bad-flap-window.conf:5: key 'flap_window': 59 is out of range 60..604800" },
                { "bad-exclude-twice", -NW_ECONFIG,
                  "config/bad-exclude-twice.conf:7: key 'exclude' given twice (first on line 5)" },
                { "bad-interval", -NW_ECONFIG, "config/bad-interval.conf:5: key 'interval': 10 is out of range 30..86400" },
                { "bad-reply-size", -NW_ECONFIG,
                  "config/bad-reply-size.conf:5: key 'max_reply_size': '64MB' is not a size (bytes, or a number with "
                  "K, M or G; range 1M..1024M)" },
                { "bad-reply-size-high", -NW_ECONFIG,
                  "config/bad-reply-size-high.conf:5: key 'max_reply_size': 2G is out of range 1M..1024M" },
                { "bad-reply-size-low", -NW_ECONFIG,
                  "config/bad-reply-size-low.conf:5: key 'max_reply_size': 1023K is out of range 1M..1024M" },
                { "bad-log-level", -NW_ECONFIG,
                  "config/bad-log-level.conf:5: key 'log_level': 'verbose' is not one of err, warning, notice, info, debug" },
                { "bad-thumbprint-sha1", -NW_ECONFIG,
                  "config/bad-thumbprint-sha1.conf:4: key 'thumbprint': a SHA-1 thumbprint (20 bytes): pin the SHA-256 "
                  "one (openssl x509 -noout -fingerprint -sha256)" },
                { "bad-thumbprint-short", -NW_ECONFIG,
                  "config/bad-thumbprint-short.conf:4: key 'thumbprint': has 31 bytes: a SHA-256 fingerprint has 32 "
                  "(SHA256: and 64 hex digits, or 32 colon-separated pairs)" },
                { "bad-thumbprint-char", -NW_ECONFIG,
                  "config/bad-thumbprint-char.conf:4: key 'thumbprint': contains 'g', which is not a hex digit or ':'" },
                { "bad-thumbprint-insecure", -NW_ECONFIG,
                  "config/bad-thumbprint-insecure.conf:4: key 'thumbprint': the pin replaces CA verification; insecure "
                  "= yes contradicts it; drop one of them" },
                { "bad-thumbprint-ca", -NW_ECONFIG,
                  "config/bad-thumbprint-ca.conf:5: key 'thumbprint': the pin replaces CA verification; ca_file would "
                  "be ignored beside it; drop one of them" },
                { "bad-metrics-suffix", -NW_ECONFIG,
                  "config/bad-metrics-suffix.conf:5: key 'metrics_file': '/run/nestwarden/nestwarden.txt' must name a "
                  "file ending in .prom" },
                { "bad-metrics-dir", -NW_ECONFIG,
                  "config/bad-metrics-dir.conf:5: key 'metrics_file': '/run/nestwarden/' must name a file ending in "
                  ".prom" },
                { "bad-metrics-name", -NW_ECONFIG,
                  "config/bad-metrics-name.conf:5: key 'metrics_file': '/run/nestwarden/.prom' must name a file "
                  "ending in .prom" },
                { "bad-metrics-relative", -NW_ECONFIG,
                  "config/bad-metrics-relative.conf:5: key 'metrics_file': 'nestwarden.prom' is not an absolute path" },
                { "nonexistent", -ENOENT, "config/nonexistent.conf: cannot open: No such file or directory" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                nw_config *cfg = NULL;
                char path[128];
                nw_err err = {};
                int r;

                snprintf(path, sizeof(path), "config/%s.conf", t[i].file);
                r = config_load(path, &cfg, &err);
                CHECK_INTEQ(r, t[i].code);
                CHECK_INTEQ(err.code, t[i].code);
                CHECK_STREQ(err.msg, t[i].msg);
                CHECK(!cfg);
                config_free(cfg);
        }

        /* Not a regular file: refused at once, a FIFO without waiting for a writer. */
        {
                nw_config *cfg = NULL;
                nw_err err = {};
                char want[512];

                CHECK_INTEQ(config_load("config", &cfg, &err), -EBADFD);
                CHECK_STREQ(err.msg, "config: not a regular file but a directory: --config must name the configuration "
                                     "file");
                CHECK(!cfg);
                CHECK_INTEQ(config_load("/dev/null", &cfg, &err), -EBADFD);
                CHECK_STREQ(err.msg, "/dev/null: not a regular file but a character device: --config must name the "
                                     "configuration file");
                CHECK(mkfifo(tmp_path("fifo.conf"), 0600) == 0);
                CHECK_INTEQ(config_load(tmp_path("fifo.conf"), &cfg, &err), -EBADFD);
                snprintf(want, sizeof(want), "%s: not a regular file but a FIFO: --config must name the configuration file",
                         tmp_path("fifo.conf"));
                CHECK_STREQ(err.msg, want);
                CHECK(!cfg);
        }
        /* err may be NULL. */
        {
                nw_config *cfg = NULL;

                CHECK_INTEQ(config_load("config/bad-key.conf", &cfg, NULL), -NW_ECONFIG);
                CHECK(!cfg);
        }
}

/* URL forms, through a real file since the normalizer is private. */
static void test_url(void) {
        static const struct {
                const char *url, *want, *why;
        } t[] = {
                { "https://vc", "https://vc/sdk", NULL },
                { "https://vc/", "https://vc/sdk", NULL },
                { "https://vc/sdk", "https://vc/sdk", NULL },
                { "HTTPS://vc:443/custom/sdk", "HTTPS://vc:443/custom/sdk", NULL },
                { "https://[::1]:8443", "https://[::1]:8443/sdk", NULL },
                { "https://10.0.0.1", "https://10.0.0.1/sdk", NULL },
                { "http://vc/sdk", NULL, "http:// is refused: nestwarden never sends the vCenter password in clear; use https://" },
                { "HTTP://vc", NULL, "http:// is refused: nestwarden never sends the vCenter password in clear; use https://" },
                { "vc.example.com", NULL, "must be an https:// URL like https://vcenter.example.com/sdk" },
                { "ftp://vc", NULL, "must be an https:// URL like https://vcenter.example.com/sdk" },
                { "https://", NULL, "has no host" },
                { "https:///sdk", NULL, "has no host" },
                { "https://:443/sdk", NULL, "has no host" },
                { "https://[]/sdk", NULL, "has no host" },
                { "https://[::1/sdk", NULL, "has an IPv6 address without ']'" },
                { "https://[::1]x/sdk", NULL, "has garbage after the IPv6 address" },
                { "https://vc:0/sdk", NULL, "has a bad port (1..65535)" },
                { "https://vc:65536/sdk", NULL, "has a bad port (1..65535)" },
                { "https://vc:/sdk", NULL, "has a bad port (1..65535)" },
                { "https://vc:+443/sdk", NULL, "has a bad port (1..65535)" },
                { "https://vc:https/sdk", NULL, "has a bad port (1..65535)" },
                { "https://admin:secret@vc/sdk", NULL,
                  "must not contain user info (user@host); set [vcenter] user instead" },
                { "https://vc/sdk?x=1", NULL, "must not have a query or fragment" },
                { "https://vc/sdk#x", NULL, "must not have a query or fragment" },
                { "https://vc/my sdk", NULL, "must not contain spaces or control characters" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_config_ nw_config *cfg = NULL;
                char text[512], want[512];
                nw_err err = {};
                int r;

                snprintf(text, sizeof(text), "[vcenter]\nuser = u\nurl = %s\n", t[i].url);
                write_file("url.conf", text, strlen(text), 0644);
                r = config_load(tmp_path("url.conf"), &cfg, &err);
                if (t[i].want) {
                        CHECK_INTEQ(r, 0);
                        if (r < 0)
                                fprintf(stderr, "  %s\n", err.msg);
                        else
                                CHECK_STREQ(cfg->vcenter.url, t[i].want);
                } else {
                        CHECK_INTEQ(r, -NW_ECONFIG);
                        snprintf(want, sizeof(want), "%s:3: key 'url': %s", tmp_path("url.conf"), t[i].why);
                        CHECK_STREQ(err.msg, want);
                }
        }
}

/* [remediation] exclude: comma-separated, items trimmed, empty ones dropped, spaces inside kept. */
static void test_exclude(void) {
        static const struct {
                const char *value;
                size_t n;
                const char *want[3];
        } t[] = {
                { "", 0, {} },
                { " , ,, ", 0, {} },
                { "vm-1", 1, { "vm-1" } },
                { "VM Network", 1, { "VM Network" } },
                { "  vm-1 ,\tVM Network\t,host-21/VM Network  ", 3, { "vm-1", "VM Network", "host-21/VM Network" } },
                { ",a,", 1, { "a" } },
                { "a,,b", 2, { "a", "b" } },
                { "a ;b", 1, { "a" } }, /* " ;" starts a comment */
                { "a;b", 1, { "a;b" } },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_config_ nw_config *cfg = NULL;
                int failed = tap_failed, n, r;
                char text[256];
                nw_err err = {};

                n = snprintf(text, sizeof(text), "[vcenter]\nurl = https://vc\nuser = u\n[remediation]\nexclude = %s\n",
                             t[i].value);
                write_file("exclude.conf", text, (size_t) n, 0644);
                r = config_load(tmp_path("exclude.conf"), &cfg, &err);
                CHECK_INTEQ(r, 0);
                if (r < 0) {
                        fprintf(stderr, "  %s\n", err.msg);
                        continue;
                }
                CHECK_INTEQ(cfg->remediation.exclude.n, t[i].n);
                for (size_t j = 0; j < t[i].n && j < cfg->remediation.exclude.n; j++)
                        CHECK_STREQ(cfg->remediation.exclude.v[j], t[i].want[j]);
                if (tap_failed != failed)
                        fprintf(stderr, "  ^ exclude = '%s'\n", t[i].value);
        }
}

/* inih's 200-byte line buffer holds 198 characters plus "\n" and NUL; a full buffer at the end of a
 * file without "\n" is no overlong line. Also: an empty value resets a key to its default. */
static void test_edges(void) {
        static const struct {
                size_t len;
                bool newline, ok;
        } t[] = {
                { 198, true, true },
                { 199, false, true },
                { 199, true, false },
                { 300, true, false },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                _cleanup_config_ nw_config *cfg = NULL;
                char text[512], want[512];
                nw_err err = {};
                size_t n;
                int r;

                n = (size_t) snprintf(text, sizeof(text),
                                      "[vcenter]\nurl = https://vc\nuser = u\n[selection]\ntag_category =\ntag = ");
                memset(text + n, 'a', t[i].len - strlen("tag = "));
                n += t[i].len - strlen("tag = ");
                if (t[i].newline)
                        text[n++] = '\n';
                write_file("edge.conf", text, n, 0644);
                r = config_load(tmp_path("edge.conf"), &cfg, &err);
                if (t[i].ok) {
                        CHECK_INTEQ(r, 0);
                        if (r < 0) {
                                fprintf(stderr, "  %s\n", err.msg);
                                continue;
                        }
                        CHECK_INTEQ(strlen(cfg->selection.tag), t[i].len - strlen("tag = "));
                        CHECK_STREQ(cfg->selection.tag_category, "nested");
                } else {
                        CHECK_INTEQ(r, -NW_ECONFIG);
                        snprintf(want, sizeof(want), "%s:6: line longer than 198 characters", tmp_path("edge.conf"));
                        CHECK_STREQ(err.msg, want);
                }
        }
}

int main(void) {
        if (!mkdtemp(tmpdir)) {
                perror("mkdtemp");
                return 1;
        }

        test_good();
        test_good_ca();
        test_good_thumbprint();
        test_minimal();
        test_remediate();
        test_example();
        test_bad();
        test_url();
        test_exclude();
        test_edges();

        rm_tmpdir();
        return tap_exit("config");
}
