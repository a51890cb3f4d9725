/* One pass of `nestwarden run` over the facts: judge, report the transitions (drift, notices), fix
 * in remediate mode, and tell systemd and (annotate = yes) vCenter. The loop around it is run.c. */
#include <malloc.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"
#include "service.h"

void pass_notify_status(service *d) {
        size_t objects = 0;

        for (size_t i = 0; i < d->drift.n; i++)
                if (i == 0 || strcmp(d->drift.v[i].object, d->drift.v[i - 1].object) != 0)
                        objects++;
        sd_notifyf(0, "STATUS=%zu VMs, %zu portgroups watched; %zu drifted; last pass %s%s", d->tagged.n,
                   d->n_portgroups, objects, d->last_pass[0] ? d->last_pass : "never",
                   d->outage ? "; vCenter unreachable, retrying" : "");
}

/* A drift whose object is gone from the facts is forgotten, not resolved. An object that could not
 * be read is "resolved" (READABLE) when it is among the facts again in any role: a switch, a host or
 * a network is, without being judged itself; a VM only while it is tagged. */
static bool still_watched(void *userdata, const nw_drift *x) {
        service *d = userdata;

        if (x->check != NW_CHECK_UNREADABLE)
                return nw_inventory_has_object(&d->facts.inv, x->object);
        if (x->kind == NW_KIND_VM)
                return tagged_set_contains(&d->tagged, x->object);
        return nw_inventory_has_any(&d->facts.inv, x->object);
}

/* A VM seen powered on stays so for fix_on_power_off = no while its nested_hv drift lasts; a VM
 * that could not be read keeps its drift (drift_carry), so it is not forgotten either. */
static bool nested_hv_drifts(void *userdata, const char *vm) {
        service *d = userdata;

        for (size_t i = 0; i < d->drift.n; i++)
                if (d->drift.v[i].check == NW_CHECK_NESTED_HV && strcmp(d->drift.v[i].object, vm) == 0)
                        return true;
        return false;
}

static bool unobserved(void *userdata, const nw_drift *x) {
        service *d = userdata;

        /* A VM that left the tag listing is not unobserved but no longer watched. */
        if (x->kind == NW_KIND_VM && !tagged_set_contains(&d->tagged, x->object))
                return false;
        return nw_inventory_unobserved(&d->facts.inv, x->object);
}

static int emit_drift(void *userdata, nw_event_type type, const nw_drift *x) {
        service *d = userdata;

        /* Not drift but a verdict that cannot be made: its own events, so no alert on DRIFT fires. */
        if (x->check == NW_CHECK_UNREADABLE)
                type = type == NW_EVENT_DRIFT ? NW_EVENT_UNREADABLE : NW_EVENT_READABLE;
        log_event(&(nw_event) {
                .type = type,
                .vcenter = d->cfg->vcenter.url,
                .object = x->object,
                .object_name = x->name,
                .object_kind = x->kind,
                .check = x->check,
                .expected = x->expected,
                /* Resolved: the value is what policy expects now. */
                .actual = type == NW_EVENT_RESOLVED || type == NW_EVENT_READABLE ? x->expected : x->actual,
                .detail = type == NW_EVENT_UNREADABLE ? x->hint : NULL,
        });
        return 0;
}

/* A notice is said once per object, and again only after it went away in between. */
static int say_notices(service *d, const nw_findings *f) {
        _cleanup_strv_ nw_strv now = {};

        for (size_t i = 0; i < f->n_notices; i++) {
                const nw_notice *x = &f->notices[i];

                if (nw_strv_push(&now, x->object) < 0)
                        return -ENOMEM;
                if (!nw_strv_contains(&d->noticed, x->object))
                        log_event(&(nw_event) { .type = NW_EVENT_OVERRIDE_ALLOWED, .vcenter = d->cfg->vcenter.url,
                                                .object = x->object, .object_name = x->name,
                                                .object_kind = x->kind, .detail = x->detail });
        }
        nw_strv_done(&d->noticed);
        d->noticed = now;
        now = (nw_strv) {};
        return 0;
}

/* Judges the facts and reports what changed since the last judgement. */
static int judge(service *d) {
        _cleanup_findings_ nw_findings findings = {};
        _cleanup_drift_set_ nw_drift_set now = {};
        struct tm tm;
        time_t t;
        int r;

        r = policy_evaluate(&d->facts.inv, &d->cfg->policy, &findings);
        if (r >= 0)
                r = drift_set_from(&findings, &now);
        if (r >= 0)
                r = drift_carry(&d->drift, &now, unobserved, d);
        if (r < 0)
                return r;
        r = drift_diff(&d->drift, &now, still_watched, emit_drift, d);
        if (r >= 0)
                r = say_notices(d, &findings);
        if (r < 0)
                return r;
        drift_set_done(&d->drift);
        d->drift = now;
        now = (nw_drift_set) {};
        remedy_flap_prune_seen_on(&d->flap, nested_hv_drifts, d);
        d->n_portgroups = findings.portgroups;
        memcpy(d->metrics.watched, findings.judged, sizeof(d->metrics.watched));

        t = time(NULL);
        strftime(d->last_pass, sizeof(d->last_pass), "%H:%M:%S", localtime_r(&t, &tm));
        pass_notify_status(d);
        return 0;
}

