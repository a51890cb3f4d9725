/* Gathering the facts: tagged VMs → their networks → DV switches and hosts, in few requests. */
#pragma once

#include "facts.h"
#include "policy.h"
#include "vim.h"

/* Reads everything policy needs about the VMs in vm_morefs, in as few PropertyCollector calls as
 * the API allows: one for the VMs and (by traversal) their networks, one for the switches and hosts
 * behind them; each paged by page_size. On failure ret is untouched. */
int inv_gather(vim_ctx *vc, const nw_strv *vm_morefs, const nw_policy_cfg *cfg, int64_t page_size, nw_inventory *ret,
               nw_err *err);

/* Parsers for one ObjectContent each, exposed for the unit tests. */
int inv_parse_vm(const xmlNode *oc, const char *moref, nw_vm *ret, nw_err *err);
int inv_parse_dvpg(const xmlNode *oc, const char *moref, nw_dvpg *ret, char **ret_switch_type, nw_err *err);
