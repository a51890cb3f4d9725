/* Applying a planned fix: the reconfigure call, the task, a fresh read, and proof that it stuck. */
#pragma once

#include "inventory.h"
#include "remedy.h"

typedef struct nw_fix_result {
        char task[64];            /* the vCenter task, "" for UpdatePortGroup (no task) */
        unsigned attempts;        /* 1, more after ConcurrentAccess */
        bool already_compliant;   /* someone else fixed it between our read and our write */
} nw_fix_result;

/* Applies fix (verdict NW_FIX_APPLY), waits for its task, re-reads the object into ctx and checks
 * that the fixed checks pass now. On ConcurrentAccess (someone changed the portgroup since we read
 * it) re-reads, re-plans that object and tries again, 3 attempts in all. On failure err carries the
 * fault type and message; the facts in ctx are fresh either way. fix is self-contained; its object is
 * looked up again in ctx before each write. */
int remedy_apply(vim_ctx *vc, inventory_ctx *ctx, const nw_policy_cfg *pol, const nw_remedy_cfg *cfg, const nw_fix *fix,
                 nw_fix_result *res, nw_err *err);
