/* Gathering the facts and keeping them current: tagged VMs → their networks → DV switches and
 * hosts, read in two PropertyCollector rounds, then followed through WaitForUpdatesEx. */
#pragma once

#include "facts.h"
#include "vim.h"

/* The facts plus what is needed to keep them: which (host, portgroup) pairs VMs use. */
typedef struct inventory_ctx {
        nw_inventory inv;
        nw_strv pairs;  /* "HOST\nPORTGROUP" a VM sits on */
        nw_strv hosts;  /* hosts whose portgroups we read */
        nw_strv network_systems; /* "HOST\nNETWORKSYSTEM": kept per host, an update does not carry it */
        bool old_api;   /* the vCenter knows no config.backingType (before 7.0) */
} inventory_ctx;

void inventory_ctx_done(inventory_ctx *ctx);
static inline void inventory_ctx_donep(inventory_ctx *ctx) {
        inventory_ctx_done(ctx);
}
#define _cleanup_inventory_ctx_ _cleanup_(inventory_ctx_donep)

/* Reads everything policy needs about the VMs in vm_morefs, in as few PropertyCollector calls as
 * the API allows: one for the VMs and (by traversal) their networks, one for the switches and hosts
 * behind them (the hosts only when standard_portgroups); each paged by page_size. With
 * blast_radius also every VM on each of those networks, which a remediation plan needs (the
 * shared-portgroup rail) and a verdict does not. On failure ret is untouched. */
int inventory_gather(vim_ctx *vc, const nw_strv *vm_morefs, bool standard_portgroups, bool blast_radius,
                     int64_t page_size, inventory_ctx *ret, nw_err *err);

/* A filter spec over everything gathered (same properties as the gather), for CreateFilter.
 * The spec points into ctx and into *ret_storage, which the caller frees. */
int inventory_watch_spec(const inventory_ctx *ctx, vim_filter_spec *ret, void **ret_storage);
void inventory_watch_spec_free(void *storage);

/* Applies one ObjectUpdate from WaitForUpdatesEx. *ret_resync is set when the change reshapes what
 * is watched (a NIC moved, a VM changed host, an object appeared or left): gather again then. */
int inventory_apply_update(inventory_ctx *ctx, const char *type, const char *moref, const char *kind, const xmlNode *ou,
                           bool *ret_resync, nw_err *err);

/* Reads one object again (type VirtualMachine, DistributedVirtualPortgroup or HostSystem, or
 * INVENTORY_DVPORT with a SWITCH/KEY id) into ctx, through the same setters: after a change, to see
 * what vCenter made of it. */
#define INVENTORY_DVPORT "DistributedVirtualPort" /* no managed object type: a port is read by its switch */
int inventory_refresh(vim_ctx *vc, inventory_ctx *ctx, const char *type, const char *moref, nw_err *err);

/* Learns the names of untagged VMs (morefs) into ctx->inv.others, for messages about who else
 * sits on a portgroup. Names already known are not asked for again. */
int inventory_fetch_names(vim_ctx *vc, inventory_ctx *ctx, const nw_strv *morefs, nw_err *err);
