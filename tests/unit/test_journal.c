/* Unit tests for lib/journal.c: MESSAGE_IDs (and that the catalog has each, substituting only fields
 * the type always carries), priorities, the MESSAGE text of every event type on every object kind,
 * truncation. Sending is tested against a real
 * journald in tests/integration/test_journal.py. */
#include "journal.h"
#include "tap.h"
#include "util.h"

#include <ctype.h>

/* Relative to the test's workdir, tests/unit. */
#define CATALOG "../../systemd/nestwarden.catalog"

static bool is_id128(const char *s) {
        if (!s || strlen(s) != 32)
                return false;
        for (const char *p = s; *p; p++)
                if (!isdigit((unsigned char) *p) && !(*p >= 'a' && *p <= 'f'))
                        return false;
        return true;
}

static void test_ids(void) {
        for (int i = 0; i < _NW_EVENT_MAX; i++) {
                CHECK(is_id128(journal_message_id(i)));
                for (int j = 0; j < i; j++)
                        CHECK(strcmp(journal_message_id(i), journal_message_id(j)) != 0);
        }
        CHECK(!journal_message_id(_NW_EVENT_MAX));
        CHECK(!journal_message_id((nw_event_type) -1));
}

/* Every id has its "-- ID" entry and the catalog has no entry for an id we do not send. */
static void test_catalog_in_step(void) {
        _cleanup_fclose_ FILE *f = fopen(CATALOG, "re");
        bool seen[_NW_EVENT_MAX] = {};
        char line[256];
        int entries = 0;

        CHECK(f);
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "-- ", 3) != 0)
                        continue;
                line[3 + strcspn(line + 3, " \n")] = '\0';
                entries++;
                for (int i = 0; i < _NW_EVENT_MAX; i++)
                        if (strcmp(line + 3, journal_message_id(i)) == 0)
                                seen[i] = true;
        }
        CHECK_INTEQ(entries, _NW_EVENT_MAX);
        for (int i = 0; i < _NW_EVENT_MAX; i++)
                CHECK(seen[i]);
}

/* The fields each type always carries (journal.h's contract); the catalog may substitute only
 * those, or `journalctl -x` prints a bare field name where an absent one would go. */
#define OBJ " NESTWARDEN_VCENTER NESTWARDEN_OBJECT NESTWARDEN_OBJECT_NAME NESTWARDEN_OBJECT_KIND "
static const char *const always[_NW_EVENT_MAX] = {
        [NW_EVENT_DRIFT] = OBJ "NESTWARDEN_CHECK NESTWARDEN_EXPECTED NESTWARDEN_ACTUAL ",
        [NW_EVENT_RESOLVED] = OBJ "NESTWARDEN_CHECK NESTWARDEN_EXPECTED NESTWARDEN_ACTUAL ",
        [NW_EVENT_VM_TAGGED] = OBJ,
        [NW_EVENT_VM_UNTAGGED] = OBJ,
        [NW_EVENT_VCENTER_LOST] = " NESTWARDEN_VCENTER NESTWARDEN_DETAIL ",
        [NW_EVENT_VCENTER_REGAINED] = " NESTWARDEN_VCENTER ",
        [NW_EVENT_REMEDIATED] = OBJ "NESTWARDEN_CHECK NESTWARDEN_EXPECTED NESTWARDEN_BEFORE NESTWARDEN_AFTER ",
        [NW_EVENT_REMEDIATION_FAILED] = OBJ "NESTWARDEN_CHECK NESTWARDEN_BEFORE NESTWARDEN_AFTER ",
        [NW_EVENT_REMEDIATION_SKIPPED] = OBJ "NESTWARDEN_REASON ",
        [NW_EVENT_FIGHT] = OBJ "NESTWARDEN_DETAIL ",
        [NW_EVENT_DRY_RUN] = OBJ "NESTWARDEN_CHECK NESTWARDEN_EXPECTED NESTWARDEN_BEFORE NESTWARDEN_AFTER ",
        [NW_EVENT_UNREADABLE] = OBJ "NESTWARDEN_CHECK NESTWARDEN_EXPECTED NESTWARDEN_ACTUAL NESTWARDEN_DETAIL ",
        [NW_EVENT_READABLE] = OBJ "NESTWARDEN_CHECK NESTWARDEN_EXPECTED NESTWARDEN_ACTUAL ",
        [NW_EVENT_TAG_EMPTY] = " NESTWARDEN_VCENTER NESTWARDEN_DETAIL ",
        [NW_EVENT_CONFIG_PROBLEM] = " NESTWARDEN_VCENTER NESTWARDEN_DETAIL ",
        [NW_EVENT_OVERRIDE_ALLOWED] = OBJ "NESTWARDEN_DETAIL ",
};
#undef OBJ

