/* Turning findings into what people and scripts read: the table and the JSON document. */
#pragma once

#include "policy.h"

/* The --json document (schema in README.md), newline-terminated. 0 or -ENOMEM. */
int report_json(const char *vcenter, const nw_findings *f, char **ret);
/* The human table: one line per finding, templates apart, then the summary line. */
int report_table(const char *vcenter, const nw_findings *f, char **ret);

/* s with control characters and broken UTF-8 replaced by '?', for a terminal: names come from
 * vCenter and may hold escape sequences. Cut to fit size. */
void report_sanitize(const char *s, char *buf, size_t size);
