/* Findings as people and scripts read them: the aligned table and the --json document. */
#include "report.h"
#include "json-util.h"

#include <string.h>


/* Bytes of the well-formed UTF-8 sequence at p (RFC 3629: no overlongs, surrogates or code points
 * past U+10FFFF), or 0 when it is not one. */
static size_t utf8_len(const char *p) {
        const unsigned char *u = (const unsigned char *) p;
        unsigned char lo = 0x80, hi = 0xbf;
        size_t n;

        if (u[0] < 0x80)
                return 1;
        if (u[0] >= 0xc2 && u[0] <= 0xdf)
                n = 2;
        else if (u[0] >= 0xe0 && u[0] <= 0xef) {
                n = 3;
                if (u[0] == 0xe0)
                        lo = 0xa0;
                else if (u[0] == 0xed)
                        hi = 0x9f;
        } else if (u[0] >= 0xf0 && u[0] <= 0xf4) {
                n = 4;
                if (u[0] == 0xf0)
                        lo = 0x90;
                else if (u[0] == 0xf4)
                        hi = 0x8f;
        } else
                return 0;
        if (u[1] < lo || u[1] > hi)
                return 0;
        for (size_t i = 2; i < n; i++)
                if ((u[i] & 0xc0) != 0x80)
                        return 0;
        return n;
}

/* A JSON string for s: json-c escapes control characters but copies other bytes as they are, so
 * broken UTF-8 from vCenter would make the document invalid. Each broken byte becomes U+FFFD. */
static json_object *json_text(const char *s) {
        _cleanup_buf_ nw_buf b = {};
        const char *p;

        for (p = s; *p; p += utf8_len(p))
                if (utf8_len(p) == 0)
                        break;
        if (!*p)
                return json_object_new_string(s);
        for (p = s; *p;) {
                size_t n = utf8_len(p);

                if (n == 0) {
                        nw_buf_puts(&b, "\xef\xbf\xbd");
                        p++;
                } else {
                        nw_buf_append(&b, p, n);
                        p += n;
                }
        }
        return b.oom ? NULL : json_object_new_string_len(b.data, (int) b.len);
}

/* --- JSON --- */

/* Takes ownership of v; a NULL v is a failed allocation, not a JSON null. */
static int json_add(json_object *o, const char *key, json_object *v) {
        if (!v)
                return -ENOMEM;
        if (json_object_object_add(o, key, v) < 0) {
                json_object_put(v);
                return -ENOMEM;
        }
        return 0;
}

static int json_add_null(json_object *o, const char *key) {
        return json_object_object_add(o, key, NULL) < 0 ? -ENOMEM : 0;
}

static int json_add_string(json_object *o, const char *key, const char *s) {
        return s ? json_add(o, key, json_text(s)) : json_add_null(o, key);
}

static int json_add_value(json_object *o, const char *key, const nw_value *v) {
        _cleanup_json_ json_object *l = NULL;
        int r;

        switch (v->type) {
        case NW_VAL_BOOL:
                return json_add(o, key, json_object_new_boolean(v->b));
        case NW_VAL_UNSET:
                return json_add(o, key, json_object_new_string("unset"));
        case NW_VAL_TEXT:
                return json_add_string(o, key, v->text);
        case NW_VAL_LIMIT:
                break;
        default:
                return -EINVAL;
        }

        l = json_object_new_object();
        if (!l)
                return -ENOMEM;
        r = v->limit >= 0 ? json_add(l, "limit", json_object_new_int64(v->limit)) : json_add_null(l, "limit");
        if (r < 0)
                return r;
        r = json_add_string(l, "limit_policy", v->limit_policy[0] ? v->limit_policy : NULL);
        if (r < 0)
                return r;
        r = json_add(o, key, l);
        l = NULL;
        return r;
}

