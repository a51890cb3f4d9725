/* Unit tests for lib/policy.c (and the facts lookups it uses): every rule, table-driven, on small
 * inventories built in code. */
#include "fixtures.h"
#include "policy.h"
#include "tap.h"

#include <string.h>

typedef struct want {
        nw_check check;
        nw_value expected, actual;
        const char *hint[3]; /* substrings the hint must contain */
} want;

/* --- comparing findings --- */

static void check_finding(const nw_finding *x, nw_kind kind, const char *object, bool template, const want *w) {
        CHECK_INTEQ(x->kind, kind);
        CHECK_STREQ(x->object, object);
        CHECK_STREQ(nw_check_to_string(x->check), nw_check_to_string(w->check));
        CHECK(value_eq(&x->expected, &w->expected));
        CHECK(value_eq(&x->actual, &w->actual));
        CHECK_INTEQ(x->template, template);
        CHECK(strlen(x->hint) > 0);
        for (size_t i = 0; i < ELEMENTSOF(w->hint) && w->hint[i]; i++)
                CHECK(strstr(x->hint, w->hint[i]));
}

static void check_findings(const char *desc, const nw_findings *f, nw_kind kind, const char *object,
                           bool template, const want *w, size_t n) {
        int failed = tap_failed;

        CHECK_INTEQ(f->n, n);
        for (size_t i = 0; i < n && i < f->n; i++)
                check_finding(&f->v[i], kind, object, template, &w[i]);
        if (tap_failed != failed) {
                fprintf(stderr, "  ^ in case \"%s\"; findings:\n", desc);
                for (size_t i = 0; i < f->n; i++)
                        fprintf(stderr, "    %s %s: %s\n", f->v[i].object,
                                nw_check_to_string(f->v[i].check), f->v[i].hint);
        }
}

/* --- VMs --- */

static const struct vm_case {
        const char *desc;
        bool template;
        const char *power;
        nw_tri nested, supported;
        int hw;
        unsigned cfg;
        size_t n;
        want w[2];
} vm_cases[] = {
        { "compliant", false, "poweredOff", YES, YES, 13, 0, 0, {} },
        { "hw unknown, capability unset", false, "poweredOff", YES, UNS, 0, 0, 0, {} },
        { "vmx-09 is enough", false, "poweredOff", YES, YES, 9, 0, 0, {} },
        { "disabled", false, "poweredOff", NO, YES, 13, 0, 1, {
                { NW_CHECK_NESTED_HV, VB(true), VB(false), { "Expose hardware assisted virtualization" } } } },
        { "never set", false, "poweredOff", UNS, YES, 13, 0, 1, {
                { NW_CHECK_NESTED_HV, VB(true), VU, { "never set", "config.nestedHVEnabled" } } } },
        { "vmx-08", false, "poweredOff", YES, YES, 8, 0, 1, {
                { NW_CHECK_NESTED_HV_SUPPORTED, VB(true), VB(false),
                  { "hardware version vmx-08 is below vmx-09: upgrade the VM compatibility" } } } },
        { "capability false", false, "poweredOff", YES, NO, 13, 0, 1, {
                { NW_CHECK_NESTED_HV_SUPPORTED, VB(true), VB(false),
                  { "capability.nestedHVSupported is false: the VM or its host cannot expose hardware virtualization" } } } },
        { "both causes", false, "poweredOff", YES, NO, 7, 0, 1, {
                { NW_CHECK_NESTED_HV_SUPPORTED, VB(true), VB(false),
                  { "vmx-07 is below vmx-09", "; capability.nestedHVSupported is false" } } } },
        { "disabled on vmx-08", false, "poweredOff", NO, YES, 8, 0, 2, {
                { NW_CHECK_NESTED_HV, VB(true), VB(false), {} },
                { NW_CHECK_NESTED_HV_SUPPORTED, VB(true), VB(false), { "vmx-08" } } } },
        { "powered on", false, "poweredOn", NO, YES, 13, 0, 1, {
                { NW_CHECK_NESTED_HV, VB(true), VB(false), { "VM is powered on: the change needs a power-off" } } } },
        { "powered on, never set", false, "poweredOn", UNS, YES, 13, 0, 1, {
                { NW_CHECK_NESTED_HV, VB(true), VU, { "never set", "power-off" } } } },
        { "suspended is not powered on", false, "suspended", NO, YES, 13, 0, 1, {
                { NW_CHECK_NESTED_HV, VB(true), VB(false), { "Expose hardware" } } } },
        { "template", true, "poweredOff", NO, YES, 13, 0, 1, {
                { NW_CHECK_NESTED_HV, VB(true), VB(false),
                  { "template: fix it so new clones inherit nestedHVEnabled" } } } },
        { "template unsupported", true, "poweredOff", YES, NO, 13, 0, 1, {
                { NW_CHECK_NESTED_HV_SUPPORTED, VB(true), VB(false), { "nestedHVSupported is false" } } } },
        { "nested_hv = no", false, "poweredOn", NO, NO, 8, CFG_NO_NESTED_HV, 0, {} },
        { "nested_hv = no, template", true, "poweredOff", UNS, YES, 13, CFG_NO_NESTED_HV, 0, {} },
};

