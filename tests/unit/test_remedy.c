/* Unit tests for lib/remedy.c: every verdict and the order the rails are taken in, the values each
 * fix writes, shared-portgroup detection, the anti-flap window and the per-pass budget. Inventories
 * are built in code; findings come from policy_evaluate. */
#include "fixtures.h"
#include "remedy.h"
#include "tap.h"

#include <string.h>

#define NOW 100000.0

/* --- configurations --- */

enum {
        R_NO_NESTED_HV = 1 << 0,
        R_NO_PORTGROUPS = 1 << 1,
        R_NO_FIX_ON_POWER_OFF = 1 << 2,
        R_FIX_TEMPLATES = 1 << 3,
        R_ALLOW_SHARED = 1 << 4,
        R_DRY_RUN = 1 << 5,
};

static nw_remedy_cfg make_rcfg(unsigned flags, const char *exclude) {
        nw_remedy_cfg cfg;

        nw_remedy_cfg_defaults(&cfg);
        cfg.nested_hv = !(flags & R_NO_NESTED_HV);
        cfg.portgroups = !(flags & R_NO_PORTGROUPS);
        cfg.fix_on_power_off = !(flags & R_NO_FIX_ON_POWER_OFF);
        cfg.fix_templates = flags & R_FIX_TEMPLATES;
        cfg.allow_promiscuous_on_shared = flags & R_ALLOW_SHARED;
        cfg.dry_run = flags & R_DRY_RUN;
        if (exclude)
                push(&cfg.exclude, exclude);
        return cfg;
}

static void rcfg_done(nw_remedy_cfg *cfg) {
        nw_strv_done(&cfg->exclude);
}
#define _cleanup_rcfg_ _cleanup_(rcfg_done)

/* --- building inventories --- */

#define BAD_MAC MAC(NO, NO, YES, NO, 4096, "drop") /* learning off: one finding, MAC path */

/* A DV portgroup on a 6.5 switch (no MAC learning) with promiscuous off: its fix turns promiscuous on. */
static nw_dvpg *add_legacy_dvpg(nw_inventory *inv, const char *moref) {
        mac_spec m = MAC(NO, NO, YES, NO, -1, NULL);
        sec_spec s = {};

        if (!nw_inventory_get_switch(inv, "dvs-old"))
                add_switch(inv, "dvs-old", "6.5.0", YES);
        return add_dvpg(inv, moref, NULL, "dvs-old", &m, &s);
}

/* A DV portgroup on a 7.0 switch with MAC learning off: its fix is a MAC management policy. */
static nw_dvpg *add_mac_dvpg(nw_inventory *inv, const char *moref) {
        mac_spec m = BAD_MAC;
        sec_spec s = {};

        if (!nw_inventory_get_switch(inv, "dvs-new"))
                add_switch(inv, "dvs-new", "7.0.3", YES);
        return add_dvpg(inv, moref, NULL, "dvs-new", &m, &s);
}

static void make_flap(nw_flap *flap, const char *object, const double *offsets, size_t n) {
        for (size_t i = 0; i < n; i++)
                CHECK_INTEQ(remedy_flap_record(flap, object, NOW + offsets[i]), 0);
}

/* Findings from the policy, then the plan. */
static void make_plan(const nw_inventory *inv, const nw_policy_cfg *pol, const nw_remedy_cfg *rc, const nw_flap *flap,
                      nw_findings *f, nw_fix_plan *p) {
        CHECK_INTEQ(policy_evaluate(inv, pol, f), 0);
        CHECK_INTEQ(remedy_plan(inv, f, pol, rc, flap, NOW, p), 0);
}

static void dump_plan(const char *desc, const nw_fix_plan *p) {
        fprintf(stderr, "  ^ in case \"%s\"; plan:\n", desc);
        for (size_t i = 0; i < p->n; i++)
                fprintf(stderr, "    %s %s %s: %s\n", p->v[i].object, nw_fix_kind_to_string(p->v[i].kind),
                        nw_fix_verdict_to_string(p->v[i].verdict), p->v[i].reason);
}

/* --- VMs: every VM verdict and the order of the rails --- */

#define FIXED "VM is powered on: fixed when it is powered off"
#define VMX08 "no setting fixes this: hardware version vmx-08 is below vmx-09: upgrade the VM compatibility"
#define CAPF "no setting fixes this: capability.nestedHVSupported is false: the VM or its host cannot expose " \
             "hardware virtualization"
#define FIGHT3 "reverted 3 times within 3600 s after nestwarden fixed it"

