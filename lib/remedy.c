/* Remediation planning: one fix per drifted object, the values to write, and a verdict from the safety
 * rails (exclude, switches, power state, templates, shared portgroups, anti-flap, budget) taken in a
 * fixed order. Pure: no I/O, no globals, no clock, so the unit tests can cover every rail. */
#include "remedy.h"

#include <inttypes.h>
#include <string.h>

void nw_remedy_cfg_defaults(nw_remedy_cfg *cfg) {
        *cfg = (nw_remedy_cfg) {
                .nested_hv = true,
                .portgroups = true,
                .fix_on_power_off = true,
                .fix_templates = false,
                .allow_promiscuous_on_shared = false,
                .dry_run = false,
                .max_changes_per_pass = 10,
                .flap_limit = 3,
                .flap_window = 3600,
        };
}

static const char *const verdict_names[_NW_FIX_VERDICT_MAX] = {
        [NW_FIX_APPLY] = "apply",
        [NW_FIX_DRY_RUN] = "dry-run",
        [NW_FIX_PENDING_POWER_OFF] = "pending-power-off",
        [NW_FIX_POWERED_ON] = "powered-on",
        [NW_FIX_TEMPLATE] = "template",
        [NW_FIX_SHARED] = "shared",
        [NW_FIX_EXCLUDED] = "excluded",
        [NW_FIX_DISABLED] = "disabled",
        [NW_FIX_FIGHT] = "fight",
        [NW_FIX_DEFERRED] = "deferred",
        [NW_FIX_UNFIXABLE] = "unfixable",
};

const char *nw_fix_verdict_to_string(nw_fix_verdict v) {
        if ((unsigned) v >= ELEMENTSOF(verdict_names))
                return NULL;
        return verdict_names[v];
}

const char *nw_fix_kind_to_string(nw_fix_kind k) {
        switch (k) {
        case NW_FIX_VM_NESTED_HV:
                return "vm-nested-hv";
        case NW_FIX_DVPG_MAC:
                return "dvpg-mac";
        case NW_FIX_DVPG_SECURITY:
                return "dvpg-security";
        case NW_FIX_STDPG_SECURITY:
                return "stdpg-security";
        case NW_FIX_DVPORT_MAC:
                return "dvport-mac";
        case NW_FIX_DVPORT_SECURITY:
                return "dvport-security";
        }
        return NULL;
}

void nw_fix_done(nw_fix *fix) {
        free(fix->object);
        free(fix->name);
        nw_strv_done(&fix->shared_with);
        *fix = (nw_fix) {};
}

void nw_fix_plan_done(nw_fix_plan *p) {
        if (!p)
                return;
        for (size_t i = 0; i < p->n; i++)
                nw_fix_done(&p->v[i]);
        free(p->v);
        *p = (nw_fix_plan) {};
}

/* --- building one fix --- */

/* The findings on one object: a run of the sorted findings. */
typedef struct group {
        const nw_finding *v;
        size_t n;
} group;

static const nw_finding *group_find(const group *g, nw_check c) {
        for (size_t i = 0; i < g->n; i++)
                if (g->v[i].check == c)
                        return &g->v[i];
        return NULL;
}

static void change_add(nw_fix *fix, const nw_finding *x) {
        if (fix->n_changes >= ELEMENTSOF(fix->changes))
                return;
        fix->changes[fix->n_changes++] = (nw_fix_change) {
                .check = x->check,
                .before = x->actual,
                .after = x->expected,
        };
}

/* One boolean to write: the expected value where it drifted (recorded as a change), the current one
 * where it did not, and fallback where vCenter reported nothing. */
static bool target_bool(nw_fix *fix, const group *g, nw_check c, nw_tri current, bool fallback) {
        const nw_finding *x = group_find(g, c);

        if (x && x->expected.type == NW_VAL_BOOL) {
                change_add(fix, x);
                return x->expected.b;
        }
        if (current == NW_UNSET)
                return fallback;
        return current == NW_TRUE;
}

