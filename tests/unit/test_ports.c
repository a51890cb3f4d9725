/* Port-level policy: a VM's DV NICs and a port as FetchDVPorts gives them, a port judged on what it
 * overrides (with its portgroup's rules), the notice on a portgroup that allows overrides, the plan
 * for a port, and both reports. */
#include <json.h>
#include <libxml/parser.h>
#include <string.h>

#include "fixtures.h"
#include "inventory-props.h"
#include "remedy.h"
#include "report.h"
#include "tap.h"
#include "xml.h"

#define NS "xmlns=\"urn:vim25\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""

/* config.hardware.device as vCenter sends it: a disk, a NIC on a standard portgroup, two on DV
 * portgroups (one never connected: no port key). */
static void test_parse_nics(void) {
        const char *xml =
                "<val " NS " xsi:type=\"ArrayOfVirtualDevice\">"
                "<VirtualDevice xsi:type=\"VirtualDisk\"><key>2000</key><deviceInfo><label>Hard disk 1</label>"
                "</deviceInfo><backing xsi:type=\"VirtualDiskFlatVer2BackingInfo\"><fileName>[ds] a.vmdk</fileName>"
                "</backing></VirtualDevice>"
                "<VirtualDevice xsi:type=\"VirtualVmxnet3\"><key>4000</key><deviceInfo><label>Network adapter 1</label>"
                "</deviceInfo><backing xsi:type=\"VirtualEthernetCardNetworkBackingInfo\"><deviceName>VM Network"
                "</deviceName></backing></VirtualDevice>"
                "<VirtualDevice xsi:type=\"VirtualE1000e\"><key>4001</key><deviceInfo><label>Network adapter 2</label>"
                "</deviceInfo><backing xsi:type=\"VirtualEthernetCardDistributedVirtualPortBackingInfo\"><port>"
                "<switchUuid>50 1a</switchUuid><portgroupKey>dvportgroup-30</portgroupKey><portKey>17</portKey>"
                "</port></backing></VirtualDevice>"
                "<VirtualDevice xsi:type=\"VirtualVmxnet3\"><key>4002</key><deviceInfo><label>Network adapter 3</label>"
                "</deviceInfo><backing xsi:type=\"VirtualEthernetCardDistributedVirtualPortBackingInfo\"><port>"
                "<switchUuid>50 1a</switchUuid><portgroupKey>dvportgroup-31</portgroupKey></port></backing>"
                "</VirtualDevice></val>";
        xmlDoc *doc = parse(xml);
        nw_nic *nics = NULL;
        size_t n = 0;

        CHECK_INTEQ(props_parse_nics(xmlDocGetRootElement(doc), &nics, &n), 0);
        CHECK_INTEQ(n, 2);
        if (n == 2) {
                CHECK_STREQ(nics[0].label, "Network adapter 2");
                CHECK_STREQ(nics[0].portgroup, "dvportgroup-30");
                CHECK_STREQ(nics[0].port_key, "17");
                CHECK_STREQ(nics[1].label, "Network adapter 3");
                CHECK(!nics[1].port_key);
        }
        for (size_t i = 0; i < n; i++)
                nw_nic_done(&nics[i]);
        free(nics);
        CHECK_INTEQ(props_parse_nics(NULL, &nics, &n), 0);
        CHECK_INTEQ(n, 0);
        xmlFreeDoc(doc);
}