static const struct vm_case {
        const char *desc;
        nw_tri nested, supported;
        int hw;
        const char *power;
        bool template;
        unsigned r;
        const char *exclude;
        size_t n_flap;
        double flap[4];
        bool seen_on;                   /* run saw it powered on with this drift */
        size_t n_fixes;
        nw_fix_verdict verdict;
        const char *reason;
        size_t n_changes;
        nw_value before;
} vm_cases[] = {
        { "compliant: no fix", YES, YES, 13, "poweredOff", .n_fixes = 0 },
        { "off, disabled", NO, YES, 13, "poweredOff", .n_fixes = 1, .verdict = NW_FIX_APPLY, .reason = "",
          .n_changes = 1, .before = VB(false) },
        { "never set", UNS, YES, 13, "poweredOff", .n_fixes = 1, .verdict = NW_FIX_APPLY, .reason = "",
          .n_changes = 1, .before = VU },
        { "dry run", NO, YES, 13, "poweredOff", .r = R_DRY_RUN, .n_fixes = 1, .verdict = NW_FIX_DRY_RUN,
          .reason = "dry_run = yes: nothing is changed", .n_changes = 1, .before = VB(false) },
        { "powered on", NO, YES, 13, "poweredOn", .n_fixes = 1, .verdict = NW_FIX_PENDING_POWER_OFF,
          .reason = FIXED, .n_changes = 1, .before = VB(false) },
        { "powered on, fix_on_power_off = no", NO, YES, 13, "poweredOn", .r = R_NO_FIX_ON_POWER_OFF, .n_fixes = 1,
          .verdict = NW_FIX_POWERED_ON, .reason = "VM is powered on: the change needs a power-off (fix_on_power_off = no)",
          .n_changes = 1, .before = VB(false) },
        { "suspended is not off", NO, YES, 13, "suspended", .n_fixes = 1, .verdict = NW_FIX_PENDING_POWER_OFF,
          .reason = "VM is suspended: fixed when it is powered off", .n_changes = 1, .before = VB(false) },
        { "power state unknown is not off", NO, YES, 13, NULL, .n_fixes = 1, .verdict = NW_FIX_PENDING_POWER_OFF,
          .reason = FIXED, .n_changes = 1, .before = VB(false) },
        { "template", NO, YES, 13, "poweredOff", .template = true, .n_fixes = 1, .verdict = NW_FIX_TEMPLATE,
          .reason = "template (fix_templates = no)", .n_changes = 1, .before = VB(false) },
        { "template, fix_templates = yes", UNS, YES, 13, "poweredOff", .template = true, .r = R_FIX_TEMPLATES,
          .n_fixes = 1, .verdict = NW_FIX_APPLY, .reason = "", .n_changes = 1, .before = VU },
        { "vmx-08 alone", YES, YES, 8, "poweredOff", .n_fixes = 1, .verdict = NW_FIX_UNFIXABLE, .reason = VMX08,
          .n_changes = 0 },
        { "capability false and flag off", NO, NO, 13, "poweredOff", .n_fixes = 1, .verdict = NW_FIX_UNFIXABLE,
          .reason = CAPF, .n_changes = 1, .before = VB(false) },
        { "unfixable before template", NO, YES, 8, "poweredOff", .template = true, .n_fixes = 1,
          .verdict = NW_FIX_UNFIXABLE, .reason = VMX08, .n_changes = 1, .before = VB(false) },
        { "unfixable before powered on", NO, YES, 8, "poweredOn", .n_fixes = 1, .verdict = NW_FIX_UNFIXABLE,
          .reason = VMX08, .n_changes = 1, .before = VB(false) },
        { "excluded by moref", NO, YES, 13, "poweredOff", .exclude = "vm-42", .n_fixes = 1,
          .verdict = NW_FIX_EXCLUDED, .reason = "excluded by [remediation] exclude", .n_changes = 1, .before = VB(false) },
        { "excluded by name", NO, YES, 13, "poweredOff", .exclude = "vm-42 name", .n_fixes = 1,
          .verdict = NW_FIX_EXCLUDED, .reason = "excluded by [remediation] exclude", .n_changes = 1, .before = VB(false) },
        { "exclude matches exactly", NO, YES, 13, "poweredOff", .exclude = "vm-4", .n_fixes = 1,
          .verdict = NW_FIX_APPLY, .reason = "", .n_changes = 1, .before = VB(false) },
        { "exclude is case-sensitive", NO, YES, 13, "poweredOff", .exclude = "VM-42", .n_fixes = 1,
          .verdict = NW_FIX_APPLY, .reason = "", .n_changes = 1, .before = VB(false) },
        { "excluded before disabled, unfixable, powered on", NO, NO, 8, "poweredOn", .r = R_NO_NESTED_HV,
          .exclude = "vm-42", .n_fixes = 1, .verdict = NW_FIX_EXCLUDED, .reason = "excluded by [remediation] exclude",
          .n_changes = 1, .before = VB(false) },
        { "disabled", NO, YES, 13, "poweredOff", .r = R_NO_NESTED_HV, .n_fixes = 1, .verdict = NW_FIX_DISABLED,
          .reason = "[remediation] nested_hv = no", .n_changes = 1, .before = VB(false) },
        { "disabled before unfixable", YES, NO, 13, "poweredOff", .r = R_NO_NESTED_HV, .n_fixes = 1,
          .verdict = NW_FIX_DISABLED, .reason = "[remediation] nested_hv = no", .n_changes = 0 },
        { "portgroups = no leaves VMs alone", NO, YES, 13, "poweredOff", .r = R_NO_PORTGROUPS, .n_fixes = 1,
          .verdict = NW_FIX_APPLY, .reason = "", .n_changes = 1, .before = VB(false) },
        { "template before powered on check, fix_templates = no", NO, YES, 13, "poweredOn", .template = true,
          .n_fixes = 1, .verdict = NW_FIX_TEMPLATE, .reason = "template (fix_templates = no)", .n_changes = 1,
          .before = VB(false) },
        { "fight", NO, YES, 13, "poweredOff", .n_flap = 3, .flap = { -3000, -100, -1 }, .n_fixes = 1,
          .verdict = NW_FIX_FIGHT, .reason = FIGHT3, .n_changes = 1, .before = VB(false) },
        { "powered on before fight", NO, YES, 13, "poweredOn", .n_flap = 3, .flap = { -3000, -100, -1 },
          .n_fixes = 1, .verdict = NW_FIX_PENDING_POWER_OFF, .reason = FIXED, .n_changes = 1, .before = VB(false) },
        { "fight before dry run", NO, YES, 13, "poweredOff", .r = R_DRY_RUN, .n_flap = 3, .flap = { -3000, -100, -1 },
          .n_fixes = 1, .verdict = NW_FIX_FIGHT, .reason = FIGHT3, .n_changes = 1, .before = VB(false) },
        { "seen on, now off, fix_on_power_off = no: left to a person", NO, YES, 13, "poweredOff",
          .r = R_NO_FIX_ON_POWER_OFF, .seen_on = true, .n_fixes = 1, .verdict = NW_FIX_POWERED_ON,
          .reason = "VM was powered on when its drift was seen: left to a person (fix_on_power_off = no)",
          .n_changes = 1, .before = VB(false) },
        { "seen on, now off, fix_on_power_off = yes: fixed", NO, YES, 13, "poweredOff", .seen_on = true,
          .n_fixes = 1, .verdict = NW_FIX_APPLY, .reason = "", .n_changes = 1, .before = VB(false) },
        { "found off, fix_on_power_off = no: fixed", NO, YES, 13, "poweredOff", .r = R_NO_FIX_ON_POWER_OFF,
          .n_fixes = 1, .verdict = NW_FIX_APPLY, .reason = "", .n_changes = 1, .before = VB(false) },
        { "seen on, still on, fix_on_power_off = no", NO, YES, 13, "poweredOn", .r = R_NO_FIX_ON_POWER_OFF,
          .seen_on = true, .n_fixes = 1, .verdict = NW_FIX_POWERED_ON,
          .reason = "VM is powered on: the change needs a power-off (fix_on_power_off = no)", .n_changes = 1,
          .before = VB(false) },
        { "excluded before seen on", NO, YES, 13, "poweredOff", .r = R_NO_FIX_ON_POWER_OFF, .seen_on = true,
          .exclude = "vm-42", .n_fixes = 1, .verdict = NW_FIX_EXCLUDED, .reason = "excluded by [remediation] exclude",
          .n_changes = 1, .before = VB(false) },
};

static void test_vms(void) {
        for (size_t i = 0; i < ELEMENTSOF(vm_cases); i++) {
                const struct vm_case *c = &vm_cases[i];
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(c->r, c->exclude);
                _cleanup_(nw_flap_done) nw_flap flap = {};
                nw_policy_cfg pol = make_pol(0);
                int failed = tap_failed;
                nw_vm *vm;

                vm = add_vm(&inv, "vm-42", NULL, c->nested, c->supported, c->hw, c->power);
                vm->template = c->template;
                make_flap(&flap, "vm-42", c->flap, c->n_flap);
                if (c->seen_on)
                        CHECK_INTEQ(remedy_flap_seen_on(&flap, "vm-42"), 0);
                make_plan(&inv, &pol, &rc, &flap, &f, &p);

                CHECK_INTEQ(p.n, c->n_fixes);
                CHECK_INTEQ(p.deferred, 0);
                if (p.n == 1 && c->n_fixes == 1) {
                        const nw_fix *x = &p.v[0];

                        CHECK_INTEQ(x->kind, NW_FIX_VM_NESTED_HV);
                        CHECK_STREQ(nw_fix_verdict_to_string(x->verdict), nw_fix_verdict_to_string(c->verdict));
                        CHECK_STREQ(x->reason, c->reason);
                        /* Copies, not borrowed from the facts. */
                        CHECK_STREQ(x->object, inv.vms[0].moref);
                        CHECK(x->object != inv.vms[0].moref);
                        CHECK_STREQ(x->name, inv.vms[0].name);
                        CHECK(x->name != inv.vms[0].name);
                        CHECK(x->target.nested_hv);
                        CHECK_INTEQ(x->shared_with.n, 0);
                        CHECK_INTEQ(x->n_changes, c->n_changes);
                        if (x->n_changes == 1) {
                                nw_value t = VB(true);

                                CHECK_INTEQ(x->changes[0].check, NW_CHECK_NESTED_HV);
                                CHECK(value_eq(&x->changes[0].before, &c->before));
                                CHECK(value_eq(&x->changes[0].after, &t));
                        }
                }
                if (tap_failed != failed)
                        dump_plan(c->desc, &p);
        }
}

