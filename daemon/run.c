/* `nestwarden run`: the service. Log in, gather, watch vCenter's change feed, report drift
 * transitions to the journal; survive reloads, restarts and vCenter outages on its own. */
#include <malloc.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>

#include "log.h"
#include "service.h"

#define EXIT_CONFIG 78       /* sysexits.h EX_CONFIG */
#define BACKOFF_MAX 300.0    /* seconds between attempts while vCenter is away */

static volatile sig_atomic_t got_term, got_hup, abort_requests;

static void on_signal(int sig) {
        if (sig == SIGHUP)
                got_hup = 1;
        else
                got_term = 1;
        abort_requests = 1;
}


static void watchdog_tick(void *userdata) {
        service *d = userdata;
        double now;

        if (!d->watchdog_usec)
                return;
        now = nw_now_mono();
        if (now < d->next_watchdog)
                return;
        sd_notify(0, "WATCHDOG=1");
        d->next_watchdog = now + (double) d->watchdog_usec / 2e6;
}

static void pause_for(service *d, double seconds);

static void disconnect(service *d, bool logout) {
        if (logout && d->connected) {
                /* Free vpxd's session slot (it holds ~2000), but never let it delay a shutdown
                 * by more than a moment: two requests, 700 ms each at most. */
                abort_requests = 0;
                nw_http_set_timeout_ms(d->s.http, 700);
                session_close(&d->s);
        } else
                session_done(&d->s);
        watch_forget(&d->watch);
        d->connected = false;
}

static int connect_vcenter(service *d, nw_err *err) {
        const nw_http_opts hooks = { .abort_flag = &abort_requests, .tick = watchdog_tick, .tick_userdata = d,
                                     .request_count = &d->metrics.vcenter_requests };
        int r;

        r = session_open(d->cfg, &hooks, &d->s, err);
        if (r < 0)
                return r;
        d->connected = true;
        d->need_resync = true;
        log_msg(LOG_INFO, "logged in to %s (%s) as %s", d->cfg->vcenter.url, d->s.vc->full_name ?: "vCenter",
                d->cfg->vcenter.user);
        return 0;
}

static void send_ready(service *d) {
        if (!d->ready_sent) {
                sd_notify(0, "READY=1");
                d->ready_sent = true;
        }
}

static int apply_update(void *userdata, const char *type, const char *moref, const char *kind, const xmlNode *ou,
                        nw_err *err) {
        service *d = userdata;

        bool before = d->need_resync;
        int r;

        log_msg(LOG_DEBUG, "update: %s %s %s", kind, type, moref);
        /* A change-feed reply's first record: the facts of the pass it leads to begin here. */
        if (d->gather_started == 0)
                d->gather_started = nw_now_mono();
        /* Ports have no change feed: a reconfigure of a VM whose ports are judged, or of a DV
         * portgroup (its override rights, its default), is the reason to read them again. */
        if (strcmp(type, "DistributedVirtualPortgroup") == 0 || nw_inventory_vm_has_ports(&d->facts.inv, moref))
                d->ports_stale = true;
        r = inventory_apply_update(&d->facts, type, moref, kind, ou, &d->need_resync, err);
        if (d->need_resync && !before)
                log_msg(LOG_DEBUG, "%s %s changed what is watched: gathering again", type, moref);
        return r;
}