static void build_vm(nw_fix *fix, const group *g, char *unfixable, size_t size) {
        const nw_finding *x;

        fix->kind = NW_FIX_VM_NESTED_HV;
        fix->target.nested_hv = true;
        x = group_find(g, NW_CHECK_NESTED_HV);
        if (x)
                change_add(fix, x);
        /* Setting the flag is harmless but would not make nested Hyper-V work; trying anyway would
         * only churn (and look like a fix in the audit trail). */
        x = group_find(g, NW_CHECK_NESTED_HV_SUPPORTED);
        if (x)
                nw_textf(unfixable, size, "no setting fixes this: %s", x->hint);
}

/* The whole macManagementPolicy, since a spec replaces it as one object. Unset and not drifted (a
 * check switched off, or a field never judged): what the policy wants, so the write stays compliant. */
static void build_dvpg_mac(nw_fix *fix, const group *g, const nw_mac_policy *m, const nw_policy_cfg *pol,
                           char *unfixable, size_t size) {
        nw_fix_target *t = &fix->target;
        const nw_finding *x;
        const char *lp;

        fix->kind = NW_FIX_DVPG_MAC;
        /* Called in check order, so changes[] follows the findings' order. */
        t->learning_enabled = target_bool(fix, g, NW_CHECK_MAC_LEARNING, m->learning_enabled, true);
        t->promiscuous = target_bool(fix, g, NW_CHECK_PROMISCUOUS, m->promiscuous, false);
        t->forged_transmits = target_bool(fix, g, NW_CHECK_FORGED_TRANSMITS, m->forged_transmits, true);
        t->mac_changes = target_bool(fix, g, NW_CHECK_MAC_CHANGES, m->mac_changes, pol->mac_changes);
        t->set_mac_changes = true;
        /* Never judged: keep it; unset means vSphere's default, flooding allowed (as MacLearn.ps1 sets). */
        t->unicast_flooding = m->unicast_flooding != NW_FALSE;

        x = group_find(g, NW_CHECK_MAC_LEARNING_LIMIT);
        if (x && x->expected.type == NW_VAL_LIMIT) {
                change_add(fix, x);
                t->limit = x->expected.limit;
                lp = x->expected.limit_policy_cut ? NULL : x->expected.limit_policy;
        } else {
                t->limit = m->limit >= 0 ? m->limit : pol->mac_learning_limit;
                lp = m->limit_policy ? m->limit_policy : pol->mac_learning_limit_policy;
        }
        /* One the field cannot hold is none of the API's values: as unknown, never written cut. */
        if (lp && strlen(lp) < sizeof(t->limit_policy))
                strcpy(t->limit_policy, lp);
        if (t->limit < 0 || !t->limit_policy[0])
                nw_textf(unfixable, size, "MAC learning limit or limit policy unknown: nothing to write");
}

/* The deprecated securityPolicy: promiscuous and forged transmits; macChanges only where it is known
 * (set_mac_changes = false leaves it out of the spec). */
static void build_dvpg_security(nw_fix *fix, const group *g, const nw_mac_policy *mac, const nw_sec_policy *sec) {
        nw_tri prom = NW_UNSET, forged = NW_UNSET, changes = NW_UNSET;
        nw_fix_target *t = &fix->target;

        /* Where policy took the current values from. */
        if (mac->present) {
                prom = mac->promiscuous;
                forged = mac->forged_transmits;
                changes = mac->mac_changes;
        } else if (sec->present) {
                prom = sec->promiscuous;
                forged = sec->forged_transmits;
                changes = sec->mac_changes;
        }

        fix->kind = NW_FIX_DVPG_SECURITY;
        t->promiscuous = target_bool(fix, g, NW_CHECK_PROMISCUOUS, prom, true);
        /* Unset and unchecked (forged_transmits = no): what nested guests need. */
        t->forged_transmits = target_bool(fix, g, NW_CHECK_FORGED_TRANSMITS, forged, true);
        t->set_mac_changes = changes != NW_UNSET;
        t->mac_changes = changes == NW_TRUE;
}

