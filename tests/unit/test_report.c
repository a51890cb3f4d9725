/* Unit tests for lib/report.c: the JSON document parsed back with json-c, the table read line by line. */
#include "fixtures.h"
#include "report.h"
#include "tap.h"

#include <json.h>
#include <string.h>

#define ODD_NAME "lab \"nested\" \\ ✓ Ünïcödé / 検証"

/* As policy_evaluate would hand them over: sorted by object, templates mixed in. */
static const nw_finding sample[] = {
        { .kind = NW_KIND_DVPG, .object = "dvportgroup-2", .name = ODD_NAME, .check = NW_CHECK_PROMISCUOUS,
          .expected = VB(false), .actual = VU, .hint = "reject promiscuous mode" },
        { .kind = NW_KIND_DVPG, .object = "dvportgroup-2", .name = ODD_NAME, .check = NW_CHECK_MAC_LEARNING_LIMIT,
          .expected = VL(4096, "drop"), .actual = VL(-1, ""), .hint = "set the MAC learning limit" },
        { .kind = NW_KIND_PG, .object = "host-1/VM Network", .name = "VM Network", .check = NW_CHECK_FORGED_TRANSMITS,
          .expected = VB(true), .actual = VB(false), .hint = "accept forged transmits" },
        { .kind = NW_KIND_VM, .object = "vm-3", .name = "golden image", .check = NW_CHECK_NESTED_HV,
          .expected = VB(true), .actual = VU, .template = true, .hint = "template: fix it" },
        { .kind = NW_KIND_VM, .object = "vm-9", .name = "hv01", .check = NW_CHECK_NESTED_HV,
          .expected = VB(true), .actual = VB(false), .powered_on = true, .hint = "VM is powered on" },
};

static nw_findings sample_findings(void) {
        return (nw_findings) { .v = (nw_finding *) sample, .n = ELEMENTSOF(sample), .cap = ELEMENTSOF(sample),
                               .vms = 2, .templates = 1, .portgroups = 3 };
}

/* --- JSON --- */

static json_object *get(json_object *o, const char *key) {
        json_object *v = NULL;

        if (!o || !json_object_object_get_ex(o, key, &v))
                return NULL;
        return v;
}

static const char *get_str(json_object *o, const char *key) {
        json_object *v = get(o, key);

        return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static void check_bool(json_object *v, bool b) {
        CHECK(v && json_object_is_type(v, json_type_boolean));
        CHECK_INTEQ(json_object_get_boolean(v), b);
}

static void check_finding(json_object *o, const char *object, const char *kind, const char *name,
                          const char *check, const char *hint) {
        CHECK(o && json_object_is_type(o, json_type_object));
        CHECK_INTEQ(json_object_object_length(o), 7);
        CHECK_STREQ(get_str(o, "object"), object);
        CHECK_STREQ(get_str(o, "kind"), kind);
        CHECK_STREQ(get_str(o, "name"), name);
        CHECK_STREQ(get_str(o, "check"), check);
        CHECK_STREQ(get_str(o, "hint"), hint);
}

/* The document as json-c prints it whole: what report_json wrote when it built one tree. It writes a
 * piece at a time now, and must not change a byte. */
static void check_as_one_tree(const char *s) {
        json_object *root = s ? json_tokener_parse(s) : NULL;
        const char *whole = root ? json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                                          JSON_C_TO_STRING_NOSLASHESCAPE) : NULL;
        size_t n = whole ? strlen(whole) : 0;

        CHECK(whole && strlen(s) == n + 1 && strncmp(s, whole, n) == 0 && s[n] == '\n');
        if (whole && !(strlen(s) == n + 1 && strncmp(s, whole, n) == 0))
                fprintf(stderr, "got:\n%s\nwant:\n%s\n", s, whole);
        json_object_put(root);
}