/* --- DV portgroups: what is written --- */

typedef struct sw_spec {
        const char *version;
        nw_tri mls;
} sw_spec;

typedef struct tgt {
        bool prom, forged, changes, set_changes, learning, flood;
        int64_t limit;
        const char *limit_policy;
} tgt;

typedef struct chg {
        nw_check check;
        nw_value before, after;
} chg;

#define ML_SW { "7.0.3", YES }
#define OLD_SW { "6.5.0", YES }

static const struct dvpg_case {
        const char *desc;
        sw_spec sw;
        mac_spec mac;
        sec_spec sec;
        unsigned cfg;
        bool no_config_version;
        nw_fix_kind kind;
        nw_fix_verdict verdict;
        const char *reason;
        tgt t;
        size_t n;
        chg c[5];
} dvpg_cases[] = {
        { "MAC: everything drifted", ML_SW, MAC(YES, YES, NO, NO, 0, "allow"), {}, 0, false,
          NW_FIX_DVPG_MAC, NW_FIX_APPLY, "",
          { .prom = false, .forged = true, .changes = false, .set_changes = true, .learning = true, .flood = true,
            .limit = 4096, .limit_policy = "drop" }, 5, {
                { NW_CHECK_MAC_LEARNING, VB(false), VB(true) },
                { NW_CHECK_PROMISCUOUS, VB(true), VB(false) },
                { NW_CHECK_FORGED_TRANSMITS, VB(false), VB(true) },
                { NW_CHECK_MAC_CHANGES, VB(true), VB(false) },
                { NW_CHECK_MAC_LEARNING_LIMIT, VL(0, "allow"), VL(4096, "drop") } } },
        { "MAC: learning off only, the rest kept (flooding off stays off)", ML_SW,
          MACF(NO, NO, YES, NO, NO, 4096, "drop"), {}, 0, false, NW_FIX_DVPG_MAC, NW_FIX_APPLY, "",
          { .prom = false, .forged = true, .changes = false, .set_changes = true, .learning = true, .flood = false,
            .limit = 4096, .limit_policy = "drop" }, 1, {
                { NW_CHECK_MAC_LEARNING, VB(false), VB(true) } } },
        { "MAC: current mac_changes yes kept where the config wants yes", ML_SW, MAC(NO, YES, YES, NO, 1024, "allow"), {},
          CFG_MAC_CHANGES | CFG_LIMIT_1024_ALLOW, false, NW_FIX_DVPG_MAC, NW_FIX_APPLY, "",
          { .prom = false, .forged = true, .changes = true, .set_changes = true, .learning = true, .flood = true,
            .limit = 1024, .limit_policy = "allow" }, 1, {
                { NW_CHECK_MAC_LEARNING, VB(false), VB(true) } } },
        { "MAC: unset learning drifted, unset flooding defaults on", ML_SW, MACF(NO, NO, YES, UNS, UNS, 4096, "drop"), {},
          0, false, NW_FIX_DVPG_MAC, NW_FIX_APPLY, "",
          { .prom = false, .forged = true, .changes = false, .set_changes = true, .learning = true, .flood = true,
            .limit = 4096, .limit_policy = "drop" }, 1, {
                { NW_CHECK_MAC_LEARNING, VU, VB(true) } } },
        { "MAC: forged unset and unchecked becomes on", ML_SW, MAC(NO, NO, UNS, NO, 4096, "drop"), {}, CFG_NO_FORGED,
          false, NW_FIX_DVPG_MAC, NW_FIX_APPLY, "",
          { .prom = false, .forged = true, .changes = false, .set_changes = true, .learning = true, .flood = true,
            .limit = 4096, .limit_policy = "drop" }, 1, {
                { NW_CHECK_MAC_LEARNING, VB(false), VB(true) } } },
        { "MAC: forged off and unchecked stays off", ML_SW, MAC(NO, NO, NO, NO, 4096, "drop"), {}, CFG_NO_FORGED,
          false, NW_FIX_DVPG_MAC, NW_FIX_APPLY, "",
          { .prom = false, .forged = false, .changes = false, .set_changes = true, .learning = true, .flood = true,
            .limit = 4096, .limit_policy = "drop" }, 1, {
                { NW_CHECK_MAC_LEARNING, VB(false), VB(true) } } },
        { "MAC: limit absent", ML_SW, MAC(NO, UNS, YES, YES, -1, NULL), {}, 0, false, NW_FIX_DVPG_MAC, NW_FIX_APPLY, "",
          { .prom = false, .forged = true, .changes = false, .set_changes = true, .learning = true, .flood = true,
            .limit = 4096, .limit_policy = "drop" }, 2, {
                { NW_CHECK_MAC_CHANGES, VU, VB(false) },
                { NW_CHECK_MAC_LEARNING_LIMIT, VL(-1, ""), VL(4096, "drop") } } },
        { "MAC: no limit policy anywhere", ML_SW, MAC(NO, NO, YES, YES, 4096, NULL), {}, CFG_LIMIT_POLICY_NULL, false,
          NW_FIX_DVPG_MAC, NW_FIX_UNFIXABLE, "MAC learning limit or limit policy unknown: nothing to write",
          { .prom = false, .forged = true, .changes = false, .set_changes = true, .learning = true, .flood = true,
            .limit = 4096, .limit_policy = NULL }, 1, {
                { NW_CHECK_MAC_LEARNING_LIMIT, VL(4096, ""), VL(4096, "") } } },
        { "MAC: no configVersion", ML_SW, BAD_MAC, {}, 0, true, NW_FIX_DVPG_MAC, NW_FIX_UNFIXABLE,
          "vCenter sent no configVersion: a reconfigure needs it",
          { .prom = false, .forged = true, .changes = false, .set_changes = true, .learning = true, .flood = true,
            .limit = 4096, .limit_policy = "drop" }, 1, {
                { NW_CHECK_MAC_LEARNING, VB(false), VB(true) } } },
        { "security: old switch, current values from macManagementPolicy", OLD_SW, MAC(NO, YES, NO, NO, -1, NULL), {},
          0, false, NW_FIX_DVPG_SECURITY, NW_FIX_APPLY, "",
          { .prom = true, .forged = true, .changes = true, .set_changes = true, .limit = 0 }, 2, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) },
                { NW_CHECK_FORGED_TRANSMITS, VB(false), VB(true) } } },
        { "security: from securityPolicy, forged kept", OLD_SW, NO_MAC, SEC(NO, NO, YES), 0, false,
          NW_FIX_DVPG_SECURITY, NW_FIX_APPLY, "",
          { .prom = true, .forged = true, .changes = false, .set_changes = true }, 1, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) } } },
        { "security: neither policy, macChanges left out", OLD_SW, NO_MAC, {}, 0, false,
          NW_FIX_DVPG_SECURITY, NW_FIX_APPLY, "",
          { .prom = true, .forged = true, .changes = false, .set_changes = false }, 2, {
                { NW_CHECK_PROMISCUOUS, VU, VB(true) },
                { NW_CHECK_FORGED_TRANSMITS, VU, VB(true) } } },
        { "security: mac_changes unset left out", OLD_SW, NO_MAC, SEC(NO, UNS, NO), 0, false,
          NW_FIX_DVPG_SECURITY, NW_FIX_APPLY, "",
          { .prom = true, .forged = true, .changes = false, .set_changes = false }, 2, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) },
                { NW_CHECK_FORGED_TRANSMITS, VB(false), VB(true) } } },
        { "security: forged unset and unchecked becomes on", OLD_SW, NO_MAC, SEC(NO, NO, UNS), CFG_NO_FORGED, false,
          NW_FIX_DVPG_SECURITY, NW_FIX_APPLY, "",
          { .prom = true, .forged = true, .changes = false, .set_changes = true }, 1, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) } } },
        { "security: promiscuous already on, forged drifted", OLD_SW, NO_MAC, SEC(YES, NO, NO), 0, false,
          NW_FIX_DVPG_SECURITY, NW_FIX_APPLY, "",
          { .prom = true, .forged = true, .changes = false, .set_changes = true }, 1, {
                { NW_CHECK_FORGED_TRANSMITS, VB(false), VB(true) } } },
        { "security: mac_learning = no on a new switch", ML_SW, MAC(NO, NO, YES, NO, 4096, "drop"), {},
          CFG_NO_MAC_LEARNING, false, NW_FIX_DVPG_SECURITY, NW_FIX_APPLY, "",
          { .prom = true, .forged = true, .changes = false, .set_changes = true }, 1, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) } } },
        { "security: no configVersion", OLD_SW, NO_MAC, SEC(NO, NO, YES), 0, true, NW_FIX_DVPG_SECURITY,
          NW_FIX_UNFIXABLE, "vCenter sent no configVersion: a reconfigure needs it",
          { .prom = true, .forged = true, .changes = false, .set_changes = true }, 1, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) } } },
};

