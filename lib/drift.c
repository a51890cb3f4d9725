/* Drift state across passes: a sorted copy of the findings, and the walk that finds transitions. */
#include "drift.h"

#include <string.h>

static void drift_done(nw_drift *d) {
        free(d->object);
        free(d->name);
        free(d->expected);
        free(d->actual);
        free(d->hint);
}

void drift_set_done(nw_drift_set *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++)
                drift_done(&s->v[i]);
        free(s->v);
        *s = (nw_drift_set) {};
}

static int drift_cmp(const nw_drift *a, const nw_drift *b) {
        int c = strcmp(a->object, b->object);
        /* By name, as the events have always come out. */
        return c ? c : strcmp(nw_check_to_string(a->check) ?: "", nw_check_to_string(b->check) ?: "");
}

static int drift_qcmp(const void *a, const void *b) {
        return drift_cmp(a, b);
}

static char *value_dup(const nw_value *v) {
        char buf[256];

        (void) nw_value_to_string(v, buf, sizeof(buf));
        return strdup(buf);
}

int drift_set_from(const nw_findings *f, nw_drift_set *ret) {
        _cleanup_drift_set_ nw_drift_set s = {};

        s.v = calloc(f->n ? f->n : 1, sizeof(*s.v));
        if (!s.v)
                return -ENOMEM;
        for (size_t i = 0; i < f->n; i++) {
                const nw_finding *x = &f->v[i];
                nw_drift *d = &s.v[s.n++];

                d->object = strdup(x->object ? x->object : "");
                d->name = strdup(x->name ? x->name : "");
                d->kind = x->kind;
                d->check = x->check;
                d->expected = value_dup(&x->expected);
                d->actual = value_dup(&x->actual);
                d->hint = strdup(x->hint);
                if (!d->object || !d->name || !d->expected || !d->actual || !d->hint)
                        return -ENOMEM;
        }
        /* Findings sort checks by their enum; the walk below needs one order for both sides. */
        qsort(s.v, s.n, sizeof(*s.v), drift_qcmp);
        *ret = s;
        s = (nw_drift_set) {};
        return 0;
}

static int drift_copy(nw_drift *to, const nw_drift *from) {
        *to = (nw_drift) {
                .object = strdup(from->object),
                .name = strdup(from->name),
                .kind = from->kind,
                .check = from->check,
                .expected = strdup(from->expected),
                .actual = strdup(from->actual),
                .hint = strdup(from->hint ? from->hint : ""),
        };
        if (!to->object || !to->name || !to->expected || !to->actual || !to->hint) {
                drift_done(to);
                return -ENOMEM;
        }
        return 0;
}

int drift_carry(const nw_drift_set *old, nw_drift_set *new, drift_watched_fn unobserved, void *userdata) {
        size_t extra = 0, n = new->n;
        nw_drift *v;

        for (size_t i = 0; i < old->n; i++)
                if (old->v[i].check != NW_CHECK_UNREADABLE && unobserved(userdata, &old->v[i]))
                        extra++;
        if (extra == 0)
                return 0;
        v = reallocarray(new->v, new->n + extra, sizeof(*v));
        if (!v)
                return -ENOMEM;
        new->v = v;
        for (size_t i = 0; i < old->n; i++) {
                bool present = false;

                if (old->v[i].check == NW_CHECK_UNREADABLE || !unobserved(userdata, &old->v[i]))
                        continue;
                for (size_t j = 0; j < n && !present; j++)
                        present = drift_cmp(&new->v[j], &old->v[i]) == 0;
                if (present)
                        continue;
                if (drift_copy(&new->v[new->n], &old->v[i]) < 0)
                        return -ENOMEM;
                new->n++;
        }
        qsort(new->v, new->n, sizeof(*new->v), drift_qcmp);
        return 0;
}

int drift_diff(const nw_drift_set *old, const nw_drift_set *new, drift_watched_fn watched, drift_event_fn emit,
               void *userdata) {
        size_t i = 0, j = 0;
        int r;

        while (i < old->n || j < new->n) {
                int c = i == old->n ? 1 : j == new->n ? -1 : drift_cmp(&old->v[i], &new->v[j]);

                if (c == 0) {
                        i++;
                        j++;
                        continue;
                }
                if (c < 0) {
                        if (!watched || watched(userdata, &old->v[i])) {
                                r = emit(userdata, NW_EVENT_RESOLVED, &old->v[i]);
                                if (r < 0)
                                        return r;
                        }
                        i++;
                        continue;
                }
                r = emit(userdata, NW_EVENT_DRIFT, &new->v[j]);
                if (r < 0)
                        return r;
                j++;
        }
        return 0;
}