static void test_json(void) {
        nw_findings f = sample_findings();
        _cleanup_free_ char *s = NULL;
        json_object *root, *checked, *a, *t, *x, *lim;

        CHECK_INTEQ(report_json("https://vc.example.com/sdk", &f, &s), 0);
        if (!s)
                return;
        check_as_one_tree(s);
        CHECK(strlen(s) > 2 && strcmp(s + strlen(s) - 2, "}\n") == 0);
        CHECK(strstr(s, "\"https://vc.example.com/sdk\""));
        CHECK(strstr(s, "✓ Ünïcödé")); /* UTF-8 as is, not \u-escaped */

        root = json_tokener_parse(s);
        CHECK(root && json_object_is_type(root, json_type_object));
        CHECK_INTEQ(json_object_object_length(root), 5);
        CHECK_STREQ(get_str(root, "vcenter"), "https://vc.example.com/sdk");
        CHECK(json_object_is_type(get(root, "notices"), json_type_array));
        CHECK_INTEQ(json_object_array_length(get(root, "notices")), 0);

        checked = get(root, "checked");
        CHECK_INTEQ(json_object_object_length(checked), 5);
        CHECK_INTEQ(json_object_get_int64(get(checked, "unreadable")), 0);
        CHECK_INTEQ(json_object_get_int64(get(checked, "ports")), 0);
        CHECK_INTEQ(json_object_get_int64(get(checked, "vms")), 2);
        CHECK_INTEQ(json_object_get_int64(get(checked, "templates")), 1);
        CHECK_INTEQ(json_object_get_int64(get(checked, "portgroups")), 3);

        a = get(root, "findings");
        t = get(root, "template_findings");
        CHECK(a && json_object_is_type(a, json_type_array));
        CHECK(t && json_object_is_type(t, json_type_array));
        CHECK_INTEQ(json_object_array_length(a), 4);
        CHECK_INTEQ(json_object_array_length(t), 1);

        x = json_object_array_get_idx(a, 0);
        check_finding(x, "dvportgroup-2", "dvportgroup", ODD_NAME, "promiscuous", "reject promiscuous mode");
        check_bool(get(x, "expected"), false);
        CHECK_STREQ(get_str(x, "actual"), "unset");

        x = json_object_array_get_idx(a, 1);
        check_finding(x, "dvportgroup-2", "dvportgroup", ODD_NAME, "mac_learning_limit", "set the MAC learning limit");
        lim = get(x, "expected");
        CHECK(lim && json_object_is_type(lim, json_type_object));
        CHECK_INTEQ(json_object_object_length(lim), 2);
        CHECK(json_object_is_type(get(lim, "limit"), json_type_int));
        CHECK_INTEQ(json_object_get_int64(get(lim, "limit")), 4096);
        CHECK_STREQ(get_str(lim, "limit_policy"), "drop");
        lim = get(x, "actual");
        CHECK(lim && json_object_is_type(lim, json_type_object));
        CHECK(json_object_object_get_ex(lim, "limit", NULL) && !get(lim, "limit"));
        CHECK(json_object_object_get_ex(lim, "limit_policy", NULL) && !get(lim, "limit_policy"));

        x = json_object_array_get_idx(a, 2);
        check_finding(x, "host-1/VM Network", "portgroup", "VM Network", "forged_transmits", "accept forged transmits");
        check_bool(get(x, "expected"), true);
        check_bool(get(x, "actual"), false);

        x = json_object_array_get_idx(a, 3);
        check_finding(x, "vm-9", "vm", "hv01", "nested_hv", "VM is powered on");
        check_bool(get(x, "expected"), true);
        check_bool(get(x, "actual"), false);

        x = json_object_array_get_idx(t, 0);
        check_finding(x, "vm-3", "vm", "golden image", "nested_hv", "template: fix it");
        CHECK_STREQ(get_str(x, "actual"), "unset");

        json_object_put(root);
}

static void test_json_empty(void) {
        nw_findings f = {};
        _cleanup_free_ char *s = NULL;
        json_object *root;

        CHECK_INTEQ(report_json(NULL, &f, &s), 0);
        check_as_one_tree(s);
        root = s ? json_tokener_parse(s) : NULL;
        CHECK(root);
        CHECK(json_object_object_get_ex(root, "vcenter", NULL) && !get(root, "vcenter"));
        CHECK_INTEQ(json_object_get_int64(get(get(root, "checked"), "vms")), 0);
        CHECK_INTEQ(json_object_array_length(get(root, "findings")), 0);
        CHECK_INTEQ(json_object_array_length(get(root, "template_findings")), 0);
        json_object_put(root);

        CHECK_INTEQ(report_json(NULL, NULL, &s), -EINVAL);

        /* Notices, and a document with every array filled, as json-c would print it whole. */
        {
                nw_notice n[] = {
                        { NW_NOTICE_PORT_OVERRIDE_ALLOWED, NW_KIND_DVPG, "dvportgroup-1", "pg \"a\"/b", "ports may" },
                        { NW_NOTICE_PORT_OVERRIDE_ALLOWED, NW_KIND_DVPG, "dvportgroup-2", NULL, "" },
                };
                nw_findings g = sample_findings();
                _cleanup_free_ char *doc = NULL;

                g.notices = n;
                g.n_notices = ELEMENTSOF(n);
                CHECK_INTEQ(report_json("https://vc/sdk", &g, &doc), 0);
                check_as_one_tree(doc);
                CHECK(doc && strstr(doc, "\"detail\":\"ports may\""));
        }
}