static void test_vms(void) {
        for (size_t i = 0; i < ELEMENTSOF(vm_cases); i++) {
                const struct vm_case *c = &vm_cases[i];
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};
                nw_policy_cfg cfg = make_pol(c->cfg);
                nw_vm *vm = add_vm(&inv, "vm-42", "vm name", c->nested, c->supported, c->hw, c->power);

                vm->template = c->template;
                push(&vm->networks, "dvportgroup-1");

                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                check_findings(c->desc, &f, NW_KIND_VM, "vm-42", c->template, c->w, c->n);
                CHECK_INTEQ(f.vms, c->template ? 0 : 1);
                CHECK_INTEQ(f.templates, c->template ? 1 : 0);
                CHECK_INTEQ(f.portgroups, 0);
                for (size_t j = 0; j < f.n; j++) {
                        CHECK_STREQ(f.v[j].name, "vm name");
                        CHECK_INTEQ(f.v[j].powered_on, strcmp(c->power, "poweredOn") == 0);
                }
        }
}

/* --- DV portgroups --- */

typedef struct sw_spec {
        bool absent;
        const char *version;
        nw_tri mls;
} sw_spec;
#define SW(v, m) { .version = (v), .mls = (m) }
#define SW_ABSENT { .absent = true }

#define ML "switch version 6.6.0+ and macLearningSupported"
#define FLOOD "floods every VM on this portgroup"