static void check_target(const nw_fix_target *x, const tgt *t) {
        CHECK_INTEQ(x->promiscuous, t->prom);
        CHECK_INTEQ(x->forged_transmits, t->forged);
        CHECK_INTEQ(x->mac_changes, t->changes);
        CHECK_INTEQ(x->set_mac_changes, t->set_changes);
        CHECK_INTEQ(x->learning_enabled, t->learning);
        CHECK_INTEQ(x->unicast_flooding, t->flood);
        CHECK_INTEQ(x->limit, t->limit);
        CHECK_STREQ(x->limit_policy, t->limit_policy ?: "");
        CHECK(!x->nested_hv);
}

static void check_changes(const nw_fix *x, const chg *c, size_t n) {
        CHECK_INTEQ(x->n_changes, n);
        for (size_t i = 0; i < n && i < x->n_changes; i++) {
                CHECK_STREQ(nw_check_to_string(x->changes[i].check), nw_check_to_string(c[i].check));
                CHECK(value_eq(&x->changes[i].before, &c[i].before));
                CHECK(value_eq(&x->changes[i].after, &c[i].after));
        }
}

static void test_dvpgs(void) {
        for (size_t i = 0; i < ELEMENTSOF(dvpg_cases); i++) {
                const struct dvpg_case *c = &dvpg_cases[i];
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                nw_policy_cfg pol = make_pol(c->cfg);
                int failed = tap_failed;
                nw_dvpg *pg;

                add_switch(&inv, "dvs-9", c->sw.version, c->sw.mls);
                pg = add_dvpg(&inv, "dvportgroup-7", NULL, "dvs-9", &c->mac, &c->sec);
                if (c->no_config_version) {
                        free(pg->config_version);
                        pg->config_version = NULL;
                }
                /* Only tagged VMs on it: never shared. */
                add_vm(&inv, "vm-1", NULL, YES, YES, 13, "poweredOff");
                push(&pg->vms, "vm-1");
                make_plan(&inv, &pol, &rc, NULL, &f, &p);

                CHECK_INTEQ(p.n, 1);
                if (p.n == 1) {
                        const nw_fix *x = &p.v[0];

                        CHECK_STREQ(nw_fix_kind_to_string(x->kind), nw_fix_kind_to_string(c->kind));
                        CHECK_STREQ(nw_fix_verdict_to_string(x->verdict), nw_fix_verdict_to_string(c->verdict));
                        CHECK_STREQ(x->reason, c->reason);
                        CHECK_STREQ(x->object, inv.dvpgs[0].moref);
                        CHECK(x->object != inv.dvpgs[0].moref);
                        CHECK_STREQ(x->name, "dvportgroup-7 name");
                        CHECK_INTEQ(x->shared_with.n, 0);
                        check_target(&x->target, &c->t);
                        check_changes(x, c->c, c->n);
                }
                if (tap_failed != failed)
                        dump_plan(c->desc, &p);
        }
}

/* --- standard portgroups: what is written --- */

static const struct stdpg_case {
        const char *desc;
        nw_tri prom, forged;
        unsigned cfg;
        bool no_spec;
        nw_fix_verdict verdict;
        const char *reason;
        bool t_prom, t_forged;
        size_t n;
        chg c[2];
} stdpg_cases[] = {
        { "promiscuous off", NO, YES, 0, false, NW_FIX_APPLY, "", true, true, 1, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) } } },
        { "forged off, promiscuous kept", YES, NO, 0, false, NW_FIX_APPLY, "", true, true, 1, {
                { NW_CHECK_FORGED_TRANSMITS, VB(false), VB(true) } } },
        { "both unset", UNS, UNS, 0, false, NW_FIX_APPLY, "", true, true, 2, {
                { NW_CHECK_PROMISCUOUS, VU, VB(true) },
                { NW_CHECK_FORGED_TRANSMITS, VU, VB(true) } } },
        { "forged off and unchecked stays off", NO, NO, CFG_NO_FORGED, false, NW_FIX_APPLY, "", true, false, 1, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) } } },
        { "forged unset and unchecked becomes on", NO, UNS, CFG_NO_FORGED, false, NW_FIX_APPLY, "", true, true, 1, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) } } },
        { "no spec from the host", NO, YES, 0, true, NW_FIX_UNFIXABLE,
          "vCenter sent no portgroup spec for this host: UpdatePortGroup needs it copied whole", true, true, 1, {
                { NW_CHECK_PROMISCUOUS, VB(false), VB(true) } } },
};

static void test_stdpgs(void) {
        for (size_t i = 0; i < ELEMENTSOF(stdpg_cases); i++) {
                const struct stdpg_case *c = &stdpg_cases[i];
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                nw_policy_cfg pol = make_pol(c->cfg);
                int failed = tap_failed;
                nw_stdpg *pg;

                pg = add_stdpg(&inv, "host-21", "VM Network", c->prom, YES, c->forged);
                if (c->no_spec) {
                        free(pg->spec_head_xml);
                        pg->spec_head_xml = NULL;
                }
                add_vm(&inv, "vm-1", NULL, YES, YES, 13, "poweredOff");
                push(&add_network(&inv, "network-5", "VM Network", NW_NET_STANDARD)->vms, "vm-1");
                make_plan(&inv, &pol, &rc, NULL, &f, &p);

                CHECK_INTEQ(p.n, 1);
                if (p.n == 1) {
                        const nw_fix *x = &p.v[0];
                        tgt t = { .prom = c->t_prom, .forged = c->t_forged };

                        CHECK_INTEQ(x->kind, NW_FIX_STDPG_SECURITY);
                        CHECK_STREQ(nw_fix_verdict_to_string(x->verdict), nw_fix_verdict_to_string(c->verdict));
                        CHECK_STREQ(x->reason, c->reason);
                        CHECK_STREQ(x->object, "host-21/VM Network");
                        CHECK_STREQ(x->name, "VM Network");
                        /* macChanges is YES on the host and is never touched, so never set. */
                        check_target(&x->target, &t);
                        check_changes(x, c->c, c->n);
                }
                if (tap_failed != failed)
                        dump_plan(c->desc, &p);
        }
}

