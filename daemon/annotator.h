/* The daemon's side of [vcenter] annotate: hooks lib/annotate into the event log and the passes of
 * `run` and `fix`, and says in the journal what vCenter refused or what the rate limit held back. */
#pragma once

#include "annotate.h"
#include "inventory.h"
#include "nestwarden.h"

typedef struct annotator {
        annotate_ctx ctx;
        const nw_config *cfg;      /* borrowed */
        vim_ctx *vc;               /* during a pass (attach .. pass_end), NULL otherwise */
        const inventory_ctx *facts;
        bool broken;               /* a call failed this pass (vCenter away?): no more until the next */
        char last_error[1024];     /* said at notice once; the same again only at debug */
        size_t dropped;            /* events the rate limit held back, not yet said */
        double dropped_said;       /* when they were last said (monotonic), 0: never */
} annotator;

/* Starts with cfg (off unless annotate = yes) and hooks into log_event. Again after a reload. */
void annotator_setup(annotator *a, const nw_config *cfg);
/* A pass begins on vc and facts: events logged from now on go to vCenter too. */
void annotator_attach(annotator *a, vim_ctx *vc, const inventory_ctx *facts);
/* A pass ends: if it went well (pass_ok), the VMs' status attributes brought up to date (remediating: which VMs wait for a
 * power-off); the events the rate limit held back said in one warning, at most one a minute (a burst
 * over several passes is summed up); events stop going out. */
void annotator_pass_end(annotator *a, bool remediating, bool pass_ok);
void annotator_done(annotator *a);
static inline void annotator_donep(annotator *a) {
        annotator_done(a);
}
#define _cleanup_annotator_ _cleanup_(annotator_donep)
