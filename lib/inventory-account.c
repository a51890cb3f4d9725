/* What a gather asked for and did not get. Every object a verdict needs is either read or recorded as
 * unreadable (a missingSet, or left out of the reply): the inventory never silently shrinks. */
#include "inventory-account.h"
#include "inventory-props.h"

#include <string.h>

int inventory_note_missing(inventory_ctx *ctx, nw_kind kind, const char *moref, const xmlNode *oc, bool *ret_missing,
                           nw_err *err) {
        char fault[64], what[256];
        const char *path, *name;
        bool present;

        *ret_missing = props_first_missing(oc, &path, fault, sizeof(fault));
        if (!*ret_missing)
                return 0;
        name = soap_text(props_val(oc, "name", &present));
        snprintf(what, sizeof(what), "%s on %s", fault, path);
        if (nw_inventory_add_unreadable(&ctx->inv, kind, moref, name, fault, what) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        return 0;
}

int inventory_account_round1(gather *g, const nw_strv *vms, nw_err *err) {
        nw_inventory *inv = &g->ctx->inv;
        _cleanup_xmlhash_ xmlHashTable *read = xmlHashCreate(64);

        if (!read)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < inv->n_vms; i++)
                if (xmlHashAddEntry(read, (const xmlChar *) inv->vms[i].moref, (void *) 1) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < vms->n; i++)
                if (!xmlHashLookup(read, (const xmlChar *) vms->v[i]) &&
                    nw_inventory_add_unreadable(inv, NW_KIND_VM, vms->v[i], NULL, NULL, "not returned by vCenter") < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < inv->n_vms; i++)
                for (size_t j = 0; j < inv->vms[i].networks.n; j++) {
                        const char *net = inv->vms[i].networks.v[j];

                        if (!nw_inventory_get_network(inv, net) &&
                            nw_inventory_add_unreadable(inv, NW_KIND_NETWORK, net, NULL, NULL,
                                                        "not returned by vCenter") < 0)
                                return nw_errf(err, -ENOMEM, "out of memory");
                }
        return 0;
}

int inventory_account_round2(gather *g, nw_err *err) {
        inventory_ctx *ctx = g->ctx;

        for (size_t i = 0; i < ctx->inv.n_switches; i++) {
                nw_switch *sw = &ctx->inv.switches[i];

                if (nw_strv_contains(&g->switches_read, sw->moref))
                        continue;
                sw->unreadable = true;
                if (nw_inventory_add_unreadable(&ctx->inv, NW_KIND_SWITCH, sw->moref, NULL, NULL,
                                                "not returned by vCenter") < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        }
        for (size_t i = 0; i < ctx->hosts.n; i++)
                if (!nw_strv_contains(&g->hosts_read, ctx->hosts.v[i]) &&
                    nw_inventory_add_unreadable(&ctx->inv, NW_KIND_HOST, ctx->hosts.v[i], NULL, NULL,
                                                "not returned by vCenter") < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < ctx->pairs.n; i++) {
                const char *pair = ctx->pairs.v[i], *nl = strchr(pair, '\n');
                _cleanup_free_ char *host = strndup(pair, (size_t) (nl - pair)), *id = NULL;
                bool found = false;

                if (!host || asprintf(&id, "%s/%s", host, nl + 1) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
                if (nw_inventory_get_unreadable(&ctx->inv, host))
                        continue; /* the host's own finding covers its portgroups */
                for (size_t k = 0; k < ctx->inv.n_stdpgs && !found; k++)
                        found = strcmp(ctx->inv.stdpgs[k].id, id) == 0;
                if (!found && nw_inventory_add_unreadable(&ctx->inv, NW_KIND_PG, id, nl + 1, NULL,
                                                          "not in the host's config.network.portgroup") < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        }
        return 0;
}