/* A DistributedVirtualPort: forged transmits overridden on the port, security inherited. */
static void test_parse_dvport(void) {
        const char *xml =
                "<returnval " NS "><key>17</key><config><name></name><setting xsi:type=\"VMwareDVSPortSetting\">"
                "<securityPolicy><inherited>true</inherited><allowPromiscuous><inherited>true</inherited>"
                "<value>false</value></allowPromiscuous><forgedTransmits><inherited>true</inherited><value>true"
                "</value></forgedTransmits></securityPolicy>"
                "<macManagementPolicy><inherited>false</inherited><allowPromiscuous>false</allowPromiscuous>"
                "<macChanges>false</macChanges><forgedTransmits>false</forgedTransmits><macLearningPolicy>"
                "<inherited>false</inherited><enabled>true</enabled><allowUnicastFlooding>true</allowUnicastFlooding>"
                "<limit>4096</limit><limitPolicy>drop</limitPolicy></macLearningPolicy></macManagementPolicy>"
                "</setting><configVersion>3</configVersion></config><portgroupKey>dvportgroup-30</portgroupKey>"
                "</returnval>";
        xmlDoc *doc = parse(xml);
        nw_dvport p;

        CHECK_INTEQ(props_parse_dvport(xmlDocGetRootElement(doc), &p), 0);
        CHECK_STREQ(p.key, "17");
        CHECK_STREQ(p.portgroup, "dvportgroup-30");
        CHECK_STREQ(p.config_version, "3");
        CHECK(p.mac.present && !p.mac.inherited);
        CHECK_INTEQ(p.mac.forged_transmits, NW_FALSE);
        CHECK_INTEQ(p.mac.learning_enabled, NW_TRUE);
        CHECK_STREQ(p.mac.limit_policy, "drop");
        CHECK(p.sec.present && p.sec.inherited);
        nw_dvport_done(&p);
        xmlFreeDoc(doc);

        doc = parse("<returnval " NS "><config/></returnval>");
        CHECK_INTEQ(props_parse_dvport(xmlDocGetRootElement(doc), &p), -EBADMSG);
        xmlFreeDoc(doc);
}

/* The curated case: pg-ml-override (compliant, overrides allowed) with hv-port-11's port overriding
 * forged transmits to rejected; a second VM's port inheriting. */
static void build(nw_inventory *inv, bool port_overrides, nw_tri forged) {
        mac_spec good = GOOD_MAC;
        nw_dvport *p;

        add_switch(inv, "dvs-21", "7.0.3", YES);
        add_dvpg(inv, "dvportgroup-30", "pg-ml-override", "dvs-21", &good, &(sec_spec) {});
        inv->dvpgs[0].security_override = NW_TRUE;
        inv->dvpgs[0].mac_override = NW_TRUE;
        add_vm(inv, "vm-11", "hv-port-11", YES, YES, 14, "poweredOff");
        add_vm(inv, "vm-12", "hv-port-12", YES, YES, 14, "poweredOn");
        for (int i = 0; i < 2; i++) {
                p = APPEND(inv, dvports);
                p->id = xstrdup(i == 0 ? "dvs-21/17" : "dvs-21/18");
                p->key = xstrdup(i == 0 ? "17" : "18");
                p->switch_moref = xstrdup("dvs-21");
                p->switch_type = xstrdup("VmwareDistributedVirtualSwitch");
                p->portgroup = xstrdup("dvportgroup-30");
                p->vm = xstrdup(i == 0 ? "vm-11" : "vm-12");
                p->name = xstrdup(i == 0 ? "hv-port-11 Network adapter 1" : "hv-port-12 Network adapter 1");
                p->config_version = xstrdup("3");
                p->mac = inv->dvpgs[0].mac;
                p->mac.limit_policy = xstrdup("drop");
                p->mac.inherited = true;
                if (i == 0 && port_overrides) {
                        p->mac.inherited = false;
                        p->mac.forged_transmits = forged;
                }
        }
}

