/* The state of `nestwarden run`, shared by the service loop (run.c) and the pass (pass.c). */
#pragma once

#include "annotator.h"
#include "drift.h"
#include "metrics.h"
#include "nestwarden.h"
#include "tagged.h"
#include "watch.h"

typedef struct service {
        const char *config_path;
        nw_config *cfg;

        nw_session s;
        nw_watch watch;              /* the filter over the facts; forgotten with the session */
        bool connected;
        bool need_resync;

        inventory_ctx facts;
        nw_drift_set drift;
        tagged_set tagged;           /* the tag listing at the last resync, for entered/left events */
        vapi_tag_ref tag_ref;        /* the tag's ids: a tag refresh lists by id, no walk by name */
        bool first_pass_done;
        bool ready_sent;

        bool outage;                 /* VCENTER_LOST sent, REGAINED pending */
        double outage_since;
        unsigned failures;
        bool relogin_tried;

        double next_tags, next_full, next_ports;
        nw_strv noticed;             /* objects whose notice was said: once each, while it stands */
        bool ports_stale;            /* a change that may have moved or changed a watched port */
        uint64_t watchdog_usec;
        double next_watchdog;
        size_t n_portgroups;         /* judged at the last pass (uplink and NSX ones are not) */

        nw_flap flap;                /* when we fixed what: the anti-flap memory */
        nw_strv left_alone;          /* "OBJECT\tVERDICT" reported at the last pass: said once, not every pass */
        nw_strv left_now;
        size_t deferred;
        nw_strv failed;              /* objects whose fix failed: held off until the next full resync */
        char last_pass[16];

        char config_problem[1024];   /* the CONFIG_PROBLEM last sent, "" when none is open */
        annotator ann;               /* [vcenter] annotate: transitions told to vCenter too */

        /* [daemon] metrics_file (textfile.c). The figures are kept whether or not it is set: a reload
         * may set it. vcenter, vcenter_lost and drift are filled in as the file is written. */
        metrics_facts metrics;
        double gather_started;       /* CLOCK_MONOTONIC: reading the next pass's facts began; 0: not yet */
        bool metrics_due;            /* a pass or a change of state since the file was written */
        char *metrics_written;       /* the file written, removed when the config stops naming it */
        char metrics_failure[1024];  /* the write failure last logged, "" once a write worked */
} service;

/* Judges the facts and reports the transitions; in remediate mode also fixes what may be fixed and
 * judges again, so that what was fixed is reported resolved at once. 0 or a negative errno-style
 * code with err set (a lost vCenter ends the pass). */
int pass_evaluate(service *d, nw_err *err);
/* [daemon] mode = remediate: passes fix, and gathers read who else sits on each portgroup. */
bool pass_remediating(const service *d);
/* STATUS= for systemd: what is watched, what drifts, when the last pass was. */
void pass_notify_status(service *d);

/* Writes metrics_file when a pass or a change of state made it due (metrics_due), and removes the
 * file written before when the config names another or none. A failure is logged once while it lasts
 * and leaves the file due; the service goes on. */
void textfile_flush(service *d);
/* At a clean stop: the file goes with the service, as /run/nestwarden does under systemd. */
void textfile_stop(service *d);
