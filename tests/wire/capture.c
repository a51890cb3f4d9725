/* Runs the check read path against a vCenter (the scenario) and prints every SOAP request body it
 * sends, one JSON object a line, for test_wire.py to hold against pyVmomi's serialisation. */
#include <json-c/json.h>
#include <string.h>

#include "annotate.h"
#include "http.h"
#include "inventory.h"
#include "remedy-apply.h"
#include "secret.h"
#include "vapi.h"
#include "vim.h"

static void trace(void *userdata, const nw_http_req *req) {
        const char *action = NULL;
        json_object *o;

        for (const char *const *h = req->headers; h && *h; h++)
                if (strncmp(*h, "SOAPAction: ", 12) == 0)
                        action = *h + 12;
        if (!action)
                return; /* REST, not vim25 */
        o = json_object_new_object();
        json_object_object_add(o, "action", json_object_new_string(action));
        json_object_object_add(o, "body", json_object_new_string_len(req->body, (int) req->body_len));
        printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
}

static int on_update(void *userdata, const char *type, const char *moref, const char *kind, const xmlNode *ou,
                     nw_err *err) {
        return 0;
}

int main(int argc, char **argv) {
        _cleanup_http_ nw_http *http = NULL;
        _cleanup_vim_ vim_ctx *vc = NULL;
        _cleanup_vapi_ nw_vapi *tags = NULL;
        _cleanup_strv_ nw_strv vms = {};
        _cleanup_inventory_ctx_ inventory_ctx inv = {};
        _cleanup_config_ nw_config *cfg = NULL;
        _cleanup_secret_ char *password = NULL;
        _cleanup_strv_ nw_strv tried = {};
        nw_policy_cfg pol;
        nw_err err = {};
        int r;

        if (argc != 2) {
                fprintf(stderr, "usage: %s CONFIG\n", argv[0]);
                return 2;
        }
        nw_policy_cfg_defaults(&pol);
        r = config_load(argv[1], &cfg, &err);
        if (r >= 0)
                r = secret_read(cfg, &password, &err);
        if (r >= 0)
                r = nw_http_new(&(nw_http_opts) { .ca_file = cfg->vcenter.ca_file, .timeout = 60 }, &http, &err);
        if (r < 0)
                goto fail;
        nw_http_set_trace(http, trace, NULL);
        r = vim_connect(http, cfg->vcenter.url, &vc, &err);
        if (r >= 0)
                r = vim_login(vc, cfg->vcenter.user, password, &err);
        if (r >= 0)
                r = vapi_login(http, cfg->vcenter.url, cfg->vcenter.user, password, &tags, &err);
        if (r >= 0)
                r = vapi_attached_vms(tags, cfg->selection.tag_category, cfg->selection.tag, &vms, &err);
        if (r >= 0)
                r = inventory_gather(vc, &vms, cfg->policy.standard_portgroups, true, cfg->vcenter.page_size, &inv,
                                     &err);
        /* What `run` adds: a filter over the same objects, its first update set, and its end. */
        if (r >= 0) {
                _cleanup_free_ char *filter = NULL, *version = strdup("");
                vim_filter_spec spec;
                void *storage = NULL;

                r = inventory_watch_spec(&inv, &spec, &storage);
                if (r >= 0)
                        r = vim_create_filter(vc, &spec, &filter, &err);
                inventory_watch_spec_free(storage);
                if (r >= 0)
                        r = vim_wait_for_updates(vc, version, 1, on_update, NULL, &version, &err);
                if (r >= 0)
                        r = vim_destroy_filter(vc, filter, &err);
        }
        /* What `fix` adds: every kind of change, one object at a time, planned again after each. */
        for (int applied = 0; r >= 0 && applied < 100; applied++) {
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan plan = {};
                nw_remedy_cfg rcfg;
                const nw_fix *fix = NULL;
                nw_fix_result res;
                nw_err ignored;

                nw_remedy_cfg_defaults(&rcfg);
                rcfg.allow_promiscuous_on_shared = true;
                rcfg.max_changes_per_pass = 1000;
                if (policy_evaluate(&inv.inv, &cfg->policy, &f) < 0 ||
                    remedy_plan(&inv.inv, &f, &cfg->policy, &rcfg, NULL, 0, &plan) < 0)
                        return 1;
                for (size_t i = 0; i < plan.n && !fix; i++)
                        if (plan.v[i].verdict == NW_FIX_APPLY && !nw_strv_contains(&tried, plan.v[i].object))
                                fix = &plan.v[i];
                if (!fix)
                        break;
                if (nw_strv_push(&tried, fix->object) < 0)
                        return 1;
                /* A refusal is fine here (the bodies are what is under test); a dead vCenter is not. */
                if (remedy_apply(vc, &inv, &cfg->policy, &rcfg, fix, &res, &ignored) == -ECONNREFUSED)
                        r = -ECONNREFUSED;
        }
        /* What annotate = yes adds: an event on a VM, the status attribute created and set. */
        if (r >= 0 && inv.inv.n_vms > 0) {
                _cleanup_findings_ nw_findings f = {};
                annotate_ctx a;
                nw_event ev = { .type = NW_EVENT_DRIFT, .object = inv.inv.vms[0].moref,
                                .object_name = inv.inv.vms[0].name, .object_kind = NW_KIND_VM,
                                .check = NW_CHECK_NESTED_HV, .expected = "true", .actual = "false" };

                r = annotate_init(&a, true, "nestwarden", 0);
                if (r >= 0)
                        r = annotate_event(&a, vc, &inv.inv, &ev, 0, &err);
                if (r >= 0)
                        r = policy_evaluate(&inv.inv, &cfg->policy, &f);
                if (r >= 0)
                        r = annotate_status(&a, vc, &inv.inv, &f, NULL, &err);
                annotate_done(&a);
        }
        if (r >= 0)
                r = vim_logout(vc, &err);
        if (r < 0)
                goto fail;
        return 0;
fail:
        fprintf(stderr, "capture: %s\n", err.msg);
        return 1;
}
