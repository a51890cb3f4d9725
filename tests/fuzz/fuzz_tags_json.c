/* The tagging JSON on arbitrary replies: tags_login (the session token, /api then /rest), then
 * tags_attached_vms (category and tag lookups by name, the attached-objects reply: collect_vms) and
 * tags_logout, through vapi_call's status and {"value": ...} handling.
 * Input: the vAPI replies in the order these calls ask for them (see fuzz.h). */
#include <string.h>

#include "fuzz.h"
#include "vapi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_http_ nw_http *http = NULL;
        _cleanup_vapi_ nw_vapi *v = NULL;
        _cleanup_strv_ nw_strv vms = {};
        nw_err err = {};
        int r;

        if (nw_http_new(&(nw_http_opts) {}, &http, &err) < 0)
                abort();
        fuzz_http_queue(http, data, size);

        r = tags_login(http, "https://127.0.0.1/sdk", "nestwarden@vsphere.local", "pass", &v, &err);
        FUZZ_LOG("login: %s\n", r < 0 ? err.msg : "ok");
        if (r < 0) {
                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0' && !v);
                return 0;
        }
        FUZZ_ASSERT(v && v->token && v->base);
        r = tags_attached_vms(v, "nested", "nested-hyperv", &vms, &err);
        FUZZ_LOG("attached: %s, %zu VMs\n", r < 0 ? err.msg : "ok", vms.n);
        if (r < 0)
                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0' && vms.n == 0);
        else
                /* Deduplicated VM morefs, each a string. */
                for (size_t i = 0; i < vms.n; i++) {
                        FUZZ_ASSERT(vms.v[i]);
                        for (size_t j = 0; j < i; j++)
                                FUZZ_ASSERT(strcmp(vms.v[i], vms.v[j]) != 0);
                }
        (void) tags_logout(v, &err);
        return 0;
}
