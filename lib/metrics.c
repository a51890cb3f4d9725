/* Metrics for Prometheus: the text exposition format as node_exporter's textfile collector reads it
 * (https://prometheus.io/docs/instrumenting/exposition_formats/), and the file written so that a
 * scrape never sees half of it. */
#include "metrics.h"

#include <fcntl.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

static const char *const result_names[_METRICS_RESULT_MAX] = {
        [METRICS_APPLIED] = "applied",
        [METRICS_FAILED] = "failed",
        [METRICS_DRY_RUN] = "dry_run",
        [METRICS_SKIPPED] = "skipped",
        [METRICS_FIGHT] = "fight",
};

const char *metrics_result_to_string(metrics_result r) {
        if ((unsigned) r >= ELEMENTSOF(result_names))
                return NULL;
        return result_names[r];
}

void metrics_count_drift(metrics_facts *m, const nw_drift_set *drift) {
        memset(m->drift, 0, sizeof(m->drift));
        for (size_t i = 0; drift && i < drift->n; i++) {
                const nw_drift *x = &drift->v[i];

                if ((unsigned) x->kind < _NW_KIND_MAX && (unsigned) x->check < _NW_CHECK_MAX)
                        m->drift[x->kind][x->check]++;
        }
}

/* Backslash, double quote and line feed are the three characters a label value escapes. */
static void put_label_value(nw_buf *b, const char *s) {
        for (; *s; s++)
                switch (*s) {
                case '\\':
                        nw_buf_puts(b, "\\\\");
                        break;
                case '"':
                        nw_buf_puts(b, "\\\"");
                        break;
                case '\n':
                        nw_buf_puts(b, "\\n");
                        break;
                default:
                        nw_buf_append(b, s, 1);
                }
}

