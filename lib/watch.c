/* The watch: a PropertyFilter, its version, the WaitForUpdatesEx long-poll, and pacing for a path
 * that cuts long-polls short. */
#include "watch.h"

#include <string.h>

#include "http.h"

int watch_start(nw_watch *w, vim_ctx *vc, const vim_filter_spec *spec, nw_err *err) {
        free(w->version);
        w->version = strdup("");
        if (!w->version)
                return nw_errf(err, -ENOMEM, "out of memory");
        return vim_create_filter(vc, spec, &w->filter, err);
}

typedef struct counted_cb {
        nw_watch *w;
        vim_update_cb cb;
        void *userdata;
} counted_cb;

static int count_update(void *userdata, const char *type, const char *moref, const char *kind, const xmlNode *ou,
                        nw_err *err) {
        counted_cb *c = userdata;

        c->w->updates++;
        return c->cb(c->userdata, type, moref, kind, ou, err);
}

int watch_wait(nw_watch *w, vim_ctx *vc, int max_wait_seconds, vim_update_cb cb, void *userdata, nw_err *err) {
        counted_cb c = { .w = w, .cb = cb, .userdata = userdata };
        int r;

        nw_http_add_timeout_ms(vc->http, max_wait_seconds * 1000L);
        w->updates = 0;
        r = vim_wait_for_updates(vc, w->version, max_wait_seconds, count_update, &c, &w->version, err);
        nw_http_set_timeout_ms(vc->http, 0);
        return r;
}

watch_pace_verdict watch_pace(nw_watch *w, double asked, double took, double *ret_pause) {
        bool again = w->early_waits >= WATCH_EARLY_WAITS_LOGGED;
        unsigned doublings, pause;

        if (w->updates > 0 || took >= asked / 2) {
                w->early_waits = 0;
                *ret_pause = 0;
                return again ? WATCH_HELD_AGAIN : WATCH_HELD;
        }
        w->early_waits++;
        if (w->early_waits <= WATCH_EARLY_WAITS_LOGGED)
                *ret_pause = 1.0;
        else {
                /* Doubling, with the shift kept small however long this goes on. */
                doublings = w->early_waits - WATCH_EARLY_WAITS_LOGGED;
                pause = doublings < 6 ? 1u << doublings : 64u;
                *ret_pause = pause < WATCH_WAIT_MAX ? pause : WATCH_WAIT_MAX;
        }
        return w->early_waits == WATCH_EARLY_WAITS_LOGGED ? WATCH_EARLY_WARN : WATCH_EARLY;
}

void watch_stop(nw_watch *w, vim_ctx *vc) {
        if (w->filter)
                (void) vim_destroy_filter(vc, w->filter, NULL);
        watch_forget(w);
}

void watch_forget(nw_watch *w) {
        free(w->filter);
        w->filter = NULL;
        free(w->version);
        w->version = NULL;
}
