/* Gathering the facts from vCenter. Two PropertyCollector rounds whatever the VM count: the tagged
 * VMs with their networks (one traversal hop), then the switches and hosts those networks lead to. */
#include "inventory.h"
#include "inventory-account.h"
#include "inventory-host.h"
#include "inventory-ports.h"
#include "inventory-props.h"

#include <libxml/tree.h>
#include <string.h>

/* config.changeVersion: any reconfigure of a VM, a NIC moved to another port among them. */
static const char *const vm_paths[] = {
        "name", "runtime.powerState", "runtime.host", "config.template", "config.nestedHVEnabled",
        "config.version", "capability.nestedHVSupported", "network", "config.changeVersion", NULL,
};
/* vm: who else sits on a portgroup, the blast radius of changing it (DV portgroups are Networks too).
 * Only a plan needs it, and it is the one list that grows with the whole inventory rather than with
 * the tagged VMs (every VM on the portgroup): read only with blast_radius. */
static const char *const net_paths[] = { "name", "vm", NULL };
static const char *const net_paths_lean[] = { "name", NULL };
/* config.backingType exists from API 7.0 on; dvpg_paths_old is the retry for older vCenters. */
static const char *const dvpg_paths[] = {
        "name", "config.distributedVirtualSwitch", "config.configVersion", "config.uplink",
        "config.defaultPortConfig", "config.policy", "config.backingType", NULL,
};
static const char *const dvpg_paths_old[] = {
        "name", "config.distributedVirtualSwitch", "config.configVersion", "config.uplink",
        "config.defaultPortConfig", "config.policy", NULL,
};
static const char *const dvs_paths[] = { "name", "config.productInfo.version", "capability.featuresSupported", NULL };
static const char *const host_paths[] = { "name", "config.network.portgroup", "configManager.networkSystem", NULL };

static nw_vm *find_vm(nw_inventory *inv, const char *moref) {
        ssize_t i = nw_inventory_vm_index(inv, moref);
        return i < 0 ? NULL : &inv->vms[i];
}

static nw_dvpg *find_dvpg(nw_inventory *inv, const char *moref) {
        ssize_t i = nw_inventory_dvpg_index(inv, moref);
        return i < 0 ? NULL : &inv->dvpgs[i];
}

static int add_vm(inventory_ctx *ctx, const char *moref, const xmlNode *oc, nw_err *err) {
        nw_vm *vm = PUSH(ctx->inv.vms, ctx->inv.n_vms);
        int r;

        if (!vm)
                return nw_errf(err, -ENOMEM, "out of memory");
        r = props_parse_vm(oc, moref, vm, err);
        if (r < 0)
                ctx->inv.n_vms--;
        return r;
}

static int add_switch(inventory_ctx *ctx, const nw_dvpg *pg, nw_err *err) {
        nw_switch *sw;

        if (nw_inventory_get_switch(&ctx->inv, pg->switch_moref))
                return 0;
        sw = PUSH(ctx->inv.switches, ctx->inv.n_switches);
        if (!sw)
                return nw_errf(err, -ENOMEM, "out of memory");
        sw->mac_learning_supported = NW_UNSET;
        sw->type = strdup(pg->switch_type ? pg->switch_type : "VmwareDistributedVirtualSwitch");
        sw->moref = strdup(pg->switch_moref);
        if (!sw->type || !sw->moref)
                return nw_errf(err, -ENOMEM, "out of memory");
        return 0;
}

static int add_network(inventory_ctx *ctx, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        nw_network *net = PUSH(ctx->inv.networks, ctx->inv.n_networks);

        if (!net || !(net->moref = strdup(moref)) || props_apply(oc, net, props_set_network) < 0 ||
            (!net->name && !(net->name = strdup(""))))
                return nw_errf(err, -ENOMEM, "out of memory");
        net->kind = strcmp(type, "DistributedVirtualPortgroup") == 0 ? NW_NET_DVPG :
                    strcmp(type, "Network") == 0 ? NW_NET_STANDARD : NW_NET_OTHER;
        return 0;
}

