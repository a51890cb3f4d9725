/* Journal events: one MESSAGE_ID per event type, structured NESTWARDEN_* fields, sd_journal_send.
 * The catalog (systemd/nestwarden.catalog) explains each MESSAGE_ID; keep both in step. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

#include "facts.h"

typedef enum nw_event_type {
        NW_EVENT_DRIFT,            /* a check started failing on an object (warning) */
        NW_EVENT_RESOLVED,         /* a failing check passes again (notice) */
        NW_EVENT_VM_TAGGED,        /* a VM entered the tagged set (info) */
        NW_EVENT_VM_UNTAGGED,      /* a VM left the tagged set (info) */
        NW_EVENT_VCENTER_LOST,     /* vCenter unreachable or refusing us (err) */
        NW_EVENT_VCENTER_REGAINED, /* back after an outage (notice) */
        /* Remediation. The fields listed are the ones the catalog substitutes: set them always
         * (an absent one would show as its bare name in `journalctl -x`). */
        NW_EVENT_REMEDIATED,          /* nestwarden changed a property back to policy (notice).
                                       * Always: object fields, check, expected (the value set),
                                       * before, after (read back). task unless the change is no
                                       * vCenter task (UpdatePortGroup). */
        NW_EVENT_REMEDIATION_FAILED,  /* the change was refused or did not stick (err). Always:
                                       * object fields, check, before, after (intended). fault (the
                                       * vim25 fault type) and detail (its message) when there was
                                       * one; task when one was started. */
        NW_EVENT_REMEDIATION_SKIPPED, /* a drifted object left alone on purpose (notice). Always:
                                       * object fields, reason (pending-power-off, powered-on,
                                       * template, shared, excluded, disabled, unfixable,
                                       * deferred). detail: the human text (the untagged VMs on a
                                       * shared portgroup, ...); check when there is one. */
        NW_EVENT_FIGHT,               /* something keeps reverting an object nestwarden fixed:
                                       * hands off (warning). Always: object fields; detail e.g.
                                       * "reverted 3 times within 3600 s after nestwarden fixed it". */
        NW_EVENT_DRY_RUN,             /* dry run: what a fix would change (info). As REMEDIATED
                                       * without task. */
        NW_EVENT_UNREADABLE,          /* an object a verdict needs could not be read (warning): no
                                       * verdict on it. Always: object fields, check ("unreadable"),
                                       * expected ("readable"), actual (the fault type, or
                                       * "missing"), detail (the property and what to do). */
        NW_EVENT_READABLE,            /* it can be read again (notice): judged from now on. As
                                       * UNREADABLE. */
        NW_EVENT_TAG_EMPTY,           /* the tag is attached to no VM (warning): nothing is watched.
                                       * Always: vcenter, detail (CATEGORY/TAG). */
        NW_EVENT_CONFIG_PROBLEM,      /* vCenter answers but refuses what the configuration asks
                                       * (unknown tag or category, a missing privilege) (err); the
                                       * session is kept and the call retried. Always: vcenter,
                                       * detail (the error); fault when vCenter sent one. */
        NW_EVENT_OVERRIDE_ALLOWED,    /* a DV portgroup the nested hosts use lets ports override its
                                       * policy, where port-level drift comes from (notice). Always:
                                       * object fields, detail (which policies). */
        _NW_EVENT_MAX,
} nw_event_type;

typedef struct nw_event {
        nw_event_type type;
        const char *vcenter;     /* URL */
        const char *object;      /* moref, or HOST/PORTGROUP for standard portgroups; NULL for vCenter events */
        const char *object_name;
        nw_kind object_kind;     /* NW_KIND_NONE: no object */
        nw_check check;          /* NW_CHECK_NONE: about no one check */
        const char *expected;    /* as nw_value_to_string renders them */
        const char *actual;
        const char *detail;      /* free text: the error for VCENTER_LOST, the outage length, ... */
        const char *before;      /* remediation: the value before the change (nw_value_to_string) */
        const char *after;       /* the value after it (REMEDIATED), intended (FAILED, DRY_RUN) */
        const char *task;        /* vCenter task moref, "task-123" */
        const char *fault;       /* vim25 fault type, "InvalidPowerState" */
        const char *reason;      /* REMEDIATION_SKIPPED: short token, "pending-power-off" */
} nw_event;

/* "a1b2..." (32 lowercase hex digits), fixed per type; NULL for an invalid type. */
const char *journal_message_id(nw_event_type t);
/* syslog priority of the type (LOG_WARNING for DRIFT, ...); -EINVAL for an invalid type. */
int journal_priority(nw_event_type t);
/* The readable MESSAGE, e.g. "VM hv-lab-03 (vm-42): nested HV exposed is false, expected true".
 * 0; -ENOBUFS when truncated (buf still NUL-terminated); -EINVAL for a bad ev or size 0.
 * Unset expected/actual/before read "unset"; the "to" value of a remediation is after, or expected
 * when after is unset. Remediation messages:
 *   REMEDIATED  "VM a (vm-42): set nested HV exposed from false to true (task-123)"
 *   FAILED      "VM a (vm-42): could not set nested HV exposed to true: InvalidPowerState: DETAIL"
 *   SKIPPED     "VM a (vm-42): not fixed (pending-power-off): DETAIL"
 *   FIGHT       "DV portgroup p (dvportgroup-39): DETAIL; another tool or person keeps changing it
 *                back: hands off until the window passes or a reload"
 *   DRY_RUN     "DV portgroup p (dvportgroup-39): would set MAC learning from false to true (dry run)"
 * (each ": X" / " (X)" part is left out when X is unset). */
int journal_format(const nw_event *ev, char *buf, size_t size);
/* Sends ev with MESSAGE, PRIORITY, MESSAGE_ID, SYSLOG_IDENTIFIER=nestwarden and every NESTWARDEN_*
 * field that is set (NULL and "" are left out). Values may hold any text, newlines included.
 * Returns sd_journal_send's result (negative errno when no journal listens). */
int journal_send(const nw_event *ev);