static const struct dvpg_case {
        const char *desc;
        sw_spec sw;
        bool uplink, skipped;
        const char *backing;
        mac_spec mac;
        sec_spec sec;
        unsigned cfg;
        size_t n;
        want w[5];
} dvpg_cases[] = {
        /* MAC learning path: one check at a time. */
        { .desc = "ML compliant", .sw = SW("7.0.3", YES), .mac = GOOD_MAC },
        { .desc = "ML learning off", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, NO, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING, VB(true), VB(false), { "enable MAC learning", "DSwitch", ML } } } },
        { .desc = "ML learning unset", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, UNS, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING, VB(true), VU, {} } } },
        { .desc = "ML promiscuous on", .sw = SW("7.0.3", YES), .mac = MAC(YES, NO, YES, YES, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(false), VB(true), { "reject promiscuous", "DSwitch", ML } } } },
        { .desc = "ML promiscuous unset", .sw = SW("7.0.3", YES), .mac = MAC(UNS, NO, YES, YES, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(false), VU, {} } } },
        { .desc = "ML forged off", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, NO, YES, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_FORGED_TRANSMITS, VB(true), VB(false), { "accept forged transmits", "DSwitch", ML } } } },
        { .desc = "ML forged unset", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, UNS, YES, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_FORGED_TRANSMITS, VB(true), VU, {} } } },
        { .desc = "ML mac changes on", .sw = SW("7.0.3", YES), .mac = MAC(NO, YES, YES, YES, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_MAC_CHANGES, VB(false), VB(true), { "reject MAC address changes", "mac_changes = no" } } } },
        { .desc = "ML mac changes unset", .sw = SW("7.0.3", YES), .mac = MAC(NO, UNS, YES, YES, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_MAC_CHANGES, VB(false), VU, {} } } },
        { .desc = "ML mac_changes = yes", .sw = SW("7.0.3", YES), .mac = GOOD_MAC, .cfg = CFG_MAC_CHANGES, .n = 1,
          .w = { { NW_CHECK_MAC_CHANGES, VB(true), VB(false), { "accept MAC address changes", "mac_changes = yes" } } } },
        { .desc = "ML mac_changes = yes, compliant", .sw = SW("7.0.3", YES), .mac = MAC(NO, YES, YES, YES, 4096, "drop"),
          .cfg = CFG_MAC_CHANGES },
        { .desc = "ML limit differs", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, YES, 1024, "drop"), .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING_LIMIT, VL(4096, "drop"), VL(1024, "drop"), { "limit to 4096 with limit policy drop" } } } },
        { .desc = "ML limit policy differs", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, YES, 4096, "allow"), .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING_LIMIT, VL(4096, "drop"), VL(4096, "allow"), {} } } },
        { .desc = "ML limit policy case", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, YES, 4096, "DROP"), .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING_LIMIT, VL(4096, "drop"), VL(4096, "DROP"), {} } } },
        { .desc = "ML limit absent", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, YES, -1, NULL), .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING_LIMIT, VL(4096, "drop"), VL(-1, ""), {} } } },
        { .desc = "ML limit policy absent", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, YES, 4096, NULL), .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING_LIMIT, VL(4096, "drop"), VL(4096, ""), {} } } },
        { .desc = "ML custom limit compliant", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, YES, 1024, "allow"),
          .cfg = CFG_LIMIT_1024_ALLOW },
        { .desc = "ML custom limit differs", .sw = SW("7.0.3", YES), .mac = GOOD_MAC, .cfg = CFG_LIMIT_1024_ALLOW, .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING_LIMIT, VL(1024, "allow"), VL(4096, "drop"), { "limit to 1024 with limit policy allow" } } } },
        { .desc = "ML limit checked with learning off", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, YES, NO, 64, "allow"), .n = 2,
          .w = { { NW_CHECK_MAC_LEARNING, VB(true), VB(false), {} },
                 { NW_CHECK_MAC_LEARNING_LIMIT, VL(4096, "drop"), VL(64, "allow"), {} } } },
        { .desc = "ML everything wrong", .sw = SW("7.0.3", YES), .mac = MAC(YES, YES, NO, NO, 0, "allow"), .n = 5,
          .w = { { NW_CHECK_MAC_LEARNING, VB(true), VB(false), {} },
                 { NW_CHECK_PROMISCUOUS, VB(false), VB(true), {} },
                 { NW_CHECK_FORGED_TRANSMITS, VB(true), VB(false), {} },
                 { NW_CHECK_MAC_CHANGES, VB(false), VB(true), {} },
                 { NW_CHECK_MAC_LEARNING_LIMIT, VL(4096, "drop"), VL(0, "allow"), {} } } },
        { .desc = "ML forged_transmits = no", .sw = SW("7.0.3", YES), .mac = MAC(NO, NO, NO, YES, 4096, "drop"),
          .cfg = CFG_NO_FORGED },
        { .desc = "ML sec ignored when mac present", .sw = SW("7.0.3", YES), .mac = GOOD_MAC, .sec = SEC(NO, NO, NO) },

        /* Effective values are judged, wherever they were inherited from. */
        { .desc = "inherited compliant", .sw = SW("7.0.3", YES), .mac = MAC_INH(NO, NO, YES, YES, 4096, "drop") },
        { .desc = "inherited wrong", .sw = SW("7.0.3", YES), .mac = MAC_INH(YES, NO, YES, NO, 4096, "drop"), .n = 2,
          .w = { { NW_CHECK_MAC_LEARNING, VB(true), VB(false), {} },
                 { NW_CHECK_PROMISCUOUS, VB(false), VB(true), {} } } },
        { .desc = "legacy inherited compliant", .sw = SW("6.5.0", YES), .mac = MAC_INH(YES, NO, YES, NO, -1, NULL) },

        /* Version and capability gates. */
        { .desc = "6.6.0 is enough", .sw = SW("6.6.0", YES), .mac = GOOD_MAC },
        { .desc = "6.10.0 is newer than 6.6.0", .sw = SW("6.10.0", YES), .mac = GOOD_MAC },
        { .desc = "capability unset, version decides", .sw = SW("6.6.0", UNS), .mac = MAC(NO, NO, YES, NO, 4096, "drop"), .n = 1,
          .w = { { NW_CHECK_MAC_LEARNING, VB(true), VB(false), { "macLearningSupported not reported" } } } },
        { .desc = "6.5.0 legacy", .sw = SW("6.5.0", YES), .mac = GOOD_MAC, .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false),
                   { "accept promiscuous mode", FLOOD, "(vDS 'DSwitch': switch version below 6.6.0)" } } } },
        { .desc = "version unknown", .sw = SW(NULL, YES), .mac = GOOD_MAC, .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false), { "switch version unknown", FLOOD, "6.6+ vDS with MAC learning" } } } },
        { .desc = "version garbage", .sw = SW("seven", YES), .mac = GOOD_MAC, .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false), { "switch version unknown" } } } },
        { .desc = "capability false", .sw = SW("7.0.3", NO), .mac = GOOD_MAC, .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false), { "switch reports macLearningSupported=false" } } } },
        { .desc = "switch missing", .sw = SW_ABSENT, .mac = GOOD_MAC, .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false), { "switch not in inventory", "dvs-9" } } } },
        { .desc = "API before 6.7", .sw = SW("7.0.3", YES), .mac = NO_MAC, .sec = SEC(NO, NO, YES), .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false), { "vCenter sent no macManagementPolicy (API before 6.7)" } } } },

        /* Legacy path: promiscuous + forged only, from mac, else sec, else unset. */
        { .desc = "legacy compliant from mac, ML fields ignored", .sw = SW("6.5.0", YES),
          .mac = MAC(YES, YES, YES, NO, -1, NULL) },
        { .desc = "legacy from mac, sec ignored", .sw = SW("6.5.0", YES), .mac = MAC(YES, NO, NO, NO, 4096, "drop"),
          .sec = SEC(YES, NO, YES), .n = 1,
          .w = { { NW_CHECK_FORGED_TRANSMITS, VB(true), VB(false), { "accept forged transmits", "below 6.6.0" } } } },
        { .desc = "legacy from mac, unset", .sw = SW("6.5.0", YES), .mac = MAC(UNS, NO, UNS, NO, -1, NULL), .n = 2,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VU, {} },
                 { NW_CHECK_FORGED_TRANSMITS, VB(true), VU, {} } } },
        { .desc = "legacy from sec compliant", .sw = SW("6.5.0", YES), .mac = NO_MAC, .sec = SEC(YES, YES, YES) },
        { .desc = "legacy from sec", .sw = SW("6.5.0", YES), .mac = NO_MAC, .sec = SEC(NO, YES, NO), .n = 2,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false), { FLOOD } },
                 { NW_CHECK_FORGED_TRANSMITS, VB(true), VB(false), {} } } },
        { .desc = "legacy with neither policy", .sw = SW("6.5.0", YES), .mac = NO_MAC, .n = 2,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VU, {} },
                 { NW_CHECK_FORGED_TRANSMITS, VB(true), VU, {} } } },
        { .desc = "legacy forged_transmits = no", .sw = SW("6.5.0", YES), .mac = NO_MAC, .sec = SEC(NO, NO, NO),
          .cfg = CFG_NO_FORGED, .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false), {} } } },
        { .desc = "mac_learning = no", .sw = SW("7.0.3", YES), .mac = GOOD_MAC, .cfg = CFG_NO_MAC_LEARNING, .n = 1,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VB(false), { "mac_learning = no in the config", FLOOD } } } },
        { .desc = "mac_learning = no, mac_changes not checked", .sw = SW("7.0.3", YES),
          .mac = MAC(YES, YES, YES, NO, 1, "allow"), .cfg = CFG_NO_MAC_LEARNING | CFG_MAC_CHANGES },

        /* Skipped and not counted. */
        { .desc = "uplink", .sw = SW("7.0.3", YES), .uplink = true, .skipped = true, .mac = NO_MAC },
        { .desc = "nsx", .sw = SW("7.0.3", YES), .backing = "nsx", .skipped = true, .mac = NO_MAC },
        { .desc = "NSX any case", .sw = SW("7.0.3", YES), .backing = "NSX", .skipped = true, .mac = NO_MAC },
        { .desc = "standard backing judged", .sw = SW("7.0.3", YES), .backing = "standard", .mac = NO_MAC, .n = 2,
          .w = { { NW_CHECK_PROMISCUOUS, VB(true), VU, {} },
                 { NW_CHECK_FORGED_TRANSMITS, VB(true), VU, {} } } },
};

