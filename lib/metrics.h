/* Metrics for Prometheus: the figures of `nestwarden run` in the text exposition format (0.0.4), for
 * node_exporter's textfile collector, and the file they go to, replaced atomically. No clock, no
 * globals: the daemon keeps the figures and says when to write. */
#pragma once

#include "drift.h"

/* How a remediation ended, counted as the journal's entries are: one per property for the first
 * three, one per object for the others. */
typedef enum metrics_result {
        METRICS_APPLIED,   /* REMEDIATED */
        METRICS_FAILED,    /* REMEDIATION_FAILED */
        METRICS_DRY_RUN,   /* DRY_RUN */
        METRICS_SKIPPED,   /* REMEDIATION_SKIPPED: a rail held the object back */
        METRICS_FIGHT,     /* FIGHT */
        _METRICS_RESULT_MAX,
} metrics_result;

typedef struct metrics_facts {
        const char *vcenter;        /* the vcenter label every series carries; NULL: none */
        bool up;                    /* the last exchange with vCenter went through */
        bool vcenter_lost;          /* between VCENTER_LOST and VCENTER_REGAINED */
        uint64_t vcenter_losses;
        uint64_t vcenter_requests;
        double last_pass;           /* unix time the last pass completed; 0: none yet */
        double pass_duration;       /* seconds */
        size_t watched[_NW_KIND_MAX];
        /* Entries of the drift set by kind and check; check unreadable counts unreadable objects. */
        size_t drift[_NW_KIND_MAX][_NW_CHECK_MAX];
        uint64_t remediations[_METRICS_RESULT_MAX];
} metrics_facts;

/* "applied", "dry_run": the result label. NULL for an invalid value. */
const char *metrics_result_to_string(metrics_result r);

/* Sets m->drift from drift (what it held before is dropped). */
void metrics_count_drift(metrics_facts *m, const nw_drift_set *drift);

/* Appends m to out in the text exposition format: every family with its HELP and TYPE, each kind and
 * check the policy judges with its series even at 0, label values escaped. 0 or -ENOMEM. */
int metrics_render(const metrics_facts *m, nw_buf *out);

/* Replaces path with text: a temporary file beside it (".NAME.XXXXXX", a name node_exporter skips),
 * mode 0644 whatever the umask, fsync, rename. Nothing is written outside path's directory, and no
 * temporary file stays behind on failure. 0, or a negative errno with err reading "PATH: what failed:
 * why" (the same text for the same failure, so a caller can say it once). */
int metrics_write_file(const char *path, const char *text, size_t len, nw_err *err);

/* Removes path; one already gone is no error. 0 or a negative errno with err set. */
int metrics_remove_file(const char *path, nw_err *err);