/* What a finding or a notice is about: object, kind, name. */
static int json_add_subject(json_object *o, const char *object, nw_kind kind, const char *name) {
        int r = json_add_string(o, "object", object);

        if (r >= 0)
                r = json_add_string(o, "kind", nw_kind_to_string(kind));
        return r < 0 ? r : json_add_string(o, "name", name);
}

static int finding_json(const nw_finding *x, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_subject(o, x->object, x->kind, x->name);
        if (r >= 0)
                r = json_add_string(o, "check", nw_check_to_string(x->check));
        if (r >= 0)
                r = json_add_value(o, "expected", &x->expected);
        if (r >= 0)
                r = json_add_value(o, "actual", &x->actual);
        if (r >= 0)
                r = json_add_string(o, "hint", x->hint);
        if (r < 0)
                return r;

        *ret = o;
        o = NULL;
        return 0;
}

/* The document is written a member and an element at a time, each finding serialized and let go
 * before the next, in json-c's own pretty form (what printing the whole tree gave, byte for byte:
 * the unit test holds it to that): as one tree, 9,000 tagged VMs' findings cost 8 MB. */

/* s with every line after its first indented by indent. */
static void put_indented(nw_buf *b, const char *s, const char *indent) {
        for (const char *nl; (nl = strchr(s, '\n')); s = nl + 1) {
                nw_buf_append(b, s, (size_t) (nl - s + 1));
                nw_buf_puts(b, indent);
        }
        nw_buf_puts(b, s);
}

/* json-c's pretty form of o (NULL: null), at the depth indent says; takes ownership of o. */
static int put_json(nw_buf *b, json_object *o, const char *indent) {
        const char *s = "null";

        if (o)
                s = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
        if (s)
                put_indented(b, s, indent);
        json_object_put(o);
        return !s || b->oom ? -ENOMEM : 0;
}

static void put_key(nw_buf *b, const char *key, bool first) {
        nw_buf_printf(b, "%s\n  \"%s\":", first ? "" : ",", key);
}

/* One array member: elements one at a time from next(f, &i, &o), which gives 0 and the next element
 * (*i moved past it), 1 at the end, or a negative error. */
typedef int (*next_element_fn)(const nw_findings *f, size_t *i, json_object **ret);

static int put_array(nw_buf *b, const char *key, const nw_findings *f, next_element_fn next) {
        size_t i = 0, n = 0;
        int r;

        put_key(b, key, false);
        nw_buf_puts(b, "[");
        for (;;) {
                json_object *o = NULL;

                r = next(f, &i, &o);
                if (r < 0)
                        return r;
                if (r > 0)
                        break;
                nw_buf_puts(b, n++ ? ",\n    " : "\n    ");
                r = put_json(b, o, "    ");
                if (r < 0)
                        return r;
        }
        nw_buf_puts(b, "\n  ]");
        return b->oom ? -ENOMEM : 0;
}

static int next_finding(const nw_findings *f, bool templates, size_t *i, json_object **ret) {
        for (; *i < f->n; (*i)++)
                if (f->v[*i].template == templates)
                        return finding_json(&f->v[(*i)++], ret);
        return 1;
}

static int next_vm_finding(const nw_findings *f, size_t *i, json_object **ret) {
        return next_finding(f, false, i, ret);
}

static int next_template_finding(const nw_findings *f, size_t *i, json_object **ret) {
        return next_finding(f, true, i, ret);
}

static int next_notice(const nw_findings *f, size_t *i, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        const nw_notice *x;
        int r;

        if (*i >= f->n_notices)
                return 1;
        x = &f->notices[(*i)++];
        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add_subject(o, x->object, x->kind, x->name);
        if (r >= 0)
                r = json_add_string(o, "notice", nw_notice_type_to_string(x->type));
        if (r >= 0)
                r = json_add_string(o, "detail", x->detail);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(o);
        return 0;
}