/* --- table --- */

/* The line'th line of s (0-based) copied to buf; false past the end. */
static bool line_at(const char *s, size_t line, char *buf, size_t size) {
        for (; line > 0; line--) {
                s = strchr(s, '\n');
                if (!s)
                        return false;
                s++;
        }
        if (!*s)
                return false;
        snprintf(buf, size, "%.*s", (int) strcspn(s, "\n"), s);
        return true;
}

/* Where the col'th character (not byte) of a UTF-8 line starts. */
static const char *at_column(const char *s, size_t col) {
        for (; *s; s++)
                if (((unsigned char) *s & 0xc0) != 0x80 && col-- == 0)
                        return s;
        return s;
}

static size_t column_of(const char *line, const char *needle) {
        const char *p = strstr(line, needle);
        size_t col = 0;

        if (!p)
                return SIZE_MAX;
        for (const char *q = line; q < p; q++)
                if (((unsigned char) *q & 0xc0) != 0x80)
                        col++;
        return col;
}

static bool starts_at(const char *line, size_t col, const char *word) {
        return col != SIZE_MAX && strncmp(at_column(line, col), word, strlen(word)) == 0;
}

static void test_table(void) {
        nw_findings f = sample_findings();
        _cleanup_free_ char *s = NULL;
        static const struct {
                const char *kind, *object, *check, *expected, *actual, *hint;
        } rows[] = {
                { "dvportgroup", "dvportgroup-2", "promiscuous", "false", "unset", "reject promiscuous mode" },
                { "dvportgroup", "dvportgroup-2", "mac_learning_limit", "4096/drop", "unset/unset", "set the MAC" },
                { "portgroup", "host-1/VM Network", "forged_transmits", "true", "false", "accept forged" },
                { "vm", "vm-9", "nested_hv", "true", "false", "VM is powered on" },
                { .kind = NULL },
                { .kind = "Templates:" },
                { .kind = NULL },
                { "vm", "vm-3", "nested_hv", "true", "unset", "template: fix it" },
        };
        size_t col_object, col_name, col_check, col_expected, col_actual, col_hint;
        char header[512], line[512];

        CHECK_INTEQ(report_table("https://vc.example.com/sdk", &f, &s), 0);
        if (!s)
                return;
        CHECK(line_at(s, 0, header, sizeof(header)));
        CHECK(strncmp(header, "KIND", 4) == 0);
        col_object = column_of(header, "OBJECT");
        col_name = column_of(header, "NAME");
        col_check = column_of(header, "CHECK");
        col_expected = column_of(header, "EXPECTED");
        col_actual = column_of(header, "ACTUAL");
        col_hint = column_of(header, "HINT");
        CHECK(col_object < col_name && col_name < col_check && col_check < col_expected &&
              col_expected < col_actual && col_actual < col_hint && col_hint != SIZE_MAX);
        CHECK(col_hint <= 110); /* the capped columns leave room for the hint */

        for (size_t i = 0; i < ELEMENTSOF(rows); i++) {
                CHECK(line_at(s, i + 1, line, sizeof(line)));
                if (!rows[i].kind) { /* the blank line, or the header repeated for templates */
                        CHECK(line[0] == '\0' || strcmp(line, header) == 0);
                        continue;
                }
                if (!rows[i].object) {
                        CHECK_STREQ(line, rows[i].kind);
                        continue;
                }
                CHECK(starts_at(line, 0, rows[i].kind));
                CHECK(starts_at(line, col_object, rows[i].object));
                CHECK(starts_at(line, col_check, rows[i].check));
                CHECK(starts_at(line, col_expected, rows[i].expected));
                CHECK(starts_at(line, col_actual, rows[i].actual));
                CHECK(starts_at(line, col_hint, rows[i].hint));
                CHECK(line[strlen(line) - 1] != ' ');
        }
        /* Name column: a UTF-8 name longer than the column is cut with an ellipsis, alignment kept. */
        CHECK(line_at(s, 1, line, sizeof(line)));
        CHECK(starts_at(line, col_name, "lab \"nested\" \\ ✓ Ün"));
        CHECK(strstr(line, "…  promiscuous"));

        CHECK(line_at(s, ELEMENTSOF(rows) + 1, line, sizeof(line)) && line[0] == '\0');
        CHECK(line_at(s, ELEMENTSOF(rows) + 2, line, sizeof(line)));
        CHECK_STREQ(line, "checked 2 VMs, 1 template, 3 portgroups: 5 findings on 4 objects");
        CHECK(!line_at(s, ELEMENTSOF(rows) + 3, line, sizeof(line)));
        CHECK(s[strlen(s) - 1] == '\n');
}

