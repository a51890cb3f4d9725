/* Gathering the facts from vCenter. Two PropertyCollector rounds whatever the VM count: the tagged
 * VMs with their networks (one traversal hop), then the switches and hosts those networks lead to. */
#include "inventory.h"

#include <libxml/tree.h>
#include <string.h>

static const char *const vm_paths[] = {
        "name", "runtime.powerState", "runtime.host", "config.template", "config.nestedHVEnabled",
        "config.version", "capability.nestedHVSupported", "network", NULL,
};
static const char *const net_paths[] = { "name", NULL };
/* config.backingType exists from API 7.0 on; dvpg_paths_old is the retry for older vCenters. */
static const char *const dvpg_paths[] = {
        "name", "config.distributedVirtualSwitch", "config.configVersion", "config.uplink",
        "config.defaultPortConfig", "config.backingType", NULL,
};
static const char *const dvpg_paths_old[] = {
        "name", "config.distributedVirtualSwitch", "config.configVersion", "config.uplink",
        "config.defaultPortConfig", NULL,
};
static const char *const dvs_paths[] = { "name", "config.productInfo.version", "capability.featuresSupported", NULL };
static const char *const host_paths[] = { "name", "config.network.portgroup", NULL };

/* The <val> of the named property in an ObjectContent. */
static const xmlNode *prop_val(const xmlNode *oc, const char *name) {
        SOAP_FOREACH(ps, oc, "propSet") {
                const char *n = soap_child_text(ps, "name");
                if (n && strcmp(n, name) == 0)
                        return soap_child(ps, "val");
        }
        return NULL;
}

static int dup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

static nw_tri tri(const char *s) {
        int b = soap_bool(s);
        return b < 0 ? NW_UNSET : (nw_tri) b;
}

static int ref_type(const xmlNode *n, char **ret) {
        xmlChar *t = n ? xmlGetNoNsProp(n, (const xmlChar *) "type") : NULL;
        int r = dup_or_null((const char *) t, ret);

        xmlFree(t);
        return r;
}