static void test_policy(void) {
        nw_policy_cfg cfg = make_pol(0);

        {
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};

                build(&inv, true, NW_FALSE);
                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                CHECK_INTEQ(f.portgroups, 1);
                CHECK_INTEQ(f.ports, 2);
                CHECK_INTEQ(f.judged[NW_KIND_DVPORT], 2);
                CHECK_INTEQ(f.judged[NW_KIND_DVPG], 1);
                CHECK_INTEQ(f.n, 1);
                if (f.n == 1) {
                        CHECK_INTEQ(f.v[0].kind, NW_KIND_DVPORT);
                        CHECK_STREQ(f.v[0].object, "dvs-21/17");
                        CHECK_STREQ(f.v[0].name, "hv-port-11 Network adapter 1");
                        CHECK_INTEQ(f.v[0].check, NW_CHECK_FORGED_TRANSMITS);
                        CHECK(f.v[0].expected.b && !f.v[0].actual.b);
                }
                CHECK_INTEQ(f.n_notices, 1);
                if (f.n_notices == 1) {
                        CHECK_STREQ(f.notices[0].object, "dvportgroup-30");
                        CHECK_STREQ(f.notices[0].name, "pg-ml-override");
                        CHECK_STREQ(nw_notice_type_to_string(f.notices[0].type), "port_override_allowed");
                        CHECK(strstr(f.notices[0].detail, "security and MAC management"));
                }
        }
        {
                /* Overridden with compliant values: no finding, still judged. */
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};

                build(&inv, true, NW_TRUE);
                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                CHECK_INTEQ(f.n, 0);
                CHECK_INTEQ(f.ports, 2);
        }
        {
                /* A drifted portgroup: its ports inherit the drift, which the portgroup's finding
                 * covers; no finding twice. */
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};

                build(&inv, false, NW_TRUE);
                inv.dvpgs[0].mac.forged_transmits = NW_FALSE;
                for (size_t i = 0; i < inv.n_dvports; i++)
                        inv.dvports[i].mac.forged_transmits = NW_FALSE;
                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                CHECK_INTEQ(f.n, 1);
                if (f.n == 1)
                        CHECK_STREQ(f.v[0].object, "dvportgroup-30");
        }
        {
                /* Legacy rules on a switch without MAC learning: an overriding securityPolicy. */
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};

                build(&inv, false, NW_TRUE);
                free(inv.switches[0].version);
                inv.switches[0].version = xstrdup("6.5.0");
                inv.switches[0].mac_learning_supported = NW_FALSE;
                free(inv.dvpgs[0].mac.limit_policy);
                inv.dvpgs[0].mac = (nw_mac_policy) { .limit = -1 };
                inv.dvpgs[0].sec = (nw_sec_policy) { .present = true, .promiscuous = NW_TRUE,
                                                      .forged_transmits = NW_TRUE, .mac_changes = NW_FALSE };
                for (size_t i = 0; i < inv.n_dvports; i++) {
                        free(inv.dvports[i].mac.limit_policy);
                        inv.dvports[i].mac = (nw_mac_policy) { .limit = -1 };
                        inv.dvports[i].sec = inv.dvpgs[0].sec;
                        inv.dvports[i].sec.inherited = i != 0;
                }
                inv.dvports[0].sec.promiscuous = NW_FALSE;
                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                CHECK_INTEQ(f.n, 1);
                if (f.n == 1) {
                        CHECK_STREQ(f.v[0].object, "dvs-21/17");
                        CHECK_INTEQ(f.v[0].check, NW_CHECK_PROMISCUOUS);
                }
        }
        {
                /* Overrides not allowed: no notice. A port on an unreadable switch: not judged. */
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};

                build(&inv, true, NW_FALSE);
                inv.dvpgs[0].security_override = NW_FALSE;
                inv.dvpgs[0].mac_override = NW_UNSET;
                inv.switches[0].unreadable = true;
                CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
                CHECK_INTEQ(f.n, 0);
                CHECK_INTEQ(f.n_notices, 0);
                CHECK_INTEQ(f.ports, 0);
                CHECK(nw_inventory_unobserved(&inv, "dvs-21/17") == false); /* the switch is no unreadable entry */
                CHECK_INTEQ(nw_inventory_add_unreadable(&inv, NW_KIND_SWITCH, "dvs-21", NULL, NULL, "x"), 0);
                CHECK(nw_inventory_unobserved(&inv, "dvs-21/17"));
        }
}

