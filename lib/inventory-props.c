/* One setter per property we read, for each object type. Retrievals (propSet) and updates
 * (changeSet) both go through them, so an update can never be parsed differently from a read. */
#include "inventory-props.h"
#include "inventory.h"

#include <string.h>

static int set_str(char **field, const xmlNode *val) {
        const char *t = soap_text(val);
        char *copy = NULL;

        if (t && !(copy = strdup(t)))
                return -ENOMEM;
        free(*field);
        *field = copy;
        return 0;
}

/* ArrayOfManagedObjectReference → morefs. */
static int set_refs(nw_strv *field, const xmlNode *val) {
        nw_strv refs = {};

        SOAP_FOREACH(ref, val, "ManagedObjectReference")
                if (soap_text(ref) && nw_strv_push(&refs, soap_text(ref)) < 0) {
                        nw_strv_done(&refs);
                        return -ENOMEM;
                }
        nw_strv_done(field);
        *field = refs;
        return 0;
}

nw_tri props_tri(const char *s) {
        int b = soap_bool(s);
        return b < 0 ? NW_UNSET : (nw_tri) b;
}

static nw_tri tri(const xmlNode *val) {
        return props_tri(soap_text(val));
}

static int set_ref_type(char **field, const xmlNode *val) {
        xmlChar *t = val ? xmlGetNoNsProp(val, (const xmlChar *) "type") : NULL;
        char *copy = NULL;

        if (t && !(copy = strdup((const char *) t))) {
                xmlFree(t);
                return -ENOMEM;
        }
        xmlFree(t);
        free(*field);
        *field = copy;
        return 0;
}

/* The <val> of the named property in an ObjectContent (propSet) or ObjectUpdate (changeSet). */
const xmlNode *props_val(const xmlNode *oc, const char *name, bool *ret_present) {
        for (xmlNode *c = oc->children; c; c = c->next) {
                const char *n;

                if (c->type != XML_ELEMENT_NODE ||
                    (strcmp((const char *) c->name, "propSet") != 0 && strcmp((const char *) c->name, "changeSet") != 0))
                        continue;
                n = soap_child_text(c, "name");
                if (n && strcmp(n, name) == 0) {
                        *ret_present = true;
                        return soap_child(c, "val");
                }
        }
        *ret_present = false;
        return NULL;
}

/* The first missingSet entry of an ObjectContent or ObjectUpdate: a property vCenter could not give
 * (NoPermission, ManagedObjectNotFound, ...). false when every property came. */
bool props_first_missing(const xmlNode *oc, const char **ret_path, char *fault, size_t size) {
        const xmlNode *m = soap_child(oc, "missingSet");
        const xmlNode *f = soap_child(soap_child(m, "fault"), "fault");

        if (!m)
                return false;
        *ret_path = soap_child_text(m, "path") ?: "?";
        if (!soap_xsi_type(f, fault, size))
                snprintf(fault, size, "%s", f ? (const char *) f->name : "UnknownFault");
        return true;
}

/* Appends a zeroed element to an array that only ever grows by one: capacity is implied by n
 * (8, then powers of two), so the inventory's structs need no capacity fields. */
void *props_push(void **arr, size_t *n, size_t sz) {
        char *p = *arr;

        if (*n == 0 || (*n >= 8 && (*n & (*n - 1)) == 0)) {
                p = reallocarray(p, *n < 8 ? 8 : *n * 2, sz);
                if (!p)
                        return NULL;
                *arr = p;
        }
        memset(p + *n * sz, 0, sz);
        return p + (*n)++ * sz;
}

int props_apply(const xmlNode *container, void *object, props_setter set) {
        for (xmlNode *c = container ? container->children : NULL; c; c = c->next) {
                const char *name, *op;
                const xmlNode *val;
                int r;

                if (c->type != XML_ELEMENT_NODE ||
                    (strcmp((const char *) c->name, "propSet") != 0 && strcmp((const char *) c->name, "changeSet") != 0))
                        continue;
                name = soap_child_text(c, "name");
                op = soap_child_text(c, "op");
                if (!name)
                        continue;
                /* remove / indirectRemove: the property is gone, which reads as unset. */
                val = op && strcmp(op, "assign") != 0 && strcmp(op, "add") != 0 ? NULL : soap_child(c, "val");
                r = set(object, name, val);
                if (r < 0)
                        return r;
        }
        return 0;
}

