/* Drift state across passes: what was drifting, so that only transitions reach the journal.
 * Pure: findings in, transitions out. Owns copies, so it outlives the inventory it came from. */
#pragma once

#include "journal.h"
#include "policy.h"

typedef struct nw_drift {
        nw_kind kind;
        nw_check check;
        char *object, *name, *expected, *actual; /* the values as nw_value_to_string renders them */
        char *hint;       /* the finding's hint: what an UNREADABLE entry says about why */
} nw_drift;

typedef struct nw_drift_set {
        nw_drift *v;      /* sorted by (object, check) */
        size_t n;
} nw_drift_set;

int drift_set_from(const nw_findings *f, nw_drift_set *ret);
void drift_set_done(nw_drift_set *s);
static inline void drift_set_donep(nw_drift_set *s) {
        drift_set_done(s);
}
#define _cleanup_drift_set_ _cleanup_(drift_set_donep)

/* A question about an entry's object: is it still watched (a drift on an object no longer watched is
 * forgotten, not resolved), or could it not be judged this time (its drift is carried over)? */
typedef bool (*drift_watched_fn)(void *userdata, const nw_drift *d);
/* Called with NW_EVENT_DRIFT and the new entry, or NW_EVENT_RESOLVED and the old entry. */
typedef int (*drift_event_fn)(void *userdata, nw_event_type type, const nw_drift *d);

/* Copies into new (kept sorted) old's entries on objects that could not be judged this time
 * (unobserved says which): a verdict not made again is neither resolved nor news, so it stays as it
 * was until the object can be read. Entries of check "unreadable" are never carried. */
int drift_carry(const nw_drift_set *old, nw_drift_set *new, drift_watched_fn unobserved, void *userdata);

/* Walks old and new: an (object, check) only in new appeared, one only in old resolved (when its
 * object is still watched). A drift whose actual value changed while still failing is not news. */
int drift_diff(const nw_drift_set *old, const nw_drift_set *new, drift_watched_fn watched, drift_event_fn emit,
               void *userdata);
