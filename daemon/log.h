/* The daemon's voice: drift events and plain log lines, to the journal with their fields and, when
 * stderr is not the journal (run by hand), to stderr as readable lines too. */
#pragma once

#include <syslog.h>

#include "journal.h"
#include "util.h"

/* Decides where lines go; call once, and again when log_level changes. */
void log_setup(int max_priority);
void log_msg(int priority, const char *fmt, ...) _printf_(2, 3);
void log_event(const nw_event *ev);
