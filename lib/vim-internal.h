/* Shared by vim.c and vim-tasks.c, and open to the tests: the one way a vim25 call is made, and the
 * request bodies (the wire test holds the real ones against pyVmomi through the trace hook; the unit
 * tests and the fuzz harnesses build them directly). Not for daemon/. */
#pragma once

#include "vim-tasks.h"

/* Sends body (the method element a vim_body_* builder wrote; its out-of-memory flag is checked
 * here, so builders' results need no check) as method, and hands back the reply's <returnval> as
 * the caller needs it, NULL for what it does not:
 *   ret_text: the returnval's text is required (a moref: a Task, a filter, a collector); *ret_text
 *             gets a copy, and a reply without it is -NW_EREPLY "METHOD: reply has no returnval".
 *   ret_doc:  *ret_doc owns the reply and *ret_returnval (which needs ret_doc) points into it,
 *             NULL when the method returned nothing (an optional result: a wait that timed out, an
 *             empty page).
 * Without ret_doc the reply is freed before returning. Errors and faults as soap_call's; the ret_
 * parameters are untouched on failure. */
int vim_call(vim_ctx *vc, const char *method, const nw_buf *body, xmlDoc **ret_doc, xmlNode **ret_returnval,
             char **ret_text, nw_err *err);

/* The same, handing the reply's records (see soap_records) to records->fn as they are read. */
int vim_call_records(vim_ctx *vc, const char *method, const nw_buf *body, const soap_records *records,
                     xmlDoc **ret_doc, xmlNode **ret_returnval, nw_err *err);

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
int vim_body_fetch_dvports(nw_buf *b, const char *dvs_type, const char *dvs, const char *const *keys, size_t n_keys);
int vim_body_reconfigure_dvport(nw_buf *b, const char *dvs_type, const char *dvs, const char *key,
                                const char *config_version, const vim_dvpg_policy *p);
/* <elem xsi:type="VMwareDVSPortSetting"> with the one policy p writes: a portgroup's
 * defaultPortConfig, a port's setting. */
void vim_put_port_setting(nw_buf *b, const char *elem, const vim_dvpg_policy *p);
int vim_body_log_user_event(nw_buf *b, const char *event_manager, const char *entity_type, const char *entity,
                            const char *msg);
int vim_body_add_custom_field_def(nw_buf *b, const char *custom_fields_manager, const char *name, const char *mo_type);
int vim_body_set_field(nw_buf *b, const char *custom_fields_manager, const char *entity_type, const char *entity,
                       int32_t key, const char *value);
