/* The gather's bookkeeping: what was asked for, so that what did not come is accounted for.
 * Internal to inventory. */
#pragma once

#include "inventory.h"

typedef struct gather {
        inventory_ctx *ctx;
        xmlHashTable *wanted;   /* the tagged VMs' morefs */
        nw_strv hosts_read;
        nw_strv switches_read;
} gather;

static inline void gather_done(gather *g) {
        xmlHashFreep(&g->wanted);
        nw_strv_done(&g->hosts_read);
        nw_strv_done(&g->switches_read);
}

/* Records the object of oc as unreadable (kind) when it came with a missingSet; *ret_missing says so. */
int inventory_note_missing(inventory_ctx *ctx, nw_kind kind, const char *moref, const xmlNode *oc, bool *ret_missing,
                           nw_err *err);
/* After the VMs' round: each tagged VM (vms) and each network they use was read, or is unreadable. */
int inventory_account_round1(gather *g, const nw_strv *vms, nw_err *err);
/* After the switches' and hosts' round: each was read or is unreadable, and each standard portgroup a
 * VM uses was found on its host. */
int inventory_account_round2(gather *g, nw_err *err);