static int on_round1(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        gather *g = userdata;
        inventory_ctx *ctx = g->ctx;
        bool missing, dvpg = strcmp(type, "DistributedVirtualPortgroup") == 0;
        nw_dvpg *pg;
        int r;

        if (strcmp(type, "VirtualMachine") == 0) {
                /* Only the tagged ones: a server naming others must not widen what is judged. */
                if (!xmlHashLookup(g->wanted, (const xmlChar *) moref))
                        return 0;
                r = inventory_note_missing(ctx, NW_KIND_VM, moref, oc, &missing, err);
                return r < 0 || missing ? r : add_vm(ctx, moref, oc, err);
        }
        /* Many VMs lead to one network; the collector reports it once, but do not rely on that. */
        if (nw_inventory_get_network(&ctx->inv, moref))
                return 0;
        /* A VM has at most 10 network adapters: a server sending more networks than the tagged VMs
         * can use is not answering this question (and would make every lookup here slower). */
        if (ctx->inv.n_networks >= 10 * (size_t) xmlHashSize(g->wanted) + 16)
                return nw_errf(err, -NW_EREPLY, "RetrievePropertiesEx: more networks than %d tagged VMs can use",
                               xmlHashSize(g->wanted));
        /* An OpaqueNetwork (NSX-T) is not ours to judge, readable or not. */
        if (dvpg || strcmp(type, "Network") == 0) {
                r = inventory_note_missing(ctx, dvpg ? NW_KIND_DVPG : NW_KIND_NETWORK, moref, oc, &missing, err);
                if (r < 0 || missing)
                        return r;
        }
        r = add_network(ctx, type, moref, oc, err);
        if (r < 0 || strcmp(type, "DistributedVirtualPortgroup") != 0)
                return r;

        pg = PUSH(ctx->inv.dvpgs, ctx->inv.n_dvpgs);
        if (!pg)
                return nw_errf(err, -ENOMEM, "out of memory");
        r = props_parse_dvpg(oc, moref, pg, err);
        if (r < 0) {
                ctx->inv.n_dvpgs--;
                return r;
        }
        return add_switch(ctx, pg, err);
}