static void test_dvpgs(void) {
        for (size_t i = 0; i < ELEMENTSOF(dvpg_cases); i++) {
                const struct dvpg_case *c = &dvpg_cases[i];
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};
                nw_policy_cfg cfg = make_pol(c->cfg);
                nw_dvpg *pg;

                if (!c->sw.absent)
                        add_switch(&inv, "dvs-9", c->sw.version, c->sw.mls);
                add_switch(&inv, "dvs-other", "5.0.0", NO);
                pg = add_dvpg(&inv, "dvportgroup-7", "pg name", "dvs-9", &c->mac, &c->sec);
                pg->uplink = c->uplink;
                pg->backing_type = xstrdup(c->backing);

                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                check_findings(c->desc, &f, NW_KIND_DVPG, "dvportgroup-7", false, c->w, c->n);
                CHECK_INTEQ(f.portgroups, c->skipped ? 0 : 1);
                CHECK_INTEQ(f.vms + f.templates, 0);
                for (size_t j = 0; j < f.n; j++) {
                        CHECK_STREQ(f.v[j].name, "pg name");
                        CHECK(!f.v[j].powered_on);
                }
        }
}

/* --- standard portgroups --- */

static const struct stdpg_case {
        const char *desc;
        nw_tri prom, forged;
        unsigned cfg;
        bool skipped;
        size_t n;
        want w[2];
} stdpg_cases[] = {
        { "compliant", YES, YES, 0, false, 0, {} },
        { "promiscuous off", NO, YES, 0, false, 1, {
                { NW_CHECK_PROMISCUOUS, VB(true), VB(false), { FLOOD, "vSwitch0", "no MAC learning" } } } },
        { "forged off", YES, NO, 0, false, 1, {
                { NW_CHECK_FORGED_TRANSMITS, VB(true), VB(false), { "accept forged transmits", "vSwitch0" } } } },
        { "both unset", UNS, UNS, 0, false, 2, {
                { NW_CHECK_PROMISCUOUS, VB(true), VU, {} },
                { NW_CHECK_FORGED_TRANSMITS, VB(true), VU, {} } } },
        { "forged_transmits = no", NO, NO, CFG_NO_FORGED, false, 1, {
                { NW_CHECK_PROMISCUOUS, VB(true), VB(false), {} } } },
        { "standard_portgroups = no", NO, NO, CFG_NO_STANDARD, true, 0, {} },
        { "mac_learning = no changes nothing", NO, YES, CFG_NO_MAC_LEARNING, false, 1, {
                { NW_CHECK_PROMISCUOUS, VB(true), VB(false), {} } } },
};

static void test_stdpgs(void) {
        for (size_t i = 0; i < ELEMENTSOF(stdpg_cases); i++) {
                const struct stdpg_case *c = &stdpg_cases[i];
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};
                nw_policy_cfg cfg = make_pol(c->cfg);

                add_stdpg(&inv, "host-21", "VM Network", c->prom, NO, c->forged);
                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                check_findings(c->desc, &f, NW_KIND_PG, "host-21/VM Network", false, c->w, c->n);
                CHECK_INTEQ(f.portgroups, c->skipped ? 0 : 1);
                for (size_t j = 0; j < f.n; j++)
                        CHECK_STREQ(f.v[j].name, "VM Network");
        }
}

/* --- a whole inventory: order and counts --- */