/* Tags → VMs → facts → a filter over them → its first (full) update set → judgement. */
static int resync_once(service *d, nw_err *err) {
        _cleanup_strv_ nw_strv vms = {};
        _cleanup_inventory_ctx_ inventory_ctx facts = {};
        vim_filter_spec spec;
        void *storage = NULL;
        int r;

        log_msg(LOG_DEBUG, "full gather of %s", d->cfg->vcenter.url);
        d->gather_started = nw_now_mono();
        d->need_resync = false;
        nw_strv_done(&d->failed);
        /* Read the tag and its category by id as well: a rename would go unnoticed otherwise. */
        r = vapi_tagged_vms(d->s.tags, &d->tag_ref, d->cfg->selection.tag_category, d->cfg->selection.tag, true, &vms,
                            err);
        if (r < 0)
                return r;
        /* Who else is on a portgroup only matters to a plan (remediate mode). */
        r = inventory_gather(d->s.vc, &vms, d->cfg->policy.standard_portgroups, pass_remediating(d),
                             d->cfg->vcenter.page_size, &facts, err);
        if (r < 0)
                return r;
        inventory_ctx_done(&d->facts);
        d->facts = facts;
        facts = (inventory_ctx) {};

        watch_stop(&d->watch, d->s.vc);
        r = inventory_watch_spec(&d->facts, &spec, &storage);
        if (r < 0)
                return nw_errf(err, r, "out of memory");
        r = watch_start(&d->watch, d->s.vc, &spec, err);
        inventory_watch_spec_free(storage);
        if (r < 0)
                return r;
        /* The first update set restates everything: applying it closes the gap between gather and filter. */
        r = watch_wait(&d->watch, d->s.vc, 0, apply_update, d, err);
        if (r < 0)
                return r;
        /* Something changed shape between the gather and the filter: judging half-updated facts
         * would report drift that is not there. Gather again first. */
        if (d->need_resync)
                return 0;

        /* What the tags said, not what could be read: a tagged VM the account cannot see must not
         * look like a change at every tag refresh. */
        r = tagged_set_update(&d->tagged, &vms, &d->facts.inv, d->cfg, !d->first_pass_done);
        if (r < 0)
                return nw_errf(err, r, "%s", strerror(-r));
        r = pass_evaluate(d, err);
        if (r < 0)
                return r;
        if (!d->first_pass_done)
                log_msg(LOG_INFO, "watching %zu tagged VMs and %zu portgroups on %s", d->facts.inv.n_vms,
                        d->n_portgroups, d->cfg->vcenter.url);
        d->first_pass_done = true;
        d->next_full = nw_now_mono() + (double) d->cfg->daemon.interval;
        d->next_tags = nw_now_mono() + (double) d->cfg->daemon.tag_refresh;
        d->next_ports = nw_now_mono() + (double) d->cfg->daemon.port_refresh;
        d->ports_stale = false;
        return 0;
}

/* The ports again (no change feed), and a judgement when they were read. */
static int refresh_ports(service *d, nw_err *err) {
        int r;

        d->next_ports = nw_now_mono() + (double) d->cfg->daemon.port_refresh;
        d->ports_stale = false;
        d->gather_started = nw_now_mono();
        r = inventory_ports_read(d->s.vc, &d->facts, d->cfg->vcenter.page_size, err);
        return r < 0 ? r : pass_evaluate(d, err);
}

/* A resync cut short (vCenter gone, a signal) must happen again, whatever it had got to. */
static int resync(service *d, nw_err *err) {
        int r = resync_once(d, err);

        if (r < 0)
                d->need_resync = true;
        /* A gather's transients (the old facts beside the new, the requests, the first update set's
         * records) leave free holes malloc keeps; hand them back, or a daemon that gathers every
         * interval for months sits on the high-water mark of its busiest minute. */
        malloc_trim(0);
        return r;
}

/* Tags have no change feed: look again, and resync only when the set changed. */
static int refresh_tags(service *d, nw_err *err) {
        _cleanup_strv_ nw_strv vms = {};
        int r;

        d->next_tags = nw_now_mono() + (double) d->cfg->daemon.tag_refresh;
        r = vapi_tagged_vms(d->s.tags, &d->tag_ref, d->cfg->selection.tag_category, d->cfg->selection.tag, false,
                            &vms, err);
        if (r < 0)
                return r;
        if (tagged_set_differs(&d->tagged, &vms))
                d->need_resync = true;
        if (d->need_resync)
                log_msg(LOG_DEBUG, "tag %s/%s: the tagged set changed (%zu VMs now)", d->cfg->selection.tag_category,
                        d->cfg->selection.tag, vms.n);
        return 0;
}

/* A WaitForUpdatesEx answered at once with nothing (a proxy or load balancer cutting long polls)
 * must not turn into a busy loop: pause as the watch says, and say so once. */
static void pace_early_wait(service *d, double asked, double took) {
        double pause;

        switch (watch_pace(&d->watch, asked, took, &pause)) {
        case WATCH_HELD:
                return;
        case WATCH_HELD_AGAIN:
                log_msg(LOG_NOTICE, "vCenter %s holds WaitForUpdatesEx long-polls again", d->cfg->vcenter.url);
                return;
        case WATCH_EARLY_WARN:
                log_msg(LOG_WARNING, "vCenter %s answered %u WaitForUpdatesEx long-polls at once without a change: "
                        "something between (a proxy, a load balancer) may cut them short; pacing them",
                        d->cfg->vcenter.url, d->watch.early_waits);
                break;
        case WATCH_EARLY:
                break;
        }
        pause_for(d, pause);
}

static int wait_for_changes(service *d, nw_err *err) {
        double now = nw_now_mono(), until = fmin(fmin(d->next_tags, d->next_full), d->next_ports);
        int wait = (int) fmax(1.0, fmin(until - now, WATCH_WAIT_MAX));
        int r;

        if (d->watchdog_usec)
                wait = (int) fmax(1.0, fmin(wait, (double) d->watchdog_usec / 2e6 - 1.0));
        r = watch_wait(&d->watch, d->s.vc, wait, apply_update, d, err);
        if (r < 0)
                return r;
        pace_early_wait(d, wait, nw_now_mono() - now);
        /* Nothing changed (the wait timed out): nothing to judge again. */
        if (d->need_resync || d->watch.updates == 0)
                return 0;
        return pass_evaluate(d, err);
}