/* --- shared portgroups --- */

#define SHARED3 "3 untagged VMs on this portgroup would see all its traffic: vm-12, vm-13, vm-14 " \
                "(allow_promiscuous_on_shared = no)"

static void check_shared(const char *desc, const nw_fix_plan *p, nw_fix_verdict verdict, const char *reason,
                         const char *const *want, size_t n_want) {
        int failed = tap_failed;

        CHECK_INTEQ(p->n, 1);
        if (p->n == 1) {
                const nw_fix *x = &p->v[0];

                CHECK_STREQ(nw_fix_verdict_to_string(x->verdict), nw_fix_verdict_to_string(verdict));
                if (reason)
                        CHECK_STREQ(x->reason, reason);
                CHECK_INTEQ(x->shared_with.n, n_want);
                for (size_t i = 0; i < n_want && i < x->shared_with.n; i++)
                        CHECK_STREQ(x->shared_with.v[i], want[i]);
        }
        if (tap_failed != failed)
                dump_plan(desc, p);
}

static void test_shared_dv(void) {
        static const char *const three[] = { "vm-12", "vm-13", "vm-14" };
        static const struct {
                const char *desc;
                bool mac;            /* MAC-learning portgroup instead of the legacy one */
                bool prom_on;        /* promiscuous already on, forged drifted */
                const char *vms[6];
                unsigned r;
                const char *exclude;
                size_t n_flap;
                nw_fix_verdict verdict;
                const char *reason;
                size_t n_want;
                const char *const *want;
        } t[] = {
                { "three untagged, tagged VM and template left out", false, false,
                  { "vm-1", "vm-12", "vm-t", "vm-13", "vm-14", "vm-12" }, 0, NULL, 0, NW_FIX_SHARED, SHARED3, 3, three },
                { "one untagged", false, false, { "vm-1", "vm-12" }, 0, NULL, 0, NW_FIX_SHARED,
                  "1 untagged VM on this portgroup would see all its traffic: vm-12 (allow_promiscuous_on_shared = no)",
                  1, three },
                { "tagged VMs only", false, false, { "vm-1", "vm-t" }, 0, NULL, 0, NW_FIX_APPLY, "", 0, NULL },
                { "nobody on it", false, false, {}, 0, NULL, 0, NW_FIX_APPLY, "", 0, NULL },
                { "allowed", false, false, { "vm-12", "vm-13" }, R_ALLOW_SHARED, NULL, 0, NW_FIX_APPLY, "", 0, NULL },
                { "MAC learning turns promiscuous off", true, false, { "vm-12", "vm-13" }, 0, NULL, 0, NW_FIX_APPLY, "",
                  0, NULL },
                { "promiscuous already on", false, true, { "vm-12", "vm-13" }, 0, NULL, 0, NW_FIX_APPLY, "", 0, NULL },
                { "excluded before shared", false, false, { "vm-12" }, 0, "dvportgroup-7", 0, NW_FIX_EXCLUDED,
                  "excluded by [remediation] exclude", 0, NULL },
                { "disabled before shared", false, false, { "vm-12" }, R_NO_PORTGROUPS, NULL, 0, NW_FIX_DISABLED,
                  "[remediation] portgroups = no", 0, NULL },
                { "shared before fight", false, false, { "vm-12", "vm-13", "vm-14" }, 0, NULL, 3, NW_FIX_SHARED,
                  SHARED3, 3, three },
                { "shared before dry run", false, false, { "vm-12", "vm-13", "vm-14" }, R_DRY_RUN, NULL, 0,
                  NW_FIX_SHARED, SHARED3, 3, three },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                static const double recent[] = { -30, -20, -10 };
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(t[i].r, t[i].exclude);
                _cleanup_(nw_flap_done) nw_flap flap = {};
                nw_policy_cfg pol = make_pol(0);
                nw_dvpg *pg;

                add_vm(&inv, "vm-1", NULL, YES, YES, 13, "poweredOn");
                add_vm(&inv, "vm-t", NULL, YES, YES, 13, "poweredOff")->template = true;
                pg = t[i].mac ? add_mac_dvpg(&inv, "dvportgroup-7") : add_legacy_dvpg(&inv, "dvportgroup-7");
                if (t[i].mac)
                        pg->mac.promiscuous = YES;
                if (t[i].prom_on) {
                        pg->mac.promiscuous = YES;
                        pg->mac.forged_transmits = NO;
                }
                for (size_t j = 0; j < ELEMENTSOF(t[i].vms) && t[i].vms[j]; j++)
                        push(&pg->vms, t[i].vms[j]);
                make_flap(&flap, "dvportgroup-7", recent, t[i].n_flap);
                make_plan(&inv, &pol, &rc, &flap, &f, &p);
                check_shared(t[i].desc, &p, t[i].verdict, t[i].reason, t[i].want, t[i].n_want);
        }

        /* Facts gathered for a verdict only (check, run in report mode) never read who sits on a
         * portgroup: an empty list there is "not known", never "nobody", and the rail holds. */
        {
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = false };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                _cleanup_(nw_flap_done) nw_flap flap = {};
                nw_policy_cfg pol = make_pol(0);

                add_vm(&inv, "vm-1", NULL, YES, YES, 13, "poweredOn");
                add_legacy_dvpg(&inv, "dvportgroup-7");
                make_plan(&inv, &pol, &rc, &flap, &f, &p);
                check_shared("neighbours not read", &p, NW_FIX_SHARED,
                             "cannot tell which VMs sit on this portgroup, so promiscuous mode could reach untagged "
                             "ones (allow_promiscuous_on_shared = no)", NULL, 0);
        }
}

