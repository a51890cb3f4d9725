/* inventory: the ObjectContent parsers, on replies shaped like vCenter's (and the simulator's). */
#include <libxml/parser.h>
#include <string.h>

#include "inventory.h"
#include "inventory-props.h"
#include "tap.h"
#include "xml.h"

#define OC_HEAD "<objects xmlns=\"urn:vim25\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
#define PROP(name, type, val) "<propSet><name>" name "</name><val xsi:type=\"" type "\">" val "</val></propSet>"

static void test_vm(void) {
        const char *xml =
                OC_HEAD "<obj type=\"VirtualMachine\">vm-42</obj>"
                PROP("capability.nestedHVSupported", "xsd:boolean", "true")
                PROP("config.nestedHVEnabled", "xsd:boolean", "false")
                PROP("config.template", "xsd:boolean", "false")
                PROP("config.version", "xsd:string", "vmx-08")
                PROP("name", "xsd:string", "hv &amp; lab")
                PROP("network", "ArrayOfManagedObjectReference",
                     "<ManagedObjectReference type=\"Network\">network-7</ManagedObjectReference>"
                     "<ManagedObjectReference type=\"DistributedVirtualPortgroup\">dvportgroup-9</ManagedObjectReference>")
                PROP("runtime.host", "ManagedObjectReference", "host-21")
                PROP("runtime.powerState", "VirtualMachinePowerState", "poweredOn")
                "</objects>";
        xmlDoc *doc = parse(xml);
        nw_vm vm;
        nw_err err = {};

        CHECK_INTEQ(props_parse_vm(xmlDocGetRootElement(doc), "vm-42", &vm, &err), 0);
        CHECK_STREQ(vm.moref, "vm-42");
        CHECK_STREQ(vm.name, "hv & lab");
        CHECK_STREQ(vm.power_state, "poweredOn");
        CHECK_STREQ(vm.host, "host-21");
        CHECK_INTEQ(vm.nested_hv, NW_FALSE);
        CHECK_INTEQ(vm.nested_hv_supported, NW_TRUE);
        CHECK_INTEQ(vm.hw_version, 8);
        CHECK(!vm.template);
        CHECK_INTEQ(vm.networks.n, 2);
        CHECK_STREQ(vm.networks.v[1], "dvportgroup-9");
        nw_vm_done(&vm);
        xmlFreeDoc(doc);

        /* What the simulator and vCenter send for a VM whose nestedHVEnabled was never set: nothing. */
        doc = parse(OC_HEAD "<obj type=\"VirtualMachine\">vm-1</obj>" PROP("name", "xsd:string", "t")
                            PROP("config.template", "xsd:boolean", "true") "</objects>");
        CHECK_INTEQ(props_parse_vm(xmlDocGetRootElement(doc), "vm-1", &vm, &err), 0);
        CHECK_INTEQ(vm.nested_hv, NW_UNSET);
        CHECK_INTEQ(vm.nested_hv_supported, NW_UNSET);
        CHECK_INTEQ(vm.hw_version, 0);
        CHECK(vm.template);
        CHECK(vm.host == NULL);
        nw_vm_done(&vm);
        xmlFreeDoc(doc);

        doc = parse(OC_HEAD "<obj type=\"VirtualMachine\">vm-2</obj></objects>");
        CHECK_INTEQ(props_parse_vm(xmlDocGetRootElement(doc), "vm-2", &vm, &err), -NW_EREPLY);
        CHECK_STREQ(err.msg, "VM vm-2: reply has no name");
        xmlFreeDoc(doc);
}