static int id_type(const char *id) {
        for (int i = 0; i < _NW_EVENT_MAX; i++)
                if (strcmp(id, journal_message_id(i)) == 0)
                        return i;
        return -1;
}

static void test_catalog_fields(void) {
        _cleanup_fclose_ FILE *f = fopen(CATALOG, "re");
        char line[512], word[80];
        int type = -1, substituted = 0;

        CHECK(f);
        if (!f)
                return;
        while (fgets(line, sizeof(line), f)) {
                if (strncmp(line, "-- ", 3) == 0) {
                        line[3 + strcspn(line + 3, " \n")] = '\0';
                        type = id_type(line + 3);
                        CHECK(type >= 0);
                        continue;
                }
                if (type < 0 || line[0] == '#')
                        continue;
                for (const char *p = strchr(line, '@'); p; p = strchr(p, '@')) {
                        const char *end = strchr(p + 1, '@');
                        size_t n;

                        if (!end)
                                break;
                        n = (size_t) (end - p - 1);
                        if (n == 0 || n + 3 > sizeof(word) || strspn(p + 1, "ABCDEFGHIJKLMNOPQRSTUVWXYZ_") != n) {
                                p++; /* a lone '@' in the text */
                                continue;
                        }
                        snprintf(word, sizeof(word), " %.*s ", (int) n, p + 1);
                        substituted++;
                        if (!strstr(always[type], word)) {
                                fprintf(stderr, "catalog entry %s substitutes%snot always set\n",
                                        journal_message_id(type), word);
                                CHECK(false);
                        }
                        p = end + 1;
                }
        }
        CHECK(substituted > 0);
}

static void test_priorities(void) {
        CHECK_INTEQ(journal_priority(NW_EVENT_DRIFT), LOG_WARNING);
        CHECK_INTEQ(journal_priority(NW_EVENT_RESOLVED), LOG_NOTICE);
        CHECK_INTEQ(journal_priority(NW_EVENT_VM_TAGGED), LOG_INFO);
        CHECK_INTEQ(journal_priority(NW_EVENT_VM_UNTAGGED), LOG_INFO);
        CHECK_INTEQ(journal_priority(NW_EVENT_VCENTER_LOST), LOG_ERR);
        CHECK_INTEQ(journal_priority(NW_EVENT_VCENTER_REGAINED), LOG_NOTICE);
        CHECK_INTEQ(journal_priority(NW_EVENT_REMEDIATED), LOG_NOTICE);
        CHECK_INTEQ(journal_priority(NW_EVENT_REMEDIATION_FAILED), LOG_ERR);
        CHECK_INTEQ(journal_priority(NW_EVENT_REMEDIATION_SKIPPED), LOG_NOTICE);
        CHECK_INTEQ(journal_priority(NW_EVENT_FIGHT), LOG_WARNING);
        CHECK_INTEQ(journal_priority(NW_EVENT_DRY_RUN), LOG_INFO);
        CHECK_INTEQ(journal_priority(_NW_EVENT_MAX), -EINVAL);
}

static const struct {
        nw_kind kind;
        const char *object, *name, *label;
} objects[] = {
        { NW_KIND_VM, "vm-42", "hv-lab-03", "VM hv-lab-03 (vm-42)" },
        { NW_KIND_DVPG, "dvportgroup-39", "pg-ml-off", "DV portgroup pg-ml-off (dvportgroup-39)" },
        { NW_KIND_PG, "host-17/VM Network", "VM Network", "portgroup VM Network (host-17/VM Network)" },
};

