/* The facts model: what nestwarden knows about the tagged VMs and the portgroups they sit on.
 * Plain structs filled by inventory (from vCenter) or by tests; read by policy.
 *
 * Ownership rule: the facts are the only thing that points into the facts. A read-back after a fix
 * (inventory_refresh) replaces elements and compacts arrays in place, so whatever is made from the facts
 * (findings, fixes, drift entries) names its object by moref, or HOST/PORTGROUP for a standard
 * portgroup, and owns copies of the values it carries; an event borrows from a drift entry or a fix
 * for the one call that sends it. Whoever needs the live object looks it up again by that name
 * (nw_inventory_*_index), at the moment it needs it. The one short-lived exception: a watch spec
 * (inventory_watch_spec) points into the facts until CreateFilter has sent it. */
#pragma once

#include "util.h"

typedef enum nw_tri {
        NW_UNSET = -1, /* the property was absent from vCenter's reply */
        NW_FALSE = 0,
        NW_TRUE = 1,
} nw_tri;

/* A VM NIC on a DV portgroup, read only where its portgroup lets ports override policy. */
typedef struct nw_nic {
        char *label;            /* deviceInfo.label, "Network adapter 1" */
        char *portgroup;        /* backing.port.portgroupKey: the DV portgroup's key, its moref on vCenter */
        char *port_key;         /* backing.port.portKey; NULL: no port bound (nothing to judge) */
} nw_nic;

typedef struct nw_vm {
        char *moref;       /* "vm-42" */
        char *name;
        char *power_state; /* runtime.powerState: poweredOn, poweredOff, suspended */
        char *host;        /* runtime.host moref; NULL when vCenter gave none */
        bool template;     /* config.template */
        nw_tri nested_hv;  /* config.nestedHVEnabled */
        nw_tri nested_hv_supported; /* capability.nestedHVSupported */
        int hw_version;    /* from config.version "vmx-NN"; 0 when unknown */
        nw_strv networks;  /* morefs from VirtualMachine.network */
        nw_nic *nics;      /* config.hardware.device's DV NICs: only for a VM on a portgroup that lets ports */
        size_t n_nics;     /*   override policy, filled by inventory-ports (see nw_dvport) */
} nw_vm;

typedef enum nw_net_kind {
        NW_NET_STANDARD, /* Network: a standard vSwitch portgroup, resolved per host by name */
        NW_NET_DVPG,     /* DistributedVirtualPortgroup */
        NW_NET_OTHER,    /* OpaqueNetwork (NSX-T) and anything else: not ours to judge */
} nw_net_kind;

typedef struct nw_network {
        char *moref;
        char *name;
        nw_net_kind kind;
        nw_strv vms;             /* Network.vm: every VM on it, tagged or not, on any host */
} nw_network;

/* A VM that is not tagged but shares a watched portgroup (the blast radius of a change). */
typedef struct nw_other_vm {
        char *moref;
        char *name;
} nw_other_vm;

typedef struct nw_switch {
        bool unreadable;             /* asked for and not read: its portgroups cannot be judged */
        char *moref;
        char *type;                  /* moref type, to ask for it: VmwareDistributedVirtualSwitch */
        char *name;
        char *version;               /* config.productInfo.version, "6.6.0"; NULL if unknown */
        nw_tri mac_learning_supported; /* capability.featuresSupported.macLearningSupported */
} nw_switch;

/* Effective values as vCenter reports them in config info; `inherited` only says where they came from. */
typedef struct nw_mac_policy {
        bool present;           /* macManagementPolicy was in the reply (API 6.7+) */
        bool inherited;
        nw_tri promiscuous, mac_changes, forged_transmits;
        bool learning_inherited;
        nw_tri learning_enabled;
        nw_tri unicast_flooding;
        int64_t limit;          /* -1 when absent */
        char *limit_policy;     /* "allow" / "drop"; NULL when absent */
} nw_mac_policy;

typedef struct nw_sec_policy {
        bool present;           /* the deprecated DVSSecurityPolicy, for pre-6.7 vCenter */
        bool inherited;
        nw_tri promiscuous, mac_changes, forged_transmits;
} nw_sec_policy;

