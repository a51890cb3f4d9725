/* Test helper: sends journal events through lib/journal.c, so test_journal.py can read them back
 * from a real journald. Usage:
 *   journal_send TYPE [FIELD=VALUE]... [-- TYPE [FIELD=VALUE]...]...
 * TYPE is drift, resolved, vm_tagged, vm_untagged, vcenter_lost, vcenter_regained, remediated,
 * remediation_failed, remediation_skipped, fight or dry_run; FIELD one of vcenter, object,
 * object_name, object_kind, check (by their journal names), expected, actual, detail, before, after, task, fault, reason.
 * Prints each event's MESSAGE on its own line (newlines in it escaped as \n) after sending it. */
#include "journal.h"
#include "policy.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

static const char *const type_names[_NW_EVENT_MAX] = {
        [NW_EVENT_DRIFT] = "drift",
        [NW_EVENT_RESOLVED] = "resolved",
        [NW_EVENT_VM_TAGGED] = "vm_tagged",
        [NW_EVENT_VM_UNTAGGED] = "vm_untagged",
        [NW_EVENT_VCENTER_LOST] = "vcenter_lost",
        [NW_EVENT_VCENTER_REGAINED] = "vcenter_regained",
        [NW_EVENT_REMEDIATED] = "remediated",
        [NW_EVENT_REMEDIATION_FAILED] = "remediation_failed",
        [NW_EVENT_REMEDIATION_SKIPPED] = "remediation_skipped",
        [NW_EVENT_FIGHT] = "fight",
        [NW_EVENT_DRY_RUN] = "dry_run",
};

static int parse_type(const char *s, nw_event_type *ret) {
        for (int i = 0; i < _NW_EVENT_MAX; i++)
                if (type_names[i] && strcmp(s, type_names[i]) == 0) {
                        *ret = i;
                        return 0;
                }
        return -EINVAL;
}

static int set_field(nw_event *ev, const char *arg) {
        static const struct {
                const char *name;
                size_t offset;
        } fields[] = {
                { "vcenter", offsetof(nw_event, vcenter) },
                { "object", offsetof(nw_event, object) },
                { "object_name", offsetof(nw_event, object_name) },
                { "expected", offsetof(nw_event, expected) },
                { "actual", offsetof(nw_event, actual) },
                { "detail", offsetof(nw_event, detail) },
                { "before", offsetof(nw_event, before) },
                { "after", offsetof(nw_event, after) },
                { "task", offsetof(nw_event, task) },
                { "fault", offsetof(nw_event, fault) },
                { "reason", offsetof(nw_event, reason) },
        };
        const char *eq = strchr(arg, '=');

        if (!eq)
                return -EINVAL;
        /* The two enums, by the names the journal fields carry. */
        if (strncmp(arg, "object_kind=", eq + 1 - arg) == 0) {
                int k = nw_kind_from_string(eq + 1);
                ev->object_kind = k < 0 ? NW_KIND_NONE : (nw_kind) k;
                return k < 0 ? k : 0;
        }
        if (strncmp(arg, "check=", eq + 1 - arg) == 0) {
                int c = nw_check_from_string(eq + 1);
                ev->check = c < 0 ? NW_CHECK_NONE : (nw_check) c;
                return c < 0 ? c : 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(fields); i++)
                if (strlen(fields[i].name) == (size_t) (eq - arg) && strncmp(arg, fields[i].name, eq - arg) == 0) {
                        *(const char **) ((char *) ev + fields[i].offset) = eq + 1;
                        return 0;
                }
        return -EINVAL;
}

static int send_one(const nw_event *ev) {
        char msg[4096];
        int r;

        r = journal_format(ev, msg, sizeof(msg));
        if (r < 0) {
                fprintf(stderr, "journal_send: journal_format: %s\n", strerror(-r));
                return r;
        }
        r = journal_send(ev);
        if (r < 0) {
                fprintf(stderr, "journal_send: journal_send: %s\n", strerror(-r));
                return r;
        }
        for (const char *p = msg; *p; p++)
                if (*p == '\n')
                        fputs("\\n", stdout);
                else
                        putchar(*p);
        putchar('\n');
        return 0;
}

int main(int argc, char **argv) {
        int i = 1;

        if (argc < 2) {
                fprintf(stderr, "usage: journal_send TYPE [FIELD=VALUE]... [-- TYPE ...]...\n");
                return 2;
        }
        while (i < argc) {
                nw_event ev = {};

                if (parse_type(argv[i], &ev.type) < 0) {
                        fprintf(stderr, "journal_send: unknown event type '%s'\n", argv[i]);
                        return 2;
                }
                for (i++; i < argc && strcmp(argv[i], "--") != 0; i++)
                        if (set_field(&ev, argv[i]) < 0) {
                                fprintf(stderr, "journal_send: bad field '%s'\n", argv[i]);
                                return 2;
                        }
                if (send_one(&ev) < 0)
                        return 1;
                i++; /* past "--" */
        }
        return 0;
}