static const struct {
        nw_check check;
        const char *label;
} checks[] = {
        { NW_CHECK_NESTED_HV, "nested HV exposed" },
        { NW_CHECK_NESTED_HV_SUPPORTED, "nested HV supported" },
        { NW_CHECK_MAC_LEARNING, "MAC learning" },
        { NW_CHECK_PROMISCUOUS, "promiscuous mode" },
        { NW_CHECK_FORGED_TRANSMITS, "forged transmits" },
        { NW_CHECK_MAC_CHANGES, "MAC address changes" },
        { NW_CHECK_MAC_LEARNING_LIMIT, "MAC learning limit" },
        { NW_CHECK_UNREADABLE, "unreadable" },
};

static void check_format(const nw_event *ev, const char *want) {
        char buf[512];

        CHECK_INTEQ(journal_format(ev, buf, sizeof(buf)), 0);
        CHECK_STREQ(buf, want);
}

static void test_object_events(void) {
        char want[512];

        for (size_t o = 0; o < ELEMENTSOF(objects); o++) {
                nw_event ev = { .vcenter = "https://vc/sdk", .object = objects[o].object,
                                .object_name = objects[o].name, .object_kind = objects[o].kind };

                for (size_t c = 0; c < ELEMENTSOF(checks); c++) {
                        ev.check = checks[c].check;
                        ev.type = NW_EVENT_DRIFT;
                        ev.expected = "true";
                        ev.actual = "false";
                        snprintf(want, sizeof(want), "%s: %s is false, expected true", objects[o].label,
                                 checks[c].label);
                        check_format(&ev, want);

                        ev.type = NW_EVENT_RESOLVED;
                        ev.actual = "true";
                        snprintf(want, sizeof(want), "%s: %s is true again, drift resolved", objects[o].label,
                                 checks[c].label);
                        check_format(&ev, want);
                }

                ev.check = NW_CHECK_NONE;
                ev.expected = ev.actual = NULL;
                ev.type = NW_EVENT_VM_TAGGED;
                snprintf(want, sizeof(want), "%s is tagged: now watched", objects[o].label);
                check_format(&ev, want);
                ev.type = NW_EVENT_VM_UNTAGGED;
                snprintf(want, sizeof(want), "%s is no longer tagged: no longer watched", objects[o].label);
                check_format(&ev, want);
        }

        /* The exact examples the daemon's users will see. */
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-42", .object_name = "hv-lab-03",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .expected = "true", .actual = "false" },
                     "VM hv-lab-03 (vm-42): nested HV exposed is false, expected true");
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "dvportgroup-39", .object_name = "pg-ml-off",
                                   .object_kind = NW_KIND_DVPG, .check = NW_CHECK_MAC_LEARNING_LIMIT,
                                   .expected = "4096/drop", .actual = "unset/unset" },
                     "DV portgroup pg-ml-off (dvportgroup-39): MAC learning limit is unset/unset, expected 4096/drop");
}

