/* Journal events: one MESSAGE_ID per event type, structured NESTWARDEN_* fields, sd_journal_send.
 * The catalog (systemd/nestwarden.catalog) explains each MESSAGE_ID; keep both in step. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <syslog.h>

typedef enum nw_event_type {
        NW_EVENT_DRIFT,            /* a check started failing on an object (warning) */
        NW_EVENT_RESOLVED,         /* a failing check passes again (notice) */
        NW_EVENT_VM_TAGGED,        /* a VM entered the tagged set (info) */
        NW_EVENT_VM_UNTAGGED,      /* a VM left the tagged set (info) */
        NW_EVENT_VCENTER_LOST,     /* vCenter unreachable or refusing us (err) */
        NW_EVENT_VCENTER_REGAINED, /* back after an outage (notice) */
        _NW_EVENT_MAX,
} nw_event_type;

typedef struct nw_event {
        nw_event_type type;
        const char *vcenter;     /* URL */
        const char *object;      /* moref, or HOST/PORTGROUP for standard portgroups; NULL for vCenter events */
        const char *object_name;
        const char *object_kind; /* "vm", "dvportgroup", "portgroup" */
        const char *check;       /* "nested_hv", ... */
        const char *expected;    /* as report_value_string renders them */
        const char *actual;
        const char *detail;      /* free text: the error for VCENTER_LOST, the outage length, ... */
} nw_event;

/* "a1b2..." (32 lowercase hex digits), fixed per type; NULL for an invalid type. */
const char *journal_message_id(nw_event_type t);
/* syslog priority of the type (LOG_WARNING for DRIFT, ...); -EINVAL for an invalid type. */
int journal_priority(nw_event_type t);
/* The readable MESSAGE, e.g. "VM hv-lab-03 (vm-42): nested HV exposed is false, expected true".
 * 0; -ENOBUFS when truncated (buf still NUL-terminated); -EINVAL for a bad ev or size 0.
 * Unset expected/actual read "unset". */
int journal_format(const nw_event *ev, char *buf, size_t size);
/* Sends ev with MESSAGE, PRIORITY, MESSAGE_ID, SYSLOG_IDENTIFIER=nestwarden and every NESTWARDEN_*
 * field that is set (NULL and "" are left out). Values may hold any text, newlines included.
 * Returns sd_journal_send's result (negative errno when no journal listens). */
int journal_send(const nw_event *ev);