static void test_sort_and_counts(void) {
        _cleanup_inventory_ nw_inventory inv = {};
        _cleanup_findings_ nw_findings f = {};
        nw_policy_cfg cfg = make_pol(0);
        mac_spec good = GOOD_MAC, bad = MAC(YES, YES, NO, NO, 1, "allow"), none = NO_MAC;
        sec_spec nosec = {};
        nw_vm *vm;
        static const struct {
                const char *object;
                nw_check check;
                bool template;
        } order[] = {
                { "dvportgroup-10", NW_CHECK_PROMISCUOUS, false },
                { "dvportgroup-10", NW_CHECK_FORGED_TRANSMITS, false },
                { "dvportgroup-2", NW_CHECK_MAC_LEARNING, false },
                { "dvportgroup-2", NW_CHECK_PROMISCUOUS, false },
                { "dvportgroup-2", NW_CHECK_FORGED_TRANSMITS, false },
                { "dvportgroup-2", NW_CHECK_MAC_CHANGES, false },
                { "dvportgroup-2", NW_CHECK_MAC_LEARNING_LIMIT, false },
                { "host-1/VM Network", NW_CHECK_PROMISCUOUS, false },
                { "vm-10", NW_CHECK_NESTED_HV, false },
                { "vm-10", NW_CHECK_NESTED_HV_SUPPORTED, false },
                { "vm-3", NW_CHECK_NESTED_HV, true },
                { "vm-9", NW_CHECK_NESTED_HV, false },
        };

        /* Inserted out of order on purpose: object strcmp order, then check enum order. */
        add_vm(&inv, "vm-9", "vm name", NO, YES, 13, "poweredOff");
        vm = add_vm(&inv, "vm-3", "vm name", UNS, YES, 13, "poweredOff");
        vm->template = true;
        add_vm(&inv, "vm-10", "vm name", NO, NO, 13, "poweredOff");
        add_vm(&inv, "vm-1", "vm name", YES, YES, 13, "poweredOff");
        for (size_t i = 0; i < inv.n_vms; i++) /* each on a network, as in a real inventory */
                push(&inv.vms[i].networks, "dvportgroup-1");
        add_switch(&inv, "dvs-1", "7.0.0", YES);
        add_switch(&inv, "dvs-2", "6.0.0", UNS);
        add_stdpg(&inv, "host-1", "VM Network", NO, NO, YES);
        add_stdpg(&inv, "host-2", "VM Network", YES, NO, YES);
        add_dvpg(&inv, "dvportgroup-2", "pg name", "dvs-1", &bad, &nosec);
        add_dvpg(&inv, "dvportgroup-10", "pg name", "dvs-2", &none, &nosec);
        add_dvpg(&inv, "dvportgroup-1", "pg name", "dvs-1", &good, &nosec);
        add_dvpg(&inv, "dvportgroup-3", "pg name", "dvs-1", &bad, &nosec)->uplink = true;
        add_dvpg(&inv, "dvportgroup-4", "pg name", "dvs-1", &bad, &nosec)->backing_type = xstrdup("nsx");

        CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
        CHECK_INTEQ(f.vms, 3);
        CHECK_INTEQ(f.templates, 1);
        CHECK_INTEQ(f.portgroups, 5); /* 3 DV (uplink and NSX skipped) + 2 standard */
        CHECK_INTEQ(f.judged[NW_KIND_VM], 4);
        CHECK_INTEQ(f.judged[NW_KIND_DVPG], 3);
        CHECK_INTEQ(f.judged[NW_KIND_PG], 2);
        CHECK_INTEQ(f.judged[NW_KIND_DVPORT], 0);
        CHECK_INTEQ(f.judged[NW_KIND_SWITCH] + f.judged[NW_KIND_HOST] + f.judged[NW_KIND_NETWORK], 0);
        CHECK_INTEQ(f.n, ELEMENTSOF(order));
        for (size_t i = 0; i < ELEMENTSOF(order) && i < f.n; i++) {
                CHECK_STREQ(f.v[i].object, order[i].object);
                CHECK_STREQ(nw_check_to_string(f.v[i].check), nw_check_to_string(order[i].check));
                CHECK_INTEQ(f.v[i].template, order[i].template);
                /* The table the metrics list their series from knows every finding made here. */
                CHECK(policy_judges(f.v[i].kind, f.v[i].check));
        }
        /* Findings own copies: the inventory may be read again while they are in use (facts.h). */
        CHECK(f.n > 0 && f.v[f.n - 1].object != inv.vms[0].moref);
        CHECK(f.n > 0 && strcmp(f.v[f.n - 1].object, inv.vms[0].moref) == 0);

        nw_findings_done(&f);
        cfg = make_pol(CFG_NO_STANDARD | CFG_NO_NESTED_HV);
        CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
        CHECK_INTEQ(f.vms, 3);
        CHECK_INTEQ(f.templates, 1);
        CHECK_INTEQ(f.portgroups, 3);
        CHECK_INTEQ(f.n, 7);
}

static void test_empty(void) {
        nw_inventory inv = {};
        nw_findings f = { .n = 99 };
        nw_policy_cfg cfg = make_pol(0);

        CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
        CHECK_INTEQ(f.n, 0);
        CHECK(!f.v);
        CHECK_INTEQ(f.vms + f.templates + f.portgroups, 0);
        CHECK_INTEQ(policy_evaluate(NULL, &cfg, &f), -EINVAL);
        CHECK_INTEQ(policy_evaluate(&inv, NULL, &f), -EINVAL);
        nw_findings_done(&f);
        nw_findings_done(NULL);
        nw_inventory_done(&inv);
        nw_inventory_done(NULL);
}

/* Each UTF-8 lead byte followed by its continuation bytes, nothing cut. */
static bool utf8_whole(const char *s) {
        for (const unsigned char *p = (const unsigned char *) s; *p;) {
                size_t n = *p < 0x80 ? 1 : *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 0;

                if (n == 0)
                        return false;
                for (size_t i = 1; i < n; i++)
                        if ((p[i] & 0xc0) != 0x80)
                                return false;
                p += n;
        }
        return true;
}

/* A limit policy longer than a value holds is none of the API's values: two that share the part kept
 * must not compare equal, and nothing that long is ever a fix's target. */
static void test_long_limit_policy(void) {
        _cleanup_inventory_ nw_inventory inv = {};
        _cleanup_findings_ nw_findings f = {};
        nw_policy_cfg cfg = make_pol(0);
        mac_spec m = MAC(NO, NO, YES, YES, 4096, "abcdefghijklmnoY");

        cfg.mac_learning_limit_policy = "abcdefghijklmnoX";
        add_switch(&inv, "dvs-1", "7.0.3", YES);
        add_dvpg(&inv, "dvportgroup-1", NULL, "dvs-1", &m, &(sec_spec) {});
        CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
        CHECK_INTEQ(f.n, 1);
        if (f.n == 1) {
                CHECK_INTEQ(f.v[0].check, NW_CHECK_MAC_LEARNING_LIMIT);
                CHECK(f.v[0].expected.limit_policy_cut && f.v[0].actual.limit_policy_cut);
        }
        /* Even the same long policy on both sides: not known to comply. */
        cfg.mac_learning_limit_policy = "abcdefghijklmnoY";
        nw_findings_done(&f);
        CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
        CHECK_INTEQ(f.n, 1);
}

