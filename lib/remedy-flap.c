/* The memory of `run`'s remediation: when nestwarden fixed which object, so that a fix something keeps
 * reverting is recognised as a fight rather than repeated forever; and which drifted VMs it saw
 * powered on, which fix_on_power_off = no leaves to a person. Pure, like the plan. */
#include "remedy-flap.h"

#include <string.h>

void nw_flap_done(nw_flap *f) {
        if (!f)
                return;
        for (size_t i = 0; i < f->n; i++)
                free(f->v[i].object);
        free(f->v);
        nw_strv_done(&f->seen_on);
        *f = (nw_flap) {};
}

void remedy_flap_reset(nw_flap *f) {
        nw_strv seen_on;

        if (!f)
                return;
        seen_on = f->seen_on;
        f->seen_on = (nw_strv) {};
        nw_flap_done(f);
        f->seen_on = seen_on;
}

int remedy_flap_seen_on(nw_flap *f, const char *vm) {
        if (!f || !vm)
                return -EINVAL;
        return nw_strv_contains(&f->seen_on, vm) ? 0 : nw_strv_push(&f->seen_on, vm);
}

bool remedy_flap_was_on(const nw_flap *f, const char *vm) {
        return f && vm && nw_strv_contains(&f->seen_on, vm);
}

void remedy_flap_prune_seen_on(nw_flap *f, bool (*keep)(void *userdata, const char *vm), void *userdata) {
        size_t n = 0;

        if (!f)
                return;
        for (size_t i = 0; i < f->seen_on.n; i++) {
                if (keep(userdata, f->seen_on.v[i]))
                        f->seen_on.v[n++] = f->seen_on.v[i];
                else
                        free(f->seen_on.v[i]);
        }
        f->seen_on.n = n;
}

static ssize_t flap_index(const nw_flap *f, const char *object) {
        for (size_t i = 0; f && i < f->n; i++)
                if (strcmp(f->v[i].object, object) == 0)
                        return (ssize_t) i;
        return -1;
}

static const nw_flap_entry *flap_get(const nw_flap *f, const char *object) {
        ssize_t i = flap_index(f, object);
        return i < 0 ? NULL : &f->v[i];
}

int remedy_flap_record(nw_flap *f, const char *object, double now) {
        nw_flap_entry *e = NULL;
        ssize_t i;

        if (!f || !object)
                return -EINVAL;

        i = flap_index(f, object);
        if (i >= 0)
                e = &f->v[i];
        else {
                _cleanup_free_ char *copy = strdup(object);
                nw_flap_entry *v;

                if (!copy)
                        return -ENOMEM;
                v = reallocarray(f->v, f->n + 1, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                f->v = v;
                e = &f->v[f->n++];
                *e = (nw_flap_entry) { .object = copy };
                copy = NULL;
        }

        /* The window lives in the config, not here: keep the newest times and let remedy_plan count
         * those inside it. 32 is far above any sensible flap_limit. */
        if (e->n == ELEMENTSOF(e->times)) {
                memmove(e->times, e->times + 1, (e->n - 1) * sizeof(e->times[0]));
                e->n--;
        }
        e->times[e->n++] = now;
        /* A fix went through, so a fight reported earlier is over (FIGHT holds fixes back): the next
         * fight gets its own event. */
        e->fight_reported = false;
        return 0;
}

size_t remedy_flap_count(const nw_flap *f, const char *object, double now, int64_t window) {
        const nw_flap_entry *e = flap_get(f, object);
        size_t n = 0;

        for (size_t i = 0; e && i < e->n; i++)
                if (e->times[i] > now - (double) window && e->times[i] <= now)
                        n++;
        return n;
}