int props_set_vm(void *object, const char *name, const xmlNode *val) {
        nw_vm *vm = object;

        if (strcmp(name, "name") == 0)
                return set_str(&vm->name, val);
        if (strcmp(name, "runtime.powerState") == 0)
                return set_str(&vm->power_state, val);
        if (strcmp(name, "runtime.host") == 0)
                return set_str(&vm->host, val);
        if (strcmp(name, "config.template") == 0)
                vm->template = tri(val) == NW_TRUE;
        else if (strcmp(name, "config.nestedHVEnabled") == 0)
                vm->nested_hv = tri(val);
        else if (strcmp(name, "capability.nestedHVSupported") == 0)
                vm->nested_hv_supported = tri(val);
        else if (strcmp(name, "config.version") == 0) {
                const char *v = soap_text(val);
                vm->hw_version = v && strncmp(v, "vmx-", 4) == 0 ? (int) strtol(v + 4, NULL, 10) : 0;
        } else if (strcmp(name, "network") == 0)
                return set_refs(&vm->networks, val);
        return 0;
}

static void parse_mac_policy(const xmlNode *n, nw_mac_policy *m) {
        const xmlNode *learn = soap_child(n, "macLearningPolicy");
        const char *limit = soap_child_text(learn, "limit");

        m->present = n != NULL;
        m->inherited = soap_bool(soap_child_text(n, "inherited")) == 1;
        m->promiscuous = tri(soap_child(n, "allowPromiscuous"));
        m->mac_changes = tri(soap_child(n, "macChanges"));
        m->forged_transmits = tri(soap_child(n, "forgedTransmits"));
        m->learning_inherited = soap_bool(soap_child_text(learn, "inherited")) == 1;
        m->learning_enabled = tri(soap_child(learn, "enabled"));
        m->unicast_flooding = tri(soap_child(learn, "allowUnicastFlooding"));
        m->limit = -1;
        if (limit)
                (void) nw_parse_int64(limit, 0, INT32_MAX, &m->limit);
}

/* DVSSecurityPolicy holds BoolPolicy elements: {inherited, value}. */
static void parse_sec_policy(const xmlNode *n, nw_sec_policy *s) {
        s->present = n != NULL;
        s->inherited = soap_bool(soap_child_text(n, "inherited")) == 1;
        s->promiscuous = tri(soap_child(soap_child(n, "allowPromiscuous"), "value"));
        s->mac_changes = tri(soap_child(soap_child(n, "macChanges"), "value"));
        s->forged_transmits = tri(soap_child(soap_child(n, "forgedTransmits"), "value"));
}

/* A VMwareDVSPortSetting: a portgroup's defaultPortConfig, or a port's config.setting. */
static int set_port_setting(nw_mac_policy *m, nw_sec_policy *s, const xmlNode *setting) {
        const xmlNode *mac = soap_child(setting, "macManagementPolicy");
        const char *lp = soap_child_text(soap_child(mac, "macLearningPolicy"), "limitPolicy");
        char *limit_policy = NULL;

        if (lp && !(limit_policy = strdup(lp)))
                return -ENOMEM;
        free(m->limit_policy);
        parse_mac_policy(mac, m);
        m->limit_policy = limit_policy;
        parse_sec_policy(soap_child(setting, "securityPolicy"), s);
        return 0;
}

int props_set_dvpg(void *object, const char *name, const xmlNode *val) {
        nw_dvpg *pg = object;
        int r;

        if (strcmp(name, "name") == 0)
                return set_str(&pg->name, val);
        if (strcmp(name, "config.distributedVirtualSwitch") == 0) {
                r = set_str(&pg->switch_moref, val);
                return r < 0 ? r : set_ref_type(&pg->switch_type, val);
        }
        if (strcmp(name, "config.configVersion") == 0)
                return set_str(&pg->config_version, val);
        if (strcmp(name, "config.backingType") == 0)
                return set_str(&pg->backing_type, val);
        if (strcmp(name, "vm") == 0)
                return set_refs(&pg->vms, val);
        if (strcmp(name, "config.uplink") == 0)
                pg->uplink = tri(val) == NW_TRUE;
        else if (strcmp(name, "config.defaultPortConfig") == 0)
                return set_port_setting(&pg->mac, &pg->sec, val);
        else if (strcmp(name, "config.policy") == 0) {
                pg->security_override = tri(soap_child(val, "securityPolicyOverrideAllowed"));
                pg->mac_override = tri(soap_child(val, "macManagementOverrideAllowed"));
        }
        return 0;
}

