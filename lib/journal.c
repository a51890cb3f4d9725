/* Journal events: the fixed MESSAGE_IDs, priorities, the readable MESSAGE and the structured send. */
#include "journal.h"
#include "util.h"

#include <assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <systemd/sd-journal.h>

/* Generated once with `systemd-id128 new`; systemd/nestwarden.catalog has an entry for each, and
 * tests/unit/test_journal.c fails if the two drift apart. Never change one: alerting rules match them. */
static const char *const message_ids[_NW_EVENT_MAX] = {
        [NW_EVENT_DRIFT] = "a06d564656d4461abc69e652418e1e45",
        [NW_EVENT_RESOLVED] = "3a7ed17ee36b4162afc5a6bdcbda3d19",
        [NW_EVENT_VM_TAGGED] = "700c5ea9f70f4620bd00123576d4349d",
        [NW_EVENT_VM_UNTAGGED] = "f3351fcc7a2e4e50b0dfa115aa11aacd",
        [NW_EVENT_VCENTER_LOST] = "249162478abc449891dc26495cf1dfa4",
        [NW_EVENT_VCENTER_REGAINED] = "99876d1d34cd4bfa83110801f62656b8",
        [NW_EVENT_REMEDIATED] = "b612ff908f3c4a39a23e235847a275e1",
        [NW_EVENT_REMEDIATION_FAILED] = "9650415e9d2e4564822c03b2d6c4953d",
        [NW_EVENT_REMEDIATION_SKIPPED] = "26ce7256314447d1a996ec3323d084e2",
        [NW_EVENT_FIGHT] = "e4899ac2650c46f9a98ce33c9f191972",
        [NW_EVENT_DRY_RUN] = "64cc6776d1af4a7f9e150724c1d946f1",
        [NW_EVENT_UNREADABLE] = "581384b2d4dc4df6807c82084469d20a",
        [NW_EVENT_READABLE] = "5ce7449f35384964a3cc03de5d6490b8",
        [NW_EVENT_TAG_EMPTY] = "254c0231e0c546d48d407342652aab8b",
        [NW_EVENT_CONFIG_PROBLEM] = "f4fe43d2807a4c55bcfe1740bd86fea6",
        [NW_EVENT_OVERRIDE_ALLOWED] = "f1991d3e045446a3a2076282c3075723",
};

static const int priorities[_NW_EVENT_MAX] = {
        [NW_EVENT_DRIFT] = LOG_WARNING,
        [NW_EVENT_RESOLVED] = LOG_NOTICE,
        [NW_EVENT_VM_TAGGED] = LOG_INFO,
        [NW_EVENT_VM_UNTAGGED] = LOG_INFO,
        [NW_EVENT_VCENTER_LOST] = LOG_ERR,
        [NW_EVENT_VCENTER_REGAINED] = LOG_NOTICE,
        [NW_EVENT_REMEDIATED] = LOG_NOTICE,
        [NW_EVENT_REMEDIATION_FAILED] = LOG_ERR,
        [NW_EVENT_REMEDIATION_SKIPPED] = LOG_NOTICE,
        [NW_EVENT_FIGHT] = LOG_WARNING,
        [NW_EVENT_DRY_RUN] = LOG_INFO,
        [NW_EVENT_UNREADABLE] = LOG_WARNING,
        [NW_EVENT_READABLE] = LOG_NOTICE,
        [NW_EVENT_TAG_EMPTY] = LOG_WARNING,
        [NW_EVENT_CONFIG_PROBLEM] = LOG_ERR,
        [NW_EVENT_OVERRIDE_ALLOWED] = LOG_NOTICE,
};

static bool type_valid(nw_event_type t) {
        return (unsigned) t < _NW_EVENT_MAX;
}

const char *journal_message_id(nw_event_type t) {
        return type_valid(t) ? message_ids[t] : NULL;
}

int journal_priority(nw_event_type t) {
        return type_valid(t) ? priorities[t] : -EINVAL;
}

/* The wording people see; the raw check name stays in NESTWARDEN_CHECK for scripts. */
static const char *check_label(nw_check check) {
        static const char *const labels[_NW_CHECK_MAX] = {
                [NW_CHECK_NESTED_HV] = "nested HV exposed",
                [NW_CHECK_NESTED_HV_SUPPORTED] = "nested HV supported",
                [NW_CHECK_MAC_LEARNING] = "MAC learning",
                [NW_CHECK_PROMISCUOUS] = "promiscuous mode",
                [NW_CHECK_FORGED_TRANSMITS] = "forged transmits",
                [NW_CHECK_MAC_CHANGES] = "MAC address changes",
                [NW_CHECK_MAC_LEARNING_LIMIT] = "MAC learning limit",
                [NW_CHECK_UNREADABLE] = "unreadable",
        };

        if ((unsigned) check >= ELEMENTSOF(labels) || !labels[check])
                return "(unknown check)";
        return labels[check];
}

