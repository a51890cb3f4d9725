/* Standard vSwitch portgroups, which live per host: which (host, portgroup) pairs the tagged VMs sit
 * on, and each host's portgroups as vCenter reports them (config.network.portgroup). */
#include "inventory-host.h"
#include "inventory-props.h"

#include <string.h>

/* spec's members before policy, and policy's after security, normalized for UpdatePortGroup. */
static int split_spec(const xmlNode *spec, nw_stdpg *pg) {
        _cleanup_buf_ nw_buf head = {}, tail = {};
        const xmlNode *policy = soap_child(spec, "policy");
        const xmlNode *sec = soap_child(policy, "security");

        for (const xmlNode *c = spec->children; c && c != policy; c = c->next)
                soap_emit(&head, c);
        for (const xmlNode *c = policy ? policy->children : NULL; c; c = c->next)
                if (c != sec)
                        soap_emit(&tail, c);
        pg->spec_head_xml = nw_buf_steal(&head);
        pg->policy_tail_xml = nw_buf_steal(&tail);
        pg->spec_promiscuous = props_tri(soap_child_text(sec, "allowPromiscuous"));
        pg->spec_mac_changes = props_tri(soap_child_text(sec, "macChanges"));
        pg->spec_forged_transmits = props_tri(soap_child_text(sec, "forgedTransmits"));
        return pg->spec_head_xml && pg->policy_tail_xml ? 0 : -ENOMEM;
}

/* The host's configManager.networkSystem: remembered from the gather, which asks for it, because
 * the watch's updates bring only what changed. */
static const char *network_system_of(inventory_ctx *ctx, const char *host, const char *netsys) {
        size_t len = strlen(host);
        _cleanup_free_ char *entry = NULL;

        for (size_t i = 0; i < ctx->network_systems.n; i++) {
                const char *e = ctx->network_systems.v[i];

                if (strncmp(e, host, len) == 0 && e[len] == '\n')
                        return e + len + 1;
        }
        /* On failure to remember it, this update still has it; a later one will not, and remediation
         * then says "host has no networkSystem" until the next gather. */
        if (netsys && asprintf(&entry, "%s\n%s", host, netsys) >= 0)
                (void) nw_strv_push(&ctx->network_systems, entry);
        return netsys;
}

int inventory_host_set_portgroups(inventory_ctx *ctx, const char *host, const xmlNode *pgs, const char *netsys,
                                  nw_err *err) {
        size_t k = 0;

        for (size_t i = 0; i < ctx->inv.n_stdpgs; i++) {
                if (strcmp(ctx->inv.stdpgs[i].host, host) == 0)
                        nw_stdpg_done(&ctx->inv.stdpgs[i]);
                else
                        ctx->inv.stdpgs[k++] = ctx->inv.stdpgs[i];
        }
        ctx->inv.n_stdpgs = k;
        netsys = network_system_of(ctx, host, netsys);

        SOAP_FOREACH(hpg, pgs, "HostPortGroup") {
                const xmlNode *spec = soap_child(hpg, "spec");
                const xmlNode *sec = soap_child(soap_child(hpg, "computedPolicy"), "security");
                const char *name = soap_child_text(spec, "name");
                _cleanup_free_ char *pair = NULL;
                nw_stdpg *pg;

                if (!name)
                        continue;
                if (asprintf(&pair, "%s\n%s", host, name) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
                if (!nw_strv_contains(&ctx->pairs, pair))
                        continue;
                pg = PUSH(ctx->inv.stdpgs, ctx->inv.n_stdpgs);
                if (!pg || asprintf(&pg->id, "%s/%s", host, name) < 0) {
                        if (pg)
                                pg->id = NULL;
                        return nw_errf(err, -ENOMEM, "out of memory");
                }
                pg->host = strdup(host);
                pg->name = strdup(name);
                pg->vswitch = strdup(soap_child_text(spec, "vswitchName") ?: "");
                pg->network_system = netsys ? strdup(netsys) : NULL;
                if (!pg->host || !pg->name || !pg->vswitch || (netsys && !pg->network_system) ||
                    split_spec(spec, pg) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
                pg->promiscuous = props_tri(soap_child_text(sec, "allowPromiscuous"));
                pg->mac_changes = props_tri(soap_child_text(sec, "macChanges"));
                pg->forged_transmits = props_tri(soap_child_text(sec, "forgedTransmits"));
        }
        return 0;
}

bool inventory_host_pairs_found(const inventory_ctx *ctx, const char *host) {
        size_t len = strlen(host);

        for (size_t i = 0; i < ctx->pairs.n; i++) {
                const char *pair = ctx->pairs.v[i];
                bool found = false;

                if (strncmp(pair, host, len) != 0 || pair[len] != '\n')
                        continue;
                for (size_t k = 0; k < ctx->inv.n_stdpgs && !found; k++)
                        found = strcmp(ctx->inv.stdpgs[k].host, host) == 0 &&
                                strcmp(ctx->inv.stdpgs[k].name, pair + len + 1) == 0;
                if (!found)
                        return false;
        }
        return true;
}

int inventory_host_collect_pairs(inventory_ctx *ctx, nw_err *err) {
        for (size_t i = 0; i < ctx->inv.n_vms; i++) {
                const nw_vm *vm = &ctx->inv.vms[i];

                for (size_t j = 0; j < vm->networks.n; j++) {
                        const nw_network *net = nw_inventory_get_network(&ctx->inv, vm->networks.v[j]);
                        _cleanup_free_ char *pair = NULL;

                        if (!net || net->kind != NW_NET_STANDARD)
                                continue;
                        if (!vm->host) {
                                /* A standard portgroup lives on a host: without one, what the NIC gets is unknown. */
                                _cleanup_free_ char *id = NULL, *what = NULL;

                                if (asprintf(&id, "(no host)/%s", net->name) < 0 ||
                                    asprintf(&what, "VM %s has no runtime.host: whose portgroup it uses is unknown",
                                             vm->moref) < 0 ||
                                    nw_inventory_add_unreadable(&ctx->inv, NW_KIND_PG, id, net->name, NULL, what) < 0)
                                        return nw_errf(err, -ENOMEM, "out of memory");
                                continue;
                        }
                        if (asprintf(&pair, "%s\n%s", vm->host, net->name) < 0)
                                return nw_errf(err, -ENOMEM, "out of memory");
                        if ((!nw_strv_contains(&ctx->pairs, pair) && nw_strv_push(&ctx->pairs, pair) < 0) ||
                            (!nw_strv_contains(&ctx->hosts, vm->host) && nw_strv_push(&ctx->hosts, vm->host) < 0))
                                return nw_errf(err, -ENOMEM, "out of memory");
                }
        }
        return 0;
}

