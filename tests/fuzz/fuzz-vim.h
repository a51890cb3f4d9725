/* A vim25 session as vim_connect and vim_login leave it (the scenario's morefs), on a fake transport. */
#pragma once

#include <string.h>

#include "facts.h"
#include "fuzz.h"
#include "report.h"
#include "vim.h"

static inline vim_ctx *fuzz_vim_new(nw_http *h) {
        vim_ctx *vc = calloc(1, sizeof(*vc));

        if (!vc)
                abort();
        vc->http = h;
        snprintf(vc->version, sizeof(vc->version), "6.7");
        vc->url = strdup("https://127.0.0.1/sdk");
        vc->api_version = strdup("6.7");
        vc->full_name = strdup("VMware vCenter Server 6.7.0");
        vc->property_collector = strdup("propertyCollector");
        vc->session_manager = strdup("SessionManager");
        vc->root_folder = strdup("group-d1");
        if (!vc->url || !vc->api_version || !vc->full_name || !vc->property_collector || !vc->session_manager ||
            !vc->root_folder)
                abort();
        vc->logged_in = true;
        return vc;
}

/* The inventory's own invariants, whatever the replies held: every object has its moref (names and
 * a portgroup's switch may go missing in an update; policy and report cope with that). */
static inline void fuzz_check_inventory(const nw_inventory *inv) {
        for (size_t i = 0; i < inv->n_vms; i++) {
                FUZZ_ASSERT(inv->vms[i].moref);
                for (size_t j = 0; j < inv->vms[i].networks.n; j++)
                        FUZZ_ASSERT(inv->vms[i].networks.v[j]);
        }
        for (size_t i = 0; i < inv->n_dvpgs; i++)
                FUZZ_ASSERT(inv->dvpgs[i].moref);
        for (size_t i = 0; i < inv->n_switches; i++)
                FUZZ_ASSERT(inv->switches[i].moref && inv->switches[i].type);
        for (size_t i = 0; i < inv->n_stdpgs; i++)
                FUZZ_ASSERT(inv->stdpgs[i].id && inv->stdpgs[i].host && inv->stdpgs[i].name &&
                            inv->stdpgs[i].spec_head_xml && inv->stdpgs[i].policy_tail_xml);
        for (size_t i = 0; i < inv->n_networks; i++)
                FUZZ_ASSERT(inv->networks[i].moref);
}

/* What check prints and run logs of the findings: names from vCenter end up there. */
static inline void fuzz_report(const nw_findings *f) {
        _cleanup_free_ char *json = NULL, *table = NULL;

        FUZZ_ASSERT(report_json("https://127.0.0.1/sdk", f, &json) == 0 && json);
        FUZZ_ASSERT(report_table("https://127.0.0.1/sdk", f, &table) == 0 && table);
}