static void test_shared_standard(void) {
        /* Across every standard network of that name (any host, any datacenter), each VM once. */
        {
                static const char *const want[] = { "vm-20", "vm-21" };
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                nw_policy_cfg pol = make_pol(0);
                nw_network *n;

                add_vm(&inv, "vm-1", NULL, YES, YES, 13, "poweredOff");
                add_stdpg(&inv, "host-21", "VM Network", NO, YES, YES);
                n = add_network(&inv, "network-1", "VM Network", NW_NET_STANDARD);
                push(&n->vms, "vm-1");
                push(&n->vms, "vm-20");
                n = add_network(&inv, "network-9", "VM Network", NW_NET_STANDARD);
                push(&n->vms, "vm-21");
                push(&n->vms, "vm-20");
                push(&add_network(&inv, "network-2", "Other", NW_NET_STANDARD)->vms, "vm-30");
                push(&add_network(&inv, "dvportgroup-3", "VM Network", NW_NET_DVPG)->vms, "vm-40");
                push(&add_network(&inv, "network-o", "VM Network", NW_NET_OTHER)->vms, "vm-41");
                make_plan(&inv, &pol, &rc, NULL, &f, &p);
                check_shared("standard, two networks", &p, NW_FIX_SHARED,
                             "2 untagged VMs on this portgroup would see all its traffic: vm-20, vm-21 "
                             "(allow_promiscuous_on_shared = no)", want, 2);
        }
        /* Nobody knows who is on it: held back, with nobody to name. */
        {
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                nw_policy_cfg pol = make_pol(0);

                add_stdpg(&inv, "host-21", "VM Network", NO, YES, YES);
                push(&add_network(&inv, "network-2", "Other", NW_NET_STANDARD)->vms, "vm-30");
                make_plan(&inv, &pol, &rc, NULL, &f, &p);
                check_shared("standard, network unknown", &p, NW_FIX_SHARED,
                             "cannot tell which VMs sit on this portgroup, so promiscuous mode could reach untagged "
                             "ones (allow_promiscuous_on_shared = no)", NULL, 0);
        }
        /* Forged transmits alone floods nobody: no need to know. */
        {
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                nw_policy_cfg pol = make_pol(0);

                add_stdpg(&inv, "host-21", "VM Network", YES, YES, NO);
                make_plan(&inv, &pol, &rc, NULL, &f, &p);
                check_shared("standard, forged only", &p, NW_FIX_APPLY, "", NULL, 0);
        }
        /* Excluded by name: every host's portgroup of that name. */
        {
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, "VM Network");
                nw_policy_cfg pol = make_pol(0);

                add_stdpg(&inv, "host-21", "VM Network", NO, YES, YES);
                add_stdpg(&inv, "host-22", "VM Network", YES, YES, NO);
                make_plan(&inv, &pol, &rc, NULL, &f, &p);
                CHECK_INTEQ(p.n, 2);
                for (size_t i = 0; i < p.n; i++)
                        CHECK_INTEQ(p.v[i].verdict, NW_FIX_EXCLUDED);
        }
        /* A long list is cut, the key to change never. */
        {
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                nw_policy_cfg pol = make_pol(0);
                static const char suffix[] = ", ... (allow_promiscuous_on_shared = no)";
                static const char head[] =
                        "40 untagged VMs on this portgroup would see all its traffic: vm-1000, vm-1001, ";
                nw_network *n;

                add_stdpg(&inv, "host-21", "VM Network", NO, YES, YES);
                n = add_network(&inv, "network-1", "VM Network", NW_NET_STANDARD);
                for (int i = 0; i < 40; i++) {
                        char moref[32];

                        snprintf(moref, sizeof(moref), "vm-%d", 1000 + i);
                        push(&n->vms, moref);
                }
                make_plan(&inv, &pol, &rc, NULL, &f, &p);
                CHECK_INTEQ(p.n, 1);
                if (p.n == 1) {
                        const char *r = p.v[0].reason;
                        size_t len = strlen(r);

                        CHECK_INTEQ(p.v[0].verdict, NW_FIX_SHARED);
                        CHECK_INTEQ(p.v[0].shared_with.n, 40);
                        CHECK(strncmp(r, head, strlen(head)) == 0);
                        CHECK(len < sizeof(p.v[0].reason));
                        CHECK(len > sizeof(p.v[0].reason) - 12);
                        CHECK(len >= strlen(suffix) && strcmp(r + len - strlen(suffix), suffix) == 0);
                }
        }
}

/* --- the flap window: (now - flap_window, now] --- */

