/* vapi: the attached-objects parser on right and wrong shapes, session tokens that must never reach
 * a header, and the tag ids kept between refreshes (what each outcome of a listing costs, and when
 * names are looked up again). The transport is a stand-in (below) answering with scripted replies,
 * then one canned reply, and recording the requests and headers sent. */
#include <string.h>

#include "tap.h"
#include "vapi.h"

#define TOKEN_TEST_LEN 4097

typedef struct reply {
        long status;
        const char *body;
} reply;

static long canned_status;
static const char *canned_body;
static const reply *script;     /* answered in order before the canned reply */
static size_t script_next;
static unsigned requests;
static char sent_headers[4096];
static char sent_requests[4096]; /* "METHOD URL-after-the-host" per line */

int nw_http_do(nw_http *h, const nw_http_req *req, long *ret_status, nw_buf *ret_body, nw_err *err) {
        const char *path = strstr(req->url, "://") ? strchr(strstr(req->url, "://") + 3, '/') : req->url;
        const char *body = canned_body;

        requests++;
        for (const char *const *p = req->headers; p && *p; p++)
                snprintf(sent_headers + strlen(sent_headers), sizeof(sent_headers) - strlen(sent_headers), "%s\n", *p);
        snprintf(sent_requests + strlen(sent_requests), sizeof(sent_requests) - strlen(sent_requests), "%s %s\n",
                 req->method, path ? path : req->url);
        *ret_status = canned_status;
        if (script && script[script_next].status) {
                *ret_status = script[script_next].status;
                body = script[script_next++].body;
        }
        nw_buf_done(ret_body);
        return nw_buf_puts(ret_body, body);
}

static void check_attached(const char *json, bool legacy, int code, const char *msg_or_vms) {
        nw_strv vms = {};
        nw_err err = {};
        int r;

        r = vapi_parse_attached(json, strlen(json), legacy, &vms, &err);
        if (r != code)
                fprintf(stderr, "case %s\n", json);
        CHECK_INTEQ(r, code);
        if (r < 0) {
                CHECK_STREQ(err.msg, msg_or_vms);
                CHECK_INTEQ(vms.n, 0);
        } else {
                nw_buf joined = {};

                for (size_t i = 0; i < vms.n; i++)
                        nw_buf_printf(&joined, "%s%s", i ? "," : "", vms.v[i]);
                CHECK_STREQ(joined.data ? joined.data : "", msg_or_vms);
                nw_buf_done(&joined);
        }
        nw_strv_done(&vms);
}