static void build_stdpg(nw_fix *fix, const group *g, const nw_stdpg *pg, char *unfixable, size_t size) {
        nw_fix_target *t = &fix->target;

        fix->kind = NW_FIX_STDPG_SECURITY;
        t->promiscuous = target_bool(fix, g, NW_CHECK_PROMISCUOUS, pg->promiscuous, true);
        t->forged_transmits = target_bool(fix, g, NW_CHECK_FORGED_TRANSMITS, pg->forged_transmits, true);
        /* Never judged on standard portgroups, so never touched: the spec keeps whatever it had. */
        t->set_mac_changes = false;
        t->mac_changes = false;
        if (!pg->spec_head_xml)
                nw_textf(unfixable, size,
                         "vCenter sent no portgroup spec for this host: UpdatePortGroup needs it copied whole");
}

static const nw_vm *find_vm(const nw_inventory *inv, const char *moref) {
        ssize_t i = nw_inventory_vm_index(inv, moref);
        return i < 0 ? NULL : &inv->vms[i];
}

static const nw_dvpg *find_dvpg(const nw_inventory *inv, const char *moref) {
        ssize_t i = nw_inventory_dvpg_index(inv, moref);
        return i < 0 ? NULL : &inv->dvpgs[i];
}

static const nw_stdpg *find_stdpg(const nw_inventory *inv, const char *id) {
        ssize_t i = nw_inventory_stdpg_index(inv, id);
        return i < 0 ? NULL : &inv->stdpgs[i];
}

/* The facts a fix is planned from, by kind exactly one set (a port's portgroup too): borrowed while
 * planning, never kept. */
typedef struct source {
        const nw_vm *vm;
        const nw_dvpg *dvpg;
        const nw_stdpg *stdpg;
        const nw_dvport *dvport;
} source;

/* A port is fixed like its portgroup would be, in its own setting. */
static int build_dvport(nw_fix *fix, source *src, const nw_inventory *inv, const group *g, const nw_policy_cfg *pol,
                        char *unfixable, size_t size) {
        ssize_t i = nw_inventory_dvport_index(inv, g->v[0].object), k;
        const nw_dvport *port;

        if (i < 0)
                return -ENOENT;
        port = src->dvport = &inv->dvports[i];
        k = nw_inventory_dvpg_index(inv, port->portgroup);
        if (k < 0)
                return -ENOENT;
        if (pol->mac_learning &&
            policy_mac_learning_available(nw_inventory_get_switch(inv, inv->dvpgs[k].switch_moref), &inv->dvpgs[k],
                                          NULL)) {
                build_dvpg_mac(fix, g, &port->mac, pol, unfixable, size);
                fix->kind = NW_FIX_DVPORT_MAC;
        } else {
                build_dvpg_security(fix, g, &port->mac, &port->sec);
                fix->kind = NW_FIX_DVPORT_SECURITY;
        }
        /* ReconfigureDVPort_Task refuses a spec without the port's current configVersion. */
        if (!unfixable[0] && !port->config_version)
                nw_textf(unfixable, size, "vCenter sent no configVersion for the port: a reconfigure needs it");
        return 0;
}

/* Fills fix and src from the findings on one object. 0; -ENOENT when the object is not in inv
 * (findings from another inventory): nothing to point the fix at, so it is left out; -ENOMEM. */
