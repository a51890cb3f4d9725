/* Tests for lib/annotate-text.c: the lines told to vCenter, the object each goes on, the VMs'
 * status words, the token bucket. */
#include <string.h>

#include "annotate.h"
#include "fixtures.h"
#include "tap.h"

static void test_bucket(void) {
        annotate_bucket b;
        int passed = 0;

        annotate_bucket_init(&b, 20, 100.0);
        /* A burst of 25 at once: 20 go out, 5 are counted. */
        for (int i = 0; i < 25; i++)
                passed += annotate_bucket_take(&b, 100.0);
        CHECK_INTEQ(passed, 20);
        CHECK_INTEQ(annotate_bucket_take_dropped(&b), 5);
        CHECK_INTEQ(annotate_bucket_take_dropped(&b), 0);
        /* One token every 3 s. */
        CHECK(!annotate_bucket_take(&b, 102.9));
        CHECK(annotate_bucket_take(&b, 103.1));
        CHECK(!annotate_bucket_take(&b, 103.2));
        /* A long quiet refills to the burst, not beyond. */
        passed = 0;
        for (int i = 0; i < 30; i++)
                passed += annotate_bucket_take(&b, 10000.0);
        CHECK_INTEQ(passed, 20);
        /* Time going back refills nothing and breaks nothing. */
        CHECK(!annotate_bucket_take(&b, 50.0));
        CHECK(annotate_bucket_take(&b, 10003.1));
        CHECK_INTEQ(annotate_bucket_take_dropped(&b), 13);
}

