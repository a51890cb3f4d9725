/* `nestwarden fix [--dry-run]`: one pass of remediation by hand or from a pipeline, under the same
 * rules as the service: plan, apply what may be applied, read back, report, leave an audit trail. */
#include <string.h>

#include "annotator.h"
#include "log.h"
#include "nestwarden.h"
#include "report.h"

typedef struct fix_run {
        const nw_config *cfg;
        nw_session *session;
        inventory_ctx *ctx;
        size_t fixed, failed, left, deferred, would;
} fix_run;

static void print_fix(const nw_fix *fix, const char *result) {
        char object[256], name[256], text[1300];

        /* Names and reasons come from vCenter: no escape sequences to the terminal. */
        report_sanitize(fix->object, object, sizeof(object));
        report_sanitize(fix->name, name, sizeof(name));
        report_sanitize(result, text, sizeof(text));
        if (fix->n_changes == 0)
                /* Nothing to set (nested HV not supported at all): still say why it stays. */
                printf("%-28s %-24s %-20s %-11s    %-11s %s\n", object, name, "-", "-", "-", text);
        for (size_t i = 0; i < fix->n_changes; i++) {
                char before[64], after[64];

                (void) nw_value_to_string(&fix->changes[i].before, before, sizeof(before));
                (void) nw_value_to_string(&fix->changes[i].after, after, sizeof(after));
                printf("%-28s %-24s %-20s %-11s -> %-11s %s\n", object, name, nw_check_to_string(fix->changes[i].check),
                       before, after, text);
        }
}

static void on_fix(void *userdata, const nw_fix *fix, nw_fix_verdict verdict, const nw_fix_result *res,
                   const nw_err *err) {
        fix_run *f = userdata;
        const char *url = f->cfg->vcenter.url;
        char detail[1024], line[1200];

        if (res && err) {
                snprintf(line, sizeof(line), "FAILED: %s", err->msg);
                print_fix(fix, line);
                log_fix(url, fix, NW_EVENT_REMEDIATION_FAILED, res->task, err->fault, err->msg);
                f->failed++;
                return;
        }
        if (res) {
                if (res->already_compliant)
                        snprintf(line, sizeof(line), "already fixed by someone else");
                else
                        snprintf(line, sizeof(line), "fixed%s%s%s%s", res->task[0] ? " (" : "", res->task,
                                 res->attempts > 1 ? ", after a retry" : "", res->task[0] ? ")" : "");
                print_fix(fix, line);
                if (!res->already_compliant)
                        log_fix(url, fix, NW_EVENT_REMEDIATED, res->task, NULL, NULL);
                f->fixed++;
                return;
        }
        switch (verdict) {
        case NW_FIX_DRY_RUN:
                print_fix(fix, "would fix (dry run)");
                log_fix(url, fix, NW_EVENT_DRY_RUN, NULL, NULL, NULL);
                f->would++;
                return;
        case NW_FIX_DEFERRED:
                snprintf(line, sizeof(line), "deferred: over max_changes_per_pass = %lld, run fix again",
                         (long long) f->cfg->remediation.max_changes_per_pass);
                print_fix(fix, line);
                f->deferred++;
                return;
        default:
                break;
        }
        if (verdict == NW_FIX_SHARED)
                remediate_shared_detail(f->session->vc, f->ctx, fix, detail, sizeof(detail));
        else
                snprintf(detail, sizeof(detail), "%s", fix->reason);
        snprintf(line, sizeof(line), "left alone (%s): %s", nw_fix_verdict_to_string(verdict), detail);
        print_fix(fix, line);
        log_fix(url, fix, verdict == NW_FIX_FIGHT ? NW_EVENT_FIGHT : NW_EVENT_REMEDIATION_SKIPPED, NULL, NULL, detail);
        f->left++;
}

int cmd_fix(const nw_opts *o) {
        _cleanup_config_ nw_config *cfg = NULL;
        _cleanup_session_ nw_session s = {};
        _cleanup_inventory_ctx_ inventory_ctx ctx = {};
        _cleanup_findings_ nw_findings after = {};
        _cleanup_annotator_ annotator ann = {};
        fix_run f = {};
        nw_err err = {};
        int r;

        r = config_load(o->config, &cfg, &err);
        if (r < 0)
                return check_fail_line(NULL, &err);
        if (o->dry_run)
                cfg->remediation.dry_run = true;
        log_setup(config_log_level(cfg), false);

        r = check_connect(cfg, &s, true, &ctx);
        if (r != 0)
                return r;

        if (cfg->remediation.dry_run)
                printf("dry run: nothing is changed on %s\n", cfg->vcenter.url);
        printf("%-28s %-24s %-20s %-11s    %-11s %s\n", "OBJECT", "NAME", "CHECK", "BEFORE", "AFTER", "RESULT");
        f = (fix_run) { .cfg = cfg, .session = &s, .ctx = &ctx };
        annotator_setup(&ann, cfg);
        annotator_attach(&ann, s.vc, &ctx);
        r = remediate_pass(cfg, s.vc, &ctx, NULL, 0, NULL, on_fix, &f, &err);
        annotator_pass_end(&ann, true, r >= 0);
        if (r < 0)
                return check_fail_line(cfg, &err);

        /* Judged again on the facts as read back: what is still wrong decides the exit code. */
        r = policy_evaluate(&ctx.inv, &cfg->policy, &after);
        if (r < 0) {
                nw_errf(&err, r, "%s", strerror(-r));
                return check_fail_line(cfg, &err);
        }
        /* Never acted on: there is nothing read to act on. Said, so that the count adds up. */
        for (size_t i = 0; i < after.n; i++) {
                const nw_finding *x = &after.v[i];
                char object[256], name[256], line[600], text[600];

                if (x->check != NW_CHECK_UNREADABLE)
                        continue;
                report_sanitize(x->object, object, sizeof(object));
                report_sanitize(x->name, name, sizeof(name));
                snprintf(line, sizeof(line), "not read (%s): %s", x->actual.text, x->hint);
                report_sanitize(line, text, sizeof(text));
                printf("%-28s %-24s %-20s %-11s    %-11s %s\n", object, name, "unreadable", "-", "-", text);
        }
        if (cfg->remediation.dry_run)
                printf("dry run: %zu objects would change, %zu left alone, %zu deferred; %zu findings now", f.would,
                       f.left, f.deferred, after.n);
        else
                printf("%zu fixed, %zu failed, %zu left alone, %zu deferred; %zu findings remain", f.fixed,
                       f.failed, f.left, f.deferred, after.n);
        if (after.unreadable > 0)
                printf("; %zu object%s could not be read: compliance unknown", after.unreadable,
                       after.unreadable == 1 ? "" : "s");
        printf("\n");
        if (fflush(stdout) != 0)
                return EXIT_UNKNOWN;
        return check_exit_code(&after);
}
