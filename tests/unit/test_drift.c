/* drift: transitions between two passes' findings. */
#include <string.h>

#include "drift.h"
#include "tap.h"

static nw_finding F(char *object, nw_check check, bool actual) {
        return (nw_finding) { .kind = NW_KIND_DVPG, .object = object, .name = object, .check = check,
                              .expected = { .type = NW_VAL_BOOL, .b = !actual, .limit = -1 },
                              .actual = { .type = NW_VAL_BOOL, .b = actual, .limit = -1 } };
}

static char log_buf[1024];

static int record(void *userdata, nw_event_type type, const nw_drift *d) {
        char line[128];

        snprintf(line, sizeof(line), "%s %s/%s %s->%s;", type == NW_EVENT_DRIFT ? "drift" : "resolved", d->object,
                 nw_check_to_string(d->check), d->expected, d->actual);
        strncat(log_buf, line, sizeof(log_buf) - strlen(log_buf) - 1);
        return 0;
}

static bool watched_all_but_gone(void *userdata, const nw_drift *d) {
        return strcmp(d->object, "gone-1") != 0;
}

static void diff(nw_finding *a, size_t na, nw_finding *b, size_t nb, const char *want) {
        nw_findings fa = { .v = a, .n = na }, fb = { .v = b, .n = nb };
        nw_drift_set sa = {}, sb = {};

        log_buf[0] = '\0';
        CHECK_INTEQ(drift_set_from(&fa, &sa), 0);
        CHECK_INTEQ(drift_set_from(&fb, &sb), 0);
        CHECK_INTEQ(drift_diff(&sa, &sb, watched_all_but_gone, record, NULL), 0);
        CHECK_STREQ(log_buf, want);
        drift_set_done(&sa);
        drift_set_done(&sb);
}

static bool unobserved_vm_9(void *userdata, const nw_drift *d) {
        return strcmp(d->object, "vm-9") == 0;
}

/* An object that could not be read keeps its drift: neither resolved nor reported again. */
static void test_carry(void) {
        nw_finding old[] = { F("vm-9", NW_CHECK_NESTED_HV, false), F("vm-1", NW_CHECK_NESTED_HV, false) };
        nw_finding now[] = { F("vm-9", NW_CHECK_UNREADABLE, false) };
        nw_finding back[] = { F("vm-9", NW_CHECK_NESTED_HV, false) };
        nw_findings fo = { .v = old, .n = 2 }, fn = { .v = now, .n = 1 }, fb = { .v = back, .n = 1 };
        nw_drift_set so = {}, sn = {}, sb = {};

        CHECK_INTEQ(drift_set_from(&fo, &so), 0);
        CHECK_INTEQ(drift_set_from(&fn, &sn), 0);
        CHECK_INTEQ(drift_set_from(&fb, &sb), 0);
        CHECK_INTEQ(drift_carry(&so, &sn, unobserved_vm_9, NULL), 0);
        CHECK_INTEQ(sn.n, 2);
        log_buf[0] = '\0';
        CHECK_INTEQ(drift_diff(&so, &sn, NULL, record, NULL), 0);
        /* vm-1 was read and is fine now; vm-9's nested_hv stays; its unreadable finding is news. */
        CHECK_STREQ(log_buf, "resolved vm-1/nested_hv true->false;drift vm-9/unreadable true->false;");
        /* Readable again and still drifting: only the unreadable entry resolves. */
        log_buf[0] = '\0';
        CHECK_INTEQ(drift_diff(&sn, &sb, NULL, record, NULL), 0);
        CHECK_STREQ(log_buf, "resolved vm-9/unreadable true->false;");
        /* Carrying twice adds nothing. */
        CHECK_INTEQ(drift_carry(&so, &sn, unobserved_vm_9, NULL), 0);
        CHECK_INTEQ(sn.n, 2);
        drift_set_done(&so);
        drift_set_done(&sn);
        drift_set_done(&sb);
}

int main(void) {
        test_carry();
        /* Findings sort checks by enum; the drift set re-sorts by name, so order in = order out. */
        nw_finding old[] = { F("vm-1", NW_CHECK_NESTED_HV, false), F("dvportgroup-2", NW_CHECK_PROMISCUOUS, true),
                             F("dvportgroup-2", NW_CHECK_FORGED_TRANSMITS, false), F("gone-1", NW_CHECK_MAC_LEARNING, false) };
        nw_finding new[] = { F("dvportgroup-2", NW_CHECK_PROMISCUOUS, true), F("vm-3", NW_CHECK_NESTED_HV, false),
                             F("dvportgroup-2", NW_CHECK_MAC_CHANGES, true) };
        nw_finding changed[] = { F("vm-1", NW_CHECK_NESTED_HV, true) };

        diff(NULL, 0, NULL, 0, "");
        diff(NULL, 0, old, 2, "drift dvportgroup-2/promiscuous false->true;drift vm-1/nested_hv true->false;");
        diff(old, 4, new, 3,
             "resolved dvportgroup-2/forged_transmits true->false;drift dvportgroup-2/mac_changes false->true;"
             "resolved vm-1/nested_hv true->false;drift vm-3/nested_hv true->false;");
        /* Same object and check with another value: still the same drift, no news. */
        diff(old, 1, changed, 1, "");
        diff(old, 4, NULL, 0,
             "resolved dvportgroup-2/forged_transmits true->false;resolved dvportgroup-2/promiscuous false->true;"
             "resolved vm-1/nested_hv true->false;");
        return tap_exit("drift");
}
