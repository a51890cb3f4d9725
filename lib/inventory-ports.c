/* The port round: the NICs of the tagged VMs whose DV portgroup lets ports override policy, then
 * their ports, read with FetchDVPorts once per switch (in batches of page_size keys). Ports are no
 * managed objects: no PropertyCollector reads them and no update set tells of a change, so the
 * round runs after every gather and again whenever run has reason to (see README: port-level). */
#include "inventory-ports.h"
#include "inventory-props.h"
#include "vim-tasks.h"

#include <string.h>

static bool wants_ports(const nw_inventory *inv, const nw_vm *vm) {
        if (vm->template)
                return false;
        for (size_t i = 0; i < vm->networks.n; i++) {
                ssize_t k = nw_inventory_dvpg_index(inv, vm->networks.v[i]);

                if (k >= 0 && nw_dvpg_override_allowed(&inv->dvpgs[k]) && !inv->dvpgs[k].uplink)
                        return true;
        }
        return false;
}

/* Forgets what the last port round read: ports, NICs, and the unreadable entries it recorded. */
static void forget(nw_inventory *inv) {
        size_t k = 0;

        for (size_t i = 0; i < inv->n_dvports; i++)
                nw_dvport_done(&inv->dvports[i]);
        inv->n_dvports = 0;
        for (size_t i = 0; i < inv->n_vms; i++) {
                nw_vm *vm = &inv->vms[i];

                for (size_t j = 0; j < vm->n_nics; j++)
                        nw_nic_done(&vm->nics[j]);
                free(vm->nics);
                vm->nics = NULL;
                vm->n_nics = 0;
        }
        for (size_t i = 0; i < inv->n_unreadable; i++) {
                if (inv->unreadable[i].ports_round)
                        nw_unreadable_done(&inv->unreadable[i]);
                else
                        inv->unreadable[k++] = inv->unreadable[i];
        }
        inv->n_unreadable = k;
}

static int note(nw_inventory *inv, nw_kind kind, const char *object, const char *name, const char *fault,
                const char *what) {
        size_t n = inv->n_unreadable;
        int r;

        r = nw_inventory_add_unreadable(inv, kind, object, name, fault, what);
        if (r >= 0 && inv->n_unreadable > n)
                inv->unreadable[n].ports_round = true;
        return r;
}

typedef struct devices {
        nw_inventory *inv;
        nw_strv read;           /* the VMs whose devices came */
} devices;

