/* The anti-flap memory remedy_plan reads: when nestwarden fixed which object. */
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
} nw_flap;

void nw_flap_done(nw_flap *f);
/* After a successful fix of object at now. Keeps the newest 32 times; clears fight_reported (the fix went
 * through, so any fight reported before is over). 0, -EINVAL or -ENOMEM. */
int remedy_flap_record(nw_flap *f, const char *object, double now);
/* Forget everything (SIGHUP: an admin says "try again"). */
void remedy_flap_reset(nw_flap *f);
/* Fixes of object recorded within (now - window, now]. */
size_t remedy_flap_count(const nw_flap *f, const char *object, double now, int64_t window);