int props_set_switch(void *object, const char *name, const xmlNode *val) {
        nw_switch *sw = object;

        if (strcmp(name, "name") == 0)
                return set_str(&sw->name, val);
        if (strcmp(name, "config.productInfo.version") == 0)
                return set_str(&sw->version, val);
        if (strcmp(name, "capability.featuresSupported") == 0)
                sw->mac_learning_supported = tri(soap_child(val, "macLearningSupported"));
        return 0;
}

int props_set_network(void *object, const char *name, const xmlNode *val) {
        nw_network *net = object;

        if (strcmp(name, "name") == 0) {
                int r = set_str(&net->name, val);
                if (r >= 0 && !net->name)
                        net->name = strdup("");
                return r < 0 || !net->name ? -ENOMEM : 0;
        }
        if (strcmp(name, "vm") == 0)
                return set_refs(&net->vms, val);
        return 0;
}

int props_parse_vm(const xmlNode *oc, const char *moref, nw_vm *ret, nw_err *err) {
        nw_vm vm = { .nested_hv = NW_UNSET, .nested_hv_supported = NW_UNSET };

        if (!(vm.moref = strdup(moref)) || props_apply(oc, &vm, props_set_vm) < 0) {
                nw_vm_done(&vm);
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        if (!vm.name) {
                nw_vm_done(&vm);
                return nw_errf(err, -NW_EREPLY, "VM %s: reply has no name", moref);
        }
        *ret = vm;
        return 0;
}

int props_parse_dvpg(const xmlNode *oc, const char *moref, nw_dvpg *ret, nw_err *err) {
        nw_dvpg pg = { .mac.limit = -1 };

        if (!(pg.moref = strdup(moref)) || props_apply(oc, &pg, props_set_dvpg) < 0) {
                nw_dvpg_done(&pg);
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        if (!pg.name || !pg.switch_moref) {
                nw_dvpg_done(&pg);
                return nw_errf(err, -NW_EREPLY, "DV portgroup %s: reply has no name or switch", moref);
        }
        *ret = pg;
        return 0;
}

int props_parse_nics(const xmlNode *devices, nw_nic **ret, size_t *ret_n) {
        nw_nic *v = NULL;
        size_t n = 0;

        for (const xmlNode *d = devices ? devices->children : NULL; d; d = d->next) {
                const xmlNode *backing = soap_child(d, "backing"), *port = soap_child(backing, "port");
                char buf[96];
                const char *type = soap_xsi_type(backing, buf, sizeof(buf)), *pg = soap_child_text(port, "portgroupKey");
                const char *key = soap_child_text(port, "portKey");
                const char *label = soap_child_text(soap_child(d, "deviceInfo"), "label");
                nw_nic *nic;

                /* Only a NIC on a distributed portgroup has a port of its own. */
                if (d->type != XML_ELEMENT_NODE || !type ||
                    strcmp(type, "VirtualEthernetCardDistributedVirtualPortBackingInfo") != 0 || !pg)
                        continue;
                nic = PUSH(v, n);
                if (!nic || !(nic->label = strdup(label ?: "network adapter")) || !(nic->portgroup = strdup(pg)) ||
                    (key && !(nic->port_key = strdup(key)))) {
                        for (size_t i = 0; i < n; i++)
                                nw_nic_done(&v[i]);
                        free(v);
                        return -ENOMEM;
                }
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int props_parse_dvport(const xmlNode *port, nw_dvport *ret) {
        const xmlNode *config = soap_child(port, "config");
        const char *key = soap_child_text(port, "key"), *pg = soap_child_text(port, "portgroupKey");
        const char *version = soap_child_text(config, "configVersion");
        nw_dvport p = { .mac.limit = -1 };

        if (!key)
                return -EBADMSG;
        if (!(p.key = strdup(key)) || (pg && !(p.portgroup = strdup(pg))) ||
            (version && !(p.config_version = strdup(version))) ||
            set_port_setting(&p.mac, &p.sec, soap_child(config, "setting")) < 0) {
                nw_dvport_done(&p);
                return -ENOMEM;
        }
        *ret = p;
        return 0;
}