static const char *kind_label(nw_kind kind) {
        switch (kind) {
        case NW_KIND_VM:
                return "VM";
        case NW_KIND_DVPG:
                return "DV portgroup";
        case NW_KIND_SWITCH:
                return "distributed switch";
        case NW_KIND_DVPORT:
                return "DV port";
        case NW_KIND_PG:
        case NW_KIND_NETWORK:
        case NW_KIND_HOST:
                return nw_kind_to_string(kind); /* "portgroup", "host", "network" read well as they are */
        case NW_KIND_NONE:
        case _NW_KIND_MAX:
                break;
        }
        return "object";
}

/* snprintf into a fixed buffer that keeps counting past its end, so one pass yields both the
 * (possibly truncated) text and the size a complete one needs. */
typedef struct sink {
        char *buf;
        size_t size, len;
        bool failed;
} sink;

static void sink_printf(sink *s, const char *fmt, ...) _printf_(2, 3);
static void sink_printf(sink *s, const char *fmt, ...) {
        size_t avail = s->len < s->size ? s->size - s->len : 0;
        va_list ap;
        int n;

        va_start(ap, fmt);
        n = vsnprintf(avail ? s->buf + s->len : NULL, avail, fmt, ap);
        va_end(ap);
        if (n < 0)
                s->failed = true;
        else
                s->len += (size_t) n;
}

static void sink_object(sink *s, const nw_event *ev) {
        const char *kind = kind_label(ev->object_kind);

        if (ev->object_name && ev->object)
                sink_printf(s, "%s %s (%s)", kind, ev->object_name, ev->object);
        else if (ev->object_name || ev->object)
                sink_printf(s, "%s %s", kind, ev->object_name ? ev->object_name : ev->object);
        else
                sink_printf(s, "%s (unknown)", kind);
}

static const char *or_unset(const char *v) {
        return v ? v : "unset";
}

static bool is_set(const char *v) {
        return v && v[0];
}

/* The value a remediation sets: after (read back, or intended), else expected. */
static const char *target_value(const nw_event *ev) {
        return or_unset(is_set(ev->after) ? ev->after : ev->expected);
}

/* ": X" when X is set. */
static void sink_part(sink *s, const char *v) {
        if (is_set(v))
                sink_printf(s, ": %s", v);
}

/* Returns 0 with *ret_len the length of the complete MESSAGE (the buffer may hold less). */
static int format_event(const nw_event *ev, char *buf, size_t size, size_t *ret_len) {
        sink s = { .buf = buf, .size = size };
        const char *vc;

        if (!ev || !buf || size == 0 || !type_valid(ev->type))
                return -EINVAL;
        buf[0] = '\0';
        vc = ev->vcenter ? ev->vcenter : "(unknown)";

        switch (ev->type) {
        case NW_EVENT_DRIFT:
                sink_object(&s, ev);
                sink_printf(&s, ": %s is %s, expected %s", check_label(ev->check), or_unset(ev->actual),
                            or_unset(ev->expected));
                break;
        case NW_EVENT_RESOLVED:
                sink_object(&s, ev);
                sink_printf(&s, ": %s is %s again, drift resolved", check_label(ev->check), or_unset(ev->actual));
                break;
        case NW_EVENT_VM_TAGGED:
                sink_object(&s, ev);
                sink_printf(&s, " is tagged: now watched");
                break;
        case NW_EVENT_VM_UNTAGGED:
                sink_object(&s, ev);
                sink_printf(&s, " is no longer tagged: no longer watched");
                break;
        case NW_EVENT_VCENTER_LOST:
                if (ev->detail && ev->detail[0])
                        sink_printf(&s, "vCenter %s lost: %s; retrying with backoff", vc, ev->detail);
                else
                        sink_printf(&s, "vCenter %s lost; retrying with backoff", vc);
                break;
        case NW_EVENT_VCENTER_REGAINED:
                /* detail is a suffix such as " after 42 s". */
                sink_printf(&s, "vCenter %s regained%s", vc, ev->detail ? ev->detail : "");
                break;
        case NW_EVENT_REMEDIATED:
                sink_object(&s, ev);
                sink_printf(&s, ": set %s from %s to %s", check_label(ev->check), or_unset(ev->before),
                            target_value(ev));
                if (is_set(ev->task))
                        sink_printf(&s, " (%s)", ev->task);
                break;
        case NW_EVENT_REMEDIATION_FAILED:
                sink_object(&s, ev);
                sink_printf(&s, ": could not set %s to %s", check_label(ev->check), target_value(ev));
                sink_part(&s, ev->fault);
                sink_part(&s, ev->detail);
                break;
        case NW_EVENT_REMEDIATION_SKIPPED:
                sink_object(&s, ev);
                sink_printf(&s, ": not fixed");
                if (is_set(ev->reason))
                        sink_printf(&s, " (%s)", ev->reason);
                sink_part(&s, ev->detail);
                break;
        case NW_EVENT_FIGHT:
                sink_object(&s, ev);
                sink_printf(&s, ": %s; another tool or person keeps changing it back: "
                                "hands off until the window passes or a reload",
                            is_set(ev->detail) ? ev->detail : "reverted again after nestwarden fixed it");
                break;
        case NW_EVENT_DRY_RUN:
                sink_object(&s, ev);
                sink_printf(&s, ": would set %s from %s to %s (dry run)", check_label(ev->check),
                            or_unset(ev->before), target_value(ev));
                break;
        case NW_EVENT_UNREADABLE:
                sink_object(&s, ev);
                sink_printf(&s, " could not be read (%s): no verdict on it until it can be", or_unset(ev->actual));
                sink_part(&s, ev->detail);
                break;
        case NW_EVENT_READABLE:
                sink_object(&s, ev);
                sink_printf(&s, " can be read again: judged from now on");
                break;
        case NW_EVENT_TAG_EMPTY:
                sink_printf(&s, "vCenter %s: tag %s is attached to no VM: nothing to watch", vc,
                            or_unset(ev->detail));
                break;
        case NW_EVENT_CONFIG_PROBLEM:
                sink_printf(&s, "vCenter %s refuses what the configuration asks: %s; retrying", vc,
                            or_unset(ev->detail));
                break;
        case NW_EVENT_OVERRIDE_ALLOWED:
                sink_object(&s, ev);
                sink_printf(&s, " lets ports override its policy");
                sink_part(&s, ev->detail);
                break;
        default:
                assert(false);
        }
        if (s.failed)
                return -EINVAL;
        *ret_len = s.len;
        return 0;
}