static void test_messages(void) {
        static const struct {
                nw_event ev;
                const char *want; /* NULL: not told (-ENOENT) */
        } t[] = {
                { { .type = NW_EVENT_DRIFT, .object = "dvportgroup-7", .object_name = "dvpg-lab",
                    .object_kind = NW_KIND_DVPG, .check = NW_CHECK_FORGED_TRANSMITS, .expected = "true",
                    .actual = "false" },
                  "nestwarden: forged transmits rejected on dvpg-lab; nested Hyper-V guests lose their network" },
                { { .type = NW_EVENT_DRIFT, .object = "vm-42", .object_name = "hv-lab-03", .object_kind = NW_KIND_VM,
                    .check = NW_CHECK_NESTED_HV, .expected = "true", .actual = "unset" },
                  "nestwarden: nested HV not exposed on hv-lab-03 (unset); Hyper-V inside it cannot start" },
                { { .type = NW_EVENT_DRIFT, .object = "host-17/VM Network", .object_name = "VM Network",
                    .object_kind = NW_KIND_PG, .check = NW_CHECK_PROMISCUOUS, .expected = "true", .actual = "false" },
                  "nestwarden: promiscuous mode rejected on VM Network (no MAC learning there); nested Hyper-V "
                  "guests lose their network" },
                { { .type = NW_EVENT_DRIFT, .object = "dvportgroup-7", .object_name = "dvpg-lab",
                    .object_kind = NW_KIND_DVPG, .check = NW_CHECK_PROMISCUOUS, .expected = "false", .actual = "true" },
                  "nestwarden: promiscuous mode accepted on dvpg-lab where MAC learning serves; every VM on it gets "
                  "copies of all traffic" },
                { { .type = NW_EVENT_DRIFT, .object = "dvportgroup-7", .object_kind = NW_KIND_DVPG,
                    .check = NW_CHECK_MAC_LEARNING_LIMIT, .expected = "4096/drop", .actual = "1024/allow" },
                  "nestwarden: mac_learning_limit on dvportgroup-7 is 1024/allow, expected 4096/drop" },
                { { .type = NW_EVENT_RESOLVED, .object = "dvportgroup-7", .object_name = "dvpg-lab",
                    .object_kind = NW_KIND_DVPG, .check = NW_CHECK_FORGED_TRANSMITS, .expected = "true",
                    .actual = "true" },
                  "nestwarden: resolved: forged_transmits on dvpg-lab is true again" },
                { { .type = NW_EVENT_REMEDIATED, .object = "vm-42", .object_name = "hv-lab-03",
                    .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .expected = "true", .before = "false",
                    .after = "true", .task = "task-12" },
                  "nestwarden: fixed nested_hv on hv-lab-03: false -> true (task-12)" },
                { { .type = NW_EVENT_REMEDIATED, .object = "host-17/VM Network", .object_name = "VM Network",
                    .object_kind = NW_KIND_PG, .check = NW_CHECK_FORGED_TRANSMITS, .before = "false",
                    .after = "true" },
                  "nestwarden: fixed forged_transmits on VM Network: false -> true" },
                { { .type = NW_EVENT_REMEDIATION_FAILED, .object = "vm-42", .object_name = "hv-lab-03",
                    .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .fault = "InvalidPowerState",
                    .detail = "powered on" },
                  "nestwarden: could not fix nested_hv on hv-lab-03: InvalidPowerState: powered on" },
                { { .type = NW_EVENT_REMEDIATION_SKIPPED, .object = "vm-42", .object_name = "hv-lab-03",
                    .object_kind = NW_KIND_VM, .reason = "pending-power-off", .detail = "" },
                  "nestwarden: drift on hv-lab-03 left as it is (pending-power-off)" },
                { { .type = NW_EVENT_FIGHT, .object = "dvportgroup-7", .object_name = "dvpg-lab",
                    .object_kind = NW_KIND_DVPG, .detail = "reverted 3 times within 3600 s" },
                  "nestwarden: something keeps reverting dvpg-lab after nestwarden fixed it; hands off: reverted 3 "
                  "times within 3600 s" },
                { { .type = NW_EVENT_UNREADABLE, .object = "host-9", .object_kind = NW_KIND_HOST,
                    .check = NW_CHECK_UNREADABLE, .actual = "NoPermission" },
                  "nestwarden: cannot read host-9 (NoPermission): its compliance is unknown" },
                { { .type = NW_EVENT_READABLE, .object = "vm-42", .object_name = "hv-lab-03",
                    .object_kind = NW_KIND_VM, .check = NW_CHECK_UNREADABLE },
                  "nestwarden: hv-lab-03 can be read again" },
                /* Not told: no object, or nothing changed on it. */
                { { .type = NW_EVENT_VCENTER_LOST, .detail = "gone" }, NULL },
                { { .type = NW_EVENT_VM_TAGGED, .object = "vm-42", .object_kind = NW_KIND_VM }, NULL },
                { { .type = NW_EVENT_DRY_RUN, .object = "vm-42", .object_kind = NW_KIND_VM }, NULL },
                { { .type = NW_EVENT_TAG_EMPTY, .detail = "nested/nested-hyperv" }, NULL },
                { { .type = NW_EVENT_OVERRIDE_ALLOWED, .object = "dvportgroup-92", .object_kind = NW_KIND_DVPG }, NULL },
                { { .type = NW_EVENT_DRIFT, .object = "dvs-28/76", .object_name = "hv-port-11 Network adapter 1",
                    .object_kind = NW_KIND_DVPORT, .check = NW_CHECK_FORGED_TRANSMITS, .expected = "true",
                    .actual = "false" },
                  "nestwarden: forged transmits rejected on hv-port-11 Network adapter 1; nested Hyper-V guests lose "
                  "their network" },
        };

        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                char buf[ANNOTATE_MSG_MAX];
                int r = annotate_message(&t[i].ev, buf, sizeof(buf));

                if (!t[i].want) {
                        CHECK_INTEQ(r, -ENOENT);
                        continue;
                }
                CHECK_INTEQ(r, 0);
                CHECK_STREQ(buf, t[i].want);
        }
}

/* A long name is cut at a character boundary, never in the middle of one. */
static void test_message_cut(void) {
        char name[400], buf[40];
        nw_event ev = { .type = NW_EVENT_READABLE, .object = "vm-1", .object_name = name, .object_kind = NW_KIND_VM };

        for (size_t i = 0; i + 2 < sizeof(name); i += 2)
                memcpy(name + i, "\xc3\xa9", 2); /* é */
        name[sizeof(name) - 2] = '\0';
        CHECK_INTEQ(annotate_message(&ev, buf, sizeof(buf)), 0);
        CHECK(strlen(buf) < sizeof(buf));
        CHECK(strncmp(buf, "nestwarden: \xc3\xa9", 14) == 0);
        /* Whole characters only: after the prefix, an even number of bytes. */
        CHECK((strlen(buf) - strlen("nestwarden: ")) % 2 == 0);
        CHECK_INTEQ(annotate_message(&ev, buf, 0), -EINVAL);
}

