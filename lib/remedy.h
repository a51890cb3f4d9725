/* Remediation planning: findings → the changes that would put each object back to policy, and the
 * safety rails that hold some of them back. Pure: no I/O, no clock (now is passed in). Applying a
 * plan is remedy-apply's job. */
#pragma once

#include "facts.h"
#include "policy.h"
#include "remedy-flap.h"

typedef struct nw_remedy_cfg {
        bool nested_hv;                   /* fix config.nestedHVEnabled */
        bool portgroups;                  /* fix DV and standard portgroups */
        bool fix_on_power_off;            /* a powered-on VM is fixed once it is seen powered off; no: run
                                           * leaves a VM it saw on to a person, even once it is off */
        bool fix_templates;
        bool allow_promiscuous_on_shared; /* promiscuous on where untagged VMs sit too */
        bool dry_run;
        int64_t max_changes_per_pass;
        int64_t flap_limit;               /* fixes of one object within flap_window that mean a fight */
        int64_t flap_window;              /* seconds */
        nw_strv exclude;                  /* morefs or names never touched */
} nw_remedy_cfg;

void nw_remedy_cfg_defaults(nw_remedy_cfg *cfg);

typedef enum nw_fix_kind {
        NW_FIX_VM_NESTED_HV,      /* ReconfigVM_Task {nestedHVEnabled} */
        NW_FIX_DVPG_MAC,          /* ReconfigureDVPortgroup_Task {macManagementPolicy} */
        NW_FIX_DVPG_SECURITY,     /* ReconfigureDVPortgroup_Task {securityPolicy} (no MAC learning) */
        NW_FIX_STDPG_SECURITY,    /* HostNetworkSystem.UpdatePortGroup {policy.security} */
        NW_FIX_DVPORT_MAC,        /* ReconfigureDVPort_Task {setting.macManagementPolicy}: a port's override */
        NW_FIX_DVPORT_SECURITY,   /* ReconfigureDVPort_Task {setting.securityPolicy} (no MAC learning) */
} nw_fix_kind;

typedef enum nw_fix_verdict {
        NW_FIX_APPLY,             /* do it now */
        NW_FIX_DRY_RUN,           /* would do it; dry_run */
        NW_FIX_PENDING_POWER_OFF, /* VM powered on: fixed when seen powered off (fix_on_power_off) */
        NW_FIX_POWERED_ON,        /* VM powered on, or seen so (flap->seen_on), and fix_on_power_off = no:
                                   * left to a person */
        NW_FIX_TEMPLATE,          /* a template and fix_templates = no */
        NW_FIX_SHARED,            /* promiscuous on would reach untagged VMs; allow_promiscuous_on_shared = no */
        NW_FIX_EXCLUDED,          /* in exclude */
        NW_FIX_DISABLED,          /* [remediation] nested_hv or portgroups = no */
        NW_FIX_FIGHT,             /* someone keeps reverting it: hands off until the window passes */
        NW_FIX_DEFERRED,          /* over max_changes_per_pass: next pass */
        NW_FIX_UNFIXABLE,         /* no setting fixes it (nested_hv_supported, unset values we cannot infer) */
        _NW_FIX_VERDICT_MAX,
} nw_fix_verdict;

/* One property: what it is, what it will be. */
typedef struct nw_fix_change {
        nw_check check;
        nw_value before, after;
} nw_fix_change;

/* What to write. Portgroup fixes carry the whole policy object: drifted fields at their expected
 * value, the others at their current one, so vCenter keeps everything that did not drift. */
typedef struct nw_fix_target {
        bool nested_hv;                                  /* VM */
        bool promiscuous, forged_transmits, mac_changes; /* DV MAC / security policy, standard security */
        bool set_mac_changes;                            /* false: leave macChanges out (as it is); always for standard */
        bool learning_enabled, unicast_flooding;         /* DV MAC learning */
        int64_t limit;
        char limit_policy[16];
} nw_fix_target;

/* Self-contained (see facts.h): names its object and owns its values; applying it looks the object
 * up again in the facts of the moment. */
typedef struct nw_fix {
        nw_fix_kind kind;
        nw_fix_verdict verdict;
        char *object;                /* moref, or HOST/PG */
        char *name;                  /* NULL when vCenter gave none */
        nw_fix_change changes[6];
        size_t n_changes;
        nw_fix_target target;
        nw_strv shared_with;         /* NW_FIX_SHARED: the untagged VMs' morefs on the portgroup */
        char reason[256];            /* why it is not applied, for the journal and the report */
} nw_fix;

typedef struct nw_fix_plan {
        nw_fix *v;
        size_t n;
        size_t deferred;             /* how many NW_FIX_DEFERRED */
} nw_fix_plan;

/* Frees fix's members and zeroes it. */
void nw_fix_done(nw_fix *fix);
void nw_fix_plan_done(nw_fix_plan *p);
static inline void nw_fix_plan_donep(nw_fix_plan *p) {
        nw_fix_plan_done(p);
}
#define _cleanup_fix_plan_ _cleanup_(nw_fix_plan_donep)


/* One fix per object (a VM's nested_hv; a portgroup's drifted checks together), in findings order,
 * with a verdict each. Template findings (f's template flag) are included. The fixes borrow nothing:
 * inv and f may change or go afterwards. At most cfg->max_changes_per_pass fixes get NW_FIX_APPLY (or
 * DRY_RUN); the rest that would have, NW_FIX_DEFERRED. now is for the flap window. 0 or -ENOMEM. */
int remedy_plan(const nw_inventory *inv, const nw_findings *f, const nw_policy_cfg *pol, const nw_remedy_cfg *cfg,
                const nw_flap *flap, double now, nw_fix_plan *out);

const char *nw_fix_verdict_to_string(nw_fix_verdict v);
const char *nw_fix_kind_to_string(nw_fix_kind k);
