/* `nestwarden check`: one read of vCenter, the policy, a report, an exit code. */
#include <string.h>
#include <time.h>

#include "nestwarden.h"
#include "policy.h"
#include "report.h"

int check_fail_line(const nw_config *cfg, const nw_err *err) {
        /* The one line an admin sees. TLS errors carry their own hint (lib/tls.c): ca_file only
         * where a CA is the fix. */
        char msg[sizeof(err->msg)];

        /* Fault strings and names come from vCenter: no escape sequences to the terminal. */
        report_sanitize(err->msg, msg, sizeof(msg));
        if (cfg)
                fprintf(stderr, "nestwarden: vCenter %s: %s\n", cfg->vcenter.url, msg);
        else
                fprintf(stderr, "nestwarden: %s\n", msg);
        return EXIT_UNKNOWN;
}

int check_exit_code(const nw_findings *f) {
        /* Compliance is only what was read: one object not read makes the answer unknown. */
        if (f->unreadable > 0)
                return EXIT_UNKNOWN;
        return f->n > 0 ? EXIT_DRIFT : EXIT_COMPLIANT;
}

static void warn_if_untagged(const nw_config *cfg, const nw_session *s) {
        if (s->vms.n == 0)
                fprintf(stderr, "nestwarden: warning: tag %s/%s is attached to no VM\n", cfg->selection.tag_category,
                        cfg->selection.tag);
}

int check_connect(const nw_config *cfg, nw_session *s, bool blast_radius, inventory_ctx *ctx) {
        nw_err err = {};
        int r;

        if (cfg->vcenter.insecure)
                fprintf(stderr, "nestwarden: warning: " INSECURE_WARNING "\n");
        r = session_open(cfg, NULL, s, &err);
        if (r >= 0)
                r = session_gather(cfg, s, blast_radius, ctx, &err);
        if (r < 0)
                return check_fail_line(cfg, &err);
        warn_if_untagged(cfg, s);
        return 0;
}

int cmd_check(const nw_opts *o) {
        _cleanup_config_ nw_config *cfg = NULL;
        _cleanup_session_ nw_session s = {};
        _cleanup_inventory_ctx_ inventory_ctx inv = {};
        _cleanup_findings_ nw_findings findings = {};
        _cleanup_free_ char *out = NULL;
        nw_err err = {};
        double t0 = nw_now_mono();
        int r;

        r = config_load(o->config, &cfg, &err);
        if (r < 0)
                return check_fail_line(NULL, &err);
        r = check_connect(cfg, &s, false, &inv);
        if (r != 0)
                return r;
        session_close(&s);

        r = policy_evaluate(&inv.inv, &cfg->policy, &findings);
        if (r >= 0)
                r = o->json ? report_json(cfg->vcenter.url, &findings, &out)
                            : report_table(cfg->vcenter.url, &findings, &out);
        if (r < 0) {
                nw_errf(&err, r, "%s", strerror(-r));
                return check_fail_line(cfg, &err);
        }
        fputs(out, stdout);
        if (fflush(stdout) != 0) {
                fprintf(stderr, "nestwarden: cannot write the report: %m\n");
                return EXIT_UNKNOWN;
        }
        if (o->stats)
                fprintf(stderr, "nestwarden: stats: %lu HTTP requests, %zu tagged VMs, %.3f s\n", s.requests,
                        inv.inv.n_vms, nw_now_mono() - t0);
        return check_exit_code(&findings);
}