static void test_flap_window(void) {
        static const struct {
                const char *desc;
                int64_t limit;
                size_t n;
                double t[5];
                nw_fix_verdict verdict;
                const char *reason;
        } t[] = {
                { "exactly flap_limit inside", 3, 3, { -3599.5, -1800, -1 }, NW_FIX_FIGHT, FIGHT3 },
                { "one exactly at now - window is outside", 3, 3, { -3600, -1800, -1 }, NW_FIX_APPLY, "" },
                { "one just outside", 3, 3, { -3600.5, -1800, -1 }, NW_FIX_APPLY, "" },
                { "one at now is inside", 3, 3, { -10, -5, 0 }, NW_FIX_FIGHT, FIGHT3 },
                { "one in the future does not count", 3, 3, { -10, -5, 1 }, NW_FIX_APPLY, "" },
                { "below the limit", 3, 2, { -10, -5 }, NW_FIX_APPLY, "" },
                { "more than the limit", 3, 5, { -7200, -50, -40, -30, -20 }, NW_FIX_FIGHT,
                  "reverted 4 times within 3600 s after nestwarden fixed it" },
                { "flap_limit 1", 1, 1, { -10 }, NW_FIX_FIGHT,
                  "reverted 1 time within 3600 s after nestwarden fixed it" },
                { "no memory", 3, 0, {}, NW_FIX_APPLY, "" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                static const double other[] = { -3, -2, -1 };
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                _cleanup_(nw_flap_done) nw_flap flap = {};
                nw_policy_cfg pol = make_pol(0);
                int failed = tap_failed;

                rc.flap_limit = t[i].limit;
                add_mac_dvpg(&inv, "dvportgroup-7");
                make_flap(&flap, "dvportgroup-7", t[i].t, t[i].n);
                make_flap(&flap, "dvportgroup-8", other, ELEMENTSOF(other)); /* another object's fight */
                make_plan(&inv, &pol, &rc, &flap, &f, &p);
                CHECK_INTEQ(p.n, 1);
                if (p.n == 1) {
                        CHECK_STREQ(nw_fix_verdict_to_string(p.v[0].verdict), nw_fix_verdict_to_string(t[i].verdict));
                        CHECK_STREQ(p.v[0].reason, t[i].reason);
                }
                if (tap_failed != failed)
                        dump_plan(t[i].desc, &p);
        }

        /* flap may be NULL: no memory at all. */
        {
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
                nw_policy_cfg pol = make_pol(0);

                add_mac_dvpg(&inv, "dvportgroup-7");
                make_plan(&inv, &pol, &rc, NULL, &f, &p);
                CHECK(p.n == 1 && p.v[0].verdict == NW_FIX_APPLY);
        }
}

static void test_flap_record(void) {
        _cleanup_(nw_flap_done) nw_flap flap = {};

        CHECK_INTEQ(remedy_flap_record(NULL, "x", 1), -EINVAL);
        CHECK_INTEQ(remedy_flap_record(&flap, NULL, 1), -EINVAL);
        CHECK_INTEQ(flap.n, 0);

        for (int i = 0; i < 40; i++)
                CHECK_INTEQ(remedy_flap_record(&flap, "dvportgroup-7", 1000 + i), 0);
        CHECK_INTEQ(remedy_flap_record(&flap, "vm-42", 5), 0);
        CHECK_INTEQ(flap.n, 2);
        if (flap.n == 2) {
                const nw_flap_entry *e = &flap.v[0];

                CHECK_STREQ(e->object, "dvportgroup-7");
                CHECK_INTEQ(e->n, ELEMENTSOF(e->times));
                CHECK(e->times[0] == 1008);
                CHECK(e->times[e->n - 1] == 1039);
                CHECK_STREQ(flap.v[1].object, "vm-42");
                CHECK_INTEQ(flap.v[1].n, 1);
        }

        /* A fix that went through ends the fight that was reported. */
        flap.v[1].fight_reported = true;
        CHECK_INTEQ(remedy_flap_record(&flap, "vm-42", 6), 0);
        CHECK(!flap.v[1].fight_reported);
        CHECK_INTEQ(flap.v[1].n, 2);

        remedy_flap_reset(&flap);
        CHECK_INTEQ(flap.n, 0);
        CHECK(!flap.v);
        CHECK_INTEQ(remedy_flap_record(&flap, "vm-42", 7), 0);
        CHECK_INTEQ(flap.n, 1);
        nw_flap_done(&flap);
        CHECK_INTEQ(flap.n, 0);
        nw_flap_done(NULL);
        remedy_flap_reset(NULL);
}

static bool keep_vm_7(void *userdata, const char *vm) {
        (*(int *) userdata)++;
        return strcmp(vm, "vm-7") == 0;
}

/* fix_on_power_off = no's memory: what run saw powered on, kept across a reload, dropped with the drift. */
static void test_flap_seen_on(void) {
        _cleanup_(nw_flap_done) nw_flap flap = {};
        int asked = 0;

        CHECK_INTEQ(remedy_flap_seen_on(NULL, "vm-7"), -EINVAL);
        CHECK_INTEQ(remedy_flap_seen_on(&flap, NULL), -EINVAL);
        CHECK(!remedy_flap_was_on(NULL, "vm-7"));
        CHECK(!remedy_flap_was_on(&flap, NULL));
        for (int i = 0; i < 3; i++)
                CHECK_INTEQ(remedy_flap_seen_on(&flap, "vm-7"), 0);
        CHECK_INTEQ(remedy_flap_seen_on(&flap, "vm-8"), 0);
        CHECK_INTEQ(remedy_flap_seen_on(&flap, "vm-9"), 0);
        CHECK_INTEQ(flap.seen_on.n, 3);  /* once each */
        CHECK_INTEQ(remedy_flap_record(&flap, "vm-8", 1), 0);

        /* A reload forgets the fixes, not what was seen. */
        remedy_flap_reset(&flap);
        CHECK_INTEQ(flap.n, 0);
        CHECK(remedy_flap_was_on(&flap, "vm-7") && remedy_flap_was_on(&flap, "vm-8") && remedy_flap_was_on(&flap, "vm-9"));

        remedy_flap_prune_seen_on(&flap, keep_vm_7, &asked);
        CHECK_INTEQ(asked, 3);
        CHECK_INTEQ(flap.seen_on.n, 1);
        CHECK(remedy_flap_was_on(&flap, "vm-7"));
        CHECK(!remedy_flap_was_on(&flap, "vm-8") && !remedy_flap_was_on(&flap, "vm-9"));
        remedy_flap_prune_seen_on(NULL, keep_vm_7, &asked);
}

/* --- the budget --- */

/* Candidates vm-a1..vm-a5 sort after four non-candidates (fight, shared, pending, excluded), which
 * must not use up the budget. */
static void test_budget(void) {
        static const struct {
                const char *desc;
                unsigned r;
                int64_t max;
                size_t applied, deferred;
        } t[] = {
                { "2 of 5", 0, 2, 2, 3 },
                { "dry run counts too", R_DRY_RUN, 2, 2, 3 },
                { "exactly enough", 0, 5, 5, 0 },
                { "1 of 5", 0, 1, 1, 4 },
                { "default 10", 0, 10, 5, 0 },
        };
        static const char *const candidates[] = { "vm-a1", "vm-a2", "vm-a3", "vm-a4", "vm-a5" };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                static const double recent[] = { -30, -20, -10 };
                _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(t[i].r, "vm-00");
                _cleanup_(nw_flap_done) nw_flap flap = {};
                nw_policy_cfg pol = make_pol(0);
                nw_fix_verdict go = t[i].r & R_DRY_RUN ? NW_FIX_DRY_RUN : NW_FIX_APPLY;
                char reason[64];
                int failed = tap_failed;

                rc.max_changes_per_pass = t[i].max;
                for (size_t j = ELEMENTSOF(candidates); j > 0; j--) /* inventory order must not matter */
                        add_vm(&inv, candidates[j - 1], NULL, NO, YES, 13, "poweredOff");
                add_vm(&inv, "vm-0", NULL, NO, YES, 13, "poweredOn");
                add_vm(&inv, "vm-00", NULL, NO, YES, 13, "poweredOff");
                add_mac_dvpg(&inv, "dvportgroup-9");
                add_stdpg(&inv, "host-1", "VM Network", NO, YES, YES);
                push(&add_network(&inv, "network-1", "VM Network", NW_NET_STANDARD)->vms, "vm-77");
                make_flap(&flap, "dvportgroup-9", recent, ELEMENTSOF(recent));
                make_plan(&inv, &pol, &rc, &flap, &f, &p);

                CHECK_INTEQ(p.n, 9);
                CHECK_INTEQ(p.deferred, t[i].deferred);
                if (p.n == 9) {
                        CHECK_STREQ(p.v[0].object, "dvportgroup-9");
                        CHECK_INTEQ(p.v[0].verdict, NW_FIX_FIGHT);
                        CHECK_STREQ(p.v[1].object, "host-1/VM Network");
                        CHECK_INTEQ(p.v[1].verdict, NW_FIX_SHARED);
                        CHECK_STREQ(p.v[2].object, "vm-0");
                        CHECK_INTEQ(p.v[2].verdict, NW_FIX_PENDING_POWER_OFF);
                        CHECK_STREQ(p.v[3].object, "vm-00");
                        CHECK_INTEQ(p.v[3].verdict, NW_FIX_EXCLUDED);
                        snprintf(reason, sizeof(reason), "over max_changes_per_pass = %lld: next pass",
                                 (long long) t[i].max);
                        for (size_t j = 0; j < ELEMENTSOF(candidates); j++) {
                                const nw_fix *x = &p.v[4 + j];

                                CHECK_STREQ(x->object, candidates[j]);
                                if (j < t[i].applied)
                                        CHECK_INTEQ(x->verdict, go);
                                else {
                                        CHECK_INTEQ(x->verdict, NW_FIX_DEFERRED);
                                        CHECK_STREQ(x->reason, reason);
                                }
                        }
                }
                if (tap_failed != failed)
                        dump_plan(t[i].desc, &p);
        }
}

/* --- one inventory: order, templates, and what does not get a fix --- */

static void test_plan_shape(void) {
        _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
        _cleanup_findings_ nw_findings f = {};
        _cleanup_fix_plan_ nw_fix_plan p = {};
        _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(R_FIX_TEMPLATES, NULL);
        nw_policy_cfg pol = make_pol(0);
        _cleanup_free_ nw_finding *v = NULL;
        nw_findings all;

        add_vm(&inv, "vm-9", NULL, NO, YES, 13, "poweredOff");
        add_vm(&inv, "vm-3", NULL, UNS, YES, 13, "poweredOff")->template = true;
        add_vm(&inv, "vm-1", NULL, YES, YES, 13, "poweredOff"); /* compliant */
        add_mac_dvpg(&inv, "dvportgroup-2");
        add_stdpg(&inv, "host-1", "x", YES, YES, NO);

        CHECK_INTEQ(policy_evaluate(&inv, &pol, &f), 0);
        CHECK(f.n > 0);
        if (f.n == 0)
                return;
        /* A finding on an object the inventory does not hold has nothing to point a fix at. */
        v = calloc(f.n + 1, sizeof(*v));
        if (!v)
                abort();
        memcpy(v, f.v, f.n * sizeof(*v));
        v[f.n] = f.v[f.n - 1];
        v[f.n].object = "vm-99x";
        all = (nw_findings) { .v = v, .n = f.n + 1 };
        CHECK_INTEQ(remedy_plan(&inv, &all, &pol, &rc, NULL, NOW, &p), 0);

        CHECK_INTEQ(p.n, 4);
        if (p.n == 4) {
                CHECK_STREQ(p.v[0].object, "dvportgroup-2");
                CHECK_INTEQ(p.v[0].kind, NW_FIX_DVPG_MAC);
                CHECK_STREQ(p.v[1].object, "host-1/x");
                CHECK_INTEQ(p.v[1].kind, NW_FIX_STDPG_SECURITY);
                CHECK_STREQ(p.v[2].object, "vm-3");
                CHECK_INTEQ(p.v[2].verdict, NW_FIX_APPLY); /* template with fix_templates = yes */
                CHECK_STREQ(p.v[3].object, "vm-9");
                for (size_t i = 0; i < p.n; i++)
                        CHECK_INTEQ(p.v[i].verdict, NW_FIX_APPLY);
        }
        CHECK_INTEQ(p.deferred, 0);
}