static void test_remediation_events(void) {
        char want[512];

        for (size_t o = 0; o < ELEMENTSOF(objects); o++) {
                nw_event ev = { .vcenter = "https://vc/sdk", .object = objects[o].object,
                                .object_name = objects[o].name, .object_kind = objects[o].kind };

                for (size_t c = 0; c < ELEMENTSOF(checks); c++) {
                        ev.check = checks[c].check;
                        ev.expected = "true";
                        ev.before = "false";
                        ev.after = "true";
                        ev.task = "task-123";

                        ev.type = NW_EVENT_REMEDIATED;
                        snprintf(want, sizeof(want), "%s: set %s from false to true (task-123)", objects[o].label,
                                 checks[c].label);
                        check_format(&ev, want);

                        ev.type = NW_EVENT_DRY_RUN;
                        snprintf(want, sizeof(want), "%s: would set %s from false to true (dry run)",
                                 objects[o].label, checks[c].label);
                        check_format(&ev, want);

                        ev.type = NW_EVENT_REMEDIATION_FAILED;
                        ev.fault = "ConcurrentAccess";
                        ev.detail = "The object has been modified since it was read.";
                        snprintf(want, sizeof(want),
                                 "%s: could not set %s to true: ConcurrentAccess: The object has been modified "
                                 "since it was read.",
                                 objects[o].label, checks[c].label);
                        check_format(&ev, want);
                        ev.fault = ev.detail = NULL;
                }
                ev.check = NW_CHECK_NONE;
                ev.expected = ev.before = ev.after = ev.task = NULL;

                ev.type = NW_EVENT_REMEDIATION_SKIPPED;
                ev.reason = "excluded";
                snprintf(want, sizeof(want), "%s: not fixed (excluded)", objects[o].label);
                check_format(&ev, want);
                ev.reason = NULL;

                ev.type = NW_EVENT_FIGHT;
                ev.detail = "reverted 3 times within 3600 s after nestwarden fixed it";
                snprintf(want, sizeof(want),
                         "%s: reverted 3 times within 3600 s after nestwarden fixed it; another tool or person "
                         "keeps changing it back: hands off until the window passes or a reload",
                         objects[o].label);
                check_format(&ev, want);
        }

        /* The examples the README and the issue give. */
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATED, .object = "vm-42", .object_name = "hv-lab-03",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .expected = "true",
                                   .before = "false", .after = "true", .task = "task-123" },
                     "VM hv-lab-03 (vm-42): set nested HV exposed from false to true (task-123)");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATED, .object = "dvportgroup-39",
                                   .object_name = "pg-ml-off", .object_kind = NW_KIND_DVPG,
                                   .check = NW_CHECK_MAC_LEARNING, .expected = "true", .before = "false",
                                   .after = "true", .task = "task-77" },
                     "DV portgroup pg-ml-off (dvportgroup-39): set MAC learning from false to true (task-77)");
        /* UpdatePortGroup is no task. */
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATED, .object = "host-17/VM Network",
                                   .object_name = "VM Network", .object_kind = NW_KIND_PG,
                                   .check = NW_CHECK_PROMISCUOUS, .expected = "true", .before = "false", .after = "true" },
                     "portgroup VM Network (host-17/VM Network): set promiscuous mode from false to true");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATED, .object = "dvportgroup-39",
                                   .object_name = "pg-ml-off", .object_kind = NW_KIND_DVPG,
                                   .check = NW_CHECK_MAC_LEARNING_LIMIT, .expected = "4096/drop",
                                   .before = "unset/unset", .after = "4096/drop", .task = "task-78" },
                     "DV portgroup pg-ml-off (dvportgroup-39): set MAC learning limit from unset/unset to "
                     "4096/drop (task-78)");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_FAILED, .object = "vm-42",
                                   .object_name = "hv-lab-03", .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV,
                                   .before = "false", .after = "true", .task = "task-124",
                                   .fault = "InvalidPowerState",
                                   .detail = "The attempted operation cannot be performed in the current state "
                                             "(Powered on)." },
                     "VM hv-lab-03 (vm-42): could not set nested HV exposed to true: InvalidPowerState: The "
                     "attempted operation cannot be performed in the current state (Powered on).");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_FAILED, .object = "dvportgroup-39",
                                   .object_name = "pg-ml-off", .object_kind = NW_KIND_DVPG,
                                   .check = NW_CHECK_MAC_LEARNING, .before = "false", .after = "true",
                                   .fault = "NoPermission",
                                   .detail = "Permission to perform this operation was denied." },
                     "DV portgroup pg-ml-off (dvportgroup-39): could not set MAC learning to true: NoPermission: "
                     "Permission to perform this operation was denied.");
        /* Did not stick: no fault, only the detail. */
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_FAILED, .object = "vm-42",
                                   .object_name = "hv-lab-03", .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV,
                                   .before = "false", .after = "true", .task = "task-125",
                                   .detail = "task-125 succeeded but nested HV exposed still reads false" },
                     "VM hv-lab-03 (vm-42): could not set nested HV exposed to true: task-125 succeeded but "
                     "nested HV exposed still reads false");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_SKIPPED, .object = "vm-42",
                                   .object_name = "hv-lab-03", .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV,
                                   .reason = "pending-power-off",
                                   .detail = "VM is powered on: fixed when it is powered off" },
                     "VM hv-lab-03 (vm-42): not fixed (pending-power-off): VM is powered on: fixed when it is "
                     "powered off");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_SKIPPED, .object = "dvportgroup-40",
                                   .object_name = "pg-shared", .object_kind = NW_KIND_DVPG,
                                   .check = NW_CHECK_PROMISCUOUS, .reason = "shared",
                                   .detail = "promiscuous mode on would also reach untagged VMs: web-01 (vm-7), "
                                             "db-02 (vm-9)" },
                     "DV portgroup pg-shared (dvportgroup-40): not fixed (shared): promiscuous mode on would also "
                     "reach untagged VMs: web-01 (vm-7), db-02 (vm-9)");
        check_format(&(nw_event) { .type = NW_EVENT_FIGHT, .object = "dvportgroup-39", .object_name = "pg-ml-off",
                                   .object_kind = NW_KIND_DVPG, .check = NW_CHECK_MAC_LEARNING,
                                   .detail = "reverted 3 times within 3600 s after nestwarden fixed it" },
                     "DV portgroup pg-ml-off (dvportgroup-39): reverted 3 times within 3600 s after nestwarden "
                     "fixed it; another tool or person keeps changing it back: hands off until the window passes "
                     "or a reload");
        check_format(&(nw_event) { .type = NW_EVENT_DRY_RUN, .object = "dvportgroup-39", .object_name = "pg-ml-off",
                                   .object_kind = NW_KIND_DVPG, .check = NW_CHECK_MAC_LEARNING, .expected = "true",
                                   .before = "false", .after = "true" },
                     "DV portgroup pg-ml-off (dvportgroup-39): would set MAC learning from false to true (dry run)");
}

