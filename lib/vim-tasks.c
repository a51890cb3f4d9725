/* The vim25 calls that change things: the three reconfigure calls nestwarden makes, and waiting
 * for a Task through the PropertyCollector. Bodies in schema order, as pyVmomi writes them. */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "vim-internal.h"

static void put_bool(nw_buf *b, const char *elem, bool v) {
        nw_buf_printf(b, "<%s>%s</%s>", elem, v ? "true" : "false", elem);
}

int vim_body_reconfig_vm(nw_buf *b, const char *vm, bool nested_hv) {
        /* VirtualMachineConfigSpec: every member optional, unset means unchanged. */
        nw_buf_puts(b, "<ReconfigVM_Task xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "VirtualMachine", vm);
        nw_buf_puts(b, "<spec>");
        put_bool(b, "nestedHVEnabled", nested_hv);
        nw_buf_puts(b, "</spec></ReconfigVM_Task>");
        return b->oom ? -ENOMEM : 0;
}

/* BoolPolicy {inherited, value}: inherited=false or the value would be ignored. */
static void put_bool_policy(nw_buf *b, const char *elem, bool v) {
        nw_buf_printf(b, "<%s><inherited>false</inherited><value>%s</value></%s>", elem, v ? "true" : "false", elem);
}

void vim_put_port_setting(nw_buf *b, const char *elem, const vim_dvpg_policy *p) {
        /* Only the policy being fixed: everything else on the portgroup or port stays as it is. In
         * VMwareDVSPortSetting securityPolicy comes before macManagementPolicy. */
        nw_buf_printf(b, "<%s xsi:type=\"VMwareDVSPortSetting\">", elem);
        if (p->mac_management) {
                nw_buf_puts(b, "<macManagementPolicy><inherited>false</inherited>");
                put_bool(b, "allowPromiscuous", p->promiscuous);
                put_bool(b, "macChanges", p->mac_changes);
                put_bool(b, "forgedTransmits", p->forged_transmits);
                nw_buf_puts(b, "<macLearningPolicy><inherited>false</inherited>");
                put_bool(b, "enabled", p->learning_enabled);
                put_bool(b, "allowUnicastFlooding", p->unicast_flooding);
                nw_buf_printf(b, "<limit>%" PRId64 "</limit>", p->limit);
                nw_buf_puts(b, "<limitPolicy>");
                nw_buf_put_xml(b, p->limit_policy ? p->limit_policy : "drop");
                nw_buf_puts(b, "</limitPolicy></macLearningPolicy></macManagementPolicy>");
        } else {
                nw_buf_puts(b, "<securityPolicy><inherited>false</inherited>");
                put_bool_policy(b, "allowPromiscuous", p->promiscuous);
                if (p->set_mac_changes)
                        put_bool_policy(b, "macChanges", p->mac_changes);
                put_bool_policy(b, "forgedTransmits", p->forged_transmits);
                nw_buf_puts(b, "</securityPolicy>");
        }
        nw_buf_printf(b, "</%s>", elem);
}

int vim_body_reconfigure_dvpg(nw_buf *b, const char *dvpg, const char *config_version, const vim_dvpg_policy *p) {
        nw_buf_puts(b, "<ReconfigureDVPortgroup_Task xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "DistributedVirtualPortgroup", dvpg);
        nw_buf_puts(b, "<spec><configVersion>");
        nw_buf_put_xml(b, config_version);
        nw_buf_puts(b, "</configVersion>");
        vim_put_port_setting(b, "defaultPortConfig", p);
        nw_buf_puts(b, "</spec></ReconfigureDVPortgroup_Task>");
        return b->oom ? -ENOMEM : 0;
}

static void put_tri(nw_buf *b, const char *elem, int v) {
        if (v >= 0)
                put_bool(b, elem, v);
}

int vim_body_update_portgroup(nw_buf *b, const char *network_system, const char *pg_name, const char *spec_head_xml,
                              const char *policy_tail_xml, int promiscuous, int mac_changes, int forged_transmits) {
        nw_buf_puts(b, "<UpdatePortGroup xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "HostNetworkSystem", network_system);
        nw_buf_puts(b, "<pgName>");
        nw_buf_put_xml(b, pg_name);
        /* HostPortGroupSpec: name, vlanId, vswitchName, policy{security, nicTeaming, offloadPolicy,
         * shapingPolicy}. Copied whole from what vCenter sent; only security is ours. */
        nw_buf_puts(b, "</pgName><portgrp>");
        nw_buf_puts(b, spec_head_xml ? spec_head_xml : "");
        nw_buf_puts(b, "<policy><security>");
        put_tri(b, "allowPromiscuous", promiscuous);
        put_tri(b, "macChanges", mac_changes);
        put_tri(b, "forgedTransmits", forged_transmits);
        nw_buf_puts(b, "</security>");
        nw_buf_puts(b, policy_tail_xml ? policy_tail_xml : "");
        nw_buf_puts(b, "</policy></portgrp></UpdatePortGroup>");
        return b->oom ? -ENOMEM : 0;
}

int vim_body_create_collector(nw_buf *b, const char *property_collector) {
        nw_buf_puts(b, "<CreatePropertyCollector xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "PropertyCollector", property_collector);
        nw_buf_puts(b, "</CreatePropertyCollector>");
        return b->oom ? -ENOMEM : 0;
}

int vim_reconfig_vm(vim_ctx *vc, const char *vm, bool nested_hv, char **ret_task, nw_err *err) {
        _cleanup_buf_ nw_buf body = {};

        vim_body_reconfig_vm(&body, vm, nested_hv);
        return vim_call(vc, "ReconfigVM_Task", &body, NULL, NULL, ret_task, err);
}

int vim_reconfigure_dvpg(vim_ctx *vc, const char *dvpg, const char *config_version, const vim_dvpg_policy *p,
                         char **ret_task, nw_err *err) {
        _cleanup_buf_ nw_buf body = {};

        vim_body_reconfigure_dvpg(&body, dvpg, config_version, p);
        return vim_call(vc, "ReconfigureDVPortgroup_Task", &body, NULL, NULL, ret_task, err);
}

int vim_update_portgroup(vim_ctx *vc, const char *network_system, const char *pg_name, const char *spec_head_xml,
                         const char *policy_tail_xml, int promiscuous, int mac_changes, int forged_transmits,
                         nw_err *err) {
        _cleanup_buf_ nw_buf body = {};

        vim_body_update_portgroup(&body, network_system, pg_name, spec_head_xml, policy_tail_xml, promiscuous,
                                  mac_changes, forged_transmits);
        return vim_call(vc, "UpdatePortGroup", &body, NULL, NULL, NULL, err);
}

typedef struct task_state {
        char state[16];           /* queued, running, success, error */
        char fault[64];
        char message[512];
} task_state;

static int on_task(void *userdata, const char *type, const char *moref, const char *kind, const xmlNode *ou,
                   nw_err *err) {
        task_state *t = userdata;

        SOAP_FOREACH(cs, ou, "changeSet") {
                const char *name = soap_child_text(cs, "name");
                const xmlNode *val = soap_child(cs, "val");

                if (!name || !val)
                        continue;
                if (strcmp(name, "info.state") == 0)
                        snprintf(t->state, sizeof(t->state), "%s", soap_text(val) ?: "");
                else if (strcmp(name, "info.error") == 0) {
                        const xmlNode *fault = soap_child(val, "fault");
                        char buf[64];
                        const char *type_name = soap_xsi_type(fault, buf, sizeof(buf));

                        snprintf(t->fault, sizeof(t->fault), "%s", type_name ? type_name : "UnknownFault");
                        snprintf(t->message, sizeof(t->message), "%s", soap_child_text(val, "localizedMessage") ?: "");
                }
        }
        return 0;
}

int vim_wait_task(vim_ctx *vc, const char *task, int timeout_seconds, nw_err *err) {
        static const char *const paths[] = { "info.state", "info.error", NULL };
        const vim_prop_spec props[] = { { "Task", paths } };
        const vim_obj_spec objs[] = { { "Task", task, NULL, 0 } };
        _cleanup_free_ char *filter = NULL, *version = strdup("");
        task_state t = {};
        struct timespec start, now;
        int r;

        if (!version)
                return nw_errf(err, -ENOMEM, "out of memory");
        /* A collector of our own, so a task wait never consumes the daemon's watch updates. */
        if (!vc->task_collector) {
                _cleanup_buf_ nw_buf body = {};

                vim_body_create_collector(&body, vc->property_collector);
                r = vim_call(vc, "CreatePropertyCollector", &body, NULL, NULL, &vc->task_collector, err);
                if (r < 0)
                        return r;
        }
        r = vim_create_filter_on(vc, vc->task_collector, &(vim_filter_spec) { props, 1, objs, 1 }, &filter, err);
        if (r < 0)
                return r;
        clock_gettime(CLOCK_MONOTONIC, &start);
        while (strcmp(t.state, "success") != 0 && strcmp(t.state, "error") != 0) {
                clock_gettime(CLOCK_MONOTONIC, &now);
                if (now.tv_sec - start.tv_sec >= timeout_seconds) {
                        /* Not a lost connection: vCenter answers, the task is just slow. */
                        r = nw_errf(err, -NW_ESOAPFAULT, "%s: not finished after %d s; it may still complete", task,
                                    timeout_seconds);
                        if (err)
                                snprintf(err->fault, sizeof(err->fault), "TaskTimeout");
                        break;
                }
                /* The poll holds the line up to 5 s on top of the usual request time. */
                nw_http_add_timeout_ms(vc->http, 5000);
                r = vim_wait_for_updates_on(vc, vc->task_collector, version, 5, on_task, &t, &version, err);
                nw_http_set_timeout_ms(vc->http, 0);
                if (r < 0)
                        break;
        }
        (void) vim_destroy_filter(vc, filter, NULL);
        if (r < 0)
                return r;
        if (strcmp(t.state, "error") == 0) {
                r = nw_errf(err, strcmp(t.fault, "ConcurrentAccess") == 0 ? -NW_ECONCURRENT : -NW_ESOAPFAULT,
                            "%s: %s: %s", task, t.fault, t.message[0] ? t.message : "(no message)");
                if (err)
                        snprintf(err->fault, sizeof(err->fault), "%s", t.fault);
                return r;
        }
        return 0;
}
