/* Telling vCenter itself ([vcenter] annotate): each journal transition also as an event on its object
 * (EventManager.LogUserEvent, the object's Monitor > Events), and each tagged VM's state in a custom
 * attribute (CustomFieldsManager, a column in the vSphere Client's VM lists). The texts, the status
 * and the rate limit are pure (annotate-text.c); the calls to vCenter are here. Does not log. */
#pragma once

#include <libxml/hash.h>

#include "journal.h"
#include "remedy.h"
#include "vim.h"

#define ANNOTATE_RATE_PER_MINUTE 20 /* events told to vCenter per minute, and the burst allowed */
#define ANNOTATE_MSG_MAX 300        /* bytes of one event message (vCenter shows one line) */
#define ANNOTATE_STATUS_MAX 128     /* bytes of one status value */

/* A token bucket: burst tokens, refilled at per_minute / 60 a second. */
typedef struct annotate_bucket {
        double per_second, burst, tokens, last;
        size_t dropped;              /* refused since annotate_bucket_take_dropped */
} annotate_bucket;

void annotate_bucket_init(annotate_bucket *b, unsigned per_minute, double now);
/* Whether one more may go out at now (monotonic seconds); a refusal is counted. */
bool annotate_bucket_take(annotate_bucket *b, double now);
/* How many were refused since the last call, and start counting again. */
size_t annotate_bucket_take_dropped(annotate_bucket *b);

/* The line told to vCenter for ev, "nestwarden: forged transmits rejected on dvpg-lab; nested
 * Hyper-V guests lose their network". 0; -ENOENT for an event vCenter is not told about (vCenter
 * lost or regained, tag changes, dry runs: they have no object or change nothing); -EINVAL for a bad
 * size. Cut to size at a character boundary. */
int annotate_message(const nw_event *ev, char *buf, size_t size);
/* The managed object to log ev on: the VM, the DV portgroup, the host of a standard portgroup
 * ("host-17/VM Network" → host-17), a switch (its type from inv when known), a host; a DV port
 * ("dvs-21/12") on the VM whose NIC uses it, per inv, else on its switch. *ret_type is a
 * static string. 0; -ENOENT for an object of a kind not known here (skip it); -ENOBUFS. */
int annotate_entity(const nw_event *ev, const nw_inventory *inv, const char **ret_type, char *moref, size_t size);
/* The tagged VM inv->vms[vm]'s state in a few words: "compliant", "pending power-off" (plan holds
 * its nested HV fix for a power-off; plan may be NULL), "drift: CHECK on NAME" (the most important
 * drift on the VM or a portgroup it uses), "unreadable: NAME" (a portgroup, switch or host its
 * verdict needs). f: policy_evaluate(inv). */
void annotate_vm_status(const nw_inventory *inv, const nw_findings *f, const nw_fix_plan *plan, size_t vm, char *buf,
                        size_t size);

typedef struct annotate_ctx {
        bool events;                 /* tell events: annotate = yes, until vCenter refused the privilege */
        bool status;                 /* keep the status attribute: likewise */
        char *field;                 /* the attribute's name */
        int32_t key;                 /* its key, once known */
        bool have_key;
        annotate_bucket bucket;
        xmlHashTable *values;        /* VM moref → the value it holds, as read or last set */
} annotate_ctx;

/* Everything off when on is false. 0 or -ENOMEM. */
int annotate_init(annotate_ctx *a, bool on, const char *field, double now);
void annotate_done(annotate_ctx *a);

/* Logs ev on its object when it is a transition vCenter is told about and the rate allows.
 * 0 (told, skipped, dropped by the rate limit, or refused because the object is gone or cannot be
 * read: an UNREADABLE event's object). -EACCES the first time vCenter refuses the
 * privilege (err names it; events stay off until annotate_init again); other errors as vim_call's. */
int annotate_event(annotate_ctx *a, vim_ctx *vc, const nw_inventory *inv, const nw_event *ev, double now,
                   nw_err *err);
/* Sets the status attribute of every tagged VM whose state differs from the value it holds (read once
 * per VM, then remembered), creating the attribute first if it is missing; clears it on a VM that
 * left the tagged set. f and plan as annotate_vm_status takes them. Stops at the first error; a later
 * call goes on from there. -EACCES once when vCenter refuses a privilege (err names it; the status
 * stays off). */
int annotate_status(annotate_ctx *a, vim_ctx *vc, const nw_inventory *inv, const nw_findings *f,
                    const nw_fix_plan *plan, nw_err *err);