static void add_port(nw_inventory *inv, const char *sw, const char *key, const char *vm, const char *name) {
        nw_dvport *p = APPEND(inv, dvports);
        char id[64];

        snprintf(id, sizeof(id), "%s/%s", sw, key);
        p->id = xstrdup(id);
        p->switch_moref = xstrdup(sw);
        p->switch_type = xstrdup("DistributedVirtualSwitch");
        p->key = xstrdup(key);
        p->vm = xstrdup(vm);
        p->name = xstrdup(name);
}

static void test_entity(void) {
        static const struct {
                nw_kind kind;
                const char *object, *type, *moref;
        } t[] = {
                { NW_KIND_VM, "vm-42", "VirtualMachine", "vm-42" },
                { NW_KIND_DVPG, "dvportgroup-7", "DistributedVirtualPortgroup", "dvportgroup-7" },
                { NW_KIND_PG, "host-17/VM Network", "HostSystem", "host-17" },
                { NW_KIND_PG, "VM Network", NULL, NULL },            /* no host: nothing to log on */
                { NW_KIND_PG, "/VM Network", NULL, NULL },
                { NW_KIND_HOST, "host-9", "HostSystem", "host-9" },
                { NW_KIND_SWITCH, "dvs-9", "DistributedVirtualSwitch", "dvs-9" },    /* its type from the facts */
                { NW_KIND_SWITCH, "dvs-2", "VmwareDistributedVirtualSwitch", "dvs-2" }, /* not among them */
                { NW_KIND_DVPORT, "dvs-9/12", "VirtualMachine", "vm-1" },        /* on its VM, per the facts */
                { NW_KIND_DVPORT, "dvs-2/7", "VmwareDistributedVirtualSwitch", "dvs-2" }, /* else its switch */
                { NW_KIND_DVPORT, "12", NULL, NULL },
                { NW_KIND_NETWORK, "network-5", NULL, NULL },        /* its type is unknown */
                { NW_KIND_NONE, "x", NULL, NULL },
                { (nw_kind) 99, "x", NULL, NULL },
        };
        _cleanup_inventory_ nw_inventory inv = {};
        const char *type;
        char moref[64];

        add_switch(&inv, "dvs-9", "7.0.0", YES);
        inv.switches[0].type = xstrdup("DistributedVirtualSwitch");
        add_port(&inv, "dvs-9", "12", "vm-1", "hv-1 Network adapter 1");
        for (size_t i = 0; i < ELEMENTSOF(t); i++) {
                nw_event ev = { .type = NW_EVENT_DRIFT, .object = t[i].object, .object_kind = t[i].kind };
                int r = annotate_entity(&ev, &inv, &type, moref, sizeof(moref));

                if (!t[i].type) {
                        CHECK_INTEQ(r, -ENOENT);
                        continue;
                }
                CHECK_INTEQ(r, 0);
                CHECK_STREQ(type, t[i].type);
                CHECK_STREQ(moref, t[i].moref);
        }
        {
                nw_event ev = { .type = NW_EVENT_DRIFT, .object = "vm-123456", .object_kind = NW_KIND_VM };
                CHECK_INTEQ(annotate_entity(&ev, &inv, &type, moref, 5), -ENOBUFS);
        }
}

static nw_finding *add_finding(nw_findings *f, nw_kind kind, const char *object, const char *name, nw_check check) {
        nw_finding *x = append((void **) &f->v, &f->n, sizeof(*f->v));

        x->kind = kind;
        x->object = xstrdup(object);
        x->name = xstrdup(name);
        x->check = check;
        return x;
}

static const char *status(const nw_inventory *inv, const nw_findings *f, const nw_fix_plan *plan, size_t vm) {
        static char buf[ANNOTATE_STATUS_MAX];

        annotate_vm_status(inv, f, plan, vm, buf, sizeof(buf));
        return buf;
}

