/* Logging for the daemon: structured events via lib/journal, plain lines via sd_journal_send,
 * echoed to stderr unless stderr already is the journal (JOURNAL_STREAM names it). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-journal.h>

#include "log.h"

static int max_prio = LOG_INFO;
static bool stderr_is_journal;

static bool detect_journal_stream(void) {
        const char *e = getenv("JOURNAL_STREAM");
        unsigned long long dev, ino;
        struct stat st;

        /* systemd sets it to the device:inode of the stream it gave us; a redirected stderr differs. */
        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2 || fstat(STDERR_FILENO, &st) < 0)
                return false;
        return (unsigned long long) st.st_dev == dev && (unsigned long long) st.st_ino == ino;
}

void log_setup(int max_priority) {
        max_prio = max_priority;
        stderr_is_journal = detect_journal_stream();
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
        if (!stderr_is_journal)
                fprintf(stderr, "nestwarden: %s: %s\n", prio_name(priority), msg);
}

void log_event(const nw_event *ev) {
        char msg[1024];

        (void) journal_send(ev);
        if (!stderr_is_journal) {
                (void) journal_format(ev, msg, sizeof(msg));
                fprintf(stderr, "nestwarden: %s: %s\n", prio_name(journal_priority(ev->type)), msg);
        }
}