static void test_attached(void) {
        static const char call[] = "list-attached-objects-on-tags: ";

        /* Right shapes: VMs only, deduplicated, in order; /rest wraps in "value". */
        check_attached("[{\"tag_id\":\"t\",\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"vm-2\"},"
                       "{\"type\":\"HostSystem\",\"id\":\"host-1\"},{\"type\":\"VirtualMachine\",\"id\":\"vm-1\"}]},"
                       "{\"tag_id\":\"u\",\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"vm-2\"}]}]\n",
                       false, 0, "vm-2,vm-1");
        check_attached("{\"value\":[{\"object_ids\":[{\"id\":\"vm-7\",\"type\":\"VirtualMachine\"}]}]}", true, 0, "vm-7");
        check_attached("[]", false, 0, "");
        check_attached("[{\"object_ids\":[]}]", false, 0, "");

        /* Wrong shapes: an error naming the call, never an empty set. */
        check_attached("{}", false, -NW_EREPLY, "list-attached-objects-on-tags: reply is not an array");
        check_attached("{\"value\":{}}", true, -NW_EREPLY, "list-attached-objects-on-tags: reply is not an array");
        check_attached("[{\"object_ids\":[]}]", true, -NW_EREPLY, "list-attached-objects-on-tags: reply has no \"value\"");
        check_attached("null", false, -NW_EREPLY, "list-attached-objects-on-tags: reply is not an array");
        check_attached("[\"vm-1\"]", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: entry #1 is not an object with an \"object_ids\" array");
        check_attached("[{\"object_ids\":[]},{\"tag_id\":\"t\"}]", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: entry #2 is not an object with an \"object_ids\" array");
        check_attached("[{\"object_ids\":{\"type\":\"VirtualMachine\",\"id\":\"vm-1\"}}]", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: entry #1 is not an object with an \"object_ids\" array");
        check_attached("[{\"object_ids\":[\"vm-1\"]}]", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: object #1 of entry #1 has no \"type\" and \"id\" strings");
        check_attached("[{\"object_ids\":[{\"type\":\"VirtualMachine\"}]}]", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: object #1 of entry #1 has no \"type\" and \"id\" strings");
        check_attached("[{\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":42}]}]", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: object #1 of entry #1 has no \"type\" and \"id\" strings");
        check_attached("[{\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"\"}]}]", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: object #1 of entry #1 has an empty id");

        /* Not JSON, or more than one value, or invalid UTF-8. */
        check_attached("", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: reply is not JSON: it ends in the middle of a value");
        check_attached("[{\"object_ids\":[", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: reply is not JSON: unexpected end of data");
        check_attached("[] []", false, -NW_EREPLY, "list-attached-objects-on-tags: reply is not JSON: more follows its value");
        check_attached("<html>503</html>", false, -NW_EREPLY,
                       "list-attached-objects-on-tags: reply is not JSON: unexpected character");
        {
                nw_strv vms = {};
                nw_err err = {};
                static const char with_nul[] = "[]\0[]";
                static const char bad_utf8[] = "[{\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"vm-\xff\"}]}]";

                CHECK_INTEQ(vapi_parse_attached(with_nul, sizeof(with_nul) - 1, false, &vms, &err), -NW_EREPLY);
                CHECK_STREQ(err.msg, "list-attached-objects-on-tags: reply is not JSON: more follows its value");
                CHECK_INTEQ(vapi_parse_attached(bad_utf8, strlen(bad_utf8), false, &vms, &err), -NW_EREPLY);
                CHECK(strncmp(err.msg, call, strlen(call)) == 0);
                CHECK_INTEQ(vms.n, 0);
        }
}

static void check_token(const char *body, const char *msg) {
        _cleanup_vapi_ nw_vapi *v = NULL;
        nw_err err = {};
        int r;

        requests = 0;
        sent_headers[0] = '\0';
        canned_status = 201;
        canned_body = body;
        r = vapi_login(NULL, "https://vc.example/sdk", "u", "p", &v, &err);
        if (!msg) {
                CHECK_INTEQ(r, 0);
                CHECK(v && v->token);
                return;
        }
        CHECK_INTEQ(r, -NW_EREPLY);
        CHECK(v == NULL);
        CHECK_STREQ(err.msg, msg);
        /* Refused at login: no request ever carried it. */
        CHECK_INTEQ(requests, 1);
        CHECK(strstr(sent_headers, "vmware-api-session-id") == NULL);
}

static void test_tokens(void) {
        char long_token[TOKEN_TEST_LEN + 3];

        check_token("\"3f1c0ad4b2e9\"", NULL);
        check_token("\"abc\\r\\nX-Injected: 1\"", "vAPI session: the session token contains CR or LF: refused, never put "
                                              "into a header");
        check_token("\"abc\\n\"", "vAPI session: the session token contains CR or LF: refused, never put into a header");
        check_token("\"a\\u0000b\"", "vAPI session: the session token contains a control, blank or non-ASCII "
                                   "character: refused, never put into a header");
        check_token("\"a b\"", "vAPI session: the session token contains a control, blank or non-ASCII character: "
                             "refused, never put into a header");
        check_token("\"\"", "vAPI session: the session token is empty");
        check_token("{\"token\":\"x\"}", "vAPI session: reply holds no session token");
        long_token[0] = '"';
        memset(long_token + 1, 'a', TOKEN_TEST_LEN);
        long_token[TOKEN_TEST_LEN + 1] = '"';
        long_token[TOKEN_TEST_LEN + 2] = '\0';
        check_token(long_token, "vAPI session: the session token is 4097 bytes long (at most 4096): refused");
}

/* The /rest walk to nested/nested-hyperv: categories c1 (env) and c2 (nested), tag t1 in c2. */
#define WALK_REPLIES                                                                                       \
        { 200, "{\"value\":[\"c1\",\"c2\"]}" }, { 200, "{\"value\":{\"name\":\"env\"}}" },              \
        { 200, "{\"value\":{\"name\":\"nested\"}}" }, { 200, "{\"value\":[\"t1\"]}" },                  \
        { 200, "{\"value\":{\"name\":\"nested-hyperv\",\"category_id\":\"c2\"}}" }
#define WALK_REQUESTS                                                                                      \
        "GET /rest/com/vmware/cis/tagging/category\n"                                                      \
        "GET /rest/com/vmware/cis/tagging/category/id:c1\n"                                                \
        "GET /rest/com/vmware/cis/tagging/category/id:c2\n"                                                \
        "POST /rest/com/vmware/cis/tagging/tag/id:c2?~action=list-tags-for-category\n"                     \
        "GET /rest/com/vmware/cis/tagging/tag/id:t1\n"
#define LIST "POST /rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags\n"
#define GET_TAG "GET /rest/com/vmware/cis/tagging/tag/id:t1\n"
#define GET_CATEGORY "GET /rest/com/vmware/cis/tagging/category/id:c2\n"
#define LISTED_VM "{\"value\":[{\"tag_id\":\"t1\",\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"vm-1\"}]}]}"
#define LISTED_NONE "{\"value\":[{\"tag_id\":\"t1\",\"object_ids\":null}]}"
#define TAG_T1 "{\"value\":{\"name\":\"nested-hyperv\",\"category_id\":\"c2\"}}"

typedef struct tag_case {
        const char *name;
        bool cached;             /* the ref holds nested/nested-hyperv = c2/t1 */
        const char *category;    /* the configured names; NULL: nested, nested-hyperv */
        bool verify;
        reply replies[12];
        int code;
        const char *msg_or_vms;
        const char *requests;
        const char *tag_id_after; /* NULL: the ref is empty after */
} tag_case;

static const tag_case tag_cases[] = {
        { "first refresh: the walk, then the listing", false, NULL, false, { WALK_REPLIES, { 200, LISTED_VM } }, 0,
          "vm-1", WALK_REQUESTS LIST, "t1" },
        { "cached: one listing", true, NULL, false, { { 200, LISTED_VM } }, 0, "vm-1", LIST, "t1" },
        { "cached, a VM-less tag with a host on it: still one listing", true, NULL, false,
          { { 200, "{\"value\":[{\"tag_id\":\"t1\",\"object_ids\":[{\"type\":\"HostSystem\",\"id\":\"host-1\"}]}]}" } },
          0, "", LIST, "t1" },
        { "cached, empty listing, the tag is there: two requests, no VMs", true, NULL, false,
          { { 200, LISTED_NONE }, { 200, TAG_T1 } }, 0, "", LIST GET_TAG, "t1" },
        { "cached, no entry for the tag, the tag is there", true, NULL, false, { { 200, "{\"value\":[]}" }, { 200, TAG_T1 } },
          0, "", LIST GET_TAG, "t1" },
        { "cached, empty listing, the tag is gone: by name again, unknown now", true, NULL, false,
          { { 200, LISTED_NONE }, { 404, "" }, { 200, "{\"value\":[\"c2\"]}" }, { 200, "{\"value\":{\"name\":\"nested\"}}" },
            { 200, "{\"value\":[]}" } },
          -NW_ENOTFOUND, "tag 'nested-hyperv' does not exist in category 'nested'",
          LIST GET_TAG "GET /rest/com/vmware/cis/tagging/category\n" GET_CATEGORY
          "POST /rest/com/vmware/cis/tagging/tag/id:c2?~action=list-tags-for-category\n", NULL },
        { "cached, the tag renamed: by name again, found under a new id", true, NULL, false,
          { { 200, LISTED_NONE }, { 200, "{\"value\":{\"name\":\"hv\",\"category_id\":\"c2\"}}" },
            { 200, "{\"value\":[\"c2\"]}" }, { 200, "{\"value\":{\"name\":\"nested\"}}" }, { 200, "{\"value\":[\"t1\",\"t2\"]}" },
            { 200, "{\"value\":{\"name\":\"hv\",\"category_id\":\"c2\"}}" },
            { 200, "{\"value\":{\"name\":\"nested-hyperv\",\"category_id\":\"c2\"}}" },
            { 200, "{\"value\":[{\"tag_id\":\"t2\",\"object_ids\":[{\"type\":\"VirtualMachine\",\"id\":\"vm-2\"}]}]}" } },
          0, "vm-2",
          LIST GET_TAG "GET /rest/com/vmware/cis/tagging/category\n" GET_CATEGORY
          "POST /rest/com/vmware/cis/tagging/tag/id:c2?~action=list-tags-for-category\n" GET_TAG
          "GET /rest/com/vmware/cis/tagging/tag/id:t2\n" LIST, "t2" },
        { "cached, the tag moved to another category: by name again", true, NULL, false,
          { { 200, LISTED_NONE }, { 200, "{\"value\":{\"name\":\"nested-hyperv\",\"category_id\":\"c9\"}}" }, WALK_REPLIES,
            { 200, LISTED_VM } },
          0, "vm-1", LIST GET_TAG WALK_REQUESTS LIST, "t1" },
        { "cached, listing 404, the tag is there: the listing's error", true, NULL, false, { { 404, "" }, { 200, TAG_T1 } },
          -ENOENT, "listing objects tagged nested/nested-hyperv: POST "
          "/rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags: HTTP 404", LIST GET_TAG, "t1" },
        { "cached, listing 400 naming the id, the tag gone", true, NULL, false,
          { { 400, "{\"type\":\"com.vmware.vapi.std.errors.invalid_argument\",\"value\":\"t1\"}" }, { 404, "" }, WALK_REPLIES,
            { 200, LISTED_VM } },
          0, "vm-1", LIST GET_TAG WALK_REQUESTS LIST, "t1" },
        { "cached, listing 500 about something else: the error, one request", true, NULL, false,
          { { 500, "{\"error_type\":\"INTERNAL_SERVER_ERROR\"}" } }, -NW_EREPLY,
          "listing objects tagged nested/nested-hyperv: POST /rest/com/vmware/cis/tagging/tag-association"
          "?~action=list-attached-objects-on-tags: HTTP 500: {\"error_type\":\"INTERNAL_SERVER_ERROR\"}", LIST, "t1" },
        { "cached, empty listing, the check fails: its error, never 0 VMs", true, NULL, false,
          { { 200, LISTED_NONE }, { 503, "busy" } }, -NW_EREPLY,
          "checking that tag nested/nested-hyperv (id t1) still exists: GET /rest/com/vmware/cis/tagging/tag/id:t1: "
          "HTTP 503: busy", LIST GET_TAG, "t1" },
        { "verify: tag and category by id, then the listing", true, NULL, true,
          { { 200, TAG_T1 }, { 200, "{\"value\":{\"name\":\"nested\"}}" }, { 200, LISTED_NONE } }, 0, "",
          GET_TAG GET_CATEGORY LIST, "t1" },
        { "verify: the category renamed: by name again, unknown now", true, NULL, true,
          { { 200, TAG_T1 }, { 200, "{\"value\":{\"name\":\"nested-virt\"}}" }, { 200, "{\"value\":[\"c2\"]}" },
            { 200, "{\"value\":{\"name\":\"nested-virt\"}}" } },
          -NW_ENOTFOUND, "tag category 'nested' does not exist (or the user cannot read it)",
          GET_TAG GET_CATEGORY "GET /rest/com/vmware/cis/tagging/category\n" GET_CATEGORY, NULL },
        { "another tag configured: by name, whatever is cached", true, "env", false,
          { { 200, "{\"value\":[\"c1\"]}" }, { 200, "{\"value\":{\"name\":\"env\"}}" }, { 200, "{\"value\":[\"t5\"]}" },
            { 200, "{\"value\":{\"name\":\"nested-hyperv\",\"category_id\":\"c1\"}}" }, { 200, LISTED_NONE } },
          0, "", "GET /rest/com/vmware/cis/tagging/category\nGET /rest/com/vmware/cis/tagging/category/id:c1\n"
          "POST /rest/com/vmware/cis/tagging/tag/id:c1?~action=list-tags-for-category\n"
          "GET /rest/com/vmware/cis/tagging/tag/id:t5\n" LIST, "t5" },
};

static void test_tag_ref(void) {
        for (size_t i = 0; i < sizeof(tag_cases) / sizeof(tag_cases[0]); i++) {
                const tag_case *c = &tag_cases[i];
                char base[] = "https://vc.example", token[] = "tok";
                nw_vapi v = { .base = base, .legacy = true, .token = token };
                _cleanup_tag_ref_ vapi_tag_ref ref = {};
                _cleanup_strv_ nw_strv vms = {};
                _cleanup_buf_ nw_buf joined = {};
                nw_err err = {};
                int r;

                if (c->cached) {
                        ref.category = strdup("nested");
                        ref.tag = strdup("nested-hyperv");
                        ref.category_id = strdup("c2");
                        ref.tag_id = strdup("t1");
                }
                script = c->replies;
                script_next = 0;
                sent_requests[0] = '\0';
                canned_status = 599;
                canned_body = "unexpected request";
                r = vapi_tagged_vms(&v, &ref, c->category ? c->category : "nested", "nested-hyperv", c->verify, &vms,
                                    &err);
                fprintf(stderr, "# %s\n", c->name);
                CHECK_INTEQ(r, c->code);
                for (size_t j = 0; j < vms.n; j++)
                        nw_buf_printf(&joined, "%s%s", j ? "," : "", vms.v[j]);
                CHECK_STREQ(r < 0 ? err.msg : joined.data ? joined.data : "", c->msg_or_vms);
                CHECK_STREQ(sent_requests, c->requests);
                if (c->tag_id_after)
                        CHECK_STREQ(ref.tag_id, c->tag_id_after);
                else
                        CHECK(!ref.tag_id && !ref.category_id && !ref.category && !ref.tag);
                /* Every scripted reply was asked for. */
                CHECK_INTEQ(c->replies[script_next].status, 0);
        }
        script = NULL;
}

static void test_listing_suspect(void) {
        static const struct {
                int r;
                const char *msg;
                size_t objects;
                bool suspect;
        } cases[] = {
                { 0, "", 1, false },
                { 0, "", 0, true },
                { -ENOENT, "HTTP 404", 0, true },
                { -NW_EREPLY, "HTTP 400: {\"error_type\":\"NOT_FOUND\"}", 0, true },
                { -NW_EREPLY, "HTTP 400: com.vmware.vapi.std.errors.not_found", 0, true },
                { -NW_EREPLY, "HTTP 500: tag urn:t1 is being deleted", 0, true },
                { -NW_EREPLY, "HTTP 500: internal error", 0, false },
                { -NW_EREPLY, "reply is not an array", 0, false },
                { -EACCES, "HTTP 403", 0, false },
                { -NW_ENOTAUTH, "HTTP 401", 0, false },
                { -ETIMEDOUT, "urn:t1", 0, false },
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
                CHECK_INTEQ(vapi_listing_suspect(cases[i].r, cases[i].msg, "urn:t1", cases[i].objects),
                            cases[i].suspect);
}

int main(void) {
        test_attached();
        test_tokens();
        test_tag_ref();
        test_listing_suspect();
        return tap_exit("vapi");
}