/* A long UTF-8 switch name overflows the hint: it is cut short, never inside a character. */
static void test_long_hint(void) {
        for (size_t shift = 0; shift < 4; shift++) {
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};
                nw_policy_cfg cfg = make_pol(0);
                mac_spec none = NO_MAC;
                sec_spec nosec = {};
                char name[512] = "";

                memset(name, 'x', shift);
                for (size_t i = shift; i + 3 < 400; i += 3)
                        memcpy(name + i, "\xe2\x9c\x93", 3); /* U+2713 */
                add_switch(&inv, "dvs-1", "6.5.0", YES);
                free(inv.switches[0].name);
                inv.switches[0].name = xstrdup(name);
                add_dvpg(&inv, "dvportgroup-1", "pg name", "dvs-1", &none, &nosec);

                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                CHECK_INTEQ(f.n, 2);
                for (size_t i = 0; i < f.n; i++) {
                        CHECK(strlen(f.v[i].hint) < sizeof(f.v[i].hint));
                        CHECK(strlen(f.v[i].hint) > sizeof(f.v[i].hint) - 5);
                        CHECK(utf8_whole(f.v[i].hint));
                }
        }
}

/* --- the small pieces --- */

static void test_version_cmp(void) {
        static const struct {
                const char *a, *b;
                int sign;
        } cases[] = {
                { "6.6.0", "6.6.0", 0 },
                { "6.10.0", "6.6.0", 1 },
                { "6.5.0", "6.6.0", -1 },
                { "7.0.3", "6.6.0", 1 },
                { "6.6", "6.6.0", 0 },
                { "6.6.0.0", "6.6", 0 },
                { "6.6.0.1", "6.6.0", 1 },
                { "7", "6.9.9", 1 },
                { "06.06.00", "6.6.0", 0 },
                { "0", "0.0", 0 },
                { "99999999999999999999999.0", "6.6.0", 1 },
                { "99999999999999999999999.0", "99999999999999999999998.9", 1 },
                { NULL, "0", -1 },
                { "0", NULL, 1 },
                { NULL, NULL, 0 },
                { "", "0", -1 },
                { "abc", "0", -1 },
                { "6.6.x", "6.6.0", -1 },
                { "6..6", "0", -1 },
                { "6.6.", "0", -1 },
                { ".6", "0", -1 },
                { "-6", "0", -1 },
                { " 6.6.0", "0", -1 },
                { "abc", "xyz", 0 },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                int r = policy_version_cmp(cases[i].a, cases[i].b);
                int sign = (r > 0) - (r < 0);

                if (sign != cases[i].sign)
                        fprintf(stderr, "version_cmp(%s, %s) = %d\n", cases[i].a ? cases[i].a : "NULL",
                                cases[i].b ? cases[i].b : "NULL", r);
                CHECK_INTEQ(sign, cases[i].sign);
        }
}

static void test_mac_learning_available(void) {
        static const struct {
                sw_spec sw;
                bool mac_present, available;
                const char *why;
        } cases[] = {
                { SW("6.6.0", YES), true, true, "switch version 6.6.0+ and macLearningSupported" },
                { SW("8.0.0", UNS), true, true, "switch version 6.6.0+ (macLearningSupported not reported)" },
                { SW("6.5.0", YES), true, false, "switch version below 6.6.0" },
                { SW("6.5.0", UNS), true, false, "switch version below 6.6.0" },
                { SW("7.0.0", NO), true, false, "switch reports macLearningSupported=false" },
                { SW("6.5.0", NO), true, false, "switch reports macLearningSupported=false" },
                { SW(NULL, YES), true, false, "switch version unknown" },
                { SW(NULL, UNS), true, false, "switch version unknown" },
                { SW("7.0.0", YES), false, false, "vCenter sent no macManagementPolicy (API before 6.7)" },
                { SW_ABSENT, true, false, "switch not in inventory" },
        };

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                nw_switch sw = { .moref = (char *) "dvs-1", .version = (char *) cases[i].sw.version,
                                 .mac_learning_supported = cases[i].sw.mls };
                nw_dvpg pg = { .mac = { .present = cases[i].mac_present } };
                const char *why = NULL;

                CHECK_INTEQ(policy_mac_learning_available(cases[i].sw.absent ? NULL : &sw, &pg, &why),
                            cases[i].available);
                CHECK_STREQ(why, cases[i].why);
                CHECK_INTEQ(policy_mac_learning_available(cases[i].sw.absent ? NULL : &sw, &pg, NULL),
                            cases[i].available);
        }
}

