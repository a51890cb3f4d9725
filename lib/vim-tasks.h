/* The vim25 calls that change things (reconfigure a VM, a DV portgroup, a standard portgroup) and
 * the wait for the Task they start. */
#pragma once

#include "vim.h"

/* What ReconfigureDVPortgroup_Task writes: one whole policy object of defaultPortConfig. */
typedef struct vim_dvpg_policy {
        bool mac_management;     /* DVSMacManagementPolicy (6.7+); else the DVSSecurityPolicy */
        bool promiscuous, forged_transmits, mac_changes;
        bool set_mac_changes;    /* security policy: false leaves macChanges out (unchanged) */
        bool learning_enabled, unicast_flooding;
        int64_t limit;
        const char *limit_policy;
} vim_dvpg_policy;

/* ReconfigVM_Task {nestedHVEnabled} → task moref. */
int vim_reconfig_vm(vim_ctx *vc, const char *vm, bool nested_hv, char **ret_task, nw_err *err);
/* ReconfigureDVPortgroup_Task {configVersion, defaultPortConfig: policy} → task moref. */
int vim_reconfigure_dvpg(vim_ctx *vc, const char *dvpg, const char *config_version, const vim_dvpg_policy *p,
                         char **ret_task, nw_err *err);
/* HostNetworkSystem.UpdatePortGroup with the spec as read (head, tail: see nw_stdpg) and the given
 * security overrides (NW_UNSET: inherit from the vSwitch). Synchronous: no task. */
int vim_update_portgroup(vim_ctx *vc, const char *network_system, const char *pg_name, const char *spec_head_xml,
                         const char *policy_tail_xml, int promiscuous, int mac_changes, int forged_transmits,
                         nw_err *err);
/* DistributedVirtualSwitch.FetchDVPorts with a criteria of port keys: cb once per returned
 * DistributedVirtualPort (a port vCenter does not know is left out). dvs_type is the switch's moref
 * type, read one port at a time. A negative return from cb stops. */
typedef int (*vim_port_cb)(void *userdata, const xmlNode *port, nw_err *err);
int vim_fetch_dvports(vim_ctx *vc, const char *dvs_type, const char *dvs, const char *const *keys, size_t n_keys,
                      vim_port_cb cb, void *userdata, nw_err *err);
/* DistributedVirtualSwitch.ReconfigureDVPort_Task {edit key, setting: policy, configVersion} → task. */
int vim_reconfigure_dvport(vim_ctx *vc, const char *dvs_type, const char *dvs, const char *key,
                           const char *config_version, const vim_dvpg_policy *p, char **ret_task, nw_err *err);

/* Waits until task's info.state is success (0) or error: the task's fault becomes the error
 * (-NW_ECONCURRENT for ConcurrentAccess, else -NW_ESOAPFAULT with err->fault set). Through
 * WaitForUpdatesEx on a private collector, not by polling. */
int vim_wait_task(vim_ctx *vc, const char *task, int timeout_seconds, nw_err *err);
