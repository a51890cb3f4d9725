/* The facts model's names, destructor and local lookups; inventory fills the model, policy reads it. */
#include "facts.h"

#include <string.h>

static const char *const check_names[_NW_CHECK_MAX] = {
        [NW_CHECK_NESTED_HV] = "nested_hv",
        [NW_CHECK_NESTED_HV_SUPPORTED] = "nested_hv_supported",
        [NW_CHECK_MAC_LEARNING] = "mac_learning",
        [NW_CHECK_PROMISCUOUS] = "promiscuous",
        [NW_CHECK_FORGED_TRANSMITS] = "forged_transmits",
        [NW_CHECK_MAC_CHANGES] = "mac_changes",
        [NW_CHECK_MAC_LEARNING_LIMIT] = "mac_learning_limit",
        [NW_CHECK_UNREADABLE] = "unreadable",
};

const char *nw_check_to_string(nw_check c) {
        if ((unsigned) c >= ELEMENTSOF(check_names))
                return NULL;
        return check_names[c];
}

int nw_check_from_string(const char *s) {
        for (int c = NW_CHECK_NONE + 1; s && c < _NW_CHECK_MAX; c++)
                if (strcmp(s, nw_check_to_string(c)) == 0)
                        return c;
        return -EINVAL;
}

const char *nw_kind_to_string(nw_kind k) {
        switch (k) {
        case NW_KIND_VM:
                return "vm";
        case NW_KIND_DVPG:
                return "dvportgroup";
        case NW_KIND_PG:
                return "portgroup";
        case NW_KIND_NETWORK:
                return "network";
        case NW_KIND_SWITCH:
                return "switch";
        case NW_KIND_HOST:
                return "host";
        case NW_KIND_DVPORT:
                return "dvport";
        case NW_KIND_NONE:
        case _NW_KIND_MAX:
                break;
        }
        return NULL;
}

int nw_kind_from_string(const char *s) {
        for (int k = NW_KIND_NONE + 1; s && nw_kind_to_string(k); k++)
                if (strcmp(s, nw_kind_to_string(k)) == 0)
                        return k;
        return -EINVAL;
}

void nw_nic_done(nw_nic *nic) {
        free(nic->label);
        free(nic->portgroup);
        free(nic->port_key);
        *nic = (nw_nic) {};
}

void nw_vm_done(nw_vm *vm) {
        free(vm->moref);
        free(vm->name);
        free(vm->power_state);
        free(vm->host);
        nw_strv_done(&vm->networks);
        for (size_t i = 0; i < vm->n_nics; i++)
                nw_nic_done(&vm->nics[i]);
        free(vm->nics);
        *vm = (nw_vm) {};
}

void nw_dvport_done(nw_dvport *port) {
        free(port->id);
        free(port->switch_moref);
        free(port->switch_type);
        free(port->key);
        free(port->portgroup);
        free(port->vm);
        free(port->name);
        free(port->config_version);
        free(port->mac.limit_policy);
        *port = (nw_dvport) {};
}

void nw_unreadable_done(nw_unreadable *u) {
        free(u->object);
        free(u->name);
        free(u->fault);
        free(u->what);
        *u = (nw_unreadable) {};
}

bool nw_inventory_vm_has_ports(const nw_inventory *inv, const char *moref) {
        for (size_t i = 0; i < inv->n_dvports; i++)
                if (strcmp(inv->dvports[i].vm, moref) == 0)
                        return true;
        return false;
}

bool nw_dvpg_override_allowed(const nw_dvpg *pg) {
        return pg->security_override == NW_TRUE || pg->mac_override == NW_TRUE;
}

static void network_done(nw_network *n) {
        free(n->moref);
        free(n->name);
        nw_strv_done(&n->vms);
}

static void switch_done(nw_switch *sw) {
        free(sw->moref);
        free(sw->type);
        free(sw->name);
        free(sw->version);
}

