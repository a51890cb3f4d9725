/* [vcenter] annotate in the daemon: every journal event of a pass also told to vCenter on its object,
 * and the VMs' status attribute set at the end of the pass. lib/annotate decides and calls; this
 * file logs what came of it. */
#include "annotator.h"

#include <string.h>

#include "log.h"

static void say(annotator *a, int r, const nw_err *err, const char *what) {
        if (r == -EACCES) {
                log_msg(LOG_WARNING, "vCenter %s: %s", a->cfg->vcenter.url, err->msg);
                return;
        }
        /* vCenter away or confused: the pass itself will notice; no more calls until the next. A fault
         * is an answer about this call only. */
        if (r != -NW_ESOAPFAULT)
                a->broken = true;
        log_msg(strcmp(a->last_error, err->msg) != 0 ? LOG_NOTICE : LOG_DEBUG, "vCenter %s: could not %s: %s",
                a->cfg->vcenter.url, what, err->msg);
        snprintf(a->last_error, sizeof(a->last_error), "%s", err->msg);
}

static void say_dropped(annotator *a) {
        log_msg(LOG_WARNING, "vCenter %s: %zu events not logged on their objects in vCenter (at most %d a minute); "
                "the journal has them all", a->cfg->vcenter.url, a->dropped, ANNOTATE_RATE_PER_MINUTE);
        a->dropped = 0;
}

static void on_event(void *userdata, const nw_event *ev) {
        annotator *a = userdata;
        nw_err err = {};
        int r;

        if (!a->vc || a->broken)
                return;
        r = annotate_event(&a->ctx, a->vc, &a->facts->inv, ev, nw_now_mono(), &err);
        if (r < 0)
                say(a, r, &err, "log the event on the object");
}

void annotator_setup(annotator *a, const nw_config *cfg) {
        *a = (annotator) { .cfg = cfg };
        if (annotate_init(&a->ctx, cfg->vcenter.annotate, cfg->vcenter.annotation_field, nw_now_mono()) < 0) {
                log_msg(LOG_WARNING, "out of memory: [vcenter] annotate is off");
                annotate_done(&a->ctx);
        }
        log_set_event_hook(cfg->vcenter.annotate ? on_event : NULL, a);
}

void annotator_attach(annotator *a, vim_ctx *vc, const inventory_ctx *facts) {
        a->vc = vc;
        a->facts = facts;
        a->broken = false;
}

void annotator_pass_end(annotator *a, bool remediating, bool pass_ok) {
        _cleanup_findings_ nw_findings f = {};
        _cleanup_fix_plan_ nw_fix_plan plan = {};
        nw_err err = {};
        double now;
        int r = 0;

        if (a->vc && pass_ok && !a->broken && a->ctx.status) {
                nw_remedy_cfg rcfg = a->cfg->remediation;

                /* Only to know which VMs wait for a power-off: no budget applies. */
                rcfg.max_changes_per_pass = INT64_MAX;
                r = policy_evaluate(&a->facts->inv, &a->cfg->policy, &f);
                if (r >= 0 && remediating)
                        r = remedy_plan(&a->facts->inv, &f, &a->cfg->policy, &rcfg, NULL, 0, &plan);
                if (r < 0)
                        nw_errf(&err, r, "%s", strerror(-r));
                else
                        r = annotate_status(&a->ctx, a->vc, &a->facts->inv, &f, remediating ? &plan : NULL, &err);
                if (r < 0)
                        say(a, r, &err, "set the VMs' status attribute");
                else
                        a->last_error[0] = '\0';
        }
        a->dropped += annotate_bucket_take_dropped(&a->ctx.bucket);
        now = nw_now_mono();
        if (a->dropped > 0 && (a->dropped_said == 0 || now - a->dropped_said >= 60.0)) {
                say_dropped(a);
                a->dropped_said = now;
        }
        a->vc = NULL;
        a->facts = NULL;
}

void annotator_done(annotator *a) {
        log_set_event_hook(NULL, NULL);
        if (a->dropped > 0 && a->cfg)
                say_dropped(a);
        annotate_done(&a->ctx);
        a->vc = NULL;
}