/* A plan outlives the facts and findings it came from (facts.h): applying one fix reads its object
 * back and replaces those facts while the rest of the plan is still to be used. ASan sees any borrow. */
static void test_self_contained(void) {
        _cleanup_fix_plan_ nw_fix_plan p = {};
        _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
        nw_policy_cfg pol = make_pol(0);
        nw_inventory inv = { .blast_radius = true };
        nw_findings f = {};

        add_vm(&inv, "vm-9", "hv-9", NO, YES, 13, "poweredOff");
        add_dvpg(&inv, "dvportgroup-2", NULL, "dvs-1", &(mac_spec) MAC(NO, NO, YES, YES, 1024, "allow"), &(sec_spec) {});
        add_switch(&inv, "dvs-1", "7.0.3", YES);
        add_stdpg(&inv, "host-1", "x", YES, YES, NO);
        CHECK_INTEQ(policy_evaluate(&inv, &pol, &f), 0);
        CHECK_INTEQ(remedy_plan(&inv, &f, &pol, &rc, NULL, NOW, &p), 0);
        nw_findings_done(&f);
        nw_inventory_done(&inv);

        CHECK_INTEQ(p.n, 3);
        if (p.n != 3)
                return;
        CHECK_STREQ(p.v[0].object, "dvportgroup-2");
        CHECK_STREQ(p.v[0].name, "dvportgroup-2 name");
        CHECK_INTEQ(p.v[0].target.limit, 4096);
        CHECK_STREQ(p.v[0].target.limit_policy, "drop");
        CHECK_INTEQ(p.v[0].n_changes, 1);
        CHECK_STREQ(p.v[0].changes[0].before.limit_policy, "allow");
        CHECK_STREQ(p.v[0].changes[0].after.limit_policy, "drop");
        CHECK_STREQ(p.v[1].object, "host-1/x");
        CHECK_STREQ(p.v[1].name, "x");
        CHECK_STREQ(p.v[2].object, "vm-9");
        CHECK_STREQ(p.v[2].name, "hv-9");
}

static void test_args(void) {
        _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
        _cleanup_rcfg_ nw_remedy_cfg rc = make_rcfg(0, NULL);
        nw_policy_cfg pol = make_pol(0);
        nw_findings f = {};
        nw_fix_plan p = { .n = 99 };

        CHECK_INTEQ(remedy_plan(&inv, &f, &pol, &rc, NULL, NOW, &p), 0);
        CHECK_INTEQ(p.n, 0);
        CHECK(!p.v);
        p.n = 99;
        CHECK_INTEQ(remedy_plan(NULL, &f, &pol, &rc, NULL, NOW, &p), -EINVAL);
        CHECK_INTEQ(p.n, 0);
        CHECK_INTEQ(remedy_plan(&inv, NULL, &pol, &rc, NULL, NOW, &p), -EINVAL);
        CHECK_INTEQ(remedy_plan(&inv, &f, NULL, &rc, NULL, NOW, &p), -EINVAL);
        CHECK_INTEQ(remedy_plan(&inv, &f, &pol, NULL, NULL, NOW, &p), -EINVAL);
        CHECK_INTEQ(remedy_plan(&inv, &f, &pol, &rc, NULL, NOW, NULL), -EINVAL);
        nw_fix_plan_done(&p);
        nw_fix_plan_done(NULL);
}

static void test_strings(void) {
        static const char *const verdicts[] = {
                "apply", "dry-run", "pending-power-off", "powered-on", "template", "shared",
                "excluded", "disabled", "fight", "deferred", "unfixable",
        };
        nw_remedy_cfg cfg;

        CHECK_INTEQ(ELEMENTSOF(verdicts), _NW_FIX_VERDICT_MAX);
        for (size_t i = 0; i < ELEMENTSOF(verdicts); i++)
                CHECK_STREQ(nw_fix_verdict_to_string((nw_fix_verdict) i), verdicts[i]);
        CHECK(!nw_fix_verdict_to_string(_NW_FIX_VERDICT_MAX));
        CHECK(!nw_fix_verdict_to_string((nw_fix_verdict) -1));
        CHECK_STREQ(nw_fix_kind_to_string(NW_FIX_VM_NESTED_HV), "vm-nested-hv");
        CHECK_STREQ(nw_fix_kind_to_string(NW_FIX_DVPG_MAC), "dvpg-mac");
        CHECK_STREQ(nw_fix_kind_to_string(NW_FIX_DVPG_SECURITY), "dvpg-security");
        CHECK_STREQ(nw_fix_kind_to_string(NW_FIX_STDPG_SECURITY), "stdpg-security");
        CHECK(!nw_fix_kind_to_string((nw_fix_kind) 42));

        nw_remedy_cfg_defaults(&cfg);
        CHECK(cfg.nested_hv);
        CHECK(cfg.portgroups);
        CHECK(cfg.fix_on_power_off);
        CHECK(!cfg.fix_templates);
        CHECK(!cfg.allow_promiscuous_on_shared);
        CHECK(!cfg.dry_run);
        CHECK_INTEQ(cfg.max_changes_per_pass, 10);
        CHECK_INTEQ(cfg.flap_limit, 3);
        CHECK_INTEQ(cfg.flap_window, 3600);
        CHECK_INTEQ(cfg.exclude.n, 0);
        CHECK(!cfg.exclude.v);
}

/* Nothing read, nothing planned: an unreadable object gets no fix; and with exclusions in force, a VM
 * whose name vCenter did not give cannot be told from an excluded one, so it is left alone. */
static void test_unreadable_and_nameless(void) {
        _cleanup_inventory_ nw_inventory inv = { .blast_radius = true };
        _cleanup_findings_ nw_findings f = {};
        _cleanup_fix_plan_ nw_fix_plan p = {}, q = {};
        _cleanup_rcfg_ nw_remedy_cfg none = make_rcfg(0, NULL), some = make_rcfg(0, "lab-vm");
        nw_policy_cfg pol = make_pol(0);
        nw_vm *vm;

        vm = add_vm(&inv, "vm-42", NULL, NO, YES, 13, "poweredOff");
        free(vm->name);
        vm->name = NULL;
        CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_VM, "vm-7", NULL, "NoPermission", "NoPermission on name"),
                    0);
        CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_SWITCH, "dvs-1", NULL, NULL, "not returned by vCenter"),
                    0);

        make_plan(&inv, &pol, &none, NULL, &f, &p);
        CHECK_INTEQ(f.unreadable, 2);
        CHECK_INTEQ(p.n, 1);
        if (p.n == 1) {
                CHECK_STREQ(p.v[0].object, "vm-42");
                CHECK_INTEQ(p.v[0].verdict, NW_FIX_APPLY);
        }
        nw_findings_done(&f);
        make_plan(&inv, &pol, &some, NULL, &f, &q);
        CHECK_INTEQ(q.n, 1);
        if (q.n == 1)
                CHECK_INTEQ(q.v[0].verdict, NW_FIX_EXCLUDED);
}

int main(void) {
        test_unreadable_and_nameless();
        test_vms();
        test_dvpgs();
        test_stdpgs();
        test_shared_dv();
        test_shared_standard();
        test_flap_window();
        test_flap_record();
        test_flap_seen_on();
        test_budget();
        test_plan_shape();
        test_self_contained();
        test_args();
        test_strings();
        return tap_exit("remedy");
}
