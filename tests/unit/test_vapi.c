/* vapi: the attached-objects parser on right and wrong shapes, and session tokens that must never
 * reach a header. The transport is a stand-in (below) answering every request with one canned reply
 * and recording the headers sent. */
#include <string.h>

#include "tap.h"
#include "vapi.h"

#define TOKEN_TEST_LEN 4097

static long canned_status;
static const char *canned_body;
static unsigned requests;
static char sent_headers[4096];

int nw_http_do(nw_http *h, const nw_http_req *req, long *ret_status, nw_buf *ret_body, nw_err *err) {
        requests++;
        for (const char *const *p = req->headers; p && *p; p++)
                snprintf(sent_headers + strlen(sent_headers), sizeof(sent_headers) - strlen(sent_headers), "%s\n", *p);
        *ret_status = canned_status;
        nw_buf_done(ret_body);
        return nw_buf_puts(ret_body, canned_body);
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

int main(void) {
        test_attached();
        test_tokens();
        return tap_exit("vapi");
}
