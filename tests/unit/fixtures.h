/* Fixtures shared by the unit tests: nw_value literals, policy settings, and small nw_inventory
 * values built by hand (VMs, switches, DV and standard portgroups, networks). Every allocation
 * aborts on failure; nw_inventory_done() frees everything added. */
#pragma once

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"

#define YES NW_TRUE
#define NO NW_FALSE
#define UNS NW_UNSET

#define VB(x) { .type = NW_VAL_BOOL, .b = (x), .limit = -1 }
#define VU { .type = NW_VAL_UNSET, .limit = -1 }
#define VL(n, p) { .type = NW_VAL_LIMIT, .limit = (n), .limit_policy = (p) }

static inline bool value_eq(const nw_value *a, const nw_value *b) {
        if (a->type != b->type)
                return false;
        if (a->type == NW_VAL_BOOL)
                return a->b == b->b;
        if (a->type == NW_VAL_LIMIT)
                return a->limit == b->limit && strcmp(a->limit_policy, b->limit_policy) == 0;
        return true;
}

/* --- policy settings --- */

/* Flags that turn the defaults around, for make_pol(). */
enum {
        CFG_NO_NESTED_HV = 1 << 0,
        CFG_NO_FORGED = 1 << 1,
        CFG_NO_MAC_LEARNING = 1 << 2,
        CFG_MAC_CHANGES = 1 << 3,
        CFG_NO_STANDARD = 1 << 4,
        CFG_LIMIT_1024_ALLOW = 1 << 5,
        CFG_LIMIT_POLICY_NULL = 1 << 6,
};

static inline nw_policy_cfg make_pol(unsigned flags) {
        nw_policy_cfg cfg;

        nw_policy_cfg_defaults(&cfg);
        cfg.nested_hv = !(flags & CFG_NO_NESTED_HV);
        cfg.forged_transmits = !(flags & CFG_NO_FORGED);
        cfg.mac_learning = !(flags & CFG_NO_MAC_LEARNING);
        cfg.mac_changes = flags & CFG_MAC_CHANGES;
        cfg.standard_portgroups = !(flags & CFG_NO_STANDARD);
        if (flags & CFG_LIMIT_1024_ALLOW) {
                cfg.mac_learning_limit = 1024;
                cfg.mac_learning_limit_policy = "allow";
        }
        if (flags & CFG_LIMIT_POLICY_NULL)
                cfg.mac_learning_limit_policy = NULL;
        return cfg;
}

/* --- building inventories --- */

static inline char *xstrdup(const char *s) {
        char *p;

        if (!s)
                return NULL;
        p = strdup(s);
        if (!p)
                abort();
        return p;
}

static inline void push(nw_strv *s, const char *str) {
        if (nw_strv_push(s, str) < 0)
                abort();
}

/* Appends one zeroed element; the pointer is valid until the next append to the same array. */
static inline void *append(void **v, size_t *n, size_t size) {
        char *p = realloc(*v, (*n + 1) * size);

        if (!p)
                abort();
        memset(p + *n * size, 0, size);
        *v = p;
        return p + (*n)++ * size;
}
#define APPEND(inv, field) append((void **) &(inv)->field, &(inv)->n_##field, sizeof(*(inv)->field))

/* A copy of @name, or "<moref> name" when it is NULL. */
static inline char *name_or_default(const char *name, const char *moref) {
        char buf[64];

        if (name)
                return xstrdup(name);
        snprintf(buf, sizeof(buf), "%s name", moref);
        return xstrdup(buf);
}

/* @name NULL: "<moref> name". */
static inline nw_vm *add_vm(nw_inventory *inv, const char *moref, const char *name, nw_tri nested,
                            nw_tri supported, int hw, const char *power) {
        nw_vm *vm = APPEND(inv, vms);

        vm->moref = xstrdup(moref);
        vm->name = name_or_default(name, moref);
        vm->power_state = xstrdup(power);
        vm->nested_hv = nested;
        vm->nested_hv_supported = supported;
        vm->hw_version = hw;
        return vm;
}

static inline void add_switch(nw_inventory *inv, const char *moref, const char *version, nw_tri mls) {
        nw_switch *sw = APPEND(inv, switches);

        sw->moref = xstrdup(moref);
        sw->name = xstrdup("DSwitch");
        sw->version = xstrdup(version);
        sw->mac_learning_supported = mls;
}

/* A DV portgroup's macManagementPolicy; `inherited` stands for learning's inheritance too. */
typedef struct mac_spec {
        bool present, inherited;
        nw_tri prom, changes, forged, learning, flood;
        int64_t limit;
        const char *limit_policy;
} mac_spec;
#define MACF(p, c, f, l, fl, lim, lp) { .present = true, .prom = p, .changes = c, .forged = f, .learning = l, \
                                        .flood = fl, .limit = lim, .limit_policy = lp }
#define MAC(p, c, f, l, lim, lp) MACF(p, c, f, l, YES, lim, lp)
#define MAC_INH(p, c, f, l, lim, lp) { .present = true, .inherited = true, .prom = p, .changes = c, \
                                       .forged = f, .learning = l, .flood = YES, .limit = lim, .limit_policy = lp }
#define GOOD_MAC MAC(NO, NO, YES, YES, 4096, "drop")
#define NO_MAC { .present = false, .limit = -1 }

/* A DV portgroup's deprecated securityPolicy. */
typedef struct sec_spec {
        bool present;
        nw_tri prom, changes, forged;
} sec_spec;
#define SEC(p, c, f) { .present = true, .prom = p, .changes = c, .forged = f }

/* @name NULL: "<moref> name". */
static inline nw_dvpg *add_dvpg(nw_inventory *inv, const char *moref, const char *name, const char *sw,
                                const mac_spec *m, const sec_spec *s) {
        nw_dvpg *pg = APPEND(inv, dvpgs);

        pg->moref = xstrdup(moref);
        pg->name = name_or_default(name, moref);
        pg->switch_moref = xstrdup(sw);
        pg->config_version = xstrdup("3");
        pg->mac = (nw_mac_policy) {
                .present = m->present,
                .inherited = m->inherited,
                .learning_inherited = m->inherited,
                .promiscuous = m->prom,
                .mac_changes = m->changes,
                .forged_transmits = m->forged,
                .learning_enabled = m->learning,
                .unicast_flooding = m->flood,
                .limit = m->limit,
                .limit_policy = xstrdup(m->limit_policy),
        };
        pg->sec = (nw_sec_policy) { .present = s->present, .promiscuous = s->prom,
                                    .mac_changes = s->changes, .forged_transmits = s->forged };
        return pg;
}

/* A standard portgroup "<host>/<name>" on vSwitch0, with a spec to copy. */
static inline nw_stdpg *add_stdpg(nw_inventory *inv, const char *host, const char *name, nw_tri prom,
                                  nw_tri changes, nw_tri forged) {
        nw_stdpg *pg = APPEND(inv, stdpgs);
        char id[128];

        snprintf(id, sizeof(id), "%s/%s", host, name);
        pg->id = xstrdup(id);
        pg->host = xstrdup(host);
        pg->name = xstrdup(name);
        pg->vswitch = xstrdup("vSwitch0");
        pg->promiscuous = prom;
        pg->mac_changes = changes;
        pg->forged_transmits = forged;
        pg->spec_head_xml = xstrdup("<name>x</name>");
        return pg;
}

static inline nw_network *add_network(nw_inventory *inv, const char *moref, const char *name, nw_net_kind kind) {
        nw_network *n = APPEND(inv, networks);

        n->moref = xstrdup(moref);
        n->name = xstrdup(name);
        n->kind = kind;
        return n;
}