typedef struct nw_dvpg {
        char *moref;            /* "dvportgroup-23" */
        char *name;
        char *switch_moref;     /* config.distributedVirtualSwitch */
        char *switch_type;      /* its moref type: VmwareDistributedVirtualSwitch (vcsim: DistributedVirtualSwitch) */
        char *config_version;   /* config.configVersion, needed to reconfigure */
        char *backing_type;     /* config.backingType: "standard", "nsx"; NULL when absent */
        bool uplink;            /* config.uplink */
        /* config.policy: whether a port may differ from defaultPortConfig (the vSphere Client's
         * "Override port policies"); macManagementOverrideAllowed is 6.7.1+, unset before. */
        nw_tri security_override, mac_override;
        nw_strv vms;            /* DistributedVirtualPortgroup.vm: every VM on it */
        nw_mac_policy mac;
        nw_sec_policy sec;
} nw_dvpg;

/* A standard vSwitch portgroup as one host sees it. */
typedef struct nw_stdpg {
        char *id;               /* "host-21/VM Network": the object name in findings */
        char *host;             /* host moref */
        char *name;
        char *vswitch;
        /* computedPolicy.security: vCenter has applied vSwitch inheritance already */
        nw_tri promiscuous, mac_changes, forged_transmits;
        /* For UpdatePortGroup, which takes the whole spec: what vCenter sent, normalized for sending
         * back (soap_emit), split around policy.security, the one part nestwarden changes. */
        char *spec_head_xml;    /* spec members before policy: name, vlanId, vswitchName */
        char *policy_tail_xml;  /* spec.policy members after security: nicTeaming, offloadPolicy, shapingPolicy */
        nw_tri spec_promiscuous, spec_mac_changes, spec_forged_transmits; /* spec overrides; unset: inherited */
        char *network_system;   /* the host's configManager.networkSystem */
} nw_stdpg;

/* What a finding judges, in findings, drift and events. */
typedef enum nw_check {
        NW_CHECK_NONE,            /* events that are about no one check */
        NW_CHECK_NESTED_HV,
        NW_CHECK_NESTED_HV_SUPPORTED,
        NW_CHECK_MAC_LEARNING,
        NW_CHECK_PROMISCUOUS,
        NW_CHECK_FORGED_TRANSMITS,
        NW_CHECK_MAC_CHANGES,
        NW_CHECK_MAC_LEARNING_LIMIT,
        NW_CHECK_UNREADABLE,      /* the object could not be read: no verdict, exit UNKNOWN */
        _NW_CHECK_MAX,
} nw_check;

/* A port of a distributed switch that a tagged VM's NIC uses, on a portgroup that allows overrides:
 * ports are no managed objects, so FetchDVPorts reads them, batched per switch. */
typedef struct nw_dvport {
        char *id;               /* "dvs-21/12", SWITCH/KEY: the object name in findings */
        char *switch_moref;
        char *switch_type;
        char *key;
        char *portgroup;        /* the DV portgroup's moref */
        char *vm;               /* the tagged VM whose NIC it is */
        char *name;             /* "VM-NAME NIC-LABEL" */
        char *config_version;   /* config.configVersion, needed to reconfigure */
        nw_mac_policy mac;      /* config.setting: effective values, inherited marking what the port */
        nw_sec_policy sec;      /*   takes from its portgroup */
} nw_dvport;

/* What an object is, in findings and events. */
typedef enum nw_kind {
        NW_KIND_NONE,     /* events about vCenter itself */
        NW_KIND_VM,
        NW_KIND_DVPG,
        NW_KIND_PG,       /* a standard portgroup, HOST/NAME */
        NW_KIND_NETWORK,  /* a VM's network that vCenter did not return: its type is unknown */
        NW_KIND_SWITCH,
        NW_KIND_HOST,
        NW_KIND_DVPORT,   /* a DV switch port, SWITCH/KEY */
        _NW_KIND_MAX,
} nw_kind;

/* "nested_hv": the name in JSON and journal fields. NULL for NONE and invalid values. */
const char *nw_check_to_string(nw_check c);
/* The other way round: the value, or -EINVAL for a name that is none of them. */
int nw_check_from_string(const char *s);
/* "vm", "dvportgroup": the name in JSON and journal fields. NULL for NONE and invalid values. */
const char *nw_kind_to_string(nw_kind k);
/* The other way round: the value, or -EINVAL for a name that is none of them. */
int nw_kind_from_string(const char *s);