/* policy_judges() as a whole: what the judge_* functions can find on each kind. */
static void test_judges(void) {
        static const struct {
                nw_kind kind;
                nw_check checks[6]; /* up to the first NW_CHECK_NONE */
        } t[] = {
                { NW_KIND_VM, { NW_CHECK_NESTED_HV, NW_CHECK_NESTED_HV_SUPPORTED } },
                { NW_KIND_DVPG, { NW_CHECK_MAC_LEARNING, NW_CHECK_PROMISCUOUS, NW_CHECK_FORGED_TRANSMITS,
                                  NW_CHECK_MAC_CHANGES, NW_CHECK_MAC_LEARNING_LIMIT } },
                { NW_KIND_DVPORT, { NW_CHECK_MAC_LEARNING, NW_CHECK_PROMISCUOUS, NW_CHECK_FORGED_TRANSMITS,
                                    NW_CHECK_MAC_CHANGES, NW_CHECK_MAC_LEARNING_LIMIT } },
                { NW_KIND_PG, { NW_CHECK_PROMISCUOUS, NW_CHECK_FORGED_TRANSMITS } },
                { NW_KIND_NETWORK, {} },
                { NW_KIND_SWITCH, {} },
                { NW_KIND_HOST, {} },
                { NW_KIND_NONE, {} },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++)
                for (nw_check c = NW_CHECK_NONE; c <= _NW_CHECK_MAX; c++) {
                        bool judged = false;

                        for (size_t j = 0; j < ELEMENTSOF(t[i].checks) && t[i].checks[j] != NW_CHECK_NONE; j++)
                                judged = judged || t[i].checks[j] == c;
                        CHECK_INTEQ(policy_judges(t[i].kind, c), judged);
                        if (policy_judges(t[i].kind, c) != judged)
                                fprintf(stderr, "  ^ kind %s, check %s\n", nw_kind_to_string(t[i].kind) ?: "(none)",
                                        nw_check_to_string(c) ?: "(none)");
                }
}

static void test_strings(void) {
        static const char *const checks[] = {
                NULL, "nested_hv", "nested_hv_supported", "mac_learning", "promiscuous",
                "forged_transmits", "mac_changes", "mac_learning_limit", "unreadable",
        };
        static const char *const kinds[] = { "vm", "dvportgroup", "portgroup", "network", "switch", "host" };
        nw_policy_cfg cfg;

        CHECK_INTEQ(ELEMENTSOF(checks), _NW_CHECK_MAX);
        CHECK(!nw_check_to_string(NW_CHECK_NONE));
        for (size_t i = 1; i < ELEMENTSOF(checks); i++) {
                CHECK_STREQ(nw_check_to_string((nw_check) i), checks[i]);
                CHECK_INTEQ(nw_check_from_string(checks[i]), (int) i);
        }
        for (size_t i = 0; i < ELEMENTSOF(kinds); i++)
                CHECK_STREQ(nw_kind_to_string(nw_kind_from_string(kinds[i])), kinds[i]);
        CHECK_INTEQ(nw_check_from_string("nested"), -EINVAL);
        CHECK_INTEQ(nw_check_from_string(NULL), -EINVAL);
        CHECK_INTEQ(nw_kind_from_string("opaque"), -EINVAL);
        CHECK_INTEQ(nw_kind_from_string(""), -EINVAL);
        CHECK(!nw_kind_to_string(NW_KIND_NONE));
        CHECK(!nw_check_to_string(_NW_CHECK_MAX));
        CHECK(!nw_check_to_string((nw_check) -1));
        CHECK_STREQ(nw_kind_to_string(NW_KIND_VM), "vm");
        CHECK_STREQ(nw_kind_to_string(NW_KIND_DVPG), "dvportgroup");
        CHECK_STREQ(nw_kind_to_string(NW_KIND_PG), "portgroup");
        CHECK_STREQ(nw_kind_to_string(NW_KIND_NETWORK), "network");
        CHECK_STREQ(nw_kind_to_string(NW_KIND_SWITCH), "switch");
        CHECK_STREQ(nw_kind_to_string(NW_KIND_HOST), "host");
        CHECK(!nw_kind_to_string((nw_kind) 42));

        nw_policy_cfg_defaults(&cfg);
        CHECK(cfg.nested_hv);
        CHECK(cfg.forged_transmits);
        CHECK(cfg.mac_learning);
        CHECK(!cfg.mac_changes);
        CHECK_INTEQ(cfg.mac_learning_limit, 4096);
        CHECK_STREQ(cfg.mac_learning_limit_policy, "drop");
        CHECK(cfg.standard_portgroups);
}

static void test_facts_lookup(void) {
        _cleanup_inventory_ nw_inventory inv = {};

        add_switch(&inv, "dvs-1", "7.0.0", YES);
        add_switch(&inv, "dvs-2", NULL, UNS);
        add_network(&inv, "network-5", "VM Network", NW_NET_STANDARD);

        CHECK(nw_inventory_get_switch(&inv, "dvs-2") == &inv.switches[1]);
        CHECK(!nw_inventory_get_switch(&inv, "dvs-3"));
        CHECK(!nw_inventory_get_switch(&inv, NULL));
        CHECK(!nw_inventory_get_switch(NULL, "dvs-1"));
        CHECK(nw_inventory_get_network(&inv, "network-5") == &inv.networks[0]);
        CHECK(!nw_inventory_get_network(&inv, "network-6"));
        CHECK(!nw_inventory_get_network(NULL, "network-5"));
}

