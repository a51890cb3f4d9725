/* The tagging JSON on arbitrary replies: vapi_login (the session token, /api then /rest), then
 * vapi_attached_vms (category and tag lookups by name, the attached-objects reply: collect_vms),
 * vapi_tagged_vms on cached ids (a refresh, then a verifying one: the checks by id, the walk again
 * when they say the tag is gone) and vapi_logout, through vapi_call's status and {"value": ...} handling; and every reply straight
 * into vapi_parse_attached, in both flavours (the attached-objects reply is one of them).
 * Input: the vAPI replies in the order these calls ask for them (see fuzz.h). */
#include <string.h>

#include "fuzz.h"
#include "vapi.h"

/* Deduplicated VM morefs, each a string. */
static void fuzz_check_morefs(const nw_strv *vms) {
        for (size_t i = 0; i < vms->n; i++) {
                FUZZ_ASSERT(vms->v[i]);
                for (size_t j = 0; j < i; j++)
                        FUZZ_ASSERT(strcmp(vms->v[i], vms->v[j]) != 0);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_http_ nw_http *http = NULL;
        _cleanup_vapi_ nw_vapi *v = NULL;
        _cleanup_strv_ nw_strv vms = {};
        const uint8_t *body;
        size_t len;
        nw_err err = {};
        int r;

        if (nw_http_new(&(nw_http_opts) {}, &http, &err) < 0)
                abort();
        fuzz_http_queue(http, data, size);

        for (size_t i = 0; fuzz_http_reply(http, i, &body, &len); i++)
                for (int legacy = 0; legacy <= 1; legacy++) {
                        _cleanup_strv_ nw_strv ids = {};

                        r = vapi_parse_attached((const char *) body, len, legacy, &ids, &err);
                        if (r < 0)
                                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0' && ids.n == 0);
                        else
                                fuzz_check_morefs(&ids);
                }

        r = vapi_login(http, "https://127.0.0.1/sdk", "nestwarden@vsphere.local", "pass", &v, &err);
        FUZZ_LOG("login: %s\n", r < 0 ? err.msg : "ok");
        if (r < 0) {
                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0' && !v);
                return 0;
        }
        FUZZ_ASSERT(v && v->token && v->base);
        r = vapi_attached_vms(v, "nested", "nested-hyperv", &vms, &err);
        FUZZ_LOG("attached: %s, %zu VMs\n", r < 0 ? err.msg : "ok", vms.n);
        if (r < 0)
                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0' && vms.n == 0);
        else
                fuzz_check_morefs(&vms);
        {
                _cleanup_tag_ref_ vapi_tag_ref ref = {
                        .category = strdup("nested"), .tag = strdup("nested-hyperv"),
                        .category_id = strdup("urn:c"), .tag_id = strdup("urn:t"),
                };

                if (!ref.category || !ref.tag || !ref.category_id || !ref.tag_id)
                        abort();
                for (int verify = 0; verify <= 1; verify++) {
                        nw_strv_done(&vms);
                        r = vapi_tagged_vms(v, &ref, "nested", "nested-hyperv", verify, &vms, &err);
                        FUZZ_LOG("tagged (verify %d): %s, %zu VMs\n", verify, r < 0 ? err.msg : "ok", vms.n);
                        if (r < 0)
                                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0' && vms.n == 0);
                        else
                                fuzz_check_morefs(&vms);
                        if (r == -NW_ENOTFOUND)
                                FUZZ_ASSERT(!ref.tag_id && !ref.category_id);
                        if (r >= 0)
                                FUZZ_ASSERT(ref.tag_id && ref.category_id);
                }
        }
        (void) vapi_logout(v, &err);
        return 0;
}