static int on_round2(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        gather *g = userdata;
        inventory_ctx *ctx = g->ctx;
        nw_switch *sw;
        bool present, missing;
        ssize_t i;
        int r;

        if (strcmp(type, "HostSystem") == 0) {
                if (!nw_strv_contains(&ctx->hosts, moref) || nw_strv_contains(&g->hosts_read, moref))
                        return 0;
                if (nw_strv_push(&g->hosts_read, moref) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
                r = inventory_note_missing(ctx, NW_KIND_HOST, moref, oc, &missing, err);
                if (r < 0 || missing)
                        return r;
                return inventory_host_set_portgroups(ctx, moref, props_val(oc, "config.network.portgroup", &present),
                                                     soap_text(props_val(oc, "configManager.networkSystem", &present)),
                                                     err);
        }
        i = nw_inventory_switch_index(&ctx->inv, moref);
        if (i < 0)
                return 0;
        sw = &ctx->inv.switches[i];
        if (nw_strv_push(&g->switches_read, moref) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        r = inventory_note_missing(ctx, NW_KIND_SWITCH, moref, oc, &missing, err);
        if (r < 0)
                return r;
        if (missing) {
                sw->unreadable = true;
                return 0;
        }
        if (props_apply(oc, sw, props_set_switch) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        return 0;
}

static const vim_traversal to_networks = { .name = "vmToNetwork", .type = "VirtualMachine", .path = "network" };

/* Both rounds' objects: the VMs (with the hop to their networks), then switches and hosts. */
static vim_obj_spec *objects_for(const inventory_ctx *ctx, const nw_strv *vms, bool round2, size_t *ret_n) {
        size_t n = (vms ? vms->n : 0) + (round2 ? ctx->inv.n_switches + ctx->hosts.n : 0), k = 0;
        vim_obj_spec *objs = calloc(n ? n : 1, sizeof(*objs));

        if (!objs)
                return NULL;
        for (size_t i = 0; vms && i < vms->n; i++)
                objs[k++] = (vim_obj_spec) { "VirtualMachine", vms->v[i], &to_networks, 1 };
        for (size_t i = 0; round2 && i < ctx->inv.n_switches; i++)
                objs[k++] = (vim_obj_spec) { ctx->inv.switches[i].type, ctx->inv.switches[i].moref, NULL, 0 };
        for (size_t i = 0; round2 && i < ctx->hosts.n; i++)
                objs[k++] = (vim_obj_spec) { "HostSystem", ctx->hosts.v[i], NULL, 0 };
        *ret_n = k;
        return objs;
}

#define ROUND1_PROPS(ctx)                                                                  \
        { "VirtualMachine", vm_paths }, { "Network", (ctx)->inv.blast_radius ? net_paths : net_paths_lean }, \
        { "DistributedVirtualPortgroup", (ctx)->old_api ? dvpg_paths_old : dvpg_paths }
#define ROUND2_PROPS { "DistributedVirtualSwitch", dvs_paths }, { "HostSystem", host_paths }

static int round1(vim_ctx *vc, const nw_strv *vms, int64_t page_size, gather *g, nw_err *err) {
        inventory_ctx *ctx = g->ctx;
        const vim_prop_spec props[] = { ROUND1_PROPS(ctx) };
        _cleanup_free_ vim_obj_spec *objs = NULL;
        size_t n;

        objs = objects_for(ctx, vms, false, &n);
        if (!objs)
                return nw_errf(err, -ENOMEM, "out of memory");
        return vim_retrieve(vc, &(vim_filter_spec) { props, ELEMENTSOF(props), objs, n }, page_size, on_round1, g,
                            err);
}

static int round2(vim_ctx *vc, int64_t page_size, gather *g, nw_err *err) {
        inventory_ctx *ctx = g->ctx;
        const vim_prop_spec props[] = { ROUND2_PROPS };
        _cleanup_free_ vim_obj_spec *objs = NULL;
        size_t n;

        objs = objects_for(ctx, NULL, true, &n);
        if (!objs)
                return nw_errf(err, -ENOMEM, "out of memory");
        if (n == 0)
                return 0;
        return vim_retrieve(vc, &(vim_filter_spec) { props, ELEMENTSOF(props), objs, n }, page_size, on_round2, g,
                            err);
}

void inventory_ctx_done(inventory_ctx *ctx) {
        nw_inventory_done(&ctx->inv);
        nw_strv_done(&ctx->pairs);
        nw_strv_done(&ctx->hosts);
        nw_strv_done(&ctx->network_systems);
        *ctx = (inventory_ctx) {};
}

int inventory_gather(vim_ctx *vc, const nw_strv *vm_morefs, bool standard_portgroups, bool blast_radius,
                     int64_t page_size, inventory_ctx *ret, nw_err *err) {
        _cleanup_inventory_ctx_ inventory_ctx ctx = { .inv.blast_radius = blast_radius };
        _cleanup_(gather_done) gather g = { .ctx = &ctx, .wanted = xmlHashCreate(64) };
        int r;

        if (!g.wanted)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < vm_morefs->n; i++)
                if (xmlHashAddEntry(g.wanted, (const xmlChar *) vm_morefs->v[i], (void *) 1) < 0 &&
                    !xmlHashLookup(g.wanted, (const xmlChar *) vm_morefs->v[i]))
                        return nw_errf(err, -ENOMEM, "out of memory");
        if (vm_morefs->n > 0) {
                r = round1(vc, vm_morefs, page_size, &g, err);
                if (r == -NW_ESOAPFAULT && err && strcmp(err->fault, "InvalidProperty") == 0) {
                        /* A vCenter before 7.0 has no config.backingType (and no NSX-backed DV portgroups). */
                        inventory_ctx_done(&ctx);
                        ctx.old_api = true;
                        ctx.inv.blast_radius = blast_radius;
                        r = round1(vc, vm_morefs, page_size, &g, err);
                }
                if (r < 0)
                        return r;
                r = inventory_account_round1(&g, vm_morefs, err);
                if (r < 0)
                        return r;
        }
        if (standard_portgroups) {
                r = inventory_host_collect_pairs(&ctx, err);
                if (r < 0)
                        return r;
        }
        r = round2(vc, page_size, &g, err);
        if (r >= 0)
                r = inventory_account_round2(&g, err);
        /* The ports last: which to read follows from the portgroups and switches. */
        if (r >= 0)
                r = inventory_ports_read(vc, &ctx, page_size, err);
        if (r < 0)
                return r;

        *ret = ctx;
        ctx = (inventory_ctx) {};
        return 0;
}

typedef struct watch_storage {
        vim_prop_spec props[5];
        nw_strv vms;
        vim_obj_spec *objs;
} watch_storage;

void inventory_watch_spec_free(void *storage) {
        watch_storage *w = storage;

        if (!w)
                return;
        nw_strv_done(&w->vms);
        free(w->objs);
        free(w);
}

int inventory_watch_spec(const inventory_ctx *ctx, vim_filter_spec *ret, void **ret_storage) {
        const vim_prop_spec props[] = { ROUND1_PROPS(ctx), ROUND2_PROPS };
        watch_storage *w = calloc(1, sizeof(*w));
        size_t n;

        if (!w)
                return -ENOMEM;
        memcpy(w->props, props, sizeof(props));
        for (size_t i = 0; i < ctx->inv.n_vms; i++)
                if (nw_strv_push(&w->vms, ctx->inv.vms[i].moref) < 0) {
                        inventory_watch_spec_free(w);
                        return -ENOMEM;
                }
        /* Also the tagged VMs the account may not read, so that vCenter can tell when it may again
         * (not the deleted ones or those left out: a filter on an object vCenter does not know of
         * may fault whole). */
        for (size_t i = 0; i < ctx->inv.n_unreadable; i++) {
                const nw_unreadable *u = &ctx->inv.unreadable[i];

                if (u->kind == NW_KIND_VM && u->fault && strcmp(u->fault, "NoPermission") == 0 &&
                    nw_strv_push(&w->vms, u->object) < 0) {
                        inventory_watch_spec_free(w);
                        return -ENOMEM;
                }
        }
        w->objs = objects_for(ctx, &w->vms, true, &n);
        if (!w->objs) {
                inventory_watch_spec_free(w);
                return -ENOMEM;
        }
        *ret = (vim_filter_spec) { w->props, ELEMENTSOF(props), w->objs, n };
        *ret_storage = w;
        return 0;
}

static bool strv_equal(const nw_strv *a, const nw_strv *b) {
        if (a->n != b->n)
                return false;
        for (size_t i = 0; i < a->n; i++)
                if (strcmp(a->v[i], b->v[i]) != 0)
                        return false;
        return true;
}

static bool str_equal(const char *a, const char *b) {
        return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* A VM update that moves a NIC or the VM itself changes which portgroups are watched. */
static int update_vm(inventory_ctx *ctx, nw_vm *vm, const xmlNode *ou, bool *ret_resync, nw_err *err) {
        _cleanup_strv_ nw_strv nets = {};
        _cleanup_free_ char *host = vm->host ? strdup(vm->host) : NULL;

        if ((vm->host && !host))
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < vm->networks.n; i++)
                if (nw_strv_push(&nets, vm->networks.v[i]) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        if (props_apply(ou, vm, props_set_vm) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        if (!strv_equal(&nets, &vm->networks) || !str_equal(host, vm->host))
                *ret_resync = true;
        return 0;
}

int inventory_apply_update(inventory_ctx *ctx, const char *type, const char *moref, const char *kind, const xmlNode *ou,
                           bool *ret_resync, nw_err *err) {
        nw_network *net;
        nw_dvpg *pg;
        ssize_t i;
        nw_vm *vm;
        bool present;

        if (strcmp(kind, "leave") == 0) {
                *ret_resync = true;
                return 0;
        }
        /* Readability changed either way (rights granted or taken, an object deleted): only a full
         * gather can account for it. An object still unreadable is no news. */
        {
                const char *path;
                char fault[64];
                bool missing = props_first_missing(ou, &path, fault, sizeof(fault));

                if (nw_inventory_get_unreadable(&ctx->inv, moref)) {
                        if (!missing)
                                *ret_resync = true;
                        return 0;
                }
                if (missing) {
                        *ret_resync = true;
                        return 0;
                }
        }
        if (strcmp(type, "VirtualMachine") == 0) {
                vm = find_vm(&ctx->inv, moref);
                if (!vm) {
                        *ret_resync = true;
                        return 0;
                }
                return update_vm(ctx, vm, ou, ret_resync, err);
        }
        if (strcmp(type, "HostSystem") == 0) {
                const xmlNode *pgs = props_val(ou, "config.network.portgroup", &present);

                int r;

                if (!nw_strv_contains(&ctx->hosts, moref)) {
                        *ret_resync = true;
                        return 0;
                }
                if (!present)
                        return 0;
                r = inventory_host_set_portgroups(ctx, moref, pgs, NULL, err);
                /* A portgroup a VM uses is gone from the host (or the host's config is, as when it
                 * disconnects): only a gather can say what the VM gets now. */
                if (r >= 0 && !inventory_host_pairs_found(ctx, moref))
                        *ret_resync = true;
                return r;
        }
        if ((i = nw_inventory_switch_index(&ctx->inv, moref)) >= 0)
                return props_apply(ou, &ctx->inv.switches[i], props_set_switch) < 0 ?
                        nw_errf(err, -ENOMEM, "out of memory") : 0;

        i = nw_inventory_network_index(&ctx->inv, moref);
        if (i < 0) {
                /* Not ours (an OpaqueNetwork, say) or new: only a gather can place it. */
                *ret_resync = strcmp(type, "OpaqueNetwork") != 0;
                return 0;
        }
        net = &ctx->inv.networks[i];
        /* Standard portgroups are matched by name on the host: a rename reshapes them. (The first
         * update set restates every name: only a different one counts.) */
        {
                const char *name = soap_text(props_val(ou, "name", &present));

                if (present && net->kind == NW_NET_STANDARD && !str_equal(name, net->name))
                        *ret_resync = true;
        }
        /* Always: who sits on the portgroup (vm) decides whether promiscuous mode may be turned on. */
        if (props_apply(ou, net, props_set_network) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        pg = find_dvpg(&ctx->inv, moref);
        if (pg) {
                /* An earlier update may have removed the switch (op remove) before the resync. */
                _cleanup_free_ char *sw_moref = pg->switch_moref ? strdup(pg->switch_moref) : NULL;

                if ((pg->switch_moref && !sw_moref) || props_apply(ou, pg, props_set_dvpg) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
                if (!str_equal(sw_moref, pg->switch_moref))
                        *ret_resync = true;
        }
        return 0;
}

typedef struct refresh {
        inventory_ctx *ctx;
        bool resync;
} refresh;

static int on_refresh(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        refresh *rf = userdata;

        /* An ObjectContent's propSet reads like a full update's changeSet. */
        return inventory_apply_update(rf->ctx, type, moref, "modify", oc, &rf->resync, err);
}

int inventory_refresh(vim_ctx *vc, inventory_ctx *ctx, const char *type, const char *moref, nw_err *err) {
        const vim_prop_spec props[] = { ROUND1_PROPS(ctx), ROUND2_PROPS };
        const vim_obj_spec obj = { type, moref, NULL, 0 };
        refresh rf = { .ctx = ctx };
        int r;

        if (strcmp(type, INVENTORY_DVPORT) == 0)
                return inventory_ports_refresh(vc, ctx, moref, err);
        r = vim_retrieve(vc, &(vim_filter_spec) { props, ELEMENTSOF(props), &obj, 1 }, 1, on_refresh, &rf, err);
        if (r < 0)
                return r;
        /* Unreadable now, or reshaped: the facts are not what vCenter holds, so no verdict on them. */
        if (rf.resync)
                return nw_errf(err, -ESTALE, "%s %s: could not be read back as it was (unreadable, deleted or "
                               "reshaped); it is judged again at the next gather", type, moref);
        return 0;
}

static int on_name(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        inventory_ctx *ctx = userdata;
        nw_other_vm *o;
        bool present;
        const char *name = soap_text(props_val(oc, "name", &present));

        if (nw_inventory_get_other_name(&ctx->inv, moref))
                return 0;
        o = PUSH(ctx->inv.others, ctx->inv.n_others);
        if (!o || !(o->moref = strdup(moref)) || !(o->name = strdup(name ? name : moref)))
                return nw_errf(err, -ENOMEM, "out of memory");
        return 0;
}

int inventory_fetch_names(vim_ctx *vc, inventory_ctx *ctx, const nw_strv *morefs, nw_err *err) {
        static const char *const paths[] = { "name", NULL };
        const vim_prop_spec props[] = { { "VirtualMachine", paths } };
        _cleanup_free_ vim_obj_spec *objs = calloc(morefs->n ? morefs->n : 1, sizeof(*objs));
        size_t n = 0;

        if (!objs)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < morefs->n; i++)
                if (!nw_inventory_get_other_name(&ctx->inv, morefs->v[i]))
                        objs[n++] = (vim_obj_spec) { "VirtualMachine", morefs->v[i], NULL, 0 };
        if (n == 0)
                return 0;
        return vim_retrieve(vc, &(vim_filter_spec) { props, 1, objs, n }, 1000, on_name, ctx, err);
}