static void test_status(void) {
        _cleanup_inventory_ nw_inventory inv = {};
        nw_vm *vm;

        /* vm-1 on a DV portgroup of dvs-9 and on the standard "VM Network" of host-17; vm-2 alone. */
        add_switch(&inv, "dvs-9", "7.0.0", YES);
        add_dvpg(&inv, "dvportgroup-7", "dvpg-lab", "dvs-9", &(mac_spec) GOOD_MAC, &(sec_spec) {});
        add_network(&inv, "dvportgroup-7", "dvpg-lab", NW_NET_DVPG);
        add_network(&inv, "network-5", "VM Network", NW_NET_STANDARD);
        vm = add_vm(&inv, "vm-1", "hv-1", YES, YES, 13, "poweredOn");
        vm->host = xstrdup("host-17");
        push(&vm->networks, "dvportgroup-7");
        push(&vm->networks, "network-5");
        vm = add_vm(&inv, "vm-2", "hv-2", YES, YES, 13, "poweredOn");
        vm->host = xstrdup("host-18");
        add_port(&inv, "dvs-9", "12", "vm-1", "hv-1 Network adapter 1");

        {
                _cleanup_findings_ nw_findings f = {};

                CHECK_STREQ(status(&inv, &f, NULL, 0), "compliant");
                /* Another VM's drift, and another host's portgroup of the same name, are not vm-1's. */
                add_finding(&f, NW_KIND_VM, "vm-2", "hv-2", NW_CHECK_NESTED_HV);
                add_finding(&f, NW_KIND_PG, "host-18/VM Network", "VM Network", NW_CHECK_FORGED_TRANSMITS);
                CHECK_STREQ(status(&inv, &f, NULL, 0), "compliant");
                CHECK_STREQ(status(&inv, &f, NULL, 1), "drift: nested_hv on hv-2");
        }
        {
                _cleanup_findings_ nw_findings f = {};

                /* The most important drift names the status: forged transmits before promiscuous. */
                add_finding(&f, NW_KIND_DVPG, "dvportgroup-7", "dvpg-lab", NW_CHECK_PROMISCUOUS);
                add_finding(&f, NW_KIND_PG, "host-17/VM Network", "VM Network", NW_CHECK_FORGED_TRANSMITS);
                CHECK_STREQ(status(&inv, &f, NULL, 0), "drift: forged_transmits on VM Network");
                CHECK_STREQ(status(&inv, &f, NULL, 1), "compliant");
                /* A port of vm-1's NIC: vm-1's, not vm-2's. */
                add_finding(&f, NW_KIND_DVPORT, "dvs-9/12", "hv-1 Network adapter 1", NW_CHECK_MAC_LEARNING);
                CHECK_STREQ(status(&inv, &f, NULL, 0), "drift: forged_transmits on VM Network");
                CHECK_STREQ(status(&inv, &f, NULL, 1), "compliant");
                f.v[0].check = NW_CHECK_MAC_CHANGES;
                f.v[1].check = NW_CHECK_MAC_CHANGES;
                CHECK_STREQ(status(&inv, &f, NULL, 0), "drift: mac_learning on hv-1 Network adapter 1");
                add_finding(&f, NW_KIND_VM, "vm-1", "hv-1", NW_CHECK_NESTED_HV);
                CHECK_STREQ(status(&inv, &f, NULL, 0), "drift: nested_hv on hv-1");
                /* A plan holding the VM's fix for a power-off. */
                {
                        nw_fix fix = { .verdict = NW_FIX_PENDING_POWER_OFF, .object = (char *) "vm-1" };
                        nw_fix_plan plan = { .v = &fix, .n = 1 };

                        CHECK_STREQ(status(&inv, &f, &plan, 0), "pending power-off");
                        fix.verdict = NW_FIX_EXCLUDED;
                        CHECK_STREQ(status(&inv, &f, &plan, 0), "drift: nested_hv on hv-1");
                }
        }
        {
                _cleanup_findings_ nw_findings f = {};

                /* Something the verdict needs could not be read: said when nothing is known to drift. */
                add_finding(&f, NW_KIND_SWITCH, "dvs-9", "DSwitch", NW_CHECK_UNREADABLE);
                CHECK_STREQ(status(&inv, &f, NULL, 0), "unreadable: DSwitch");
                add_finding(&f, NW_KIND_HOST, "host-17", NULL, NW_CHECK_UNREADABLE);
                CHECK_STREQ(status(&inv, &f, NULL, 0), "unreadable: DSwitch");
                add_finding(&f, NW_KIND_DVPG, "dvportgroup-7", "dvpg-lab", NW_CHECK_MAC_CHANGES);
                CHECK_STREQ(status(&inv, &f, NULL, 0), "drift: mac_changes on dvpg-lab");
                /* The VM itself unreadable: that is all that can be said. */
                add_finding(&f, NW_KIND_VM, "vm-1", "hv-1", NW_CHECK_UNREADABLE);
                CHECK_STREQ(status(&inv, &f, NULL, 0), "unreadable");
        }
}

int main(void) {
        test_bucket();
        test_messages();
        test_message_cut();
        test_entity();
        test_status();
        return tap_exit("annotate");
}