static void test_partial_remediation_events(void) {
        /* "to" falls back to expected, then "unset"; before reads "unset". */
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATED, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .expected = "true" },
                     "VM a (vm-1): set nested HV exposed from unset to true");
        check_format(&(nw_event) { .type = NW_EVENT_DRY_RUN, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .before = "false" },
                     "VM a (vm-1): would set nested HV exposed from false to unset (dry run)");
        /* after wins over expected: what was read back, not what was asked for. */
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATED, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_MAC_LEARNING_LIMIT, .expected = "4096/drop",
                                   .before = "64/allow", .after = "8192/drop" },
                     "VM a (vm-1): set MAC learning limit from 64/allow to 8192/drop");
        /* Empty strings are unset for the optional parts. */
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATED, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .before = "false",
                                   .after = "true", .task = "" },
                     "VM a (vm-1): set nested HV exposed from false to true");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_FAILED, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .after = "true" },
                     "VM a (vm-1): could not set nested HV exposed to true");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_FAILED, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .after = "true",
                                   .fault = "InvalidPowerState", .detail = "" },
                     "VM a (vm-1): could not set nested HV exposed to true: InvalidPowerState");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_FAILED, .object = "vm-1", .object_kind = NW_KIND_VM },
                     "VM vm-1: could not set (unknown check) to unset");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_SKIPPED, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .detail = "held back" },
                     "VM a (vm-1): not fixed: held back");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_SKIPPED },
                     "object (unknown): not fixed");
        check_format(&(nw_event) { .type = NW_EVENT_FIGHT, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM },
                     "VM a (vm-1): reverted again after nestwarden fixed it; another tool or person keeps "
                     "changing it back: hands off until the window passes or a reload");
}