/* What was not read gets a finding of its own, never a pass; what depends on it is not judged. */
static void test_unreadable(void) {
        _cleanup_inventory_ nw_inventory inv = {};
        _cleanup_findings_ nw_findings f = {};
        const nw_policy_cfg cfg = make_pol(0);
        const mac_spec bad = MAC(YES, NO, NO, NO, 4096, "drop");
        const sec_spec nosec = {};

        add_vm(&inv, "vm-1", "ok", YES, YES, 14, "poweredOff");
        add_switch(&inv, "dvs-1", "7.0.0", YES);
        add_switch(&inv, "dvs-2", "7.0.0", YES);
        inv.switches[1].unreadable = true;
        add_dvpg(&inv, "dvportgroup-1", "judged", "dvs-1", &bad, &nosec);
        add_dvpg(&inv, "dvportgroup-2", "behind-unreadable-switch", "dvs-2", &bad, &nosec);
        CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_VM, "vm-2", NULL, "NoPermission", "NoPermission on name"), 0);
        CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_VM, "vm-2", "again", NULL, "twice"), 0);
        CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_SWITCH, "dvs-2", "sw", NULL, "not returned by vCenter"), 0);
        CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_HOST, "host-9", NULL, "ManagedObjectNotFound",
                                                "ManagedObjectNotFound on name"), 0);
        CHECK_INTEQ(inv.n_unreadable, 3);

        CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
        CHECK_INTEQ(f.unreadable, 3);
        CHECK_INTEQ(f.vms, 1);
        CHECK_INTEQ(f.portgroups, 1); /* dvportgroup-2 is not judged: its switch was not read */
        for (size_t i = 0; i < f.n; i++)
                CHECK(strcmp(f.v[i].object, "dvportgroup-2") != 0);

        for (size_t i = 0; i < f.n; i++) {
                const nw_finding *x = &f.v[i];

                if (x->check != NW_CHECK_UNREADABLE)
                        continue;
                CHECK_INTEQ(x->expected.type, NW_VAL_TEXT);
                CHECK_STREQ(x->expected.text, "readable");
                if (strcmp(x->object, "vm-2") == 0) {
                        CHECK_INTEQ(x->kind, NW_KIND_VM);
                        CHECK_STREQ(x->name, "vm-2"); /* no name known: the moref stands in */
                        CHECK_STREQ(x->actual.text, "NoPermission");
                        CHECK_STREQ(x->hint, "NoPermission on name: grant System.Read on the VM, or untag it");
                } else if (strcmp(x->object, "dvs-2") == 0) {
                        CHECK_INTEQ(x->kind, NW_KIND_SWITCH);
                        CHECK_STREQ(x->actual.text, "missing");
                        CHECK(strstr(x->hint, "not returned by vCenter: grant System.Read on the distributed switch"));
                } else {
                        CHECK_STREQ(x->object, "host-9");
                        CHECK_STREQ(x->actual.text, "ManagedObjectNotFound");
                        CHECK(strstr(x->hint, "deleted while nestwarden read it"));
                }
        }

        /* Unobserved: unreadable itself, a DV portgroup on an unreadable switch, a standard portgroup on an
         * unreadable host; not what was judged. */
        CHECK(nw_inventory_unobserved(&inv, "vm-2"));
        CHECK(nw_inventory_unobserved(&inv, "dvportgroup-2"));
        CHECK(nw_inventory_unobserved(&inv, "host-9/VM Network"));
        CHECK(!nw_inventory_unobserved(&inv, "dvportgroup-1"));
        CHECK(!nw_inventory_unobserved(&inv, "vm-1"));
        /* Not among the facts while an unreadable VM may lead to it: unobserved, not gone. */
        CHECK(nw_inventory_unobserved(&inv, "dvportgroup-77"));
        /* Among the facts in some role: a readable switch, a network, a host of a standard portgroup. */
        CHECK(nw_inventory_has_any(&inv, "dvs-1"));
        CHECK(!nw_inventory_has_any(&inv, "dvs-2"));
        CHECK(!nw_inventory_has_any(&inv, "host-9"));
}

/* With nothing unreadable, an object not among the facts is simply gone. */
static void test_gone_is_not_unobserved(void) {
        _cleanup_inventory_ nw_inventory inv = {};

        add_vm(&inv, "vm-1", "ok", YES, YES, 14, "poweredOff");
        CHECK(!nw_inventory_unobserved(&inv, "dvportgroup-77"));
        CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_SWITCH, "dvs-9", NULL, NULL, "not returned by vCenter"), 0);
        CHECK(!nw_inventory_unobserved(&inv, "dvportgroup-77")); /* a switch leads to no portgroup */
        CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_HOST, "host-9", NULL, NULL, "not returned by vCenter"), 0);
        CHECK(nw_inventory_unobserved(&inv, "host-9/VM Network"));
        CHECK(!nw_inventory_unobserved(&inv, "host-90/VM Network"));
}

/* --- nw_value_to_string --- */

static void test_value_string(void) {
        static const struct {
                nw_value v;
                const char *want;
        } cases[] = {
                { VB(true), "true" },
                { VB(false), "false" },
                { VU, "unset" },
                { VL(4096, "drop"), "4096/drop" },
                { VL(0, "allow"), "0/allow" },
                { VL(-1, ""), "unset/unset" },
                { VL(-1, "drop"), "unset/drop" },
                { VL(4096, ""), "4096/unset" },
        };
        nw_value v = VL(4096, "drop"), bad = { .type = (nw_value_type) 42 };
        char buf[32], tiny[4];

        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                CHECK_INTEQ(nw_value_to_string(&cases[i].v, buf, sizeof(buf)), 0);
                CHECK_STREQ(buf, cases[i].want);
        }
        CHECK_INTEQ(nw_value_to_string(&v, tiny, sizeof(tiny)), -ENOBUFS);
        CHECK_STREQ(tiny, "409");
        CHECK_INTEQ(nw_value_to_string(&v, buf, 0), -EINVAL);
        CHECK_INTEQ(nw_value_to_string(&bad, buf, sizeof(buf)), -EINVAL);
}

int main(void) {
        test_value_string();
        test_unreadable();
        test_gone_is_not_unobserved();
        test_vms();
        test_dvpgs();
        test_stdpgs();
        test_sort_and_counts();
        test_empty();
        test_long_hint();
        test_long_limit_policy();
        test_version_cmp();
        test_mac_learning_available();
        test_strings();
        test_judges();
        test_facts_lookup();
        return tap_exit("policy");
}