/* Sleeps up to seconds, waking for signals and feeding the watchdog. */
static void pause_for(service *d, double seconds) {
        double end = nw_now_mono() + seconds;

        while (!got_term && !got_hup && nw_now_mono() < end) {
                struct timespec ts = { 0, 100 * 1000 * 1000 };
                nanosleep(&ts, NULL);
                watchdog_tick(d);
        }
}

/* Problems of the configuration, not of the connection: an unknown tag or category, a privilege
 * the account lacks. */
static bool config_problem(int r, const nw_err *err) {
        return r == -NW_ENOTFOUND || r == -EACCES || (r == -NW_ESOAPFAULT && strcmp(err->fault, "NoPermission") == 0);
}

/* A vCenter that answered may still hold our sessions (a NotAuthenticated one is gone, but a
 * logout costs a quick fault then, and an empty reply looks like one while it may not be). */
static bool vcenter_answered(int r) {
        return r == -NW_ESOAPFAULT || r == -NW_EREPLY || r == -EFBIG || r == -E2BIG || r == -ENOENT ||
                r == -NW_ENOTAUTH || r == -EACCES || r == -ESTALE;
}

/* nestwarden_up: a change is due in the metrics file, the same value again is not. */
static void set_up(service *d, bool up) {
        if (d->metrics.up != up)
                d->metrics_due = true;
        d->metrics.up = up;
}

/* One place for every failure: re-login once on an expired session, otherwise mark vCenter lost
 * (once per outage, not per attempt) and back off with jitter. */
static void handle_failure(service *d, int r, const nw_err *err) {
        double delay;

        if (r == -ECANCELED && (got_term || got_hup))
                return;
        if (config_problem(r, err)) {
                /* vCenter is there and says no: keep the session, say it once, try again later. */
                if (strcmp(d->config_problem, err->msg) != 0) {
                        log_event(&(nw_event) { .type = NW_EVENT_CONFIG_PROBLEM, .vcenter = d->cfg->vcenter.url,
                                                .detail = err->msg, .fault = err->fault[0] ? err->fault : NULL });
                        snprintf(d->config_problem, sizeof(d->config_problem), "%s", err->msg);
                }
                send_ready(d);
                set_up(d, false);
                textfile_flush(d);
                d->need_resync = true;
                delay = fmin(BACKOFF_MAX, ldexp(1.0, (int) fmin(d->failures, 16)));
                d->failures++;
                pause_for(d, delay);
                return;
        }
        if (r == -NW_ENOTAUTH && !d->relogin_tried) {
                log_msg(LOG_NOTICE, "vCenter %s: session expired (%s); logging in again", d->cfg->vcenter.url,
                        err->msg);
                d->relogin_tried = true;
                disconnect(d, true);
                return;
        }
        if (!d->outage) {
                log_event(&(nw_event) { .type = NW_EVENT_VCENTER_LOST, .vcenter = d->cfg->vcenter.url,
                                        .detail = err->msg });
                d->outage = true;
                d->outage_since = nw_now_mono();
                d->metrics.vcenter_losses++;
                d->metrics_due = true;
                pass_notify_status(d);
        } else
                log_msg(LOG_DEBUG, "vCenter %s still unreachable: %s", d->cfg->vcenter.url, err->msg);
        send_ready(d);
        set_up(d, false);
        textfile_flush(d);
        /* A vCenter that answered (a fault, a reply we could not use) still holds our session: end it,
         * or every retry would take one more of vpxd's session slots. */
        disconnect(d, vcenter_answered(r));

        delay = fmin(BACKOFF_MAX, ldexp(1.0, (int) fmin(d->failures, 16)));
        delay *= 0.8 + 0.4 * ((double) random() / (double) RAND_MAX);
        d->failures++;
        pause_for(d, delay);
}

static void recovered(service *d) {
        char detail[64];

        d->failures = 0;
        d->relogin_tried = false;
        set_up(d, true);
        if (d->config_problem[0]) {
                log_msg(LOG_NOTICE, "vCenter %s: resolved: %s", d->cfg->vcenter.url, d->config_problem);
                d->config_problem[0] = '\0';
        }
        if (!d->outage)
                return;
        snprintf(detail, sizeof(detail), " after %.0f s", nw_now_mono() - d->outage_since);
        log_event(&(nw_event) { .type = NW_EVENT_VCENTER_REGAINED, .vcenter = d->cfg->vcenter.url, .detail = detail });
        d->outage = false;
        d->metrics_due = true;
}