/* What nestwarden needed to read and could not: a verdict without it would be a guess. */
typedef struct nw_unreadable {
        nw_kind kind;
        char *object;           /* moref, or HOST/NAME for a standard portgroup */
        char *name;             /* NULL when unknown */
        char *fault;            /* "NoPermission", "ManagedObjectNotFound"; NULL when left out */
        char *what;             /* for people: "NoPermission on name", "not returned by vCenter" */
        bool ports_round;       /* recorded by the port round, which drops its own before it reads again */
} nw_unreadable;

typedef struct nw_inventory {
        nw_vm *vms;
        size_t n_vms;
        nw_network *networks;
        size_t n_networks;
        nw_switch *switches;
        size_t n_switches;
        nw_dvpg *dvpgs;
        size_t n_dvpgs;
        nw_stdpg *stdpgs;
        size_t n_stdpgs;
        nw_dvport *dvports;
        size_t n_dvports;
        nw_other_vm *others;    /* untagged VMs on watched portgroups, with their names */
        size_t n_others;
        nw_unreadable *unreadable; /* each object a verdict needs that was not read, once */
        size_t n_unreadable;
        bool blast_radius;      /* the networks' vms (Network.vm) were read: a plan needs them */
} nw_inventory;

void nw_inventory_done(nw_inventory *inv);
/* Free one element's members and zero it (for parsers that fail half-way). */
void nw_vm_done(nw_vm *vm);
void nw_dvpg_done(nw_dvpg *pg);
void nw_stdpg_done(nw_stdpg *pg);
void nw_nic_done(nw_nic *nic);
void nw_unreadable_done(nw_unreadable *u);
void nw_dvport_done(nw_dvport *port);
static inline void nw_inventory_donep(nw_inventory *inv) {
        nw_inventory_done(inv);
}
#define _cleanup_inventory_ _cleanup_(nw_inventory_donep)

/* Records object as unreadable (once: a second record of the same object is dropped). name, fault
 * may be NULL. 0 or -ENOMEM. */
int nw_inventory_add_unreadable(nw_inventory *inv, nw_kind kind, const char *object, const char *name,
                                const char *fault, const char *what);
const nw_unreadable *nw_inventory_get_unreadable(const nw_inventory *inv, const char *object);
/* Whether object (as findings name it) could not be judged: it is unreadable itself, or what its
 * verdict needs is (a DV portgroup's switch, a standard portgroup's host), or it is not among the
 * facts while something that may lead to it is unreadable (a VM, a network, a VM's host: vCenter
 * follows no traversal from an object the account may not read). */
bool nw_inventory_unobserved(const nw_inventory *inv, const char *object);
/* Whether object is among the facts in any role: a judged VM or portgroup, a readable switch or
 * network, a host whose portgroups were read. */
bool nw_inventory_has_any(const nw_inventory *inv, const char *object);

/* Where the VM, DV portgroup (moref) or standard portgroup (HOST/NAME id) is in inv's arrays; -1 when
 * it is not there. Indexes rather than pointers, so that a caller holding inv non-const gets a
 * non-const element without a cast. */
ssize_t nw_inventory_vm_index(const nw_inventory *inv, const char *moref);
ssize_t nw_inventory_dvpg_index(const nw_inventory *inv, const char *moref);
ssize_t nw_inventory_stdpg_index(const nw_inventory *inv, const char *id);
ssize_t nw_inventory_switch_index(const nw_inventory *inv, const char *moref);
ssize_t nw_inventory_network_index(const nw_inventory *inv, const char *moref);
ssize_t nw_inventory_dvport_index(const nw_inventory *inv, const char *id);
/* Whether the VM moref has a NIC whose port is read (see nw_dvport). */
bool nw_inventory_vm_has_ports(const nw_inventory *inv, const char *moref);
/* Whether a port of pg may differ from its defaultPortConfig in a policy nestwarden judges. */
bool nw_dvpg_override_allowed(const nw_dvpg *pg);

/* get_* read local state only. NULL when absent. */
const nw_switch *nw_inventory_get_switch(const nw_inventory *inv, const char *moref);
const nw_network *nw_inventory_get_network(const nw_inventory *inv, const char *moref);
/* The name of an untagged VM on a watched portgroup; NULL when unknown. */
const char *nw_inventory_get_other_name(const nw_inventory *inv, const char *moref);
/* Whether moref is a tagged VM of the inventory. */
bool nw_inventory_is_tagged(const nw_inventory *inv, const char *moref);
/* Whether object (a VM or DV portgroup moref, a HOST/PORTGROUP or SWITCH/PORT id) is in the inventory. */
bool nw_inventory_has_object(const nw_inventory *inv, const char *object);
