/* [daemon] metrics_file: the figures of `run` (lib/metrics) where node_exporter's textfile collector
 * reads them, written after a pass or a change of state. A file that cannot be written is a warning,
 * said once while the same failure lasts: metrics never stop the watch. */
#include <string.h>

#include "log.h"
#include "service.h"

/* A file the config no longer names would be read by node_exporter for ever with its figures
 * frozen, and beside the new one it would repeat every series (node_exporter refuses duplicates). */
static void forget_old(service *d) {
        const char *path = d->cfg->daemon.metrics_file;
        nw_err err = {};

        if (!d->metrics_written || (path && strcmp(path, d->metrics_written) == 0))
                return;
        if (metrics_remove_file(d->metrics_written, &err) < 0)
                log_msg(LOG_WARNING, "metrics: %s", err.msg);
        else
                log_msg(LOG_INFO, "metrics: removed %s, which the configuration no longer names", d->metrics_written);
        free(d->metrics_written);
        d->metrics_written = NULL;
        d->metrics_failure[0] = '\0';
}

void textfile_flush(service *d) {
        _cleanup_buf_ nw_buf text = {};
        const char *path;
        nw_err err = {};
        int r;

        if (!d->metrics_due)
                return;
        forget_old(d);
        path = d->cfg->daemon.metrics_file;
        if (!path) {
                d->metrics_due = false;
                return;
        }

        d->metrics.vcenter = d->cfg->vcenter.url;
        d->metrics.vcenter_lost = d->outage;
        metrics_count_drift(&d->metrics, &d->drift);
        r = metrics_render(&d->metrics, &text);
        if (r < 0)
                nw_errf(&err, r, "%s: out of memory", path);
        else
                r = metrics_write_file(path, text.data, text.len, &err);
        if (r < 0) {
                if (strcmp(err.msg, d->metrics_failure) != 0) {
                        log_msg(LOG_WARNING, "metrics: %s; trying again after the next pass", err.msg);
                        snprintf(d->metrics_failure, sizeof(d->metrics_failure), "%s", err.msg);
                }
                return;
        }
        if (d->metrics_failure[0]) {
                log_msg(LOG_NOTICE, "metrics: %s written again", path);
                d->metrics_failure[0] = '\0';
        }
        /* Without the copy the file could not be removed later: a frozen file, not a lost watch. */
        if (!d->metrics_written)
                d->metrics_written = strdup(path);
        d->metrics_due = false;
}

void textfile_stop(service *d) {
        nw_err err = {};

        if (d->metrics_written && metrics_remove_file(d->metrics_written, &err) < 0)
                log_msg(LOG_WARNING, "metrics: %s", err.msg);
        free(d->metrics_written);
        d->metrics_written = NULL;
}