static void test_plan(void) {
        nw_policy_cfg pol = make_pol(0);

        for (int excl = 0; excl < 4; excl++) {
                static const char *const exclude[] = { NULL, "hv-port-11", "vm-11", "dvs-21/17" };
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                nw_remedy_cfg rc;

                nw_remedy_cfg_defaults(&rc);
                if (exclude[excl])
                        nw_strv_push(&rc.exclude, exclude[excl]);
                build(&inv, true, NW_FALSE);
                CHECK_INTEQ(policy_evaluate(&inv, &pol, &f), 0);
                CHECK_INTEQ(remedy_plan(&inv, &f, &pol, &rc, NULL, 0, &p), 0);
                CHECK_INTEQ(p.n, 1);
                if (p.n == 1) {
                        const nw_fix *x = &p.v[0];

                        CHECK_STREQ(nw_fix_kind_to_string(x->kind), "dvport-mac");
                        CHECK_STREQ(x->object, "dvs-21/17");
                        /* Excluding the VM, by moref or name, excludes its ports. */
                        CHECK_STREQ(nw_fix_verdict_to_string(x->verdict), exclude[excl] ? "excluded" : "apply");
                        CHECK(x->target.forged_transmits && x->target.learning_enabled && !x->target.promiscuous);
                        CHECK_STREQ(x->target.limit_policy, "drop");
                        CHECK_INTEQ(x->n_changes, 1);
                }
                nw_strv_done(&rc.exclude);
        }
        {
                /* Promiscuous on at one port reaches that port's VM only: never refused as shared. */
                _cleanup_inventory_ nw_inventory inv = {};
                _cleanup_findings_ nw_findings f = {};
                _cleanup_fix_plan_ nw_fix_plan p = {};
                nw_remedy_cfg rc;

                nw_remedy_cfg_defaults(&rc);
                build(&inv, false, NW_TRUE);
                inv.switches[0].mac_learning_supported = NW_FALSE;
                free(inv.switches[0].version);
                inv.switches[0].version = xstrdup("6.5.0");
                push(&inv.dvpgs[0].vms, "vm-99"); /* an untagged VM on the portgroup */
                inv.dvports[0].mac.inherited = false;
                inv.dvports[0].mac.promiscuous = NW_FALSE;
                inv.dvpgs[0].mac.promiscuous = NW_TRUE;
                CHECK_INTEQ(policy_evaluate(&inv, &pol, &f), 0);
                CHECK_INTEQ(remedy_plan(&inv, &f, &pol, &rc, NULL, 0, &p), 0);
                CHECK_INTEQ(p.n, 1);
                if (p.n == 1) {
                        CHECK_STREQ(nw_fix_kind_to_string(p.v[0].kind), "dvport-security");
                        CHECK_STREQ(nw_fix_verdict_to_string(p.v[0].verdict), "apply");
                        CHECK(p.v[0].target.promiscuous);
                }
        }
}

static void test_reports(void) {
        _cleanup_inventory_ nw_inventory inv = {};
        _cleanup_findings_ nw_findings f = {};
        _cleanup_free_ char *json = NULL, *table = NULL;
        nw_policy_cfg cfg = make_pol(0);
        json_object *root, *n, *x;

        build(&inv, true, NW_FALSE);
        CHECK_INTEQ(policy_evaluate(&inv, &cfg, &f), 0);
        CHECK_INTEQ(report_json("https://vc/sdk", &f, &json), 0);
        root = json ? json_tokener_parse(json) : NULL;
        CHECK(root);
        if (!root)
                return;
        CHECK_INTEQ(json_object_get_int64(json_object_object_get(json_object_object_get(root, "checked"), "ports")), 2);
        x = json_object_array_get_idx(json_object_object_get(root, "findings"), 0);
        CHECK_STREQ(json_object_get_string(json_object_object_get(x, "kind")), "dvport");
        CHECK_STREQ(json_object_get_string(json_object_object_get(x, "object")), "dvs-21/17");
        n = json_object_object_get(root, "notices");
        CHECK_INTEQ(json_object_array_length(n), 1);
        x = json_object_array_get_idx(n, 0);
        CHECK_STREQ(json_object_get_string(json_object_object_get(x, "notice")), "port_override_allowed");
        CHECK_STREQ(json_object_get_string(json_object_object_get(x, "kind")), "dvportgroup");
        CHECK_STREQ(json_object_get_string(json_object_object_get(x, "name")), "pg-ml-override");
        json_object_put(root);

        CHECK_INTEQ(report_table("https://vc/sdk", &f, &table), 0);
        CHECK(table && strstr(table, "dvport  dvs-21/17  hv-port-11 Network"));
        CHECK(table && strstr(table, "notice: dvportgroup pg-ml-override (dvportgroup-30): ports may override"));
        CHECK(table && strstr(table, "1 portgroup, 2 ports: 1 finding on 1 object"));
}

int main(void) {
        test_parse_nics();
        test_parse_dvport();
        test_policy();
        test_plan();
        test_reports();
        return tap_exit("ports");
}