static void test_partial_events(void) {
        /* Missing values read "unset", as nw_value_to_string writes an absent property. */
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV },
                     "VM a (vm-1): nested HV exposed is unset, expected unset");
        check_format(&(nw_event) { .type = NW_EVENT_VM_TAGGED, .object = "vm-1", .object_kind = NW_KIND_VM },
                     "VM vm-1 is tagged: now watched");
        check_format(&(nw_event) { .type = NW_EVENT_VM_TAGGED, .object_name = "a", .object_kind = NW_KIND_VM },
                     "VM a is tagged: now watched");
        check_format(&(nw_event) { .type = NW_EVENT_VM_UNTAGGED },
                     "object (unknown) is no longer tagged: no longer watched");
        check_format(&(nw_event) { .type = NW_EVENT_RESOLVED, .object = "x-1", .object_name = "x",
                                   .object_kind = NW_KIND_NETWORK, .check = NW_CHECK_PROMISCUOUS, .actual = "false" },
                     "network x (x-1): promiscuous mode is false again, drift resolved");
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-1", .object_name = "a",
                                   .object_kind = (nw_kind) 99, .check = (nw_check) 99 },
                     "object a (vm-1): (unknown check) is unset, expected unset");
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .expected = "true", .actual = "false" },
                     "VM a (vm-1): (unknown check) is false, expected true");
}

static void test_notice_events(void) {
        check_format(&(nw_event) { .type = NW_EVENT_OVERRIDE_ALLOWED, .vcenter = "https://vc/sdk",
                                   .object = "dvportgroup-30", .object_name = "pg-ml-override",
                                   .object_kind = NW_KIND_DVPG, .detail = "ports may override its security policy" },
                     "DV portgroup pg-ml-override (dvportgroup-30) lets ports override its policy: ports may "
                     "override its security policy");
        CHECK_INTEQ(journal_priority(NW_EVENT_OVERRIDE_ALLOWED), LOG_NOTICE);
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "dvs-21/17",
                                   .object_name = "hv-port-11 Network adapter 1", .object_kind = NW_KIND_DVPORT, .check = NW_CHECK_FORGED_TRANSMITS,
                                   .expected = "true", .actual = "false" },
                     "DV port hv-port-11 Network adapter 1 (dvs-21/17): forged transmits is false, expected true");
}

static void test_vcenter_events(void) {
        check_format(&(nw_event) { .type = NW_EVENT_VCENTER_LOST, .vcenter = "https://vc/sdk",
                                   .detail = "Failed to connect to vc port 443: Connection refused" },
                     "vCenter https://vc/sdk lost: Failed to connect to vc port 443: Connection refused; "
                     "retrying with backoff");
        check_format(&(nw_event) { .type = NW_EVENT_VCENTER_LOST, .vcenter = "https://vc/sdk" },
                     "vCenter https://vc/sdk lost; retrying with backoff");
        check_format(&(nw_event) { .type = NW_EVENT_VCENTER_REGAINED, .vcenter = "https://vc/sdk",
                                   .detail = " after 42 s" },
                     "vCenter https://vc/sdk regained after 42 s");
        check_format(&(nw_event) { .type = NW_EVENT_VCENTER_REGAINED, .vcenter = "https://vc/sdk" },
                     "vCenter https://vc/sdk regained");
        check_format(&(nw_event) { .type = NW_EVENT_VCENTER_REGAINED }, "vCenter (unknown) regained");
}

/* Names come from vCenter: they are data, never a format. */
static void test_hostile_names(void) {
        check_format(&(nw_event) { .type = NW_EVENT_VM_TAGGED, .object = "vm-%n", .object_name = "%s%s%n%x",
                                   .object_kind = NW_KIND_VM },
                     "VM %s%s%n%x (vm-%n) is tagged: now watched");
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-1", .object_name = "two\nlines ✓",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_PROMISCUOUS, .expected = "%s", .actual = "%p" },
                     "VM two\nlines ✓ (vm-1): promiscuous mode is %p, expected %s");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATED, .object = "vm-1", .object_name = "%s",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_MAC_LEARNING, .before = "%x",
                                   .after = "%p", .task = "%s%s" },
                     "VM %s (vm-1): set MAC learning from %x to %p (%s%s)");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_FAILED, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .after = "true", .fault = "%n%n",
                                   .detail = "line 1\nline 2: %s" },
                     "VM a (vm-1): could not set nested HV exposed to true: %n%n: line 1\nline 2: %s");
        check_format(&(nw_event) { .type = NW_EVENT_REMEDIATION_SKIPPED, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .reason = "%s", .detail = "%d" },
                     "VM a (vm-1): not fixed (%s): %d");
        check_format(&(nw_event) { .type = NW_EVENT_FIGHT, .object = "vm-1", .object_name = "a",
                                   .object_kind = NW_KIND_VM, .detail = "%s%n" },
                     "VM a (vm-1): %s%n; another tool or person keeps changing it back: hands off until the "
                     "window passes or a reload");
}