static void test_table_compliant(void) {
        nw_findings f = { .vms = 1, .templates = 0, .portgroups = 1 };
        _cleanup_free_ char *s = NULL;

        CHECK_INTEQ(report_table(NULL, &f, &s), 0);
        CHECK_STREQ(s, "checked 1 VM, 0 templates, 1 portgroup: compliant\n");
        CHECK_INTEQ(report_table(NULL, NULL, &s), -EINVAL);
}

static void test_table_templates_only(void) {
        nw_findings f = { .v = (nw_finding *) &sample[3], .n = 1, .templates = 1 };
        _cleanup_free_ char *s = NULL;
        char line[512];

        CHECK_INTEQ(report_table(NULL, &f, &s), 0);
        if (!s)
                return;
        CHECK(line_at(s, 0, line, sizeof(line)));
        CHECK_STREQ(line, "Templates:");
        CHECK(line_at(s, 1, line, sizeof(line)) && strncmp(line, "KIND", 4) == 0);
        CHECK(line_at(s, 2, line, sizeof(line)) && strstr(line, "vm-3"));
        CHECK(strstr(s, "\nchecked 0 VMs, 1 template, 0 portgroups: 1 finding on 1 object\n"));
}

/* However long the cells, the hint starts within 110 columns and is printed whole. */
static void test_table_caps(void) {
        nw_finding x = { .kind = NW_KIND_DVPG, .object = "host-1234/a very long portgroup name indeed",
                         .name = "another very long name that goes on", .check = NW_CHECK_NESTED_HV_SUPPORTED,
                         .expected = VL(INT64_MAX, "allow"), .actual = VL(INT64_MAX, "allow"),
                         .hint = "the whole hint survives" };
        nw_findings f = { .v = &x, .n = 1, .portgroups = 1 };
        _cleanup_free_ char *s = NULL;
        char header[512], line[512];
        size_t col;

        CHECK_INTEQ(report_table(NULL, &f, &s), 0);
        if (!s)
                return;
        CHECK(line_at(s, 0, header, sizeof(header)));
        CHECK(line_at(s, 1, line, sizeof(line)));
        col = column_of(header, "HINT");
        CHECK(col <= 110);
        CHECK(starts_at(line, col, "the whole hint survives"));
        CHECK(strstr(line, "dvportgroup  host-1234/a very long p…  another very long n…  nested_hv_supported  9223372036…  92233720368…  the whole"));
}

/* Names come from vCenter: escape sequences and broken UTF-8 must not reach the terminal. */
static void test_table_hostile_name(void) {
        nw_finding x = { .kind = NW_KIND_VM, .object = "vm-1", .name = "a\x1b[31mred\n\xc2\x9b" "2J\xff",
                         .check = NW_CHECK_NESTED_HV, .expected = VB(true), .actual = VB(false),
                         .hint = "line\tbreak" };
        nw_findings f = { .v = &x, .n = 1, .vms = 1 };
        _cleanup_free_ char *s = NULL;
        char line[512];

        CHECK_INTEQ(report_table(NULL, &f, &s), 0);
        if (!s)
                return;
        CHECK(!strchr(s, '\x1b'));
        CHECK(!strchr(s, '\t'));
        CHECK(!strstr(s, "\xc2\x9b"));
        CHECK(!strchr(s, '\xff'));
        CHECK(line_at(s, 1, line, sizeof(line)));
        CHECK(strstr(line, "a?[31mred??2J?")); /* one '?' per character, \xc2\x9b included */
        CHECK(strstr(line, "line?break"));
        CHECK(line_at(s, 2, line, sizeof(line)) && line[0] == '\0');
}

/* Strictly valid UTF-8 (RFC 3629), for checking what we print. */
static bool valid_utf8(const unsigned char *u) {
        while (*u) {
                size_t n = *u < 0x80 ? 1 : *u >= 0xc2 && *u <= 0xdf ? 2 : *u >= 0xe0 && *u <= 0xef ? 3 :
                           *u >= 0xf0 && *u <= 0xf4 ? 4 : 0;
                unsigned cp;

                if (n == 0)
                        return false;
                cp = n == 1 ? *u : *u & (0xff >> (n + 1));
                for (size_t i = 1; i < n; i++) {
                        if ((u[i] & 0xc0) != 0x80)
                                return false;
                        cp = cp << 6 | (u[i] & 0x3f);
                }
                if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
                    (cp >= 0xd800 && cp <= 0xdfff))
                        return false;
                u += n;
        }
        return true;
}