int inv_parse_vm(const xmlNode *oc, const char *moref, nw_vm *ret, nw_err *err) {
        nw_vm vm = { .nested_hv = NW_UNSET, .nested_hv_supported = NW_UNSET };
        const char *version = soap_text(prop_val(oc, "config.version"));
        const xmlNode *nets = prop_val(oc, "network");
        int r = 0;

        r |= dup_or_null(moref, &vm.moref);
        r |= dup_or_null(soap_text(prop_val(oc, "name")), &vm.name);
        r |= dup_or_null(soap_text(prop_val(oc, "runtime.powerState")), &vm.power_state);
        r |= dup_or_null(soap_text(prop_val(oc, "runtime.host")), &vm.host);
        vm.template = soap_bool(soap_text(prop_val(oc, "config.template"))) == 1;
        vm.nested_hv = tri(soap_text(prop_val(oc, "config.nestedHVEnabled")));
        vm.nested_hv_supported = tri(soap_text(prop_val(oc, "capability.nestedHVSupported")));
        if (version && strncmp(version, "vmx-", 4) == 0)
                vm.hw_version = (int) strtol(version + 4, NULL, 10);
        SOAP_FOREACH(ref, nets, "ManagedObjectReference")
                if (soap_text(ref))
                        r |= nw_strv_push(&vm.networks, soap_text(ref));
        if (r < 0) {
                nw_vm_done(&vm);
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        if (!vm.name) {
                nw_vm_done(&vm);
                return nw_errf(err, -NW_EREPLY, "VM %s: reply has no name", moref);
        }
        *ret = vm;
        return 0;
}

static void parse_mac_policy(const xmlNode *n, nw_mac_policy *m) {
        const xmlNode *learn = soap_child(n, "macLearningPolicy");
        const char *limit = soap_child_text(learn, "limit");

        m->present = n != NULL;
        m->inherited = soap_bool(soap_child_text(n, "inherited")) == 1;
        m->promiscuous = tri(soap_child_text(n, "allowPromiscuous"));
        m->mac_changes = tri(soap_child_text(n, "macChanges"));
        m->forged_transmits = tri(soap_child_text(n, "forgedTransmits"));
        m->learning_inherited = soap_bool(soap_child_text(learn, "inherited")) == 1;
        m->learning_enabled = tri(soap_child_text(learn, "enabled"));
        m->unicast_flooding = tri(soap_child_text(learn, "allowUnicastFlooding"));
        m->limit = -1;
        if (limit)
                (void) nw_parse_int64(limit, 0, INT32_MAX, &m->limit);
}

/* DVSSecurityPolicy holds BoolPolicy elements: {inherited, value}. */
static void parse_sec_policy(const xmlNode *n, nw_sec_policy *s) {
        s->present = n != NULL;
        s->promiscuous = tri(soap_child_text(soap_child(n, "allowPromiscuous"), "value"));
        s->mac_changes = tri(soap_child_text(soap_child(n, "macChanges"), "value"));
        s->forged_transmits = tri(soap_child_text(soap_child(n, "forgedTransmits"), "value"));
}

int inv_parse_dvpg(const xmlNode *oc, const char *moref, nw_dvpg *ret, char **ret_switch_type, nw_err *err) {
        const xmlNode *sw = prop_val(oc, "config.distributedVirtualSwitch");
        const xmlNode *port = prop_val(oc, "config.defaultPortConfig");
        const xmlNode *mac = soap_child(port, "macManagementPolicy");
        nw_dvpg pg = {};
        char *sw_type = NULL;
        int r = 0;

        r |= dup_or_null(moref, &pg.moref);
        r |= dup_or_null(soap_text(prop_val(oc, "name")), &pg.name);
        r |= dup_or_null(soap_text(sw), &pg.switch_moref);
        r |= ref_type(sw, &sw_type);
        r |= dup_or_null(soap_text(prop_val(oc, "config.configVersion")), &pg.config_version);
        r |= dup_or_null(soap_text(prop_val(oc, "config.backingType")), &pg.backing_type);
        pg.uplink = soap_bool(soap_text(prop_val(oc, "config.uplink"))) == 1;
        parse_mac_policy(mac, &pg.mac);
        r |= dup_or_null(soap_child_text(soap_child(mac, "macLearningPolicy"), "limitPolicy"), &pg.mac.limit_policy);
        parse_sec_policy(soap_child(port, "securityPolicy"), &pg.sec);
        if (r < 0) {
                free(sw_type);
                nw_dvpg_done(&pg);
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        if (!pg.name || !pg.switch_moref) {
                free(sw_type);
                nw_dvpg_done(&pg);
                return nw_errf(err, -NW_EREPLY, "DV portgroup %s: reply has no name or switch", moref);
        }
        *ret = pg;
        *ret_switch_type = sw_type;
        return 0;
}

/* Appends a zeroed element to an array that only ever grows by one: capacity is implied by n
 * (8, then powers of two), so the inventory's structs need no capacity fields. */
static void *push(void **arr, size_t *n, size_t sz) {
        char *p = *arr;

        if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
                p = reallocarray(p, *n < 8 ? 8 : *n * 2, sz);
                if (!p)
                        return NULL;
                *arr = p;
        }
        memset(p + *n * sz, 0, sz);
        return p + (*n)++ * sz;
}
#define PUSH(arr, n) ((__typeof__(arr)) push((void **) &(arr), &(n), sizeof(*(arr))))

typedef struct gather {
        nw_inventory inv;
        nw_strv switch_types; /* parallel to inv.switches: the moref type to ask for */
        nw_strv pairs;        /* "HOST\nPORTGROUP" pairs some VM uses */
        nw_strv hosts;        /* hosts to read portgroups from */
} gather;

static int on_round1(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        gather *g = userdata;
        int r;

        /* Many VMs lead to one network; the collector reports it once, but do not rely on that. */
        if (strcmp(type, "VirtualMachine") != 0 && nw_inventory_get_network(&g->inv, moref))
                return 0;
        if (strcmp(type, "VirtualMachine") == 0) {
                nw_vm *vm = PUSH(g->inv.vms, g->inv.n_vms);
                if (!vm)
                        return nw_errf(err, -ENOMEM, "out of memory");
                r = inv_parse_vm(oc, moref, vm, err);
                if (r < 0)
                        g->inv.n_vms--;
                return r;
        }
        if (strcmp(type, "DistributedVirtualPortgroup") == 0) {
                _cleanup_free_ char *sw_type = NULL;
                nw_dvpg *pg = PUSH(g->inv.dvpgs, g->inv.n_dvpgs);
                nw_network *net;

                if (!pg)
                        return nw_errf(err, -ENOMEM, "out of memory");
                r = inv_parse_dvpg(oc, moref, pg, &sw_type, err);
                if (r < 0) {
                        g->inv.n_dvpgs--;
                        return r;
                }
                if (!nw_inventory_get_switch(&g->inv, pg->switch_moref)) {
                        nw_switch *sw = PUSH(g->inv.switches, g->inv.n_switches);
                        if (!sw || !(sw->moref = strdup(pg->switch_moref)) ||
                            nw_strv_push(&g->switch_types, sw_type ? sw_type : "VmwareDistributedVirtualSwitch") < 0)
                                return nw_errf(err, -ENOMEM, "out of memory");
                        sw->mac_learning_supported = NW_UNSET;
                }
                net = PUSH(g->inv.networks, g->inv.n_networks);
                if (!net || !(net->moref = strdup(moref)) || !(net->name = strdup(pg->name)))
                        return nw_errf(err, -ENOMEM, "out of memory");
                net->kind = NW_NET_DVPG;
                return 0;
        }
        /* Network, OpaqueNetwork, ...: remember the name; only plain Network is a standard portgroup. */
        {
                nw_network *net = PUSH(g->inv.networks, g->inv.n_networks);
                const char *name = soap_text(prop_val(oc, "name"));

                if (!net || !(net->moref = strdup(moref)) || !(net->name = strdup(name ? name : "")))
                        return nw_errf(err, -ENOMEM, "out of memory");
                net->kind = strcmp(type, "Network") == 0 ? NW_NET_STANDARD : NW_NET_OTHER;
        }
        return 0;
}

static int on_switch(gather *g, const char *moref, const xmlNode *oc, nw_err *err) {
        nw_switch *sw = (nw_switch *) nw_inventory_get_switch(&g->inv, moref);
        const xmlNode *caps = prop_val(oc, "capability.featuresSupported");

        if (!sw)
                return 0;
        if (dup_or_null(soap_text(prop_val(oc, "name")), &sw->name) < 0 ||
            dup_or_null(soap_text(prop_val(oc, "config.productInfo.version")), &sw->version) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        sw->mac_learning_supported = tri(soap_child_text(caps, "macLearningSupported"));
        return 0;
}

static char *node_xml(const xmlNode *n) {
        xmlBuffer *buf = xmlBufferCreate();
        char *s = NULL;

        if (!buf)
                return NULL;
        if (xmlNodeDump(buf, n->doc, (xmlNode *) n, 0, 0) >= 0)
                s = strdup((const char *) xmlBufferContent(buf));
        xmlBufferFree(buf);
        return s;
}

static int on_host(gather *g, const char *moref, const xmlNode *oc, nw_err *err) {
        const xmlNode *pgs = prop_val(oc, "config.network.portgroup");

        SOAP_FOREACH(hpg, pgs, "HostPortGroup") {
                const xmlNode *spec = soap_child(hpg, "spec");
                const xmlNode *sec = soap_child(soap_child(hpg, "computedPolicy"), "security");
                const char *name = soap_child_text(spec, "name");
                _cleanup_free_ char *pair = NULL;
                nw_stdpg *pg;

                if (!name || asprintf(&pair, "%s\n%s", moref, name) < 0)
                        continue;
                if (!nw_strv_contains(&g->pairs, pair))
                        continue;
                pg = PUSH(g->inv.stdpgs, g->inv.n_stdpgs);
                if (!pg)
                        return nw_errf(err, -ENOMEM, "out of memory");
                *pg = (nw_stdpg) {};
                if (asprintf(&pg->id, "%s/%s", moref, name) < 0) {
                        pg->id = NULL;
                        return nw_errf(err, -ENOMEM, "out of memory");
                }
                if (!(pg->host = strdup(moref)) || !(pg->name = strdup(name)) ||
                    dup_or_null(soap_child_text(spec, "vswitchName"), &pg->vswitch) < 0 || !(pg->spec_xml = node_xml(spec)))
                        return nw_errf(err, -ENOMEM, "out of memory");
                pg->promiscuous = tri(soap_child_text(sec, "allowPromiscuous"));
                pg->mac_changes = tri(soap_child_text(sec, "macChanges"));
                pg->forged_transmits = tri(soap_child_text(sec, "forgedTransmits"));
        }
        return 0;
}

static int on_round2(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        gather *g = userdata;

        if (strcmp(type, "HostSystem") == 0)
                return on_host(g, moref, oc, err);
        return on_switch(g, moref, oc, err);
}

static int round1(vim_ctx *vc, const nw_strv *vm_morefs, int64_t page_size, gather *g, bool old_api, nw_err *err) {
        static const vim_traversal to_networks = { .name = "vmToNetwork", .type = "VirtualMachine", .path = "network" };
        const vim_prop_spec props[] = {
                { "VirtualMachine", vm_paths },
                { "Network", net_paths },
                { "DistributedVirtualPortgroup", old_api ? dvpg_paths_old : dvpg_paths },
        };
        _cleanup_free_ vim_obj_spec *objs = calloc(vm_morefs->n ? vm_morefs->n : 1, sizeof(*objs));

        if (!objs)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < vm_morefs->n; i++)
                objs[i] = (vim_obj_spec) { "VirtualMachine", vm_morefs->v[i], &to_networks, 1 };
        return vc_retrieve(vc,
                           &(vim_filter_spec) { props, ELEMENTSOF(props), objs, vm_morefs->n },
                           page_size, on_round1, g, err);
}

static int round2(vim_ctx *vc, int64_t page_size, gather *g, nw_err *err) {
        const vim_prop_spec props[] = {
                { "DistributedVirtualSwitch", dvs_paths },
                { "HostSystem", host_paths },
        };
        size_t n = g->inv.n_switches + g->hosts.n, k = 0;
        _cleanup_free_ vim_obj_spec *objs = NULL;

        if (n == 0)
                return 0;
        objs = calloc(n, sizeof(*objs));
        if (!objs)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < g->inv.n_switches; i++)
                objs[k++] = (vim_obj_spec) { g->switch_types.v[i], g->inv.switches[i].moref, NULL, 0 };
        for (size_t i = 0; i < g->hosts.n; i++)
                objs[k++] = (vim_obj_spec) { "HostSystem", g->hosts.v[i], NULL, 0 };
        return vc_retrieve(vc, &(vim_filter_spec) { props, ELEMENTSOF(props), objs, k }, page_size, on_round2, g, err);
}

