/* Applying a planned fix. The plan (remedy.c) decided what to write; this writes it, waits for the
 * Task, reads the object back and judges it again, so "remediated" always means "seen compliant". */
#include <string.h>

#include "remedy-apply.h"
#include "vim-tasks.h"

#define ATTEMPTS 3
#define TASK_TIMEOUT 120

static const char *object_type(const nw_fix *fix) {
        switch (fix->kind) {
        case NW_FIX_VM_NESTED_HV:
                return "VirtualMachine";
        case NW_FIX_DVPG_MAC:
        case NW_FIX_DVPG_SECURITY:
                return "DistributedVirtualPortgroup";
        case NW_FIX_STDPG_SECURITY:
                return "HostSystem";
        case NW_FIX_DVPORT_MAC:
        case NW_FIX_DVPORT_SECURITY:
                return INVENTORY_DVPORT;
        }
        return "";
}

/* A fix names its object; the facts of the moment hold it (a read-back replaces them). */
static int live(const inventory_ctx *ctx, const nw_fix *fix, ssize_t *ret, nw_err *err) {
        const nw_inventory *inv = &ctx->inv;

        switch (fix->kind) {
        case NW_FIX_VM_NESTED_HV:
                *ret = nw_inventory_vm_index(inv, fix->object);
                break;
        case NW_FIX_DVPG_MAC:
        case NW_FIX_DVPG_SECURITY:
                *ret = nw_inventory_dvpg_index(inv, fix->object);
                break;
        case NW_FIX_STDPG_SECURITY:
                *ret = nw_inventory_stdpg_index(inv, fix->object);
                break;
        case NW_FIX_DVPORT_MAC:
        case NW_FIX_DVPORT_SECURITY:
                *ret = nw_inventory_dvport_index(inv, fix->object);
                break;
        default:
                return nw_errf(err, -EINVAL, "%s: unknown fix kind", fix->object);
        }
        if (*ret < 0)
                return nw_errf(err, -ENOENT, "%s is no longer among the facts read from vCenter", fix->object);
        return 0;
}

/* What a read-back reads: the object itself, or for a standard portgroup its host. */
static int refresh_moref(const inventory_ctx *ctx, const nw_fix *fix, char **ret, nw_err *err) {
        ssize_t i;
        int r;

        r = live(ctx, fix, &i, err);
        if (r < 0)
                return r;
        *ret = strdup(fix->kind == NW_FIX_STDPG_SECURITY ? ctx->inv.stdpgs[i].host : fix->object);
        return *ret ? 0 : nw_errf(err, -ENOMEM, "out of memory");
}

static bool fixes(const nw_fix *fix, nw_check check) {
        for (size_t i = 0; i < fix->n_changes; i++)
                if (fix->changes[i].check == check)
                        return true;
        return false;
}

static int write_once(vim_ctx *vc, const inventory_ctx *ctx, const nw_fix *fix, nw_fix_result *res, nw_err *err) {
        _cleanup_free_ char *task = NULL;
        const nw_fix_target *t = &fix->target;
        ssize_t i;
        int r;

        r = live(ctx, fix, &i, err);
        if (r < 0)
                return r;
        switch (fix->kind) {
        case NW_FIX_VM_NESTED_HV:
                /* vCenter reconfigures a template's name and annotation only; converting it to a VM
                 * and back would be a bigger change than anyone asked for. */
                if (ctx->inv.vms[i].template) {
                        r = nw_errf(err, -EOPNOTSUPP, "%s is a template: vCenter cannot reconfigure templates; "
                                                      "convert it to a VM, fix it, and mark it as a template again",
                                    fix->object);
                        if (err)
                                snprintf(err->fault, sizeof(err->fault), "NotSupported");
                        return r;
                }
                r = vim_reconfig_vm(vc, fix->object, t->nested_hv, &task, err);
                break;
        case NW_FIX_DVPG_MAC:
        case NW_FIX_DVPG_SECURITY:
        case NW_FIX_DVPORT_MAC:
        case NW_FIX_DVPORT_SECURITY: {
                bool mac = fix->kind == NW_FIX_DVPG_MAC || fix->kind == NW_FIX_DVPORT_MAC;
                bool port = fix->kind == NW_FIX_DVPORT_MAC || fix->kind == NW_FIX_DVPORT_SECURITY;
                const nw_dvport *dp = port ? &ctx->inv.dvports[i] : NULL;
                const char *version = port ? dp->config_version : ctx->inv.dvpgs[i].config_version;
                const vim_dvpg_policy p = {
                        .mac_management = mac,
                        .promiscuous = t->promiscuous,
                        .forged_transmits = t->forged_transmits,
                        .mac_changes = t->mac_changes,
                        .set_mac_changes = mac || t->set_mac_changes,
                        .learning_enabled = t->learning_enabled,
                        .unicast_flooding = t->unicast_flooding,
                        .limit = t->limit,
                        .limit_policy = t->limit_policy[0] ? t->limit_policy : NULL,
                };

                if (!version)
                        return nw_errf(err, -NW_EREPLY, "%s: vCenter gave no configVersion to reconfigure with",
                                       fix->object);
                if (port)
                        r = vim_reconfigure_dvport(vc, dp->switch_type, dp->switch_moref, dp->key, version, &p, &task,
                                                   err);
                else
                        r = vim_reconfigure_dvpg(vc, fix->object, version, &p, &task, err);
                break;
        }
        case NW_FIX_STDPG_SECURITY: {
                const nw_stdpg *pg = &ctx->inv.stdpgs[i];

                if (!pg->network_system)
                        return nw_errf(err, -NW_EREPLY, "%s: host %s has no networkSystem", fix->object, pg->host);
                /* The portgroup's own overrides, with ours on top for what drifted only (an inherited
                 * value that complies stays inherited); never the vSwitch: others inherit from it. */
                return vim_update_portgroup(
                        vc, pg->network_system, pg->name, pg->spec_head_xml, pg->policy_tail_xml,
                        fixes(fix, NW_CHECK_PROMISCUOUS) ? (int) t->promiscuous : (int) pg->spec_promiscuous,
                        t->set_mac_changes ? (int) t->mac_changes : (int) pg->spec_mac_changes,
                        fixes(fix, NW_CHECK_FORGED_TRANSMITS) ? (int) t->forged_transmits : (int) pg->spec_forged_transmits,
                        err);
        }
        default:
                return nw_errf(err, -EINVAL, "%s: unknown fix kind", fix->object);
        }
        if (r < 0)
                return r;
        snprintf(res->task, sizeof(res->task), "%s", task);
        return vim_wait_task(vc, task, TASK_TIMEOUT, err);
}

