/* Standard vSwitch portgroups per host. Internal to inventory. */
#pragma once

#include "inventory.h"

/* Which (host, portgroup name) pairs the VMs sit on, into ctx->pairs and ctx->hosts; a VM on a standard
 * portgroup without a host makes that portgroup unreadable. */
int inventory_host_collect_pairs(inventory_ctx *ctx, nw_err *err);
/* Replaces the host's standard portgroups by those in pgs (config.network.portgroup) that VMs use.
 * netsys is the host's configManager.networkSystem; NULL: the one the gather learnt. */
int inventory_host_set_portgroups(inventory_ctx *ctx, const char *host, const xmlNode *pgs, const char *netsys,
                                  nw_err *err);
/* Whether every standard portgroup VMs use on host is among the facts. */
bool inventory_host_pairs_found(const inventory_ctx *ctx, const char *host);