/* Which (host, portgroup name) pairs the VMs sit on: standard portgroups live per host. */
static int collect_pairs(gather *g, nw_err *err) {
        for (size_t i = 0; i < g->inv.n_vms; i++) {
                const nw_vm *vm = &g->inv.vms[i];

                for (size_t j = 0; j < vm->networks.n && vm->host; j++) {
                        const nw_network *net = nw_inventory_get_network(&g->inv, vm->networks.v[j]);
                        _cleanup_free_ char *pair = NULL;

                        if (!net || net->kind != NW_NET_STANDARD)
                                continue;
                        if (asprintf(&pair, "%s\n%s", vm->host, net->name) < 0)
                                return nw_errf(err, -ENOMEM, "out of memory");
                        if ((!nw_strv_contains(&g->pairs, pair) && nw_strv_push(&g->pairs, pair) < 0) ||
                            (!nw_strv_contains(&g->hosts, vm->host) && nw_strv_push(&g->hosts, vm->host) < 0))
                                return nw_errf(err, -ENOMEM, "out of memory");
                }
        }
        return 0;
}

static void gather_free(gather *g) {
        nw_inventory_free(&g->inv);
        nw_strv_free(&g->switch_types);
        nw_strv_free(&g->pairs);
        nw_strv_free(&g->hosts);
}

int inv_gather(vim_ctx *vc, const nw_strv *vm_morefs, const nw_policy_cfg *cfg, int64_t page_size, nw_inventory *ret,
               nw_err *err) {
        _cleanup_(gather_free) gather g = {};
        int r;

        if (vm_morefs->n > 0) {
                r = round1(vc, vm_morefs, page_size, &g, false, err);
                if (r == -NW_EFAULT && err && strcmp(err->fault, "InvalidProperty") == 0) {
                        /* A vCenter before 7.0 has no config.backingType (and no NSX-backed DV portgroups). */
                        gather_free(&g);
                        g = (gather) {};
                        r = round1(vc, vm_morefs, page_size, &g, true, err);
                }
                if (r < 0)
                        return r;
        }
        if (cfg->standard_portgroups) {
                r = collect_pairs(&g, err);
                if (r < 0)
                        return r;
        }
        r = round2(vc, page_size, &g, err);
        if (r < 0)
                return r;

        *ret = g.inv;
        g.inv = (nw_inventory) {};
        return 0;
}
