/* Port-level facts: the DV ports that tagged VMs' NICs use where their portgroup allows overrides. */
#pragma once

#include "inventory.h"

/* Reads the NICs (config.hardware.device) of each tagged VM, not a template, on a DV portgroup that
 * allows security or MAC-management override, then those NICs' ports with FetchDVPorts, per switch,
 * page_size keys a call; replaces what an earlier call read. A port not returned, or refused, is
 * unreadable (kind dvport); a VM whose devices could not be read, unreadable too. Errors as
 * vim_retrieve's. */
int inventory_ports_read(vim_ctx *vc, inventory_ctx *ctx, int64_t page_size, nw_err *err);

/* Reads the port id (SWITCH/KEY) again with FetchDVPorts, in place. -ESTALE when vCenter no longer
 * returns it (judged again at the next gather), -ENOENT when it is not among the facts. */
int inventory_ports_refresh(vim_ctx *vc, inventory_ctx *ctx, const char *id, nw_err *err);