static int checked_json(const nw_findings *f, json_object **ret) {
        _cleanup_json_ json_object *o = NULL;
        int r;

        o = json_object_new_object();
        if (!o)
                return -ENOMEM;
        r = json_add(o, "vms", json_object_new_int64((int64_t) f->vms));
        if (r >= 0)
                r = json_add(o, "templates", json_object_new_int64((int64_t) f->templates));
        if (r >= 0)
                r = json_add(o, "portgroups", json_object_new_int64((int64_t) f->portgroups));
        if (r >= 0)
                r = json_add(o, "ports", json_object_new_int64((int64_t) f->ports));
        if (r >= 0)
                r = json_add(o, "unreadable", json_object_new_int64((int64_t) f->unreadable));
        if (r < 0)
                return r;

        *ret = o;
        o = NULL;
        return 0;
}

int report_json(const char *vcenter, const nw_findings *f, char **ret) {
        _cleanup_buf_ nw_buf b = {};
        json_object *o = NULL;
        int r;

        if (!f || !ret)
                return -EINVAL;

        nw_buf_puts(&b, "{");
        put_key(&b, "vcenter", true);
        if (vcenter && !(o = json_text(vcenter)))
                return -ENOMEM;
        r = put_json(&b, o, "  ");
        if (r < 0)
                return r;
        put_key(&b, "checked", false);
        r = checked_json(f, &o);
        if (r < 0 || (r = put_json(&b, o, "  ")) < 0)
                return r;
        r = put_array(&b, "findings", f, next_vm_finding);
        if (r >= 0)
                r = put_array(&b, "template_findings", f, next_template_finding);
        if (r >= 0)
                r = put_array(&b, "notices", f, next_notice);
        if (r < 0)
                return r;
        nw_buf_puts(&b, "\n}\n");
        if (b.oom)
                return -ENOMEM;
        *ret = TAKE_PTR(b.data);
        return 0;
}

/* --- Table --- */

/* Bytes of the printable UTF-8 character at p, or 0 for a control byte or broken sequence: names come
 * from vCenter and may hold anything, including escape sequences we must not send to a terminal. */
static size_t glyph_len(const char *p) {
        const unsigned char *u = (const unsigned char *) p;
        size_t n;

        if (u[0] < 0x20 || u[0] == 0x7f)
                return 0;
        n = utf8_len(p);
        if (n == 2 && ((u[0] == 0xc2 && u[1] < 0xa0) || /* C1 controls, e.g. the 8-bit CSI */
                       (u[0] == 0xd8 && u[1] == 0x9c)))  /* U+061C ARABIC LETTER MARK */
                return 0;
        /* Bidirectional controls reorder what follows on the screen (a name that reads as another,
         * "Trojan Source"): U+200E/F marks, U+202A-E embeddings and overrides, U+2066-9 isolates;
         * and U+2028/9, line and paragraph separators. */
        if (n == 3 && u[0] == 0xe2 &&
            ((u[1] == 0x80 && (u[2] == 0x8e || u[2] == 0x8f || (u[2] >= 0xa8 && u[2] <= 0xae))) ||
             (u[1] == 0x81 && u[2] >= 0xa6 && u[2] <= 0xa9)))
                return 0;
        return n;
}

/* How far to step past what glyph_len() refused: a whole character when it is valid UTF-8 (one '?'
 * for it), one byte when broken. */
static size_t skip_len(const char *p) {
        size_t n = utf8_len(p);

        return n ? n : 1;
}

void report_sanitize(const char *s, char *buf, size_t size) {
        size_t used = 0;

        if (size == 0)
                return;
        for (const char *p = s ? s : ""; *p;) {
                size_t n = glyph_len(p);

                if (used + (n ? n : 1) >= size)
                        break;
                if (n == 0) {
                        buf[used++] = '?';
                        p += skip_len(p);
                } else {
                        memcpy(buf + used, p, n);
                        used += n;
                        p += n;
                }
        }
        buf[used] = '\0';
}

