/* Shared by vim.c and vim-tasks.c, and open to the tests: the request bodies (the wire test holds
 * the real ones against pyVmomi through the trace hook; the unit tests and the fuzz harnesses build
 * them directly). Not for daemon/. */
#pragma once

#include "vim-tasks.h"

/* Request bodies (the method element, without envelope), exactly as pyVmomi orders them. 0 or
 * -ENOMEM (then b->oom is set). */
int vim_body_retrieve_service_content(nw_buf *b);
int vim_body_login(nw_buf *b, const char *session_manager, const char *user, const char *password);
int vim_body_logout(nw_buf *b, const char *session_manager);
int vim_body_retrieve(nw_buf *b, const char *property_collector, const vim_filter_spec *spec, int64_t max_objects);
int vim_body_continue(nw_buf *b, const char *property_collector, const char *token);
int vim_body_create_filter(nw_buf *b, const char *property_collector, const vim_filter_spec *spec);
int vim_body_destroy_filter(nw_buf *b, const char *filter);
int vim_body_wait_for_updates(nw_buf *b, const char *property_collector, const char *version, int max_wait_seconds);
int vim_body_reconfig_vm(nw_buf *b, const char *vm, bool nested_hv);
int vim_body_reconfigure_dvpg(nw_buf *b, const char *dvpg, const char *config_version, const vim_dvpg_policy *p);
int vim_body_update_portgroup(nw_buf *b, const char *network_system, const char *pg_name, const char *spec_head_xml,
                              const char *policy_tail_xml, int promiscuous, int mac_changes, int forged_transmits);
int vim_body_create_collector(nw_buf *b, const char *property_collector);
