/* The watch: one PropertyFilter on the session's collector and the version of the last update set
 * taken from it, followed with WaitForUpdatesEx; and what its answers say about the path to vCenter
 * (a long-poll cut short every time is paced, not repeated at once). Does not log. */
#pragma once

#include "vim.h"

/* The longest a WaitForUpdatesEx may hold the line, in seconds; also the longest pause between
 * long-polls answered at once. */
#define WATCH_WAIT_MAX 60
/* Long-polls answered at once in a row before that is worth a warning. */
#define WATCH_EARLY_WAITS_LOGGED 5

typedef struct nw_watch {
        char *filter;          /* the PropertyFilter moref; NULL when there is none */
        char *version;         /* of the last update set taken; "" before the first */
        unsigned long updates; /* ObjectUpdates fed by the last watch_wait */
        unsigned early_waits;  /* long-polls answered at once with nothing, in a row */
} nw_watch;

/* What the last long-poll says about the path to vCenter (see watch_pace). */
typedef enum watch_pace_verdict {
        WATCH_HELD,            /* held, or brought news: wait again at once */
        WATCH_HELD_AGAIN,      /* held after WATCH_EARLY_WAITS_LOGGED or more early answers: worth a word */
        WATCH_EARLY,           /* answered at once with nothing: pause before the next */
        WATCH_EARLY_WARN,      /* the WATCH_EARLY_WAITS_LOGGED-th of those in a row: pause, and worth a warning */
} watch_pace_verdict;

/* CreateFilter over spec, with the version reset to "": the next watch_wait takes the first update
 * set, which restates every property in spec. Call on a stopped watch (watch_stop, watch_forget). */
int watch_start(nw_watch *w, vim_ctx *vc, const vim_filter_spec *spec, nw_err *err);

/* WaitForUpdatesEx from the current version, holding the line up to max_wait_seconds (0: answer at
 * once) on top of the usual request time. Feeds every ObjectUpdate to cb and counts them in
 * w->updates, then moves the version on; a wait that times out calls nothing and keeps it. */
int watch_wait(nw_watch *w, vim_ctx *vc, int max_wait_seconds, vim_update_cb cb, void *userdata, nw_err *err);

/* Judges the watch_wait just made, which was asked to hold asked seconds and took took: one answered
 * in less than half of that without an update counts as early. *ret_pause is how long to pause
 * before the next: 0 when held, 1 s for the first WATCH_EARLY_WAITS_LOGGED early ones in a row (a
 * flaky proxy), then doubling up to WATCH_WAIT_MAX (a broken one). Pure. */
watch_pace_verdict watch_pace(nw_watch *w, double asked, double took, double *ret_pause);

/* DestroyPropertyFilter, best effort (a filter vCenter no longer has is stopped too), then
 * watch_forget: before a new filter over a reshaped set of objects. */
void watch_stop(nw_watch *w, vim_ctx *vc);

/* Frees the filter moref and version without a call: the session that held the filter is gone or
 * going, and the filter with it. Also the watch's destructor. The early-wait count stays: it is about
 * the path to vCenter, which a new session takes too. */
void watch_forget(nw_watch *w);
