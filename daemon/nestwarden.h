/* Glue shared by the subcommands. */
#pragma once

#include "config.h"
#include "http.h"
#include "inventory.h"
#include "inventory-ports.h"
#include "remedy-apply.h"
#include "vapi.h"
#include "vim.h"

enum {
        EXIT_COMPLIANT = 0,
        EXIT_DRIFT = 1,
        EXIT_UNKNOWN = 3, /* could not check: config, TLS, auth, network (Nagios UNKNOWN) */
};

typedef struct nw_opts {
        const char *config;
        bool json;
        bool stats;
        bool dry_run;
} nw_opts;

typedef struct nw_session {
        nw_http *http;
        vim_ctx *vc;
        nw_vapi *tags;
        nw_strv vms;   /* the tagged VMs at the last gather */
        unsigned long requests; /* HTTP requests made, counted when the session closes */
} nw_session;

/* Logs in to vim25 and vAPI with one read of the password; hooks, if given, carries the transport's
 * abort flag and tick (the rest comes from cfg). On failure s is freed and err says why. */
int session_open(const nw_config *cfg, const nw_http_opts *hooks, nw_session *s, nw_err *err);
/* Tags → VMs → facts. */
/* blast_radius: read who else sits on each portgroup too (fix needs it, check does not). */
int session_gather(const nw_config *cfg, nw_session *s, bool blast_radius, inventory_ctx *ret, nw_err *err);
/* Logs out (best effort) and frees; safe on a closed session. */
void session_close(nw_session *s);
/* Frees without logging out: the session is gone already (vCenter restarted, network down). */
void session_done(nw_session *s);
/* The warning every command gives when TLS verification is off. */
#define INSECURE_WARNING "TLS verification is off ([vcenter] insecure = yes): anyone on the path can read the vCenter password"
static inline void session_closep(nw_session *s) {
        session_close(s);
}
#define _cleanup_session_ _cleanup_(session_closep)

/* How a remediation pass tells about each fix: applied (res set; err set when it failed), or left
 * alone with verdict (res NULL). */
typedef void (*remediate_fn)(void *userdata, const nw_fix *fix, nw_fix_verdict verdict, const nw_fix_result *res,
                             const nw_err *err);
/* Whether to hold off an object this pass (it failed a moment ago: no retry at every update). */
typedef bool (*remediate_hold_fn)(void *userdata, const char *object);
/* Plans and applies one pass over ctx (at most max_changes_per_pass changes). flap and hold may be
 * NULL (a one-shot has no memory). Fails only when vCenter went away mid-pass. */
int remediate_pass(const nw_config *cfg, vim_ctx *vc, inventory_ctx *ctx, nw_flap *flap, double now,
                   remediate_hold_fn hold, remediate_fn fn, void *userdata, nw_err *err);

/* EXIT_UNKNOWN when an object could not be read, else EXIT_DRIFT or EXIT_COMPLIANT. */
int check_exit_code(const nw_findings *f);
/* The one-shot commands' way in: the insecure warning, login, the gather into ctx, and a warning when
 * the tag resolves to no VM (not an error, but worth a word). 0, or the exit code to return after the
 * error line is printed. */
int check_connect(const nw_config *cfg, nw_session *s, bool blast_radius, inventory_ctx *ctx);

/* "REASON; on it: NAME (vm-1), ...": a shared-portgroup refusal with the untagged VMs by name (fetched
 * from vc once, best effort), cut to fit size. */
void remediate_shared_detail(vim_ctx *vc, inventory_ctx *ctx, const nw_fix *fix, char *buf, size_t size);

/* The one clear line of a failed one-shot command on stderr; returns EXIT_UNKNOWN. */
int check_fail_line(const nw_config *cfg, const nw_err *err);

int cmd_check(const nw_opts *o);
int cmd_run(const nw_opts *o);
int cmd_fix(const nw_opts *o);
