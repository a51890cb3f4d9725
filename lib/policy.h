/* The policy: facts + settings in, findings out. Pure: no I/O, no globals, no clock. */
#pragma once

#include "facts.h"

typedef struct nw_policy_cfg {
        bool nested_hv;           /* check config.nestedHVEnabled */
        bool forged_transmits;
        bool mac_learning;        /* prefer MAC learning where the switch has it */
        bool mac_changes;         /* expected "MAC address changes" where MAC learning applies */
        int64_t mac_learning_limit;
        const char *mac_learning_limit_policy; /* "allow" or "drop" */
        bool standard_portgroups;
} nw_policy_cfg;

void nw_policy_cfg_defaults(nw_policy_cfg *cfg);

typedef enum nw_value_type {
        NW_VAL_BOOL,
        NW_VAL_UNSET,  /* the property was absent */
        NW_VAL_LIMIT,  /* MAC learning limit + limit policy */
        NW_VAL_TEXT,   /* words: "readable" expected, "NoPermission on name" actual */
} nw_value_type;

/* A value in its own storage, so that findings and fixes can be copied and kept while the facts
 * they came from are read again. */
typedef struct nw_value {
        nw_value_type type;
        bool b;
        int64_t limit;            /* -1: absent */
        char limit_policy[16];    /* "allow", "drop"; "": absent */
        bool limit_policy_cut;    /* longer than the field: none of the API's values; never matches */
        char text[64];            /* NW_VAL_TEXT */
} nw_value;

/* Owns object and name (see facts.h: nothing downstream of the facts borrows from them). */
typedef struct nw_finding {
        nw_kind kind;
        char *object;             /* moref, or HOST/PG for standard */
        char *name;
        nw_check check;
        nw_value expected, actual;
        bool template;            /* a finding on a template: reported apart */
        bool powered_on;          /* VM findings: fixing needs a power-off */
        char hint[256];
} nw_finding;

/* Worth knowing, not drift: where drift can come from. Owns its strings like a finding. */
typedef enum nw_notice_type {
        NW_NOTICE_PORT_OVERRIDE_ALLOWED, /* a DV portgroup the nested hosts use lets ports override it */
} nw_notice_type;

typedef struct nw_notice {
        nw_notice_type type;
        nw_kind kind;
        char *object;
        char *name;
        char detail[160];
} nw_notice;

typedef struct nw_findings {
        nw_finding *v;
        size_t n, cap;
        nw_notice *notices;       /* sorted by object */
        size_t n_notices;
        size_t vms, templates, portgroups, ports; /* what was checked */
        size_t judged[_NW_KIND_MAX];  /* the same by kind (a template is a vm), as the metrics show them */
        size_t unreadable;        /* findings of check unreadable: compliance is unknown while > 0 */
} nw_findings;

/* The value as people read it: "true", "unset", "4096/drop". 0; -ENOBUFS when cut (buf still
 * NUL-terminated); -EINVAL for a bad v or size 0. */
int nw_value_to_string(const nw_value *v, char *buf, size_t size);

/* Frees x's strings and zeroes it. */
void nw_finding_done(nw_finding *x);
void nw_findings_done(nw_findings *f);
static inline void nw_findings_donep(nw_findings *f) {
        nw_findings_done(f);
}
#define _cleanup_findings_ _cleanup_(nw_findings_donep)

/* Judges every VM, DV portgroup, standard portgroup and DV port in inv, and turns each unreadable
 * object into a finding of check unreadable (a DV portgroup on an unreadable switch is not judged:
 * what it needs is not known). A port is judged on the policies it overrides, with the rules of its
 * portgroup; what it inherits, its portgroup's verdict covers. A DV portgroup that lets ports
 * override it gets a notice. The findings own their strings: inv may change or go afterwards. Sorted by
 * (object, check). 0 or -ENOMEM; out is empty on failure. */
int policy_evaluate(const nw_inventory *inv, const nw_policy_cfg *cfg, nw_findings *out);

/* Whether policy_evaluate can find drift of check on an object of kind (not counting unreadable,
 * which any kind can be): the series the metrics list at 0 when nothing drifts. */
bool policy_judges(nw_kind kind, nw_check check);

/* Whether MAC learning applies on a DV portgroup; why (static text) says what decided it. */
bool policy_mac_learning_available(const nw_switch *sw, const nw_dvpg *pg, const char **why);

/* "port_override_allowed". NULL for an invalid value. */
const char *nw_notice_type_to_string(nw_notice_type t);

/* "6.6.0" vs "6.5.0": <0, 0, >0. Missing components count as 0; garbage sorts lowest. */
int policy_version_cmp(const char *a, const char *b);