void nw_dvpg_done(nw_dvpg *pg) {
        free(pg->moref);
        free(pg->name);
        free(pg->switch_moref);
        free(pg->switch_type);
        free(pg->config_version);
        free(pg->backing_type);
        free(pg->mac.limit_policy);
        nw_strv_done(&pg->vms);
        *pg = (nw_dvpg) {};
}

void nw_stdpg_done(nw_stdpg *pg) {
        free(pg->id);
        free(pg->host);
        free(pg->name);
        free(pg->vswitch);
        free(pg->spec_head_xml);
        free(pg->policy_tail_xml);
        free(pg->network_system);
        *pg = (nw_stdpg) {};
}

void nw_inventory_done(nw_inventory *inv) {
        if (!inv)
                return;

        for (size_t i = 0; i < inv->n_vms; i++)
                nw_vm_done(&inv->vms[i]);
        for (size_t i = 0; i < inv->n_networks; i++)
                network_done(&inv->networks[i]);
        for (size_t i = 0; i < inv->n_switches; i++)
                switch_done(&inv->switches[i]);
        for (size_t i = 0; i < inv->n_dvpgs; i++)
                nw_dvpg_done(&inv->dvpgs[i]);
        for (size_t i = 0; i < inv->n_stdpgs; i++)
                nw_stdpg_done(&inv->stdpgs[i]);
        for (size_t i = 0; i < inv->n_dvports; i++)
                nw_dvport_done(&inv->dvports[i]);
        free(inv->dvports);

        free(inv->vms);
        free(inv->networks);
        free(inv->switches);
        free(inv->dvpgs);
        for (size_t i = 0; i < inv->n_others; i++) {
                free(inv->others[i].moref);
                free(inv->others[i].name);
        }
        for (size_t i = 0; i < inv->n_unreadable; i++)
                nw_unreadable_done(&inv->unreadable[i]);
        free(inv->unreadable);
        free(inv->stdpgs);
        free(inv->others);
        *inv = (nw_inventory) {};
}

ssize_t nw_inventory_dvport_index(const nw_inventory *inv, const char *id) {
        for (size_t i = 0; inv && id && i < inv->n_dvports; i++)
                if (strcmp(inv->dvports[i].id, id) == 0)
                        return (ssize_t) i;
        return -1;
}

ssize_t nw_inventory_switch_index(const nw_inventory *inv, const char *moref) {
        for (size_t i = 0; inv && moref && i < inv->n_switches; i++)
                if (inv->switches[i].moref && strcmp(inv->switches[i].moref, moref) == 0)
                        return (ssize_t) i;
        return -1;
}

ssize_t nw_inventory_network_index(const nw_inventory *inv, const char *moref) {
        for (size_t i = 0; inv && moref && i < inv->n_networks; i++)
                if (inv->networks[i].moref && strcmp(inv->networks[i].moref, moref) == 0)
                        return (ssize_t) i;
        return -1;
}

const nw_switch *nw_inventory_get_switch(const nw_inventory *inv, const char *moref) {
        ssize_t i = nw_inventory_switch_index(inv, moref);
        return i < 0 ? NULL : &inv->switches[i];
}

const nw_network *nw_inventory_get_network(const nw_inventory *inv, const char *moref) {
        ssize_t i = nw_inventory_network_index(inv, moref);
        return i < 0 ? NULL : &inv->networks[i];
}

bool nw_inventory_has_object(const nw_inventory *inv, const char *object) {
        return nw_inventory_vm_index(inv, object) >= 0 || nw_inventory_dvpg_index(inv, object) >= 0 ||
                nw_inventory_stdpg_index(inv, object) >= 0 || nw_inventory_dvport_index(inv, object) >= 0;
}

const char *nw_inventory_get_other_name(const nw_inventory *inv, const char *moref) {
        for (size_t i = 0; i < inv->n_others; i++)
                if (strcmp(inv->others[i].moref, moref) == 0)
                        return inv->others[i].name;
        return NULL;
}

bool nw_inventory_is_tagged(const nw_inventory *inv, const char *moref) {
        return nw_inventory_vm_index(inv, moref) >= 0;
}

