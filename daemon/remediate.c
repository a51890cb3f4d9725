/* One remediation pass, shared by `fix` and `run`: plan, apply what the plan allows, one object at a
 * time, re-planning after each (a read-back can move facts, and a fix can make another moot). */
#include <string.h>

#include "nestwarden.h"

static bool gone_away(int r) {
        return r == -NW_ENOTAUTH || r == -ECONNREFUSED || r == -EHOSTUNREACH || r == -ETIMEDOUT || r == -NW_ETLS ||
               r == -ECANCELED;
}

/* The budget is kept here, by what was really applied: an object held off after a failure must not
 * use up a slot, or it would starve every object sorted after it. */
static int plan_now(const nw_config *cfg, const inventory_ctx *ctx, const nw_flap *flap, double now,
                    nw_fix_plan *plan) {
        _cleanup_findings_ nw_findings f = {};
        nw_remedy_cfg rcfg = cfg->remediation;
        int r;

        rcfg.max_changes_per_pass = INT64_MAX;
        nw_fix_plan_done(plan);
        r = policy_evaluate(&ctx->inv, &cfg->policy, &f);
        return r < 0 ? r : remedy_plan(&ctx->inv, &f, &cfg->policy, &rcfg, flap, now, plan);
}

int remediate_pass(const nw_config *cfg, vim_ctx *vc, inventory_ctx *ctx, nw_flap *flap, double now,
                   remediate_hold_fn hold, remediate_fn fn, void *userdata, nw_err *err) {
        _cleanup_strv_ nw_strv handled = {};
        _cleanup_fix_plan_ nw_fix_plan plan = {};
        int64_t applied = 0;
        int r;

        for (;;) {
                const nw_fix *fix = NULL;
                nw_fix_result res;
                nw_err e = {};

                r = plan_now(cfg, ctx, flap, now, &plan);
                if (r < 0)
                        return nw_errf(err, r, "out of memory");
                for (size_t i = 0; i < plan.n && !fix; i++)
                        if (plan.v[i].verdict == NW_FIX_APPLY && !nw_strv_contains(&handled, plan.v[i].object) &&
                            !(hold && hold(userdata, plan.v[i].object)))
                                fix = &plan.v[i];
                if (!fix || applied >= cfg->remediation.max_changes_per_pass)
                        break;
                if (nw_strv_push(&handled, fix->object) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
                applied++;

                r = remedy_apply(vc, ctx, &cfg->policy, &cfg->remediation, fix, &res, &e);
                if (r >= 0 && !res.already_compliant && flap)
                        (void) remedy_flap_record(flap, fix->object, now);
                /* The plan still holds fix: it is self-contained, and the next round re-plans. */
                fn(userdata, fix, fix->verdict, &res, r < 0 ? &e : NULL);
                if (r < 0 && gone_away(r)) {
                        *err = e;
                        return r;
                }
        }

        /* What is left: refusals with their reasons, and what the budget pushed to the next pass. */
        for (size_t i = 0; i < plan.n; i++) {
                const nw_fix *fix = &plan.v[i];

                if (nw_strv_contains(&handled, fix->object) || (hold && hold(userdata, fix->object)))
                        continue;
                fn(userdata, fix, fix->verdict == NW_FIX_APPLY ? NW_FIX_DEFERRED : fix->verdict, NULL, NULL);
        }
        return 0;
}

void remediate_shared_detail(vim_ctx *vc, inventory_ctx *ctx, const nw_fix *fix, char *buf, size_t size) {
        _cleanup_buf_ nw_buf b = {};
        nw_err ignored;

        (void) inventory_fetch_names(vc, ctx, &fix->shared_with, &ignored);
        nw_buf_puts(&b, fix->reason);
        for (size_t i = 0; i < fix->shared_with.n; i++) {
                const char *name = nw_inventory_get_other_name(&ctx->inv, fix->shared_with.v[i]);
                nw_buf_printf(&b, "%s %s (%s)", i ? "," : "; on it:", name ? name : "?", fix->shared_with.v[i]);
        }
        snprintf(buf, size, "%s", b.oom || !b.data ? fix->reason : b.data);
}