/* The fixed checks must pass on the fresh facts; anything else means it did not stick. */
static int verify(const inventory_ctx *ctx, const nw_policy_cfg *pol, const nw_fix *fix, nw_err *err) {
        const char *object = fix->object;
        _cleanup_findings_ nw_findings f = {};
        int r;

        r = policy_evaluate(&ctx->inv, pol, &f);
        if (r < 0)
                return nw_errf(err, r, "out of memory");
        for (size_t i = 0; i < f.n; i++) {
                if (strcmp(f.v[i].object, object) != 0)
                        continue;
                for (size_t c = 0; c < fix->n_changes; c++)
                        if (f.v[i].check == fix->changes[c].check)
                                return nw_errf(err, -NW_ESOAPFAULT, "%s: the change was accepted but %s still fails "
                                                                "when read back", object,
                                               nw_check_to_string(f.v[i].check));
        }
        return 0;
}

/* After ConcurrentAccess: the fix for the same object, planned again on the fresh facts. *ret is
 * NULL when the object complies now; a fix the rails now hold back is an error saying why. */
static int replan(const inventory_ctx *ctx, const nw_policy_cfg *pol, const nw_remedy_cfg *cfg, const char *object,
                  nw_fix_plan *plan, const nw_fix **ret, nw_err *err) {
        _cleanup_findings_ nw_findings f = {};
        nw_remedy_cfg one = *cfg;
        int r;

        one.max_changes_per_pass = INT64_MAX;
        r = policy_evaluate(&ctx->inv, pol, &f);
        if (r >= 0)
                r = remedy_plan(&ctx->inv, &f, pol, &one, NULL, 0, plan);
        if (r < 0)
                return nw_errf(err, r, "out of memory");
        *ret = NULL;
        for (size_t i = 0; i < plan->n; i++) {
                if (strcmp(plan->v[i].object, object) != 0)
                        continue;
                if (plan->v[i].verdict != NW_FIX_APPLY) {
                        r = nw_errf(err, -NW_ECONCURRENT, "%s was changed by someone else meanwhile, and now it is "
                                                          "not to be fixed (%s): %s",
                                    object, nw_fix_verdict_to_string(plan->v[i].verdict), plan->v[i].reason);
                        if (err)
                                snprintf(err->fault, sizeof(err->fault), "ConcurrentAccess");
                        return r;
                }
                *ret = &plan->v[i];
        }
        return 0;
}

int remedy_apply(vim_ctx *vc, inventory_ctx *ctx, const nw_policy_cfg *pol, const nw_remedy_cfg *cfg, const nw_fix *fix,
                 nw_fix_result *res, nw_err *err) {
        /* object outlives the re-plans below, each of which frees the plan fix may point into. */
        _cleanup_free_ char *object = strdup(fix->object), *moref = NULL;
        const char *type = object_type(fix);
        _cleanup_fix_plan_ nw_fix_plan plan = {};
        int r;

        *res = (nw_fix_result) {};
        if (!object)
                return nw_errf(err, -ENOMEM, "out of memory");
        r = refresh_moref(ctx, fix, &moref, err);
        if (r < 0)
                return r;
        for (;;) {
                res->attempts++;
                r = write_once(vc, ctx, fix, res, err);
                if (r != -NW_ECONCURRENT || res->attempts >= ATTEMPTS)
                        break;
                /* Someone changed the portgroup since we read it: read it again, keep their change,
                 * and fix only what is still wrong. */
                r = inventory_refresh(vc, ctx, type, moref, err);
                if (r < 0)
                        return r;
                nw_fix_plan_done(&plan);
                r = replan(ctx, pol, cfg, object, &plan, &fix, err);
                if (r < 0)
                        return r;
                if (!fix) {
                        res->already_compliant = true;
                        return 0;
                }
        }
        if (r < 0) {
                nw_err ignored;
                (void) inventory_refresh(vc, ctx, type, moref, &ignored);
                return r;
        }
        r = inventory_refresh(vc, ctx, type, moref, err);
        if (r < 0)
                return r;
        return verify(ctx, pol, fix, err);
}
