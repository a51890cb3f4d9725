/* watch: pacing long-polls answered at once, and forgetting a filter. The calls themselves (CreateFilter,
 * WaitForUpdatesEx, DestroyPropertyFilter) run against the simulator in the integration tests. */
#include <string.h>

#include "tap.h"
#include "watch.h"

typedef struct wait_case {
        unsigned long updates;
        double asked, took;
        watch_pace_verdict want;
        double want_pause;
        unsigned want_early;
} wait_case;

static void run_waits(const char *name, const wait_case *c, size_t n) {
        nw_watch w = {};

        for (size_t i = 0; i < n; i++) {
                watch_pace_verdict v;
                double pause = -1;

                w.updates = c[i].updates;
                v = watch_pace(&w, c[i].asked, c[i].took, &pause);
                if (v != c[i].want || pause != c[i].want_pause || w.early_waits != c[i].want_early)
                        fprintf(stderr, "%s: wait %zu: got verdict %d, pause %g s, %u early\n", name, i, (int) v, pause,
                                w.early_waits);
                CHECK_INTEQ(v, c[i].want);
                CHECK(pause == c[i].want_pause);
                CHECK_INTEQ(w.early_waits, c[i].want_early);
        }
}

static void test_held(void) {
        /* Held for half of what was asked or more, or cut short by news: no pause. */
        static const wait_case c[] = {
                { 0, 60, 60, WATCH_HELD, 0, 0 },
                { 0, 60, 30, WATCH_HELD, 0, 0 },
                { 3, 60, 0.01, WATCH_HELD, 0, 0 },
                { 1, 1, 0, WATCH_HELD, 0, 0 },
        };

        run_waits("held", c, ELEMENTSOF(c));
}

static void test_early_then_backoff(void) {
        /* A second apart for the first five, a warning at the fifth, then 2, 4, ... s up to the cap. */
        static const wait_case c[] = {
                { 0, 60, 0.1, WATCH_EARLY, 1, 1 },
                { 0, 60, 29.9, WATCH_EARLY, 1, 2 },
                { 0, 60, 0, WATCH_EARLY, 1, 3 },
                { 0, 60, 0, WATCH_EARLY, 1, 4 },
                { 0, 60, 0, WATCH_EARLY_WARN, 1, 5 },
                { 0, 60, 0, WATCH_EARLY, 2, 6 },
                { 0, 60, 0, WATCH_EARLY, 4, 7 },
                { 0, 60, 0, WATCH_EARLY, 8, 8 },
                { 0, 60, 0, WATCH_EARLY, 16, 9 },
                { 0, 60, 0, WATCH_EARLY, 32, 10 },
                { 0, 60, 0, WATCH_EARLY, WATCH_WAIT_MAX, 11 },
                { 0, 60, 0, WATCH_EARLY, WATCH_WAIT_MAX, 12 },
                /* Held again after the warning: said, and the count starts over. */
                { 0, 60, 60, WATCH_HELD_AGAIN, 0, 0 },
                { 0, 60, 0, WATCH_EARLY, 1, 1 },
        };

        run_waits("early", c, ELEMENTSOF(c));
}

static void test_held_before_warning(void) {
        /* Four early answers were never warned about: nothing to take back. */
        static const wait_case c[] = {
                { 0, 10, 0, WATCH_EARLY, 1, 1 },
                { 0, 10, 0, WATCH_EARLY, 1, 2 },
                { 0, 10, 0, WATCH_EARLY, 1, 3 },
                { 0, 10, 0, WATCH_EARLY, 1, 4 },
                { 2, 10, 0, WATCH_HELD, 0, 0 },
        };

        run_waits("held before warning", c, ELEMENTSOF(c));
}

static void test_verdicts(void) {
        nw_watch w = {};
        double pause;

        for (unsigned i = 1; i < WATCH_EARLY_WAITS_LOGGED; i++)
                CHECK_INTEQ(watch_pace(&w, 60, 0, &pause), WATCH_EARLY);
        CHECK_INTEQ(watch_pace(&w, 60, 0, &pause), WATCH_EARLY_WARN);
        /* Warned once, not at every early answer after. */
        CHECK_INTEQ(watch_pace(&w, 60, 0, &pause), WATCH_EARLY);
        CHECK_INTEQ(watch_pace(&w, 60, 60, &pause), WATCH_HELD_AGAIN);
        CHECK_INTEQ(watch_pace(&w, 60, 60, &pause), WATCH_HELD);
        /* Past the shift width: still the cap, no overflow. */
        w.early_waits = 1000;
        CHECK_INTEQ(watch_pace(&w, 60, 0, &pause), WATCH_EARLY);
        CHECK(pause == WATCH_WAIT_MAX);
}

static void test_forget(void) {
        nw_watch w = { .early_waits = 7, .updates = 2 };

        w.filter = strdup("session[52b1]filter-1");
        w.version = strdup("12");
        CHECK(w.filter && w.version);
        watch_forget(&w);
        CHECK(!w.filter);
        CHECK(!w.version);
        /* The path to vCenter outlives the session. */
        CHECK_INTEQ(w.early_waits, 7);
        watch_forget(&w);

        /* Nothing to destroy: no call made, so no vCenter needed. */
        w.version = strdup("");
        watch_stop(&w, NULL);
        CHECK(!w.version);
        CHECK_INTEQ(w.early_waits, 7);
}

int main(void) {
        test_held();
        test_early_then_backoff();
        test_held_before_warning();
        test_verdicts();
        test_forget();
        return tap_exit("watch");
}
