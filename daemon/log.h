/* The daemon's voice: drift events and plain log lines, to the journal with their fields and, when
 * stderr is not the journal (run by hand), to stderr as readable lines too. */
#pragma once

#include <syslog.h>

#include "journal.h"
#include "remedy.h"
#include "util.h"

/* Decides where lines go; call once, and again when log_level changes. echo: also to stderr when
 * stderr is not the journal (run by hand); `fix` says no, its report is on stdout. */
void log_setup(int max_priority, bool echo);
void log_msg(int priority, const char *fmt, ...) _printf_(2, 3);
void log_event(const nw_event *ev);
/* One event of type per change of fix (REMEDIATED, REMEDIATION_FAILED, DRY_RUN), or one for the fix
 * (REMEDIATION_SKIPPED with reason and detail, FIGHT). task, fault, detail may be NULL. */
void log_fix(const char *vcenter, const struct nw_fix *fix, nw_event_type type, const char *task, const char *fault,
             const char *detail);
/* Called after each event is logged (NULL: none): the annotator tells vCenter from there. */
typedef void (*log_event_hook)(void *userdata, const nw_event *ev);
void log_set_event_hook(log_event_hook hook, void *userdata);