bool pass_remediating(const service *d) {
        return strcmp(d->cfg->daemon.mode, "remediate") == 0;
}

/* A fix that failed is tried again at the next full resync, not at every update that comes in:
 * one REMEDIATION_FAILED entry per attempt, and vCenter is not hammered. */
static bool hold_failed(void *userdata, const char *object) {
        service *d = userdata;
        return nw_strv_contains(&d->failed, object);
}

static void on_fix(void *userdata, const nw_fix *fix, nw_fix_verdict verdict, const nw_fix_result *res,
                   const nw_err *err) {
        service *d = userdata;
        const char *url = d->cfg->vcenter.url;
        _cleanup_free_ char *key = NULL;
        char detail[1024];

        if (res) {
                if (err) {
                        log_fix(url, fix, NW_EVENT_REMEDIATION_FAILED, res->task, err->fault, err->msg);
                        d->metrics.remediations[METRICS_FAILED] += fix->n_changes;
                        (void) nw_strv_push(&d->failed, fix->object);
                } else if (!res->already_compliant) {
                        log_fix(url, fix, NW_EVENT_REMEDIATED, res->task, NULL, NULL);
                        d->metrics.remediations[METRICS_APPLIED] += fix->n_changes;
                }
                return;
        }
        if (verdict == NW_FIX_DEFERRED) {
                d->deferred++;
                return;
        }
        /* Remembered, so that the VM is still left alone when it is next seen powered off. */
        if (verdict == NW_FIX_POWERED_ON && remedy_flap_seen_on(&d->flap, fix->object) < 0)
                log_msg(LOG_WARNING, "VM %s: out of memory: it may be fixed once powered off, although "
                        "fix_on_power_off = no", fix->object);
        /* Left alone: said once while it stays so, not at every pass. */
        if (asprintf(&key, "%s\t%s", fix->object, nw_fix_verdict_to_string(verdict)) < 0 ||
            nw_strv_push(&d->left_now, key) < 0 || nw_strv_contains(&d->left_alone, key))
                return;
        if (verdict == NW_FIX_SHARED)
                remediate_shared_detail(d->s.vc, &d->facts, fix, detail, sizeof(detail));
        else
                snprintf(detail, sizeof(detail), "%s", fix->reason);
        log_fix(url, fix,
                verdict == NW_FIX_DRY_RUN ? NW_EVENT_DRY_RUN :
                verdict == NW_FIX_FIGHT ? NW_EVENT_FIGHT : NW_EVENT_REMEDIATION_SKIPPED,
                NULL, NULL, detail);
        /* As many as log_fix() wrote entries. */
        if (verdict == NW_FIX_DRY_RUN)
                d->metrics.remediations[METRICS_DRY_RUN] += fix->n_changes;
        else
                d->metrics.remediations[verdict == NW_FIX_FIGHT ? METRICS_FIGHT : METRICS_SKIPPED]++;
}

/* Judge; in remediate mode also fix what may be fixed, and judge again so that what was fixed is
 * reported resolved at once rather than when vCenter's update comes in. */
static int evaluate_and_fix(service *d, nw_err *err) {
        int r;

        r = judge(d);
        if (r < 0)
                return nw_errf(err, r, "%s", strerror(-r));
        if (!pass_remediating(d))
                return 0;
        d->deferred = 0;
        r = remediate_pass(d->cfg, d->s.vc, &d->facts, &d->flap, nw_now_mono(), hold_failed, on_fix, d, err);
        nw_strv_done(&d->left_alone);
        d->left_alone = d->left_now;
        d->left_now = (nw_strv) {};
        if (r < 0)
                return r;
        if (d->deferred)
                log_msg(LOG_NOTICE, "%zu changes deferred to the next pass (max_changes_per_pass = %lld)", d->deferred,
                        (long long) d->cfg->remediation.max_changes_per_pass);
        r = judge(d);
        return r < 0 ? nw_errf(err, r, "%s", strerror(-r)) : 0;
}

/* For the metrics: when it ended (unix time) and how long it took from the first read of its facts. */
static void pass_done(service *d, double started) {
        struct timespec ts;

        clock_gettime(CLOCK_REALTIME, &ts);
        d->metrics.last_pass = (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
        d->metrics.pass_duration = nw_now_mono() - started;
        d->metrics_due = true;
}

int pass_evaluate(service *d, nw_err *err) {
        double started = d->gather_started > 0 ? d->gather_started : nw_now_mono();
        int r;

        d->gather_started = 0;
        annotator_attach(&d->ann, d->s.vc, &d->facts);
        r = evaluate_and_fix(d, err);
        annotator_pass_end(&d->ann, pass_remediating(d), r >= 0);
        if (r >= 0)
                pass_done(d, started);
        /* A pass over thousands of tagged VMs builds and drops findings by the thousand; hand the
         * holes back, or RSS keeps the busiest pass's high-water mark (see resync in run.c). */
        malloc_trim(0);
        return r;
}