int journal_format(const nw_event *ev, char *buf, size_t size) {
        size_t len;
        int r;

        r = format_event(ev, buf, size, &len);
        if (r < 0)
                return r;
        return len < size ? 0 : -ENOBUFS;
}

/* The NESTWARDEN_* fields, in the order they are sent (journal_send's values[] gives them in the same order). */
static const char *const event_fields[] = {
        "NESTWARDEN_VCENTER", "NESTWARDEN_OBJECT", "NESTWARDEN_OBJECT_NAME", "NESTWARDEN_OBJECT_KIND",
        "NESTWARDEN_CHECK", "NESTWARDEN_EXPECTED", "NESTWARDEN_ACTUAL", "NESTWARDEN_BEFORE", "NESTWARDEN_AFTER",
        "NESTWARDEN_TASK", "NESTWARDEN_FAULT", "NESTWARDEN_REASON", "NESTWARDEN_DETAIL",
};

/* Fields are handed to sd_journal_sendv as "NAME=value" iovecs, each allocated here: a value is
 * never a format string, and one with a newline goes out in journald's binary-safe encoding.
 * MESSAGE, PRIORITY, MESSAGE_ID, SYSLOG_IDENTIFIER, then the NESTWARDEN_* ones. */
enum { MAX_FIELDS = 4 + ELEMENTSOF(event_fields) };

typedef struct fields {
        struct iovec iov[MAX_FIELDS];
        size_t n;
} fields;

static void fields_free(fields *f) {
        for (size_t i = 0; i < f->n; i++)
                free(f->iov[i].iov_base);
        f->n = 0;
}

static int fields_add(fields *f, const char *name, const char *value) {
        size_t nl, vl;
        char *p;

        if (!value || !value[0])
                return 0;
        assert(f->n < MAX_FIELDS);
        nl = strlen(name);
        vl = strlen(value);
        p = malloc(nl + 1 + vl + 1);
        if (!p)
                return -ENOMEM;
        memcpy(p, name, nl);
        p[nl] = '=';
        memcpy(p + nl + 1, value, vl + 1);
        f->iov[f->n++] = (struct iovec) { .iov_base = p, .iov_len = nl + 1 + vl };
        return 0;
}

int journal_send(const nw_event *ev) {
        _cleanup_(fields_free) fields f = { .n = 0 };
        _cleanup_free_ char *big = NULL;
        char small[512], prio[4];
        const char *msg = small;
        size_t len;
        int r;

        r = format_event(ev, small, sizeof(small), &len);
        if (r < 0)
                return r;
        if (len >= sizeof(small)) {
                big = malloc(len + 1);
                if (!big)
                        return -ENOMEM;
                r = format_event(ev, big, len + 1, &len);
                if (r < 0)
                        return r;
                msg = big;
        }
        snprintf(prio, sizeof(prio), "%d", priorities[ev->type]);

        if (fields_add(&f, "MESSAGE", msg) < 0 ||
            fields_add(&f, "PRIORITY", prio) < 0 ||
            fields_add(&f, "MESSAGE_ID", message_ids[ev->type]) < 0 ||
            fields_add(&f, "SYSLOG_IDENTIFIER", "nestwarden") < 0)
                return -ENOMEM;
        const char *const values[ELEMENTSOF(event_fields)] = {
                ev->vcenter, ev->object, ev->object_name, nw_kind_to_string(ev->object_kind),
                nw_check_to_string(ev->check), ev->expected, ev->actual, ev->before, ev->after,
                ev->task, ev->fault, ev->reason, ev->detail,
        };
        for (size_t i = 0; i < ELEMENTSOF(event_fields); i++)
                if (fields_add(&f, event_fields[i], values[i]) < 0)
                        return -ENOMEM;

        return sd_journal_sendv(f.iov, (int) f.n);
}