static int fix_build(nw_fix *fix, source *src, const nw_inventory *inv, const group *g, const nw_policy_cfg *pol,
                     char *unfixable, size_t size) {
        const nw_finding *first = &g->v[0];

        *src = (source) {};
        switch (first->kind) {
        case NW_KIND_VM:
                src->vm = find_vm(inv, first->object);
                if (!src->vm)
                        return -ENOENT;
                build_vm(fix, g, unfixable, size);
                break;
        case NW_KIND_DVPG:
                src->dvpg = find_dvpg(inv, first->object);
                if (!src->dvpg)
                        return -ENOENT;
                if (pol->mac_learning &&
                    policy_mac_learning_available(nw_inventory_get_switch(inv, src->dvpg->switch_moref),
                                                  src->dvpg, NULL))
                        build_dvpg_mac(fix, g, &src->dvpg->mac, pol, unfixable, size);
                else
                        build_dvpg_security(fix, g, &src->dvpg->mac, &src->dvpg->sec);
                /* ReconfigureDVPortgroup_Task refuses a spec without the current configVersion. */
                if (!unfixable[0] && !src->dvpg->config_version)
                        nw_textf(unfixable, size, "vCenter sent no configVersion: a reconfigure needs it");
                break;
        case NW_KIND_PG:
                src->stdpg = find_stdpg(inv, first->object);
                if (!src->stdpg)
                        return -ENOENT;
                build_stdpg(fix, g, src->stdpg, unfixable, size);
                break;
        case NW_KIND_DVPORT: {
                int r = build_dvport(fix, src, inv, g, pol, unfixable, size);
                if (r < 0)
                        return r;
                break;
        }
        case NW_KIND_NETWORK:
        case NW_KIND_SWITCH:
        case NW_KIND_HOST:
        default:
                return -ENOENT; /* only ever unreadable findings: nothing to fix */
        }
        fix->object = strdup(first->object);
        fix->name = first->name ? strdup(first->name) : NULL;
        return fix->object && (fix->name || !first->name) ? 0 : -ENOMEM;
}

/* --- the safety rails --- */

static bool turns_promiscuous_on(const nw_fix *fix) {
        if (fix->kind != NW_FIX_DVPG_SECURITY && fix->kind != NW_FIX_STDPG_SECURITY &&
            fix->kind != NW_FIX_DVPORT_SECURITY)
                return false;
        for (size_t i = 0; i < fix->n_changes; i++)
                if (fix->changes[i].check == NW_CHECK_PROMISCUOUS && fix->changes[i].after.type == NW_VAL_BOOL &&
                    fix->changes[i].after.b)
                        return true;
        return false;
}

