/* Configuration: parse (inih), validate every key, defaults, FILE:LINE errors. */
#pragma once

#include "policy.h"
#include "remedy.h"
#include "util.h"

#define NW_CONFIG_DEFAULT_PATH "/etc/nestwarden/nestwarden.conf"

typedef struct nw_config {
        char *path;
        struct {
                char *url;            /* required: https://vcenter.example.com/sdk */
                char *user;           /* required */
                char *password_file;  /* NULL: use $CREDENTIALS_DIRECTORY/vcenter-password */
                bool insecure;        /* skip TLS verification */
                char *ca_file;        /* NULL: system trust store */
                char *thumbprint;     /* "SHA256:" + 64 lowercase hex: pin this certificate; NULL: none */
                int64_t timeout;      /* seconds per HTTP request */
                int64_t page_size;    /* RetrievePropertiesEx maxObjects */
        int64_t max_reply_size; /* bytes a reply may decode to */
                bool annotate;        /* also tell vCenter: events on the objects, a status attribute on the VMs */
                char *annotation_field; /* the VMs' custom attribute that holds their status */
        } vcenter;
        struct {
                char *tag_category;
                char *tag;
        } selection;
        nw_policy_cfg policy;
        struct {
                int64_t interval;     /* seconds between full resyncs (the safety net) */
                int64_t tag_refresh;  /* seconds between tag lookups: tags have no change feed */
                int64_t port_refresh; /* seconds between DV port reads: ports have no change feed either */
                char mode[16];        /* "report" or "remediate" */
                char log_level[16];   /* err, warning, notice, info, debug */
                char *metrics_file;   /* Prometheus textfile for node_exporter; NULL: none */
        } daemon;
        nw_remedy_cfg remediation;
        char limit_policy_buf[8]; /* storage behind policy.mac_learning_limit_policy */
} nw_config;

/* Loads and validates path. On error ret is untouched and err->msg reads "PATH:LINE: key 'x': why"
 * (code -NW_ECONFIG, or a negative errno when the file cannot be read). */
int config_load(const char *path, nw_config **ret, nw_err *err);
void config_free(nw_config *cfg);
/* [daemon] log_level as a syslog priority (LOG_INFO, ...). */
int config_log_level(const nw_config *cfg);
static inline void config_freep(nw_config **cfg) {
        config_free(*cfg);
}
#define _cleanup_config_ _cleanup_(config_freep)