static void test_truncation(void) {
        const nw_event ev = { .type = NW_EVENT_DRIFT, .object = "vm-42", .object_name = "hv-lab-03",
                              .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .expected = "true", .actual = "false" };
        const char *full = "VM hv-lab-03 (vm-42): nested HV exposed is false, expected true";
        size_t len = strlen(full);
        char buf[128], tiny[1];

        CHECK_INTEQ(journal_format(&ev, buf, len + 1), 0);
        CHECK_STREQ(buf, full);

        memset(buf, 'X', sizeof(buf));
        CHECK_INTEQ(journal_format(&ev, buf, len), -ENOBUFS);
        CHECK_INTEQ(strlen(buf), len - 1);
        CHECK(strncmp(buf, full, len - 1) == 0);

        memset(buf, 'X', sizeof(buf));
        CHECK_INTEQ(journal_format(&ev, buf, 10), -ENOBUFS);
        CHECK_STREQ(buf, "VM hv-lab");
        CHECK_INTEQ(buf[10], 'X');

        /* Truncation inside a later piece still leaves the earlier ones whole. */
        CHECK_INTEQ(journal_format(&ev, buf, 30), -ENOBUFS);
        CHECK_STREQ(buf, "VM hv-lab-03 (vm-42): nested ");

        tiny[0] = 'X';
        CHECK_INTEQ(journal_format(&ev, tiny, sizeof(tiny)), -ENOBUFS);
        CHECK_INTEQ(tiny[0], '\0');

        /* A remediation message cut in its optional tail. */
        const nw_event rem = { .type = NW_EVENT_REMEDIATED, .object = "vm-42", .object_name = "hv-lab-03",
                               .object_kind = NW_KIND_VM, .check = NW_CHECK_NESTED_HV, .before = "false", .after = "true",
                               .task = "task-123" };
        const char *rfull = "VM hv-lab-03 (vm-42): set nested HV exposed from false to true (task-123)";
        size_t rlen = strlen(rfull);

        CHECK_INTEQ(journal_format(&rem, buf, rlen + 1), 0);
        CHECK_STREQ(buf, rfull);
        CHECK_INTEQ(journal_format(&rem, buf, rlen - 5), -ENOBUFS);
        CHECK_STREQ(buf, "VM hv-lab-03 (vm-42): set nested HV exposed from false to true (tas");
}

static void test_invalid(void) {
        nw_event bad = { .type = _NW_EVENT_MAX };
        nw_event ok = { .type = NW_EVENT_VM_TAGGED };
        char buf[64];

        CHECK_INTEQ(journal_format(NULL, buf, sizeof(buf)), -EINVAL);
        CHECK_INTEQ(journal_format(&ok, NULL, 10), -EINVAL);
        CHECK_INTEQ(journal_format(&ok, buf, 0), -EINVAL);
        CHECK_INTEQ(journal_format(&bad, buf, sizeof(buf)), -EINVAL);
        CHECK_INTEQ(journal_send(NULL), -EINVAL);
        CHECK_INTEQ(journal_send(&bad), -EINVAL);
}

int main(void) {
        test_ids();
        test_catalog_in_step();
        test_catalog_fields();
        test_priorities();
        test_object_events();
        test_remediation_events();
        test_partial_remediation_events();
        test_partial_events();
        test_vcenter_events();
        test_notice_events();
        test_hostile_names();
        test_truncation();
        test_invalid();
        return tap_exit("journal");
}