static int shared_add(nw_fix *fix, const nw_inventory *inv, const nw_strv *vms) {
        for (size_t i = 0; i < vms->n; i++) {
                int r;

                if (nw_inventory_is_tagged(inv, vms->v[i]) || nw_strv_contains(&fix->shared_with, vms->v[i]))
                        continue;
                r = nw_strv_push(&fix->shared_with, vms->v[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Fills fix->shared_with with the untagged VMs on the portgroup. *ret_known is false when nestwarden
 * cannot tell who sits on it. */
static int shared_collect(nw_fix *fix, const source *src, const nw_inventory *inv, bool *ret_known) {
        int r;

        *ret_known = true;
        /* A port's promiscuous mode shows the portgroup's traffic to that port only, whose VM is
         * tagged: no one else is reached. */
        if (src->dvport)
                return 0;
        /* Facts gathered for a verdict (check, run in report mode) hold no one's neighbours: an empty
         * list there means "not read", never "no one". */
        if (!inv->blast_radius) {
                *ret_known = false;
                return 0;
        }
        if (src->dvpg)
                return shared_add(fix, inv, &src->dvpg->vms);

        /* Network.vm spans every host, while the fix is for one host's portgroup: VMs on other hosts
         * count too. Conservative on purpose: a VM that vMotions here later would be flooded as well. */
        *ret_known = false;
        for (size_t i = 0; i < inv->n_networks; i++) {
                const nw_network *n = &inv->networks[i];

                if (n->kind != NW_NET_STANDARD || !n->name || strcmp(n->name, src->stdpg->name) != 0)
                        continue;
                *ret_known = true;
                r = shared_add(fix, inv, &n->vms);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void reason_shared(nw_fix *fix) {
        static const char suffix[] = " (allow_promiscuous_on_shared = no)";
        const nw_strv *s = &fix->shared_with;
        /* The list is cut to fit, never the suffix that says which key to change. */
        const size_t room = sizeof(fix->reason) - sizeof(suffix) - strlen(", ...");
        _cleanup_buf_ nw_buf b = {};

        nw_buf_printf(&b, "%zu untagged VM%s on this portgroup would see all its traffic: ", s->n, s->n == 1 ? "" : "s");
        for (size_t i = 0; i < s->n; i++) {
                const char *sep = i > 0 ? ", " : "";

                if (b.len + strlen(sep) + strlen(s->v[i]) > room) {
                        nw_buf_printf(&b, "%s...", sep);
                        break;
                }
                nw_buf_printf(&b, "%s%s", sep, s->v[i]);
        }
        nw_buf_puts(&b, suffix);
        snprintf(fix->reason, sizeof(fix->reason), "%s",
                 b.oom ? "untagged VMs on this portgroup would see all its traffic (allow_promiscuous_on_shared = no)" :
                         b.data);
}

static bool is_excluded(const nw_remedy_cfg *cfg, const nw_fix *fix, const source *src, const nw_inventory *inv) {
        /* Exclusions may name objects: one whose name vCenter did not give cannot be told apart from
         * an excluded one, so it is left alone too. */
        if (cfg->exclude.n > 0 && (!fix->name || !fix->name[0]))
                return true;
        /* A port belongs to its VM: excluding the VM excludes its ports. */
        if (src->dvport) {
                const nw_vm *vm = find_vm(inv, src->dvport->vm);

                if (nw_strv_contains(&cfg->exclude, src->dvport->vm) ||
                    (vm && nw_strv_contains(&cfg->exclude, vm->name)))
                        return true;
        }
        return nw_strv_contains(&cfg->exclude, fix->object) ||
                nw_strv_contains(&cfg->exclude, fix->name);
}

/* Every rail but the budget, first that applies wins; NW_FIX_APPLY when none holds. 0 or -ENOMEM. */
static int fix_judge(nw_fix *fix, const source *src, const nw_inventory *inv, const nw_remedy_cfg *cfg,
                     const nw_flap *flap, double now, const char *unfixable) {
        bool is_vm = fix->kind == NW_FIX_VM_NESTED_HV, known;
        size_t fixes;
        int r;

        if (is_excluded(cfg, fix, src, inv)) {
                fix->verdict = NW_FIX_EXCLUDED;
                nw_textf(fix->reason, sizeof(fix->reason), "excluded by [remediation] exclude");
                return 0;
        }
        if (is_vm ? !cfg->nested_hv : !cfg->portgroups) {
                fix->verdict = NW_FIX_DISABLED;
                nw_textf(fix->reason, sizeof(fix->reason), "[remediation] %s = no",
                         is_vm ? "nested_hv" : "portgroups");
                return 0;
        }
        if (unfixable[0]) {
                fix->verdict = NW_FIX_UNFIXABLE;
                nw_textf(fix->reason, sizeof(fix->reason), "%s", unfixable);
                return 0;
        }
        if (is_vm && src->vm->template && !cfg->fix_templates) {
                fix->verdict = NW_FIX_TEMPLATE;
                nw_textf(fix->reason, sizeof(fix->reason), "template (fix_templates = no)");
                return 0;
        }
        /* Anything but poweredOff, suspended included: vCenter wants the VM off for nestedHVEnabled, and
         * nestwarden never powers a VM off. */
        if (is_vm && !(src->vm->power_state && strcmp(src->vm->power_state, "poweredOff") == 0)) {
                const char *state = src->vm->power_state && strcmp(src->vm->power_state, "suspended") == 0 ?
                        "suspended" : "powered on";

                if (cfg->fix_on_power_off) {
                        fix->verdict = NW_FIX_PENDING_POWER_OFF;
                        nw_textf(fix->reason, sizeof(fix->reason), "VM is %s: fixed when it is powered off", state);
                } else {
                        fix->verdict = NW_FIX_POWERED_ON;
                        nw_textf(fix->reason, sizeof(fix->reason),
                                 "VM is %s: the change needs a power-off (fix_on_power_off = no)", state);
                }
                return 0;
        }
        /* Off now, but seen on with this drift: "no" means a person powers it off and fixes it, and
         * nestwarden does not race them (run only: fix has no memory, and a VM found off is fixed). */
        if (is_vm && !cfg->fix_on_power_off && remedy_flap_was_on(flap, fix->object)) {
                fix->verdict = NW_FIX_POWERED_ON;
                nw_textf(fix->reason, sizeof(fix->reason),
                         "VM was powered on when its drift was seen: left to a person (fix_on_power_off = no)");
                return 0;
        }
        if (!is_vm && turns_promiscuous_on(fix) && !cfg->allow_promiscuous_on_shared) {
                r = shared_collect(fix, src, inv, &known);
                if (r < 0)
                        return r;
                if (!known) {
                        fix->verdict = NW_FIX_SHARED;
                        nw_textf(fix->reason, sizeof(fix->reason),
                                 "cannot tell which VMs sit on this portgroup, so promiscuous mode could reach "
                                 "untagged ones (allow_promiscuous_on_shared = no)");
                        return 0;
                }
                if (fix->shared_with.n > 0) {
                        fix->verdict = NW_FIX_SHARED;
                        reason_shared(fix);
                        return 0;
                }
        }
        fixes = remedy_flap_count(flap, fix->object, now, cfg->flap_window);
        if (cfg->flap_limit > 0 && fixes >= (uint64_t) cfg->flap_limit) {
                fix->verdict = NW_FIX_FIGHT;
                nw_textf(fix->reason, sizeof(fix->reason),
                         "reverted %zu time%s within %" PRId64 " s after nestwarden fixed it", fixes,
                         fixes == 1 ? "" : "s", cfg->flap_window);
                return 0;
        }
        fix->verdict = NW_FIX_APPLY;
        return 0;
}

int remedy_plan(const nw_inventory *inv, const nw_findings *f, const nw_policy_cfg *pol, const nw_remedy_cfg *cfg,
                const nw_flap *flap, double now, nw_fix_plan *out) {
        _cleanup_fix_plan_ nw_fix_plan p = {};
        int64_t budget_used = 0;
        int r;

        if (!out)
                return -EINVAL;
        *out = (nw_fix_plan) {};
        if (!inv || !f || !pol || !cfg)
                return -EINVAL;
        if (f->n == 0)
                return 0;

        /* At most one fix per finding. */
        p.v = calloc(f->n, sizeof(*p.v));
        if (!p.v)
                return -ENOMEM;

        for (size_t i = 0; i < f->n;) {
                group g = { .v = &f->v[i], .n = 1 };
                char unfixable[sizeof(p.v[0].reason)] = "";
                nw_fix *fix = &p.v[p.n];
                source src;

                /* Findings are sorted by (object, check): an object's findings are adjacent. */
                while (g.v[0].object && i + g.n < f->n && f->v[i + g.n].object &&
                       strcmp(f->v[i + g.n].object, g.v[0].object) == 0)
                        g.n++;
                i += g.n;
                /* Nothing was read, so there is nothing to write back: never act on a guess. */
                if (!g.v[0].object || group_find(&g, NW_CHECK_UNREADABLE))
                        continue;

                r = fix_build(fix, &src, inv, &g, pol, unfixable, sizeof(unfixable));
                if (r < 0) {
                        nw_fix_done(fix);
                        if (r == -ENOENT)
                                continue;
                        return r;
                }
                p.n++;

                r = fix_judge(fix, &src, inv, cfg, flap, now, unfixable);
                if (r < 0)
                        return r;
                if (fix->verdict != NW_FIX_APPLY)
                        continue;

                if (budget_used >= cfg->max_changes_per_pass) {
                        fix->verdict = NW_FIX_DEFERRED;
                        p.deferred++;
                        nw_textf(fix->reason, sizeof(fix->reason), "over max_changes_per_pass = %" PRId64 ": next pass",
                                 cfg->max_changes_per_pass);
                        continue;
                }
                budget_used++;
                if (cfg->dry_run) {
                        fix->verdict = NW_FIX_DRY_RUN;
                        nw_textf(fix->reason, sizeof(fix->reason), "dry_run = yes: nothing is changed");
                }
        }

        *out = p;
        p = (nw_fix_plan) {};
        return 0;
}