/* SIGHUP: validate first, swap only on success; the old config stays in force otherwise. */
static void reload(service *d) {
        nw_config *cfg = NULL;
        nw_err err = {};
        int r;

        got_hup = 0;
        abort_requests = got_term;
        sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu", (unsigned long long) (nw_now_mono() * 1e6));
        r = config_load(d->config_path, &cfg, &err);
        if (r < 0)
                log_msg(LOG_ERR, "reload refused, keeping the running configuration: %s", err.msg);
        else {
                annotator_done(&d->ann);
                config_free(d->cfg);
                d->cfg = cfg;
                annotator_setup(&d->ann, cfg);
                log_setup(config_log_level(cfg), true);
                log_msg(LOG_INFO, "configuration %s reloaded", d->config_path);
                /* An admin's "try again": objects given up on as fights are fair game once more. */
                remedy_flap_reset(&d->flap);
                nw_strv_done(&d->left_alone);
                /* Another tag, or another vCenter, may be meant: resolve by name again. */
                vapi_tag_ref_done(&d->tag_ref);
                /* Credentials, TLS or the vCenter itself may have changed: start the session afresh. */
                disconnect(d, true);
                /* metrics_file may be another now, or none (the old one goes), and the vcenter label too. */
                d->metrics_due = true;
        }
        sd_notify(0, "READY=1");
        pass_notify_status(d);
        textfile_flush(d);
}

static void setup_signals(void) {
        struct sigaction sa = { .sa_handler = on_signal };

        /* No SA_RESTART: a blocking call should return and let the loop look at the flags. */
        sigemptyset(&sa.sa_mask);
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGHUP, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
}

static int run_once(service *d, nw_err *err) {
        int r;

        if (!d->connected) {
                r = connect_vcenter(d, err);
                if (r < 0)
                        return r;
        }
        if (d->need_resync || nw_now_mono() >= d->next_full) {
                r = resync(d, err);
                if (r < 0)
                        return r;
                recovered(d);
                send_ready(d);
                textfile_flush(d);
        }
        if (nw_now_mono() >= d->next_tags) {
                r = refresh_tags(d, err);
                if (r < 0)
                        return r;
                if (d->need_resync)
                        return 0;
        }
        if (d->ports_stale || nw_now_mono() >= d->next_ports) {
                r = refresh_ports(d, err);
                if (r < 0)
                        return r;
                textfile_flush(d);
        }
        r = wait_for_changes(d, err);
        if (r >= 0) {
                recovered(d);
                textfile_flush(d);
        }
        return r;
}

int cmd_run(const nw_opts *o) {
        service d = { .config_path = o->config };
        nw_err err = {};
        int r;

        r = config_load(o->config, &d.cfg, &err);
        if (r < 0) {
                fprintf(stderr, "nestwarden: %s\n", err.msg);
                return EXIT_CONFIG;
        }
        log_setup(config_log_level(d.cfg), true);
        annotator_setup(&d.ann, d.cfg);
        setup_signals();
        srandom((unsigned) (nw_now_mono() * 1e6) ^ (unsigned) getpid());
        if (sd_watchdog_enabled(0, &d.watchdog_usec) <= 0)
                d.watchdog_usec = 0;
        if (d.cfg->vcenter.insecure)
                log_msg(LOG_WARNING, INSECURE_WARNING);
        log_msg(LOG_INFO, "nestwarden %s starting: vCenter %s, tag %s/%s, mode %s", NW_VERSION, d.cfg->vcenter.url,
                d.cfg->selection.tag_category, d.cfg->selection.tag, d.cfg->daemon.mode);
        /* At once, up 0: a file that is there says the service runs, and a path that cannot be
         * written is reported now rather than after the first gather. */
        d.metrics_due = true;
        textfile_flush(&d);

        while (!got_term) {
                if (got_hup)
                        reload(&d);
                err = (nw_err) {};
                r = run_once(&d, &err);
                if (r < 0)
                        handle_failure(&d, r, &err);
                watchdog_tick(&d);
        }

        sd_notify(0, "STOPPING=1");
        log_msg(LOG_INFO, "stopping");
        disconnect(&d, true);
        textfile_stop(&d);
        inventory_ctx_done(&d.facts);
        drift_set_done(&d.drift);
        annotator_done(&d.ann);
        tagged_set_done(&d.tagged);
        vapi_tag_ref_done(&d.tag_ref);
        nw_flap_done(&d.flap);
        nw_strv_done(&d.left_alone);
        nw_strv_done(&d.left_now);
        nw_strv_done(&d.noticed);
        nw_strv_done(&d.failed);
        config_free(d.cfg);
        return 0;
}