static int on_devices(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        devices *dv = userdata;
        nw_inventory *inv = dv->inv;
        ssize_t i = nw_inventory_vm_index(inv, moref);
        char fault[64], what[256];
        const xmlNode *list;
        const char *path;
        bool present;
        nw_vm *vm;

        if (i < 0)
                return 0;
        vm = &inv->vms[i];
        if (props_first_missing(oc, &path, fault, sizeof(fault))) {
                snprintf(what, sizeof(what), "%s on %s: its ports cannot be judged", fault, path);
                return note(inv, NW_KIND_VM, moref, vm->name, fault, what) < 0 ? nw_errf(err, -ENOMEM, "out of memory")
                                                                                : 0;
        }
        list = props_val(oc, "config.hardware.device", &present);
        /* Without the device list the ports are unknown: never judged as if there were none. */
        if (!present)
                return note(inv, NW_KIND_VM, moref, vm->name, NULL,
                            "config.hardware.device not returned: its ports cannot be judged") < 0 ?
                        nw_errf(err, -ENOMEM, "out of memory") : 0;
        if (props_parse_nics(list, &vm->nics, &vm->n_nics) < 0 || nw_strv_push(&dv->read, moref) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        return 0;
}

static int read_nics(vim_ctx *vc, nw_inventory *inv, const nw_strv *vms, int64_t page_size, nw_err *err) {
        static const char *const paths[] = { "config.hardware.device", NULL };
        const vim_prop_spec props[] = { { "VirtualMachine", paths } };
        _cleanup_free_ vim_obj_spec *objs = calloc(vms->n ? vms->n : 1, sizeof(*objs));
        _cleanup_strv_ nw_strv read = {};
        devices dv = { .inv = inv };
        int r;

        if (!objs)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < vms->n; i++)
                objs[i] = (vim_obj_spec) { "VirtualMachine", vms->v[i], NULL, 0 };
        r = vim_retrieve(vc, &(vim_filter_spec) { props, 1, objs, vms->n }, page_size, on_devices, &dv, err);
        read = dv.read;
        if (r < 0)
                return r;
        /* A VM left out of the reply (or with a missingSet, noted already) has unknown ports. */
        for (size_t i = 0; i < vms->n; i++) {
                ssize_t k = nw_inventory_vm_index(inv, vms->v[i]);

                if (!nw_strv_contains(&read, vms->v[i]) &&
                    note(inv, NW_KIND_VM, vms->v[i], k >= 0 ? inv->vms[k].name : NULL, NULL,
                         "devices not returned by vCenter: its ports cannot be judged") < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        }
        return 0;
}

/* A NIC whose port is to be read: on a portgroup of this inventory that allows overrides. */
typedef struct wanted {
        const nw_vm *vm;
        const nw_nic *nic;
        const nw_dvpg *pg;
        bool found;
} wanted;

typedef struct batch {
        nw_inventory *inv;
        wanted *w;              /* the batch's ports, all on one switch */
        size_t n;
        const nw_switch *sw;
} batch;

static int on_port(void *userdata, const xmlNode *port, nw_err *err) {
        batch *b = userdata;
        _cleanup_free_ char *id = NULL, *name = NULL;
        nw_dvport p, *slot;
        wanted *w = NULL;
        int r;

        r = props_parse_dvport(port, &p);
        if (r == -EBADMSG)
                return nw_errf(err, -NW_EREPLY, "FetchDVPorts on %s: a port without a key", b->sw->moref);
        if (r < 0)
                return nw_errf(err, r, "out of memory");
        for (size_t i = 0; i < b->n && !w; i++)
                if (!b->w[i].found && strcmp(b->w[i].nic->port_key, p.key) == 0)
                        w = &b->w[i];
        if (!w) {
                /* Not asked for (vcsim without the scenario's fix returns them all): not ours. */
                nw_dvport_done(&p);
                return 0;
        }
        /* A port without its setting cannot be judged: left unfound, so it is noted unreadable. */
        if (!p.mac.present && !p.sec.present) {
                nw_dvport_done(&p);
                return 0;
        }
        w->found = true;
        if (asprintf(&id, "%s/%s", b->sw->moref, p.key) < 0 ||
            asprintf(&name, "%s %s", w->vm->name ? w->vm->name : w->vm->moref, w->nic->label) < 0) {
                id = name = NULL;
                nw_dvport_done(&p);
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        free(p.portgroup);
        p.portgroup = strdup(w->pg->moref);
        p.id = TAKE_PTR(id);
        p.name = TAKE_PTR(name);
        p.switch_moref = strdup(b->sw->moref);
        p.switch_type = strdup(b->sw->type ? b->sw->type : "DistributedVirtualSwitch");
        p.vm = strdup(w->vm->moref);
        slot = PUSH(b->inv->dvports, b->inv->n_dvports);
        if (!p.portgroup || !p.switch_moref || !p.switch_type || !p.vm || !slot) {
                nw_dvport_done(&p);
                if (slot)
                        b->inv->n_dvports--;
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        *slot = p;
        return 0;
}

static int fetch_batch(vim_ctx *vc, batch *b, nw_err *err) {
        _cleanup_free_ const char **keys = calloc(b->n, sizeof(*keys));
        nw_err e = {};
        int r;

        if (!keys)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < b->n; i++)
                keys[i] = b->w[i].nic->port_key;
        r = vim_fetch_dvports(vc, b->sw->type ? b->sw->type : "DistributedVirtualSwitch", b->sw->moref, keys, b->n,
                              on_port, b, &e);
        /* A refusal (NoPermission) makes these ports unreadable; the rest of the facts stand. */
        if (r < 0 && !(r == -NW_ESOAPFAULT && e.fault[0])) {
                *err = e;
                return r;
        }
        for (size_t i = 0; i < b->n; i++) {
                _cleanup_free_ char *id = NULL, *name = NULL;
                char what[256];

                if (b->w[i].found)
                        continue;
                if (asprintf(&id, "%s/%s", b->sw->moref, b->w[i].nic->port_key) < 0 ||
                    asprintf(&name, "%s %s", b->w[i].vm->name ? b->w[i].vm->name : b->w[i].vm->moref,
                             b->w[i].nic->label) < 0) {
                        id = name = NULL;
                        return nw_errf(err, -ENOMEM, "out of memory");
                }
                if (r < 0)
                        snprintf(what, sizeof(what), "FetchDVPorts on %s: %.160s", b->sw->moref, e.msg);
                else
                        snprintf(what, sizeof(what), "not returned by FetchDVPorts on %s", b->sw->moref);
                if (note(b->inv, NW_KIND_DVPORT, id, name, r < 0 ? e.fault : NULL, what) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        }
        return 0;
}

/* Every wanted port, one switch at a time, page_size keys per call. */
static int fetch_ports(vim_ctx *vc, nw_inventory *inv, wanted *w, size_t n, int64_t page_size, nw_err *err) {
        _cleanup_free_ wanted *group = calloc(n ? n : 1, sizeof(*group));

        if (!group)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t s = 0; s < inv->n_switches; s++) {
                const nw_switch *sw = &inv->switches[s];
                size_t k = 0;

                /* An unreadable switch already makes its portgroups, and so their ports, unjudged. */
                if (sw->unreadable)
                        continue;
                for (size_t i = 0; i < n; i++)
                        if (w[i].pg->switch_moref && strcmp(w[i].pg->switch_moref, sw->moref) == 0)
                                group[k++] = w[i];
                for (size_t off = 0; off < k; off += (size_t) page_size) {
                        batch b = { .inv = inv, .w = group + off, .sw = sw,
                                    .n = k - off < (size_t) page_size ? k - off : (size_t) page_size };
                        int r = fetch_batch(vc, &b, err);

                        if (r < 0)
                                return r;
                }
        }
        return 0;
}

int inventory_ports_read(vim_ctx *vc, inventory_ctx *ctx, int64_t page_size, nw_err *err) {
        nw_inventory *inv = &ctx->inv;
        _cleanup_strv_ nw_strv vms = {};
        _cleanup_free_ wanted *w = NULL;
        size_t n = 0, cap = 0;
        int r;

        forget(inv);
        for (size_t i = 0; i < inv->n_vms; i++)
                if (wants_ports(inv, &inv->vms[i]) && nw_strv_push(&vms, inv->vms[i].moref) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
        if (vms.n == 0)
                return 0;
        r = read_nics(vc, inv, &vms, page_size, err);
        if (r < 0)
                return r;

        for (size_t i = 0; i < inv->n_vms; i++)
                cap += inv->vms[i].n_nics;
        w = calloc(cap ? cap : 1, sizeof(*w));
        if (!w)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < inv->n_vms; i++)
                for (size_t j = 0; j < inv->vms[i].n_nics; j++) {
                        const nw_nic *nic = &inv->vms[i].nics[j];
                        ssize_t k = nw_inventory_dvpg_index(inv, nic->portgroup);

                        /* No port bound (an ephemeral portgroup, a NIC never connected): the
                         * portgroup's verdict is all there is. */
                        if (!nic->port_key || k < 0 || !nw_dvpg_override_allowed(&inv->dvpgs[k]))
                                continue;
                        w[n++] = (wanted) { .vm = &inv->vms[i], .nic = nic, .pg = &inv->dvpgs[k] };
                }
        return fetch_ports(vc, inv, w, n, page_size, err);
}

typedef struct one {
        nw_dvport *port;
        bool found;
} one;

static int on_one(void *userdata, const xmlNode *node, nw_err *err) {
        one *o = userdata;
        nw_dvport p;
        int r;

        r = props_parse_dvport(node, &p);
        if (r < 0)
                return r == -ENOMEM ? nw_errf(err, r, "out of memory") : 0;
        if (strcmp(p.key, o->port->key) != 0) {
                nw_dvport_done(&p);
                return 0;
        }
        /* What the read gives; who uses the port, and its names, stay. */
        free(o->port->config_version);
        o->port->config_version = TAKE_PTR(p.config_version);
        free(o->port->mac.limit_policy);
        o->port->mac = p.mac;
        o->port->sec = p.sec;
        p.mac.limit_policy = NULL;
        nw_dvport_done(&p);
        o->found = true;
        return 0;
}

int inventory_ports_refresh(vim_ctx *vc, inventory_ctx *ctx, const char *id, nw_err *err) {
        ssize_t i = nw_inventory_dvport_index(&ctx->inv, id);
        one o = {};
        const char *key;
        int r;

        if (i < 0)
                return nw_errf(err, -ENOENT, "port %s is not among the facts", id);
        o.port = &ctx->inv.dvports[i];
        key = o.port->key;
        r = vim_fetch_dvports(vc, o.port->switch_type, o.port->switch_moref, &key, 1, on_one, &o, err);
        if (r < 0)
                return r;
        if (!o.found)
                return nw_errf(err, -ESTALE, "port %s: not returned by FetchDVPorts; it is judged again at the next "
                               "gather", id);
        return 0;
}