/* Bidirectional controls ("Trojan Source"), C1 controls and every kind of broken UTF-8: one '?' per
 * character on a terminal, valid UTF-8 and valid JSON in the document. */
static void test_hostile_names(void) {
        static const struct {
                const char *in, *out;
        } cases[] = {
                { "vm-\xe2\x80\xae" "3pm.exe", "vm-?3pm.exe" },                   /* U+202E RIGHT-TO-LEFT OVERRIDE */
                { "\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad", "????" },  /* U+202A-D */
                { "a\xe2\x81\xa6" "b\xe2\x81\xa7" "c\xe2\x81\xa8" "d\xe2\x81\xa9", "a?b?c?d?" }, /* U+2066-9 */
                { "\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c", "???" },                   /* LRM, RLM, ALM */
                { "x\xe2\x80\xa8y\xe2\x80\xa9z", "x?y?z" },                      /* U+2028/9 separators */
                { "\xc2\x85\xc2\x9b", "??" },                                    /* NEL, CSI (C1) */
                { "\xe2\x80\x93 \xe2\x80\x9c\xe2\x80\x9d \xe2\x80\xb0 \xe2\x81\xb0", "– “” ‰ ⁰" }, /* neighbours stay */
                { "\xc0\xaf\xe0\x80\xaf", "?????" },                             /* overlong '/' */
                { "\xed\xa0\x80", "???" },                                       /* a UTF-16 surrogate */
                { "\xf4\x90\x80\x80", "????" },                                  /* past U+10FFFF */
                { "\xe2\x80", "??" },                                            /* cut short */
                { "\xf0\x9f\x90\xa2 ok", "\xf0\x9f\x90\xa2 ok" },                /* 4-byte characters stay */
        };
        char buf[64];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                nw_finding x = { .kind = NW_KIND_VM, .object = "vm-1", .name = strdupa(cases[i].in),
                                 .check = NW_CHECK_NESTED_HV, .expected = VB(true), .actual = VB(false), .hint = "h" };
                nw_findings f = { .v = &x, .n = 1, .vms = 1 };
                _cleanup_free_ char *table = NULL, *json = NULL;
                json_object *root;

                report_sanitize(cases[i].in, buf, sizeof(buf));
                if (strcmp(buf, cases[i].out) != 0)
                        fprintf(stderr, "case #%zu\n", i);
                CHECK_STREQ(buf, cases[i].out);

                CHECK_INTEQ(report_table(NULL, &f, &table), 0);
                CHECK(table && strstr(table, cases[i].out));
                CHECK(table && valid_utf8((const unsigned char *) table));

                CHECK_INTEQ(report_json(NULL, &f, &json), 0);
                if (!json)
                        continue;
                CHECK(valid_utf8((const unsigned char *) json));
                check_as_one_tree(json);
                root = json_tokener_parse(json);
                CHECK(root != NULL);
                json_object_put(root);
        }

        /* In the document a broken byte becomes U+FFFD and the rest stays as vCenter sent it. */
        {
                nw_finding x = { .kind = NW_KIND_VM, .object = "vm-1", .name = "a\xff" "b\xe2\x80\xae" "c\n",
                                 .check = NW_CHECK_NESTED_HV, .expected = VB(true), .actual = VB(false), .hint = "h" };
                nw_findings f = { .v = &x, .n = 1, .vms = 1 };
                _cleanup_free_ char *json = NULL;
                json_object *root;

                CHECK_INTEQ(report_json(NULL, &f, &json), 0);
                root = json ? json_tokener_parse(json) : NULL;
                CHECK_STREQ(get_str(json_object_array_get_idx(get(root, "findings"), 0), "name"),
                            "a\xef\xbf\xbd" "b\xe2\x80\xae" "c\n");
                json_object_put(root);
        }
}

int main(void) {
        test_hostile_names();
        test_json();
        test_json_empty();
        test_table();
        test_table_compliant();
        test_table_templates_only();
        test_table_caps();
        test_table_hostile_name();
        {
                char buf[32];

                report_sanitize("ok \x1b[31mred\x9b ünï", buf, sizeof(buf));
                CHECK_STREQ(buf, "ok ?[31mred? ünï");
                report_sanitize("abcdef", buf, 4);
                CHECK_STREQ(buf, "abc");
                report_sanitize(NULL, buf, sizeof(buf));
                CHECK_STREQ(buf, "");
        }
        return tap_exit("report");
}