static void test_dvpg(void) {
        const char *xml =
                OC_HEAD "<obj type=\"DistributedVirtualPortgroup\">dvportgroup-9</obj>"
                PROP("config.configVersion", "xsd:string", "3")
                PROP("config.defaultPortConfig", "VMwareDVSPortSetting",
                     "<blocked><inherited>true</inherited><value>false</value></blocked>"
                     "<securityPolicy><inherited>false</inherited>"
                     "<allowPromiscuous><inherited>false</inherited><value>true</value></allowPromiscuous>"
                     "<macChanges><inherited>false</inherited><value>false</value></macChanges>"
                     "<forgedTransmits><inherited>false</inherited><value>true</value></forgedTransmits>"
                     "</securityPolicy>"
                     "<macManagementPolicy><inherited>true</inherited><allowPromiscuous>false</allowPromiscuous>"
                     "<macChanges>false</macChanges><forgedTransmits>true</forgedTransmits>"
                     "<macLearningPolicy><inherited>false</inherited><enabled>true</enabled>"
                     "<allowUnicastFlooding>true</allowUnicastFlooding><limit>4096</limit>"
                     "<limitPolicy>drop</limitPolicy></macLearningPolicy></macManagementPolicy>")
                /* xsi:type first, as the simulator sends it: the moref's own type is the plain attribute. */
                "<propSet><name>config.distributedVirtualSwitch</name><val xsi:type=\"ManagedObjectReference\" "
                "type=\"VmwareDistributedVirtualSwitch\">dvs-5</val></propSet>"
                PROP("config.uplink", "xsd:boolean", "false")
                PROP("name", "xsd:string", "pg-ml")
                "</objects>";
        xmlDoc *doc;
        nw_dvpg pg;
        nw_err err = {};

        doc = parse(xml);
        CHECK_INTEQ(props_parse_dvpg(xmlDocGetRootElement(doc), "dvportgroup-9", &pg, &err), 0);
        CHECK_STREQ(pg.name, "pg-ml");
        CHECK_STREQ(pg.switch_moref, "dvs-5");
        CHECK_STREQ(pg.switch_type, "VmwareDistributedVirtualSwitch");
        CHECK_STREQ(pg.config_version, "3");
        CHECK(pg.backing_type == NULL);
        CHECK(!pg.uplink);
        CHECK(pg.mac.present);
        CHECK(pg.mac.inherited);
        CHECK_INTEQ(pg.mac.promiscuous, NW_FALSE);
        CHECK_INTEQ(pg.mac.forged_transmits, NW_TRUE);
        CHECK_INTEQ(pg.mac.mac_changes, NW_FALSE);
        CHECK(!pg.mac.learning_inherited);
        CHECK_INTEQ(pg.mac.learning_enabled, NW_TRUE);
        CHECK_INTEQ(pg.mac.unicast_flooding, NW_TRUE);
        CHECK_INTEQ(pg.mac.limit, 4096);
        CHECK_STREQ(pg.mac.limit_policy, "drop");
        CHECK(pg.sec.present);
        CHECK_INTEQ(pg.sec.promiscuous, NW_TRUE);
        CHECK_INTEQ(pg.sec.mac_changes, NW_FALSE);
        CHECK_INTEQ(pg.sec.forged_transmits, NW_TRUE);
        nw_dvpg_done(&pg);
        xmlFreeDoc(doc);

        /* A portgroup without its switch cannot be judged: refused, not guessed. */
        doc = parse(OC_HEAD "<obj type=\"DistributedVirtualPortgroup\">dvportgroup-1</obj>"
                            PROP("name", "xsd:string", "old") "</objects>");
        CHECK_INTEQ(props_parse_dvpg(xmlDocGetRootElement(doc), "dvportgroup-1", &pg, &err), -NW_EREPLY);
        CHECK_STREQ(err.msg, "DV portgroup dvportgroup-1: reply has no name or switch");
        xmlFreeDoc(doc);
}

/* Who sits on a portgroup decides whether promiscuous mode may be turned on: a change of
 * Network.vm alone must reach the facts. */
static void test_network_vm_update(void) {
        const char *xml =
                "<objectSet xmlns=\"urn:vim25\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
                "<kind>modify</kind><obj type=\"Network\">network-7</obj>"
                "<changeSet><name>vm</name><op>assign</op><val xsi:type=\"ArrayOfManagedObjectReference\">"
                "<ManagedObjectReference type=\"VirtualMachine\">vm-1</ManagedObjectReference>"
                "<ManagedObjectReference type=\"VirtualMachine\">vm-99</ManagedObjectReference></val></changeSet>"
                "</objectSet>";
        xmlDoc *doc = parse(xml);
        inventory_ctx ctx = {};
        nw_network *net;
        bool resync = false;
        nw_err err = {};

        ctx.inv.networks = calloc(1, sizeof(nw_network));
        ctx.inv.n_networks = 1;
        net = &ctx.inv.networks[0];
        net->moref = strdup("network-7");
        net->name = strdup("Lab");
        net->kind = NW_NET_STANDARD;
        CHECK_INTEQ(nw_strv_push(&net->vms, "vm-1"), 0);

        CHECK_INTEQ(inventory_apply_update(&ctx, "Network", "network-7", "modify", xmlDocGetRootElement(doc), &resync,
                                           &err),
                    0);
        CHECK(!resync);
        CHECK_INTEQ(net->vms.n, 2);
        CHECK(nw_strv_contains(&net->vms, "vm-99"));
        inventory_ctx_done(&ctx);
        xmlFreeDoc(doc);
}

