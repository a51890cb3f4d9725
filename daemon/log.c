/* Logging for the daemon: structured events via lib/journal, plain lines via sd_journal_send,
 * echoed to stderr unless stderr already is the journal (JOURNAL_STREAM names it). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "log.h"
#include "report.h"

static int max_prio = LOG_INFO;
static bool echo_stderr = true;
static log_event_hook event_hook;
static void *event_hook_userdata;

static bool detect_journal_stream(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        /* systemd sets it to the device:inode of the stream it gave us; a redirected stderr differs. */
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(int max_priority, bool echo) {
        max_prio = max_priority;
        echo_stderr = echo && !detect_journal_stream();
}

static const char *prio_name(int p) {
        static const char *const names[] = { "emerg", "alert", "crit", "error", "warning", "notice", "info", "debug" };
        return p >= 0 && p < 8 ? names[p] : "info";
}

void log_msg(int priority, const char *fmt, ...) {
        char msg[2048];
        va_list ap;

        if (priority > max_prio)
                return;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        (void) sd_journal_send("MESSAGE=%s", msg, "PRIORITY=%d", priority, "SYSLOG_IDENTIFIER=nestwarden", NULL);
        if (echo_stderr) {
                char clean[sizeof(msg)];

                report_sanitize(msg, clean, sizeof(clean));
                fprintf(stderr, "nestwarden: %s: %s\n", prio_name(priority), clean);
        }
}

void log_event(const nw_event *ev) {
        char msg[1024];

        (void) journal_send(ev);
        if (echo_stderr) {
                char clean[sizeof(msg)];

                (void) journal_format(ev, msg, sizeof(msg));
                report_sanitize(msg, clean, sizeof(clean));
                fprintf(stderr, "nestwarden: %s: %s\n", prio_name(journal_priority(ev->type)), clean);
        }
        if (event_hook)
                event_hook(event_hook_userdata, ev);
}

void log_set_event_hook(log_event_hook hook, void *userdata) {
        event_hook = hook;
        event_hook_userdata = userdata;
}

static nw_kind kind_of(const nw_fix *fix) {
        switch (fix->kind) {
        case NW_FIX_VM_NESTED_HV:
                return NW_KIND_VM;
        case NW_FIX_STDPG_SECURITY:
                return NW_KIND_PG;
        case NW_FIX_DVPORT_MAC:
        case NW_FIX_DVPORT_SECURITY:
                return NW_KIND_DVPORT;
        case NW_FIX_DVPG_MAC:
        case NW_FIX_DVPG_SECURITY:
                break;
        }
        return NW_KIND_DVPG;
}

void log_fix(const char *vcenter, const nw_fix *fix, nw_event_type type, const char *task, const char *fault,
             const char *detail) {
        nw_event ev = {
                .type = type,
                .vcenter = vcenter,
                .object = fix->object,
                .object_name = fix->name,
                .object_kind = kind_of(fix),
                .task = task && *task ? task : NULL,
                .fault = fault && *fault ? fault : NULL,
                .detail = detail,
        };

        if (type == NW_EVENT_REMEDIATION_SKIPPED || type == NW_EVENT_FIGHT) {
                ev.reason = nw_fix_verdict_to_string(fix->verdict);
                ev.detail = detail ? detail : fix->reason;
                log_event(&ev);
                return;
        }
        for (size_t i = 0; i < fix->n_changes; i++) {
                char before[64], after[64];

                (void) nw_value_to_string(&fix->changes[i].before, before, sizeof(before));
                (void) nw_value_to_string(&fix->changes[i].after, after, sizeof(after));
                ev.check = fix->changes[i].check;
                ev.expected = after;
                ev.before = before;
                ev.after = after;
                log_event(&ev);
        }
}