/* Columns taken on a terminal, one per character: wide (CJK) characters will misalign, which is
 * cosmetic; asking wcwidth() would make the library depend on the caller's locale. */
static size_t text_width(const char *s) {
        size_t w = 0;

        for (const char *p = s; *p; w++) {
                size_t n = glyph_len(p);
                p += n ? n : skip_len(p);
        }
        return w;
}

/* Writes s in at most width columns, cut with "…" when longer, padded when pad is set. */
static void put_cell(nw_buf *b, const char *s, size_t width, bool pad) {
        bool cut = text_width(s) > width;
        size_t keep = cut ? width - 1 : width, used = 0;

        for (const char *p = s; *p && used < keep; used++) {
                size_t n = glyph_len(p);

                if (n == 0) {
                        nw_buf_puts(b, "?");
                        p += skip_len(p);
                } else {
                        nw_buf_append(b, p, n);
                        p += n;
                }
        }
        if (cut) {
                nw_buf_puts(b, "…");
                used++;
        }
        for (; pad && used < width; used++)
                nw_buf_puts(b, " ");
}

enum {
        COL_KIND,
        COL_OBJECT,
        COL_NAME,
        COL_CHECK,
        COL_EXPECTED,
        COL_ACTUAL,
        COL_HINT,
        _COL_MAX,
};

/* Caps keep the hint column within 110 columns of a 120-column terminal; cut cells end in "…", and
 * the JSON document always has the full text. The hint itself is never wrapped: one finding stays one
 * line, so grep keeps working, and the terminal wraps the tail. */
static const struct {
        const char *title;
        size_t max;
} columns[_COL_MAX] = {
        [COL_KIND] = { "KIND", 11 },
        [COL_OBJECT] = { "OBJECT", 24 },
        [COL_NAME] = { "NAME", 20 },
        [COL_CHECK] = { "CHECK", 19 },
        [COL_EXPECTED] = { "EXPECTED", 11 },
        [COL_ACTUAL] = { "ACTUAL", 12 }, /* NoPermission */
        [COL_HINT] = { "HINT", SIZE_MAX },
};

typedef struct row {
        const char *cell[_COL_MAX];
        char expected[64], actual[64];
} row;

static void row_fill(row *r, const nw_finding *x) {
        const char *kind = nw_kind_to_string(x->kind), *check = nw_check_to_string(x->check);

        /* Truncation only shortens a cell that the column cap would cut anyway. */
        (void) nw_value_to_string(&x->expected, r->expected, sizeof(r->expected));
        (void) nw_value_to_string(&x->actual, r->actual, sizeof(r->actual));
        r->cell[COL_KIND] = kind ? kind : "?";
        r->cell[COL_OBJECT] = x->object ? x->object : "";
        r->cell[COL_NAME] = x->name ? x->name : "";
        r->cell[COL_CHECK] = check ? check : "?";
        r->cell[COL_EXPECTED] = r->expected;
        r->cell[COL_ACTUAL] = r->actual;
        r->cell[COL_HINT] = x->hint;
}

static void put_row(nw_buf *b, const char *const *cells, const size_t *width) {
        for (size_t c = 0; c < COL_HINT; c++) {
                put_cell(b, cells[c], width[c], true);
                nw_buf_puts(b, "  ");
        }
        put_cell(b, cells[COL_HINT], SIZE_MAX, false);
        /* An empty hint would leave the padding of the other cells dangling. */
        while (!b->oom && b->len > 0 && b->data[b->len - 1] == ' ')
                b->data[--b->len] = '\0';
        nw_buf_puts(b, "\n");
}

static void put_section(nw_buf *b, const nw_findings *f, bool templates, const size_t *width) {
        const char *titles[_COL_MAX];

        for (size_t c = 0; c < _COL_MAX; c++)
                titles[c] = columns[c].title;
        put_row(b, titles, width);

        for (size_t i = 0; i < f->n; i++) {
                row r;

                if (f->v[i].template != templates)
                        continue;
                row_fill(&r, &f->v[i]);
                put_row(b, r.cell, width);
        }
}