static bool apply(inventory_ctx *ctx, const char *type, const char *moref, const char *body) {
        _cleanup_free_ char *xml = NULL;
        xmlDoc *doc;
        bool resync = false;
        nw_err err = {};

        CHECK(asprintf(&xml, "<objectSet xmlns=\"urn:vim25\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
                             "<kind>modify</kind><obj type=\"%s\">%s</obj>%s</objectSet>", type, moref, body) > 0);
        doc = parse(xml);
        CHECK_INTEQ(inventory_apply_update(ctx, type, moref, "modify", xmlDocGetRootElement(doc), &resync, &err), 0);
        xmlFreeDoc(doc);
        return resync;
}

#define NOPERM "<missingSet><path>name</path><fault><fault xsi:type=\"NoPermission\"><object type=\"VirtualMachine\">" \
        "vm-1</object><privilegeId>System.Read</privilegeId></fault><localizedMessage/></fault></missingSet>"
#define NAME(v) "<changeSet><name>name</name><op>assign</op><val xsi:type=\"xsd:string\">" v "</val></changeSet>"

/* Readability changing either way needs a full gather; an object still unreadable is no news; a name
 * removed or emptied by an update leaves a VM without a name, not a crash. */
static void test_readability_updates(void) {
        inventory_ctx ctx = {};

        ctx.inv.vms = calloc(2, sizeof(nw_vm));
        ctx.inv.n_vms = 1;
        ctx.inv.vms[0].moref = strdup("vm-1");
        ctx.inv.vms[0].name = strdup("lab");

        CHECK(!apply(&ctx, "VirtualMachine", "vm-1", NAME("lab")));
        CHECK(apply(&ctx, "VirtualMachine", "vm-1", NOPERM));          /* rights taken */
        CHECK(!apply(&ctx, "VirtualMachine", "vm-1", "<changeSet><name>name</name><op>remove</op></changeSet>"));
        CHECK(ctx.inv.vms[0].name == NULL);
        CHECK(!apply(&ctx, "VirtualMachine", "vm-1", NAME("")));
        CHECK(!ctx.inv.vms[0].name || !ctx.inv.vms[0].name[0]);

        CHECK_INTEQ(nw_inventory_add_unreadable(&ctx.inv, NW_KIND_VM, "vm-2", NULL, "NoPermission",
                                                "NoPermission on name"), 0);
        CHECK(!apply(&ctx, "VirtualMachine", "vm-2", NOPERM));         /* still unreadable */
        CHECK(apply(&ctx, "VirtualMachine", "vm-2", NAME("back")));    /* rights granted */
        inventory_ctx_done(&ctx);
}

/* A host update that unsets its portgroup list (a disconnect), or drops one a VM uses, needs a gather:
 * the portgroup must become unreadable, not vanish. */
static void test_host_portgroups_gone(void) {
        inventory_ctx ctx = {};
#define HOST_PG(name)                                                                                      \
        "<changeSet><name>config.network.portgroup</name><op>assign</op><val xsi:type=\"ArrayOfHostPortGroup\">" \
        "<HostPortGroup><spec><name>" name "</name><vlanId>0</vlanId><vswitchName>vSwitch0</vswitchName><policy/>" \
        "</spec><computedPolicy><security><allowPromiscuous>true</allowPromiscuous><macChanges>false</macChanges>"  \
        "<forgedTransmits>true</forgedTransmits></security></computedPolicy></HostPortGroup></val></changeSet>"
        const char *same = HOST_PG("Lab"), *other = HOST_PG("Other");

        CHECK_INTEQ(nw_strv_push(&ctx.hosts, "host-1"), 0);
        CHECK_INTEQ(nw_strv_push(&ctx.pairs, "host-1\nLab"), 0);
        CHECK(!apply(&ctx, "HostSystem", "host-1", same));
        CHECK_INTEQ(ctx.inv.n_stdpgs, 1);
        CHECK(apply(&ctx, "HostSystem", "host-1", other));
        CHECK(apply(&ctx, "HostSystem", "host-1", "<changeSet><name>config.network.portgroup</name><op>assign</op>"
                                                 "</changeSet>"));
        CHECK_INTEQ(ctx.inv.n_stdpgs, 0);
        inventory_ctx_done(&ctx);
}

int main(void) {
        test_host_portgroups_gone();
        test_readability_updates();
        test_vm();
        test_dvpg();
        test_network_vm_update();
        return tap_exit("inventory");
}
