/* lib/soap.c on arbitrary reply bodies: soap_parse_reply (envelope, fault decoding), then the tree
 * walkers and soap_emit over what it returns, as the vim25 calls use them; and the same body read
 * as a stream of records, in pieces whose size the input picks: the records' walk must agree with
 * the whole parse on success or failure. */
#include <ctype.h>
#include <libxml/parser.h>
#include <string.h>

#include "fuzz.h"
#include "soap.h"

/* The method whose reply this looks like: the first "XResponse" element name in the bytes, so that
 * the success path is reachable; a guess only, soap_parse_reply still checks it on the tree. */
static void guess_method(const uint8_t *data, size_t size, char *buf, size_t bufsize) {
        static const char suffix[] = "Response";
        const uint8_t *end = data + size, *p = data;

        snprintf(buf, bufsize, "RetrievePropertiesEx");
        while ((p = memmem(p, (size_t) (end - p), suffix, sizeof(suffix) - 1))) {
                const uint8_t *s = p;

                while (s > data && (isalnum(s[-1]) || s[-1] == '_') && (size_t) (p - s) < bufsize - 1)
                        s--;
                if (s < p && s > data && (s[-1] == '<' || s[-1] == ':')) {
                        snprintf(buf, bufsize, "%.*s", (int) (p - s), (const char *) s);
                        return;
                }
                p += sizeof(suffix) - 1;
        }
}

static void walk(const xmlNode *n, unsigned depth) {
        char tbuf[64];

        /* The replies nestwarden reads are a few levels deep; libxml2 caps depth itself. */
        for (const xmlNode *c = soap_child(n, NULL); c && depth < 256; c = soap_next(c, NULL)) {
                const char *t = soap_text(c), *x = soap_xsi_type(c, tbuf, sizeof(tbuf));

                FUZZ_ASSERT(!x || strlen(x) < sizeof(tbuf));
                (void) soap_bool(t);
                (void) soap_child_text(c, "val");
                walk(c, depth + 1);
        }
}

static int on_record(void *userdata, const xmlNode *record, nw_err *err) {
        unsigned *n = userdata;

        (*n)++;
        walk(record, 0);
        return 0;
}

/* Records at returnval/<any>: every shape of call nestwarden streams (objects, filterSet/…, ports). */
static int parse_streamed(const uint8_t *data, size_t size, const char *method, int whole) {
        static const char *const path[] = { "returnval", "*", NULL };
        unsigned n = 0;
        soap_records records = { .path = path, .fn = on_record, .userdata = &n };
        xmlDoc *doc = NULL;
        xmlNode *res = NULL;
        nw_err err = {};
        size_t chunk = size ? 1 + data[size - 1] % 61 : 0;
        int r;

        r = soap_parse_reply_records((const char *) data, size, chunk, 200, method, &records, NULL, &doc, &res, &err);
        /* Refused whole means refused streamed; the converse need not hold (the elements kept beside
         * the records are bounded only when streaming). */
        FUZZ_ASSERT(whole == 0 || r < 0);
        FUZZ_ASSERT((r < 0) == (doc == NULL));
        if (r < 0)
                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0');
        xmlFreeDoc(doc);
        return r;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        xmlInitParser();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        _cleanup_buf_ nw_buf out = {};
        xmlNode *res = NULL;
        nw_err err = {};
        char method[64];
        int r;

        guess_method(data, size, method, sizeof(method));
        r = soap_parse_reply((const char *) data, size, 200, method, &doc, &res, &err);
        FUZZ_LOG("%s: %s\n", method, r < 0 ? err.msg : "ok");
        (void) parse_streamed(data, size, method, r);
        if (r < 0) {
                /* Every failure says what went wrong, and a fault says which. */
                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0' && strlen(err.msg) < sizeof(err.msg));
                FUZZ_ASSERT(r != -NW_ESOAPFAULT || err.fault[0] != '\0');
                FUZZ_ASSERT(!doc && !res);
                return 0;
        }
        FUZZ_ASSERT(r == 0 && doc && res);
        FUZZ_ASSERT(strncmp((const char *) res->name, method, strlen(method)) == 0);
        walk(res, 0);
        /* What nestwarden sends back of a reply (a host's portgroup spec) goes through soap_emit. */
        r = soap_emit(&out, res);
        FUZZ_ASSERT(r == 0 && out.data && !out.oom);
        return 0;
}
