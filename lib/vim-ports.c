/* The two calls on a distributed switch's ports. Ports are no managed objects: no PropertyCollector
 * reads them, FetchDVPorts does, and ReconfigureDVPort_Task changes them. Bodies in schema order. */

#include "vim-internal.h"

int vim_body_fetch_dvports(nw_buf *b, const char *dvs_type, const char *dvs, const char *const *keys, size_t n_keys) {
        nw_buf_puts(b, "<FetchDVPorts xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", dvs_type, dvs);
        /* DistributedVirtualSwitchPortCriteria: portKey comes after connected, active, uplinkPort,
         * nsxPort, scope, portgroupKey and inside, none of which is set. */
        nw_buf_puts(b, "<criteria>");
        for (size_t i = 0; i < n_keys; i++)
                soap_put_text(b, "portKey", keys[i]);
        nw_buf_puts(b, "</criteria></FetchDVPorts>");
        return b->oom ? -ENOMEM : 0;
}

int vim_body_reconfigure_dvport(nw_buf *b, const char *dvs_type, const char *dvs, const char *key,
                                const char *config_version, const vim_dvpg_policy *p) {
        nw_buf_puts(b, "<ReconfigureDVPort_Task xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", dvs_type, dvs);
        /* DVPortConfigSpec: operation, key, name, scope, description, setting, configVersion. */
        nw_buf_puts(b, "<port><operation>edit</operation>");
        soap_put_text(b, "key", key);
        vim_put_port_setting(b, "setting", p);
        soap_put_text(b, "configVersion", config_version);
        nw_buf_puts(b, "</port></ReconfigureDVPort_Task>");
        return b->oom ? -ENOMEM : 0;
}

int vim_fetch_dvports(vim_ctx *vc, const char *dvs_type, const char *dvs, const char *const *keys, size_t n_keys,
                      vim_port_cb cb, void *userdata, nw_err *err) {
        /* One <returnval> per port (none when vCenter knows none of the keys), read one at a time:
         * a page of ports is as big as a page of VMs. */
        static const char *const path[] = { "returnval", NULL };
        _cleanup_buf_ nw_buf body = {};
        soap_records records = { .path = path, .fn = cb, .userdata = userdata };

        vim_body_fetch_dvports(&body, dvs_type, dvs, keys, n_keys);
        return vim_call_records(vc, "FetchDVPorts", &body, &records, NULL, NULL, err);
}

int vim_reconfigure_dvport(vim_ctx *vc, const char *dvs_type, const char *dvs, const char *key,
                           const char *config_version, const vim_dvpg_policy *p, char **ret_task, nw_err *err) {
        _cleanup_buf_ nw_buf body = {};

        vim_body_reconfigure_dvport(&body, dvs_type, dvs, key, config_version, p);
        return vim_call(vc, "ReconfigureDVPort_Task", &body, NULL, NULL, ret_task, err);
}
