/* Glue shared by the subcommands. */
#pragma once

#include "config.h"

enum {
        EXIT_COMPLIANT = 0,
        EXIT_DRIFT = 1,
        EXIT_UNKNOWN = 3, /* could not check: config, TLS, auth, network (Nagios UNKNOWN) */
};

typedef struct nw_opts {
        const char *config;
        bool json;
        bool stats;
} nw_opts;

int cmd_check(const nw_opts *o);
int cmd_run(const nw_opts *o);