static void family(nw_buf *b, const char *name, const char *type, const char *help) {
        nw_buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One line: name, the vcenter label, labels (name, value pairs up to a NULL name), the value. */
_printf_(5, 6)
static void sample(nw_buf *b, const metrics_facts *m, const char *name, const char *const *labels,
                   const char *fmt, ...) {
        bool braces = false;
        char value[64];
        va_list ap;

        nw_buf_puts(b, name);
        if (m->vcenter) {
                nw_buf_puts(b, "{vcenter=\"");
                put_label_value(b, m->vcenter);
                nw_buf_puts(b, "\"");
                braces = true;
        }
        for (size_t i = 0; labels && labels[i]; i += 2) {
                nw_buf_printf(b, "%s%s=\"", braces ? "," : "{", labels[i]);
                put_label_value(b, labels[i + 1]);
                nw_buf_puts(b, "\"");
                braces = true;
        }
        va_start(ap, fmt);
        vsnprintf(value, sizeof(value), fmt, ap);
        va_end(ap);
        nw_buf_printf(b, "%s %s\n", braces ? "}" : "", value);
}

static void render_vcenter(const metrics_facts *m, nw_buf *b) {
        family(b, "nestwarden_up", "gauge",
               "1 while the last exchange with vCenter went through, so the figures here are current. 0 before "
               "the first pass, while vCenter is lost (nestwarden_vcenter_lost) and while it refuses what the "
               "configuration asks (an unknown tag, a missing privilege).");
        sample(b, m, "nestwarden_up", NULL, "%d", m->up ? 1 : 0);
        family(b, "nestwarden_vcenter_lost", "gauge",
               "1 while vCenter is unreachable (from the journal's VCENTER_LOST to VCENTER_REGAINED), else 0.");
        sample(b, m, "nestwarden_vcenter_lost", NULL, "%d", m->vcenter_lost ? 1 : 0);
        family(b, "nestwarden_vcenter_losses_total", "counter",
               "Times vCenter was lost (VCENTER_LOST entries) since nestwarden started.");
        sample(b, m, "nestwarden_vcenter_losses_total", NULL, "%" PRIu64, m->vcenter_losses);
        family(b, "nestwarden_vcenter_requests_total", "counter",
               "HTTP requests sent to vCenter (SOAP and REST, failed ones too) since nestwarden started.");
        sample(b, m, "nestwarden_vcenter_requests_total", NULL, "%" PRIu64, m->vcenter_requests);
}

static void render_pass(const metrics_facts *m, nw_buf *b) {
        family(b, "nestwarden_last_pass_timestamp_seconds", "gauge",
               "Unix time the last pass over the facts completed; 0 before the first.");
        sample(b, m, "nestwarden_last_pass_timestamp_seconds", NULL, "%.3f", m->last_pass);
        family(b, "nestwarden_pass_duration_seconds", "gauge",
               "Seconds the last completed pass took, its gather included (a full resync's reads, a port read "
               "or a change-feed reply); 0 before the first.");
        sample(b, m, "nestwarden_pass_duration_seconds", NULL, "%.6f", m->pass_duration);

        family(b, "nestwarden_objects_watched", "gauge",
               "Objects judged at the last pass, by kind (a template is a vm; objects that could not be read "
               "are in nestwarden_unreadable).");
        for (nw_kind k = NW_KIND_NONE + 1; k < _NW_KIND_MAX; k++) {
                bool judged = m->watched[k] > 0;

                for (nw_check c = NW_CHECK_NONE + 1; c < _NW_CHECK_MAX && !judged; c++)
                        judged = policy_judges(k, c);
                if (judged)
                        sample(b, m, "nestwarden_objects_watched",
                               (const char *const[]) { "kind", nw_kind_to_string(k), NULL }, "%zu", m->watched[k]);
        }
}

static void render_drift(const metrics_facts *m, nw_buf *b) {
        family(b, "nestwarden_drift", "gauge",
               "Checks failing at the last pass, one per object and check, by object kind and check (an object "
               "that could not be read since keeps its last verdict).");
        for (nw_kind k = NW_KIND_NONE + 1; k < _NW_KIND_MAX; k++)
                for (nw_check c = NW_CHECK_NONE + 1; c < _NW_CHECK_MAX; c++) {
                        if (c == NW_CHECK_UNREADABLE || !(policy_judges(k, c) || m->drift[k][c] > 0))
                                continue;
                        sample(b, m, "nestwarden_drift",
                               (const char *const[]) { "kind", nw_kind_to_string(k), "check", nw_check_to_string(c),
                                                       NULL },
                               "%zu", m->drift[k][c]);
                }

        family(b, "nestwarden_unreadable", "gauge",
               "Objects a verdict needs that could not be read at the last pass, by kind: no verdict on them "
               "(the journal's UNREADABLE entries).");
        for (nw_kind k = NW_KIND_NONE + 1; k < _NW_KIND_MAX; k++)
                sample(b, m, "nestwarden_unreadable", (const char *const[]) { "kind", nw_kind_to_string(k), NULL },
                       "%zu", m->drift[k][NW_CHECK_UNREADABLE]);
}

static void render_remediations(const metrics_facts *m, nw_buf *b) {
        family(b, "nestwarden_remediations_total", "counter",
               "Remediation entries in the journal since nestwarden started, by result: applied (REMEDIATED), "
               "failed (REMEDIATION_FAILED) and dry_run (DRY_RUN), one per property; skipped (REMEDIATION_SKIPPED: "
               "a rail held the object back) and fight (FIGHT), one per object.");
        for (metrics_result r = 0; r < _METRICS_RESULT_MAX; r++)
                sample(b, m, "nestwarden_remediations_total",
                       (const char *const[]) { "result", metrics_result_to_string(r), NULL }, "%" PRIu64,
                       m->remediations[r]);
}

int metrics_render(const metrics_facts *m, nw_buf *out) {
        render_vcenter(m, out);
        render_pass(m, out);
        render_drift(m, out);
        render_remediations(m, out);
        return out->oom ? -ENOMEM : 0;
}

/* A temporary file not renamed into place goes with its name. */
static void unlink_freep(char **p) {
        if (!*p)
                return;
        (void) unlink(*p);
        free(*p);
}

static int write_all(int fd, const char *p, size_t n) {
        while (n > 0) {
                ssize_t k = write(fd, p, n);

                if (k < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                p += k;
                n -= (size_t) k;
        }
        return 0;
}

int metrics_write_file(const char *path, const char *text, size_t len, nw_err *err) {
        _cleanup_(unlink_freep) char *tmp = NULL;
        _cleanup_close_ int fd = -EBADF;
        const char *base;
        int r;

        base = strrchr(path, '/');
        if (!base || !base[1])
                return nw_errf(err, -EINVAL, "%s: not an absolute path to a file", path);
        base++;
        /* Beside the file, so rename() stays in one file system and never moves data elsewhere; the
         * name does not end in .prom, so node_exporter never reads a half-written one. */
        if (asprintf(&tmp, "%.*s.%s.XXXXXX", (int) (base - path), path, base) < 0) {
                tmp = NULL;
                return nw_errf(err, -ENOMEM, "%s: out of memory", path);
        }
        fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0) {
                r = -errno;
                free(TAKE_PTR(tmp)); /* nothing was created */
                return nw_errf(err, r, "%s: cannot create a temporary file beside it: %s", path, strerror(-r));
        }
        r = write_all(fd, text, len);
        if (r < 0)
                return nw_errf(err, r, "%s: cannot write the temporary file: %s", path, strerror(-r));
        /* mkostemp makes it 0600 and the unit's UMask=0077 would too; node_exporter runs as its own user. */
        if (fchmod(fd, 0644) < 0) {
                r = -errno;
                return nw_errf(err, r, "%s: cannot chmod the temporary file: %s", path, strerror(-r));
        }
        /* Without it a crash soon after the rename can leave an empty file on some file systems. */
        if (fsync(fd) < 0) {
                r = -errno;
                return nw_errf(err, r, "%s: cannot fsync the temporary file: %s", path, strerror(-r));
        }
        r = close(fd);
        fd = -EBADF;
        if (r < 0) {
                r = -errno;
                return nw_errf(err, r, "%s: cannot close the temporary file: %s", path, strerror(-r));
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                return nw_errf(err, r, "%s: cannot rename the temporary file to it: %s", path, strerror(-r));
        }
        free(TAKE_PTR(tmp));
        return 0;
}

int metrics_remove_file(const char *path, nw_err *err) {
        int r;

        if (unlink(path) < 0 && errno != ENOENT) {
                r = -errno;
                return nw_errf(err, r, "%s: cannot remove: %s", path, strerror(-r));
        }
        return 0;
}
