/* The memory remedy_plan reads across the passes of `run`: when nestwarden fixed which object (anti-
 * flap), and which drifted VMs it saw powered on (fix_on_power_off = no). */
#pragma once

#include "util.h"

/* Anti-flap memory, kept by the caller across passes: when nestwarden fixed which object. */
typedef struct nw_flap_entry {
        char *object;
        double times[32];            /* fixes within the window, oldest first */
        size_t n;
        bool fight_reported;         /* FIGHT sent for the current fight */
} nw_flap_entry;

typedef struct nw_flap {
        nw_flap_entry *v;
        size_t n;
        /* VMs seen powered on with nested_hv drift while fix_on_power_off = no: left to a person, so not
         * fixed when they are next seen powered off. Kept until the drift is gone, across reloads. */
        nw_strv seen_on;
} nw_flap;

void nw_flap_done(nw_flap *f);
/* After a successful fix of object at now. Keeps the newest 32 times; clears fight_reported (the fix went
 * through, so any fight reported before is over). 0, -EINVAL or -ENOMEM. */
int remedy_flap_record(nw_flap *f, const char *object, double now);
/* Forget the fixes (SIGHUP: an admin says "try again"). Not seen_on: that is what was observed, and
 * forgetting it would fix at once a VM an admin powered off meanwhile. */
void remedy_flap_reset(nw_flap *f);
/* Fixes of object recorded within (now - window, now]. */
size_t remedy_flap_count(const nw_flap *f, const char *object, double now, int64_t window);

/* vm was seen powered on with nested_hv drift (fix_on_power_off = no). 0, -EINVAL or -ENOMEM. */
int remedy_flap_seen_on(nw_flap *f, const char *vm);
bool remedy_flap_was_on(const nw_flap *f, const char *vm);
/* Drops the VMs keep() refuses (their drift is gone): seen powered on again, they count afresh. */
void remedy_flap_prune_seen_on(nw_flap *f, bool (*keep)(void *userdata, const char *vm), void *userdata);