static int object_cmp(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int count_objects(const nw_findings *f, size_t *ret) {
        _cleanup_free_ const char **v = NULL;
        size_t n = 0;

        if (f->n == 0) {
                *ret = 0;
                return 0;
        }
        v = calloc(f->n, sizeof(*v));
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < f->n; i++)
                v[i] = f->v[i].object ? f->v[i].object : "";
        qsort(v, f->n, sizeof(*v), object_cmp);
        for (size_t i = 0; i < f->n; i++)
                if (i == 0 || strcmp(v[i - 1], v[i]) != 0)
                        n++;

        *ret = n;
        return 0;
}

static const char *plural(size_t n) {
        return n == 1 ? "" : "s";
}

/* vcenter is not repeated here: the JSON document names it for scripts, and a person knows which
 * vCenter they asked. */
int report_table(const char *vcenter, const nw_findings *f, char **ret) {
        _cleanup_buf_ nw_buf b = {};
        size_t width[_COL_MAX], n_templates = 0, n_objects;
        char *out;
        int r;

        if (!f || !ret)
                return -EINVAL;

        for (size_t c = 0; c < _COL_MAX; c++)
                width[c] = text_width(columns[c].title);
        for (size_t i = 0; i < f->n; i++) {
                row rw;

                row_fill(&rw, &f->v[i]);
                for (size_t c = 0; c < _COL_MAX; c++) {
                        size_t w = text_width(rw.cell[c]);
                        if (w > width[c])
                                width[c] = w < columns[c].max ? w : columns[c].max;
                }
                if (f->v[i].template)
                        n_templates++;
        }

        if (f->n > n_templates)
                put_section(&b, f, false, width);
        if (n_templates > 0) {
                if (f->n > n_templates)
                        nw_buf_puts(&b, "\n");
                nw_buf_puts(&b, "Templates:\n");
                put_section(&b, f, true, width);
        }
        if (f->n > 0)
                nw_buf_puts(&b, "\n");
        /* Not drift: where drift can come from, said once so that an admin can close the door. */
        for (size_t i = 0; i < f->n_notices; i++) {
                char name[256];

                report_sanitize(f->notices[i].name, name, sizeof(name));
                nw_buf_printf(&b, "notice: %s %s (%s): %s\n", nw_kind_to_string(f->notices[i].kind), name,
                              f->notices[i].object, f->notices[i].detail);
        }
        if (f->n_notices > 0)
                nw_buf_puts(&b, "\n");

        r = count_objects(f, &n_objects);
        if (r < 0)
                return r;
        nw_buf_printf(&b, "checked %zu VM%s, %zu template%s, %zu portgroup%s",
                      f->vms, plural(f->vms), f->templates, plural(f->templates),
                      f->portgroups, plural(f->portgroups));
        if (f->ports > 0)
                nw_buf_printf(&b, ", %zu port%s", f->ports, plural(f->ports));
        nw_buf_puts(&b, ": ");
        if (f->n > 0)
                nw_buf_printf(&b, "%zu finding%s on %zu object%s", f->n, plural(f->n), n_objects, plural(n_objects));
        else
                nw_buf_puts(&b, "compliant");
        /* Never a bare count: the admin must see that the verdict is incomplete. */
        if (f->unreadable > 0)
                nw_buf_printf(&b, "; %zu object%s could not be read: compliance unknown", f->unreadable,
                              plural(f->unreadable));
        nw_buf_puts(&b, "\n");

        /* Appends latch their failure in b.oom, so one check covers them all. */
        out = nw_buf_steal(&b);
        if (!out)
                return -ENOMEM;
        *ret = out;
        return 0;
}
