/* What nestwarden tells vCenter, as text, and how often: the event lines, the VMs' status words, the
 * object an event goes on, the rate limit. Pure: no I/O, no clock (the caller passes the time). */
#include "annotate.h"

#include <stdarg.h>
#include <string.h>

void annotate_bucket_init(annotate_bucket *b, unsigned per_minute, double now) {
        *b = (annotate_bucket) {
                .per_second = per_minute / 60.0,
                .burst = per_minute,
                .tokens = per_minute,
                .last = now,
        };
}

bool annotate_bucket_take(annotate_bucket *b, double now) {
        if (now > b->last) {
                b->tokens += (now - b->last) * b->per_second;
                if (b->tokens > b->burst)
                        b->tokens = b->burst;
        }
        /* A clock that went back (it is monotonic, but a caller may pass anything) refills nothing. */
        b->last = now > b->last ? now : b->last;
        if (b->tokens >= 1.0) {
                b->tokens -= 1.0;
                return true;
        }
        b->dropped++;
        return false;
}

size_t annotate_bucket_take_dropped(annotate_bucket *b) {
        size_t n = b->dropped;

        b->dropped = 0;
        return n;
}

/* Cut inside a name: never leave half a UTF-8 character for vCenter to refuse; a cut line is still
 * worth telling. */
#define put(buf, size, ...) (nw_textf(buf, size, __VA_ARGS__) == -EINVAL ? -EINVAL : 0)

static bool is_true(const char *v) {
        return v && strcmp(v, "true") == 0;
}

/* The drift as an admin reads it: what is wrong, and what it breaks. */
static int drift_line(const nw_event *ev, const char *name, char *buf, size_t size) {
        const char *act = ev->actual ? ev->actual : "unset", *exp = ev->expected ? ev->expected : "unset";

        switch (ev->check) {
        case NW_CHECK_NESTED_HV:
                return put(buf, size, "nestwarden: nested HV not exposed on %s (%s); Hyper-V inside it cannot start",
                           name, act);
        case NW_CHECK_NESTED_HV_SUPPORTED:
                return put(buf, size, "nestwarden: %s cannot expose nested HV (hardware version or host); "
                           "Hyper-V inside it cannot start", name);
        case NW_CHECK_FORGED_TRANSMITS:
                return put(buf, size, "nestwarden: forged transmits rejected on %s; nested Hyper-V guests lose "
                           "their network", name);
        case NW_CHECK_PROMISCUOUS:
                if (is_true(exp))
                        return put(buf, size, "nestwarden: promiscuous mode rejected on %s (no MAC learning there); "
                                   "nested Hyper-V guests lose their network", name);
                return put(buf, size, "nestwarden: promiscuous mode accepted on %s where MAC learning serves; "
                           "every VM on it gets copies of all traffic", name);
        case NW_CHECK_MAC_LEARNING:
                return put(buf, size, "nestwarden: MAC learning %s on %s; nested Hyper-V guests lose their network",
                           is_true(act) ? "on" : "off", name);
        default:
                return put(buf, size, "nestwarden: %s on %s is %s, expected %s", nw_check_to_string(ev->check) ?: "?",
                           name, act, exp);
        }
}

int annotate_message(const nw_event *ev, char *buf, size_t size) {
        const char *name = ev->object_name && *ev->object_name ? ev->object_name : ev->object;
        const char *check = nw_check_to_string(ev->check);
        const char *detail = ev->detail && *ev->detail ? ev->detail : NULL;

        if (!buf || size == 0)
                return -EINVAL;
        buf[0] = '\0';
        if (!ev->object || ev->object_kind == NW_KIND_NONE)
                return -ENOENT;
        switch (ev->type) {
        case NW_EVENT_DRIFT:
                return drift_line(ev, name, buf, size);
        case NW_EVENT_RESOLVED:
                return put(buf, size, "nestwarden: resolved: %s on %s is %s again", check ?: "drift", name,
                           ev->expected ? ev->expected : "as expected");
        case NW_EVENT_REMEDIATED:
                return put(buf, size, "nestwarden: fixed %s on %s: %s -> %s%s%s%s", check ?: "policy", name,
                           ev->before ?: "unset", ev->after ?: ev->expected ?: "unset", ev->task ? " (" : "",
                           ev->task ?: "", ev->task ? ")" : "");
        case NW_EVENT_REMEDIATION_FAILED:
                return put(buf, size, "nestwarden: could not fix %s on %s%s%s%s%s", check ?: "policy", name,
                           ev->fault ? ": " : "", ev->fault ?: "", detail ? ": " : "", detail ?: "");
        case NW_EVENT_REMEDIATION_SKIPPED:
                return put(buf, size, "nestwarden: drift on %s left as it is (%s)%s%s", name, ev->reason ?: "skipped",
                           detail ? ": " : "", detail ?: "");
        case NW_EVENT_FIGHT:
                return put(buf, size, "nestwarden: something keeps reverting %s after nestwarden fixed it; hands "
                           "off%s%s", name, detail ? ": " : "", detail ?: "");
        case NW_EVENT_UNREADABLE:
                return put(buf, size, "nestwarden: cannot read %s (%s): its compliance is unknown", name,
                           ev->actual ?: "missing");
        case NW_EVENT_READABLE:
                return put(buf, size, "nestwarden: %s can be read again", name);
        default:
                return -ENOENT;
        }
}

