/* The gather on arbitrary RetrievePropertiesEx replies: inventory_gather's two rounds through vim_retrieve
 * (paging tokens, ObjectContent walk, missingSet, the pre-7.0 retry) and the property parsers for VMs,
 * networks, DV portgroups, switches and hosts' standard portgroups; then policy over the result, and what
 * annotate = yes reads and writes from it (CustomFieldsManager.field, AddCustomFieldDef's key, the VMs'
 * customValue, SetField). Input: the tagged VMs' morefs, then the replies in the order they are asked for
 * (see fuzz.h). */
#include <libxml/parser.h>

#include "annotate.h"
#include "fuzz-vim.h"
#include "inventory.h"
#include "vim-internal.h"

int LLVMFuzzerInitialize(int *argc, char ***argv) {
        xmlInitParser();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_http_ nw_http *http = NULL;
        _cleanup_vim_ vim_ctx *vc = NULL;
        _cleanup_strv_ nw_strv vms = {};
        _cleanup_inventory_ctx_ inventory_ctx ctx = {};
        _cleanup_(nw_findings_donep) nw_findings findings = {};
        _cleanup_buf_ nw_buf body = {};
        nw_policy_cfg cfg;
        vim_filter_spec spec;
        void *storage = NULL;
        nw_err err = {};
        int r;

        if (nw_http_new(&(nw_http_opts) {}, &http, &err) < 0)
                abort();
        fuzz_take_morefs(&data, &size, &vms);
        fuzz_http_queue(http, data, size);
        vc = fuzz_vim_new(http);
        nw_policy_cfg_defaults(&cfg);
        cfg.standard_portgroups = true;

        r = inventory_gather(vc, &vms, cfg.standard_portgroups, true, 100, &ctx, &err);
        if (r < 0) {
                FUZZ_LOG("gather: %s\n", err.msg);
                FUZZ_ASSERT(err.code == r && err.msg[0] != '\0');
                /* ret is untouched on failure. */
                FUZZ_ASSERT(ctx.inv.n_vms == 0 && !ctx.inv.vms && ctx.pairs.n == 0);
                return 0;
        }
        FUZZ_LOG("gather: %zu VMs, %zu networks, %zu DV portgroups, %zu switches, %zu standard portgroups\n",
                 ctx.inv.n_vms, ctx.inv.n_networks, ctx.inv.n_dvpgs, ctx.inv.n_switches, ctx.inv.n_stdpgs);
        fuzz_check_inventory(&ctx.inv);
        /* What check does with the facts, and what run asks vCenter to watch. */
        r = policy_evaluate(&ctx.inv, &cfg, &findings);
        FUZZ_ASSERT(r == 0 || r == -ENOMEM);
        FUZZ_LOG("policy: %zu findings\n", findings.n);
        if (r == 0) {
                annotate_ctx a;
                nw_err e = {};
                int ra;

                fuzz_report(&findings);
                vc->custom_fields_manager = strdup("CustomFieldsManager");
                if (!vc->custom_fields_manager || annotate_init(&a, true, "nestwarden", 0) < 0)
                        abort();
                ra = annotate_status(&a, vc, &ctx.inv, &findings, NULL, &e);
                FUZZ_LOG("annotate: %s\n", ra < 0 ? e.msg : "done");
                FUZZ_ASSERT(ra == 0 || (e.code == ra && e.msg[0] != '\0'));
                annotate_done(&a);
        }
        r = inventory_watch_spec(&ctx, &spec, &storage);
        FUZZ_ASSERT(r == 0);
        r = vim_body_create_filter(&body, vc->property_collector, &spec);
        inventory_watch_spec_free(storage);
        FUZZ_ASSERT(r == 0);
        return 0;
}