const nw_unreadable *nw_inventory_get_unreadable(const nw_inventory *inv, const char *object) {
        for (size_t i = 0; i < inv->n_unreadable; i++)
                if (strcmp(inv->unreadable[i].object, object) == 0)
                        return &inv->unreadable[i];
        return NULL;
}

int nw_inventory_add_unreadable(nw_inventory *inv, nw_kind kind, const char *object, const char *name,
                                const char *fault, const char *what) {
        nw_unreadable *v, *u;

        if (nw_inventory_get_unreadable(inv, object))
                return 0;
        v = reallocarray(inv->unreadable, inv->n_unreadable + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        inv->unreadable = v;
        u = &v[inv->n_unreadable];
        *u = (nw_unreadable) {
                .kind = kind,
                .object = strdup(object),
                .name = name ? strdup(name) : NULL,
                .fault = fault ? strdup(fault) : NULL,
                .what = strdup(what),
        };
        if (!u->object || !u->what || (name && !u->name) || (fault && !u->fault)) {
                nw_unreadable_done(u);
                return -ENOMEM;
        }
        inv->n_unreadable++;
        return 0;
}

bool nw_inventory_unobserved(const nw_inventory *inv, const char *object) {
        const char *slash = strchr(object, '/');

        if (nw_inventory_get_unreadable(inv, object))
                return true;
        for (size_t i = 0; i < inv->n_dvpgs; i++)
                if (strcmp(inv->dvpgs[i].moref, object) == 0) {
                        const nw_switch *sw = nw_inventory_get_switch(inv, inv->dvpgs[i].switch_moref);
                        return sw && sw->unreadable;
                }
        /* HOST/PORTGROUP or SWITCH/PORT: its host or switch may be the unreadable one. */
        if (slash) {
                for (size_t i = 0; i < inv->n_unreadable; i++)
                        if ((inv->unreadable[i].kind == NW_KIND_HOST || inv->unreadable[i].kind == NW_KIND_SWITCH) &&
                            strlen(inv->unreadable[i].object) == (size_t) (slash - object) &&
                            strncmp(inv->unreadable[i].object, object, (size_t) (slash - object)) == 0)
                                return true;
        }
        if (nw_inventory_has_object(inv, object))
                return false;
        for (size_t i = 0; i < inv->n_unreadable; i++)
                if (inv->unreadable[i].kind == NW_KIND_VM || inv->unreadable[i].kind == NW_KIND_NETWORK ||
                    inv->unreadable[i].kind == NW_KIND_PG)
                        return true;
        return false;
}

bool nw_inventory_has_any(const nw_inventory *inv, const char *object) {
        if (nw_inventory_has_object(inv, object))
                return true;
        for (size_t i = 0; i < inv->n_switches; i++)
                if (!inv->switches[i].unreadable && strcmp(inv->switches[i].moref, object) == 0)
                        return true;
        for (size_t i = 0; i < inv->n_networks; i++)
                if (strcmp(inv->networks[i].moref, object) == 0)
                        return true;
        for (size_t i = 0; i < inv->n_stdpgs; i++)
                if (strcmp(inv->stdpgs[i].host, object) == 0)
                        return true;
        return false;
}

ssize_t nw_inventory_vm_index(const nw_inventory *inv, const char *moref) {
        for (size_t i = 0; i < inv->n_vms; i++)
                if (strcmp(inv->vms[i].moref, moref) == 0)
                        return (ssize_t) i;
        return -1;
}

ssize_t nw_inventory_dvpg_index(const nw_inventory *inv, const char *moref) {
        for (size_t i = 0; i < inv->n_dvpgs; i++)
                if (strcmp(inv->dvpgs[i].moref, moref) == 0)
                        return (ssize_t) i;
        return -1;
}

ssize_t nw_inventory_stdpg_index(const nw_inventory *inv, const char *id) {
        for (size_t i = 0; i < inv->n_stdpgs; i++)
                if (inv->stdpgs[i].id && strcmp(inv->stdpgs[i].id, id) == 0)
                        return (ssize_t) i;
        return -1;
}