int annotate_entity(const nw_event *ev, const nw_inventory *inv, const char **ret_type, char *moref, size_t size) {
        const char *type, *object = ev->object;
        size_t n;

        if (!object || !*object)
                return -ENOENT;
        n = strlen(object);
        switch (ev->object_kind) {
        case NW_KIND_VM:
                type = "VirtualMachine";
                break;
        case NW_KIND_DVPG:
                type = "DistributedVirtualPortgroup";
                break;
        case NW_KIND_HOST:
                type = "HostSystem";
                break;
        case NW_KIND_PG:
                /* A standard portgroup is no managed object: its host is. */
                type = "HostSystem";
                n = strcspn(object, "/");
                if (n == 0 || object[n] != '/')
                        return -ENOENT;
                break;
        case NW_KIND_DVPORT: {
                /* A port is no managed object: it goes on the VM whose NIC uses it (where the admin
                 * looks, and whose status names it), or else on its switch. */
                ssize_t p = inv ? nw_inventory_dvport_index(inv, object) : -1;

                if (p >= 0 && inv->dvports[p].vm) {
                        object = inv->dvports[p].vm;
                        n = strlen(object);
                        type = "VirtualMachine";
                        break;
                }
                n = strcspn(object, "/");
                if (n == 0 || object[n] != '/')
                        return -ENOENT;
                type = p >= 0 && inv->dvports[p].switch_type ? inv->dvports[p].switch_type
                                                               : "VmwareDistributedVirtualSwitch";
                break;
        }
        case NW_KIND_SWITCH: {
                const nw_switch *sw = inv ? nw_inventory_get_switch(inv, object) : NULL;

                type = sw && sw->type ? sw->type : "VmwareDistributedVirtualSwitch";
                break;
        }
        default:
                return -ENOENT;
        }
        if (n >= size)
                return -ENOBUFS;
        memcpy(moref, object, n);
        moref[n] = '\0';
        *ret_type = type;
        return 0;
}

/* Which drift the status names when there are several: what breaks nested Hyper-V outright first. */
static int rank(nw_check c) {
        static const nw_check order[] = {
                NW_CHECK_NESTED_HV, NW_CHECK_NESTED_HV_SUPPORTED, NW_CHECK_FORGED_TRANSMITS, NW_CHECK_MAC_LEARNING,
                NW_CHECK_PROMISCUOUS, NW_CHECK_MAC_CHANGES, NW_CHECK_MAC_LEARNING_LIMIT,
        };

        for (size_t i = 0; i < ELEMENTSOF(order); i++)
                if (order[i] == c)
                        return (int) i;
        return (int) ELEMENTSOF(order);
}

/* Whether finding object is the VM or something its verdict rests on: a network it is on, that
 * network's standard portgroup on its host ("HOST/NAME"), a DV portgroup's switch, its host, the
 * port one of its NICs uses ("SWITCH/KEY"). */
static bool concerns(const nw_inventory *inv, const nw_vm *vm, const char *object) {
        ssize_t port;

        if (strcmp(object, vm->moref) == 0 || (vm->host && strcmp(object, vm->host) == 0))
                return true;
        port = nw_inventory_dvport_index(inv, object);
        if (port >= 0)
                return inv->dvports[port].vm && strcmp(inv->dvports[port].vm, vm->moref) == 0;
        for (size_t i = 0; i < vm->networks.n; i++) {
                const char *net = vm->networks.v[i];
                const nw_network *nw = nw_inventory_get_network(inv, net);
                ssize_t pg;

                if (strcmp(object, net) == 0)
                        return true;
                if (nw && nw->kind == NW_NET_STANDARD && vm->host && nw->name) {
                        size_t h = strlen(vm->host);

                        if (strncmp(object, vm->host, h) == 0 && object[h] == '/' && strcmp(object + h + 1, nw->name) == 0)
                                return true;
                }
                pg = nw_inventory_dvpg_index(inv, net);
                if (pg >= 0 && inv->dvpgs[pg].switch_moref && strcmp(object, inv->dvpgs[pg].switch_moref) == 0)
                        return true;
        }
        return false;
}

static bool pending_power_off(const nw_fix_plan *plan, const char *vm) {
        for (size_t i = 0; plan && i < plan->n; i++)
                if (plan->v[i].verdict == NW_FIX_PENDING_POWER_OFF && strcmp(plan->v[i].object, vm) == 0)
                        return true;
        return false;
}

void annotate_vm_status(const nw_inventory *inv, const nw_findings *f, const nw_fix_plan *plan, size_t vm, char *buf,
                        size_t size) {
        const nw_vm *v = &inv->vms[vm];
        const nw_finding *best = NULL, *unread = NULL;

        for (size_t i = 0; i < f->n; i++) {
                const nw_finding *x = &f->v[i];

                if (!concerns(inv, v, x->object))
                        continue;
                if (x->check == NW_CHECK_UNREADABLE) {
                        if (strcmp(x->object, v->moref) == 0) {
                                (void) put(buf, size, "unreadable");
                                return;
                        }
                        unread = unread ?: x;
                } else if (!best || rank(x->check) < rank(best->check))
                        best = x;
        }
        if (best && best->check == NW_CHECK_NESTED_HV && pending_power_off(plan, v->moref))
                (void) put(buf, size, "pending power-off");
        else if (best)
                (void) put(buf, size, "drift: %s on %s", nw_check_to_string(best->check) ?: "?",
                           best->name ? best->name : best->object);
        else if (unread)
                (void) put(buf, size, "unreadable: %s", unread->name ? unread->name : unread->object);
        else
                (void) put(buf, size, "compliant");
}
