/* Unit tests for lib/journal.c: MESSAGE_IDs (and that the catalog has each), priorities, the MESSAGE
 * text of every event type on every object kind, truncation. Sending is tested against a real
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

static void test_priorities(void) {
        CHECK_INTEQ(journal_priority(NW_EVENT_DRIFT), LOG_WARNING);
        CHECK_INTEQ(journal_priority(NW_EVENT_RESOLVED), LOG_NOTICE);
        CHECK_INTEQ(journal_priority(NW_EVENT_VM_TAGGED), LOG_INFO);
        CHECK_INTEQ(journal_priority(NW_EVENT_VM_UNTAGGED), LOG_INFO);
        CHECK_INTEQ(journal_priority(NW_EVENT_VCENTER_LOST), LOG_ERR);
        CHECK_INTEQ(journal_priority(NW_EVENT_VCENTER_REGAINED), LOG_NOTICE);
        CHECK_INTEQ(journal_priority(_NW_EVENT_MAX), -EINVAL);
}

static const struct {
        const char *kind, *object, *name, *label;
} objects[] = {
        { "vm", "vm-42", "hv-lab-03", "VM hv-lab-03 (vm-42)" },
        { "dvportgroup", "dvportgroup-39", "pg-ml-off", "DV portgroup pg-ml-off (dvportgroup-39)" },
        { "portgroup", "host-17/VM Network", "VM Network", "portgroup VM Network (host-17/VM Network)" },
};

static const struct {
        const char *check, *label;
} checks[] = {
        { "nested_hv", "nested HV exposed" },
        { "nested_hv_supported", "nested HV supported" },
        { "mac_learning", "MAC learning" },
        { "promiscuous", "promiscuous mode" },
        { "forged_transmits", "forged transmits" },
        { "mac_changes", "MAC address changes" },
        { "mac_learning_limit", "MAC learning limit" },
        { "some_future_check", "some_future_check" },
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

                ev.check = ev.expected = ev.actual = NULL;
                ev.type = NW_EVENT_VM_TAGGED;
                snprintf(want, sizeof(want), "%s is tagged: now watched", objects[o].label);
                check_format(&ev, want);
                ev.type = NW_EVENT_VM_UNTAGGED;
                snprintf(want, sizeof(want), "%s is no longer tagged: no longer watched", objects[o].label);
                check_format(&ev, want);
        }

        /* The exact examples the daemon's users will see. */
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-42", .object_name = "hv-lab-03",
                                   .object_kind = "vm", .check = "nested_hv", .expected = "true", .actual = "false" },
                     "VM hv-lab-03 (vm-42): nested HV exposed is false, expected true");
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "dvportgroup-39", .object_name = "pg-ml-off",
                                   .object_kind = "dvportgroup", .check = "mac_learning_limit",
                                   .expected = "4096/drop", .actual = "unset/unset" },
                     "DV portgroup pg-ml-off (dvportgroup-39): MAC learning limit is unset/unset, expected 4096/drop");
}

static void test_partial_events(void) {
        /* Missing values read "unset", as report_value_string writes an absent property. */
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-1", .object_name = "a",
                                   .object_kind = "vm", .check = "nested_hv" },
                     "VM a (vm-1): nested HV exposed is unset, expected unset");
        check_format(&(nw_event) { .type = NW_EVENT_VM_TAGGED, .object = "vm-1", .object_kind = "vm" },
                     "VM vm-1 is tagged: now watched");
        check_format(&(nw_event) { .type = NW_EVENT_VM_TAGGED, .object_name = "a", .object_kind = "vm" },
                     "VM a is tagged: now watched");
        check_format(&(nw_event) { .type = NW_EVENT_VM_UNTAGGED },
                     "object (unknown) is no longer tagged: no longer watched");
        check_format(&(nw_event) { .type = NW_EVENT_RESOLVED, .object = "x-1", .object_name = "x",
                                   .object_kind = "opaque", .check = "promiscuous", .actual = "false" },
                     "opaque x (x-1): promiscuous mode is false again, drift resolved");
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-1", .object_name = "a",
                                   .object_kind = "vm", .expected = "true", .actual = "false" },
                     "VM a (vm-1): (unknown check) is false, expected true");
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
                                   .object_kind = "vm" },
                     "VM %s%s%n%x (vm-%n) is tagged: now watched");
        check_format(&(nw_event) { .type = NW_EVENT_DRIFT, .object = "vm-1", .object_name = "two\nlines ✓",
                                   .object_kind = "vm", .check = "%d", .expected = "%s", .actual = "%p" },
                     "VM two\nlines ✓ (vm-1): %d is %p, expected %s");
}

static void test_truncation(void) {
        const nw_event ev = { .type = NW_EVENT_DRIFT, .object = "vm-42", .object_name = "hv-lab-03",
                              .object_kind = "vm", .check = "nested_hv", .expected = "true", .actual = "false" };
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
        test_priorities();
        test_object_events();
        test_partial_events();
        test_vcenter_events();
        test_hostile_names();
        test_truncation();
        test_invalid();
        return tap_exit("journal");
}
