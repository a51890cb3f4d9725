/* `nestwarden check`: one read of vCenter, the policy, a report, an exit code. */
#include <string.h>
#include <time.h>

#include "http.h"
#include "inventory.h"
#include "nestwarden.h"
#include "policy.h"
#include "report.h"
#include "secret.h"
#include "vapi.h"
#include "vim.h"

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int fail(const nw_config *cfg, const nw_err *err) {
        /* The one line an admin sees: say what to change where the cause is on our side. */
        const char *hint = err->code == -NW_ETLS ? " (set [vcenter] ca_file to the CA bundle that signed "
                                                   "vCenter's certificate)" : "";

        if (cfg)
                fprintf(stderr, "nestwarden: vCenter %s: %s%s\n", cfg->vcenter.url, err->msg, hint);
        else
                fprintf(stderr, "nestwarden: %s\n", err->msg);
        return EXIT_UNKNOWN;
}

/* Logs in to vim25 and vAPI with one read of the password, then lets go of it. */
static int login_both(const nw_config *cfg, nw_http *http, vim_ctx **ret_vc, nw_vapi **ret_tags, nw_err *err) {
        _cleanup_secret_ char *password = NULL;
        _cleanup_vim_ vim_ctx *vc = NULL;
        int r;

        r = secret_read(cfg, &password, err);
        if (r < 0)
                return r;
        r = vc_connect(http, cfg->vcenter.url, &vc, err);
        if (r < 0)
                return r;
        r = vc_login(vc, cfg->vcenter.user, password, err);
        if (r == -NW_ELOGIN)
                return nw_errf(err, r, "login as '%s' refused (InvalidLogin): check user and password", cfg->vcenter.user);
        if (r < 0)
                return r;
        r = tags_login(http, cfg->vcenter.url, cfg->vcenter.user, password, ret_tags, err);
        if (r < 0) {
                nw_err ignored;
                (void) vc_logout(vc, &ignored);
                return r;
        }
        *ret_vc = vc;
        vc = NULL;
        return 0;
}

int cmd_check(const nw_opts *o) {
        _cleanup_config_ nw_config *cfg = NULL;
        _cleanup_http_ nw_http *http = NULL;
        _cleanup_vim_ vim_ctx *vc = NULL;
        _cleanup_vapi_ nw_vapi *tags = NULL;
        _cleanup_strv_ nw_strv vms = {};
        _cleanup_inv_ctx_ inv_ctx inv = {};
        _cleanup_findings_ nw_findings findings = {};
        _cleanup_free_ char *out = NULL;
        nw_err err = {}, ignored;
        double t0 = now_s();
        int r;

        r = cfg_load(o->config, &cfg, &err);
        if (r < 0)
                return fail(NULL, &err);
        if (cfg->vcenter.insecure)
                fprintf(stderr, "nestwarden: warning: TLS verification is off ([vcenter] insecure = yes): "
                                "anyone on the path can read the vCenter password\n");

        r = nw_http_new(&(nw_http_opts) {
                                .insecure = cfg->vcenter.insecure,
                                .ca_file = cfg->vcenter.ca_file,
                                .timeout = (long) cfg->vcenter.timeout,
                        },
                        &http, &err);
        if (r < 0)
                return fail(cfg, &err);

        r = login_both(cfg, http, &vc, &tags, &err);
        if (r < 0)
                return fail(cfg, &err);

        r = tags_attached_vms(tags, cfg->selection.tag_category, cfg->selection.tag, &vms, &err);
        if (r >= 0)
                r = inv_gather(vc, &vms, &cfg->policy, cfg->vcenter.page_size, &inv, &err);
        (void) tags_logout(tags, &ignored);
        (void) vc_logout(vc, &ignored);
        if (r < 0)
                return fail(cfg, &err);

        r = policy_evaluate(&inv.inv, &cfg->policy, &findings);
        if (r >= 0)
                r = o->json ? report_json(cfg->vcenter.url, &findings, &out)
                            : report_table(cfg->vcenter.url, &findings, &out);
        if (r < 0) {
                nw_errf(&err, r, "%s", strerror(-r));
                return fail(cfg, &err);
        }
        fputs(out, stdout);
        if (fflush(stdout) != 0) {
                fprintf(stderr, "nestwarden: cannot write the report: %m\n");
                return EXIT_UNKNOWN;
        }
        if (o->stats)
                fprintf(stderr, "nestwarden: stats: %lu HTTP requests, %zu tagged VMs, %.3f s\n",
                        nw_http_requests(http), vms.n, now_s() - t0);
        return findings.n > 0 ? EXIT_DRIFT : EXIT_COMPLIANT;
}
