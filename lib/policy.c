/* The policy: judges the facts about VMs and portgroups against the configured expectations and lists
 * what differs. Pure: no I/O, no globals, so the unit tests can cover every rule. */
#include "policy.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

void nw_policy_cfg_defaults(nw_policy_cfg *cfg) {
        *cfg = (nw_policy_cfg) {
                .nested_hv = true,
                .forged_transmits = true,
                .mac_learning = true,
                .mac_changes = false,
                .mac_learning_limit = 4096,
                .mac_learning_limit_policy = "drop",
                .standard_portgroups = true,
        };
}

int nw_value_to_string(const nw_value *v, char *buf, size_t size) {
        int n;

        if (!v || !buf || size == 0)
                return -EINVAL;

        switch (v->type) {
        case NW_VAL_BOOL:
                n = snprintf(buf, size, "%s", v->b ? "true" : "false");
                break;
        case NW_VAL_UNSET:
                n = snprintf(buf, size, "unset");
                break;
        case NW_VAL_TEXT:
                n = snprintf(buf, size, "%s", v->text);
                break;
        case NW_VAL_LIMIT:
                if (v->limit >= 0)
                        n = snprintf(buf, size, "%lld/%s", (long long) v->limit,
                                     v->limit_policy[0] ? v->limit_policy : "unset");
                else
                        n = snprintf(buf, size, "unset/%s", v->limit_policy[0] ? v->limit_policy : "unset");
                break;
        default:
                buf[0] = '\0';
                return -EINVAL;
        }
        if (n < 0)
                return -EINVAL;
        return (size_t) n < size ? 0 : -ENOBUFS;
}

void nw_finding_done(nw_finding *x) {
        free(x->object);
        free(x->name);
        *x = (nw_finding) {};
}

void nw_findings_done(nw_findings *f) {
        if (!f)
                return;
        for (size_t i = 0; i < f->n; i++)
                nw_finding_done(&f->v[i]);
        free(f->v);
        for (size_t i = 0; i < f->n_notices; i++) {
                free(f->notices[i].object);
                free(f->notices[i].name);
        }
        free(f->notices);
        *f = (nw_findings) {};
}

/* Digits and dots only, no empty component: anything else is a version we cannot order. */
static bool version_valid(const char *v) {
        const char *p = v;

        if (!p)
                return false;
        for (;;) {
                if (!isdigit((unsigned char) *p))
                        return false;
                while (isdigit((unsigned char) *p))
                        p++;
                if (*p == '\0')
                        return true;
                if (*p != '.')
                        return false;
                p++;
        }
}

/* Components are compared as digit strings (leading zeros dropped, longer wins) so no value overflows. */
static const char *version_component(const char *p, const char **ret_digits, size_t *ret_len) {
        const char *d;

        while (*p == '0')
                p++;
        d = p;
        while (isdigit((unsigned char) *p))
                p++;
        *ret_digits = d;
        *ret_len = (size_t) (p - d);
        return *p == '.' ? p + 1 : p;
}

int policy_version_cmp(const char *a, const char *b) {
        bool va = version_valid(a), vb = version_valid(b);

        if (!va || !vb)
                return (int) va - (int) vb;

        while (*a || *b) {
                const char *da, *db;
                size_t la, lb;
                int c;

                a = version_component(a, &da, &la);
                b = version_component(b, &db, &lb);
                if (la != lb)
                        return la < lb ? -1 : 1;
                c = memcmp(da, db, la);
                if (c != 0)
                        return c < 0 ? -1 : 1;
        }
        return 0;
}

bool policy_mac_learning_available(const nw_switch *sw, const nw_dvpg *pg, const char **why) {
        const char *w;
        bool ok = false;

        /* MacLearn.ps1 gates on the version; the capability flag's first API version is unverified, so an
         * explicit "false" vetoes while an absent flag defers to the version. */
        if (!sw)
                w = "switch not in inventory";
        else if (sw->mac_learning_supported == NW_FALSE)
                w = "switch reports macLearningSupported=false";
        else if (!version_valid(sw->version))
                w = "switch version unknown";
        else if (policy_version_cmp(sw->version, "6.6.0") < 0)
                w = "switch version below 6.6.0";
        else if (!pg || !pg->mac.present)
                w = "vCenter sent no macManagementPolicy (API before 6.7)";
        else {
                ok = true;
                w = sw->mac_learning_supported == NW_TRUE ?
                        "switch version 6.6.0+ and macLearningSupported" :
                        "switch version 6.6.0+ (macLearningSupported not reported)";
        }

        if (why)
                *why = w;
        return ok;
}

static nw_value val_bool(bool b) {
        return (nw_value) { .type = NW_VAL_BOOL, .b = b, .limit = -1 };
}

/* An absent property is its own value: it never complies, and the report says "unset". */
static nw_value val_tri(nw_tri t) {
        if (t == NW_UNSET)
                return (nw_value) { .type = NW_VAL_UNSET, .limit = -1 };
        return val_bool(t == NW_TRUE);
}

static nw_value val_limit(int64_t limit, const char *limit_policy) {
        nw_value v = { .type = NW_VAL_LIMIT, .limit = limit };

        /* A policy longer than the field is none of the API's values: shown cut, it never complies. */
        if (snprintf(v.limit_policy, sizeof(v.limit_policy), "%s", limit_policy ?: "") >= (int) sizeof(v.limit_policy))
                v.limit_policy_cut = true;
        return v;
}

static nw_value val_text(const char *text) {
        nw_value v = { .type = NW_VAL_TEXT, .limit = -1 };

        if (snprintf(v.text, sizeof(v.text), "%s", text) >= (int) sizeof(v.text))
                nw_utf8_trim_partial(v.text);
        return v;
}

static bool value_complies(const nw_value *expected, const nw_value *actual) {
        if (expected->type != actual->type)
                return false;
        switch (expected->type) {
        case NW_VAL_BOOL:
                return expected->b == actual->b;
        case NW_VAL_UNSET:
        case NW_VAL_TEXT:
                return false;
        case NW_VAL_LIMIT:
                /* Case-sensitive: the API's enum is lowercase, and a fix must write exactly the configured value. */
                return actual->limit >= 0 && expected->limit == actual->limit && expected->limit_policy[0] &&
                        !expected->limit_policy_cut && !actual->limit_policy_cut &&
                        strcmp(expected->limit_policy, actual->limit_policy) == 0;
        }
        return false;
}

/* What a finding is about, as the facts name it: findings_push copies it into the finding. */
typedef struct subject {
        nw_kind kind;
        const char *object, *name; /* borrowed from the facts */
        bool template, powered_on;
} subject;

static int findings_push(nw_findings *f, const subject *about, const nw_finding *x) {
        _cleanup_free_ char *o = strdup(about->object ?: ""), *n = NULL;

        if (!o || (about->name && !(n = strdup(about->name))))
                return -ENOMEM;
        if (f->n == f->cap) {
                size_t cap = f->cap ? f->cap * 2 : 16;
                nw_finding *v;

                v = reallocarray(f->v, cap, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                f->v = v;
                f->cap = cap;
        }
        f->v[f->n] = *x;
        f->v[f->n].kind = about->kind;
        f->v[f->n].template = about->template;
        f->v[f->n].powered_on = about->powered_on;
        f->v[f->n].object = TAKE_PTR(o);
        f->v[f->n].name = TAKE_PTR(n);
        f->n++;
        return 0;
}

/* Adds a finding about proto when actual differs from expected. */
_printf_(6, 7)
static int finding_add(nw_findings *f, const subject *proto, nw_check check,
                       nw_value expected, nw_value actual, const char *hint_fmt, ...) {
        nw_finding x = {};
        va_list ap;
        int n;

        if (value_complies(&expected, &actual))
                return 0;

        x.check = check;
        x.expected = expected;
        x.actual = actual;
        va_start(ap, hint_fmt);
        n = vsnprintf(x.hint, sizeof(x.hint), hint_fmt, ap);
        va_end(ap);
        if (n >= (int) sizeof(x.hint))
                nw_utf8_trim_partial(x.hint);
        return findings_push(f, proto, &x);
}

static int judge_vm(nw_findings *f, const nw_policy_cfg *cfg, const nw_vm *vm) {
        subject proto = {
                .kind = NW_KIND_VM,
                .object = vm->moref,
                .name = vm->name,
                .template = vm->template,
                .powered_on = vm->power_state && strcmp(vm->power_state, "poweredOn") == 0,
        };
        bool old_hw = vm->hw_version > 0 && vm->hw_version < 9;
        bool unsupported = vm->nested_hv_supported == NW_FALSE;
        const char *action;
        char hw_cause[96] = "";
        int r;

        if (vm->template)
                f->templates++;
        else
                f->vms++;
        f->judged[NW_KIND_VM]++;

        if (!cfg->nested_hv)
                return 0;

        if (proto.powered_on)
                action = "VM is powered on: the change needs a power-off";
        else if (vm->template)
                action = "template: fix it so new clones inherit nestedHVEnabled";
        else
                action = "set 'Expose hardware assisted virtualization to the guest OS' (config.nestedHVEnabled)";

        r = finding_add(f, &proto, NW_CHECK_NESTED_HV, val_bool(true), val_tri(vm->nested_hv), "%s%s",
                        vm->nested_hv == NW_UNSET ? "nestedHVEnabled was never set; " : "", action);
        if (r < 0)
                return r;

        /* Not fixable by nestwarden, but it explains why setting nestedHVEnabled alone will not help. */
        if (!old_hw && !unsupported)
                return 0;
        if (old_hw)
                snprintf(hw_cause, sizeof(hw_cause),
                         "hardware version vmx-%02d is below vmx-09: upgrade the VM compatibility", vm->hw_version);
        return finding_add(f, &proto, NW_CHECK_NESTED_HV_SUPPORTED, val_bool(true), val_bool(false), "%s%s%s",
                           hw_cause, old_hw && unsupported ? "; " : "",
                           unsupported ? "capability.nestedHVSupported is false: the VM or its host cannot "
                                         "expose hardware virtualization" : "");
}

static int judge_forged(nw_findings *f, const nw_policy_cfg *cfg, const subject *proto, nw_tri actual,
                        const char *switch_kind, const char *sw, const char *why) {
        if (!cfg->forged_transmits)
                return 0;
        return finding_add(f, proto, NW_CHECK_FORGED_TRANSMITS, val_bool(true), val_tri(actual),
                           "accept forged transmits: nested guests send from their own MACs (%s '%s': %s)",
                           switch_kind, sw, why);
}

static int judge_promiscuous_flood(nw_findings *f, const subject *proto, nw_tri actual,
                                   const char *switch_kind, const char *sw, const char *why) {
        return finding_add(f, proto, NW_CHECK_PROMISCUOUS, val_bool(true), val_tri(actual),
                           "accept promiscuous mode; it floods every VM on this portgroup (the secure "
                           "alternative is a 6.6+ vDS with MAC learning) (%s '%s': %s)",
                           switch_kind, sw, why);
}

static int judge_mac_learning(nw_findings *f, const nw_policy_cfg *cfg, const subject *proto,
                              const nw_mac_policy *m, const char *sw, const char *why) {
        int r;

        r = finding_add(f, proto, NW_CHECK_MAC_LEARNING, val_bool(true), val_tri(m->learning_enabled),
                        "enable MAC learning so the switch learns nested guests' MACs (vDS '%s': %s)", sw, why);
        if (r < 0)
                return r;
        r = finding_add(f, proto, NW_CHECK_PROMISCUOUS, val_bool(false), val_tri(m->promiscuous),
                        "reject promiscuous mode: MAC learning delivers nested guests' frames without "
                        "flooding (vDS '%s': %s)", sw, why);
        if (r < 0)
                return r;
        r = judge_forged(f, cfg, proto, m->forged_transmits, "vDS", sw, why);
        if (r < 0)
                return r;
        r = finding_add(f, proto, NW_CHECK_MAC_CHANGES, val_bool(cfg->mac_changes), val_tri(m->mac_changes),
                        "%s MAC address changes as the config says (mac_changes = %s) (vDS '%s': %s)",
                        cfg->mac_changes ? "accept" : "reject", cfg->mac_changes ? "yes" : "no", sw, why);
        if (r < 0)
                return r;
        /* Checked even while learning is off: enabling it later should not bring a wrong limit along. */
        return finding_add(f, proto, NW_CHECK_MAC_LEARNING_LIMIT,
                           val_limit(cfg->mac_learning_limit, cfg->mac_learning_limit_policy),
                           val_limit(m->limit, m->limit_policy),
                           "set the MAC learning limit to %lld with limit policy %s (vDS '%s': %s)",
                           (long long) cfg->mac_learning_limit,
                           cfg->mac_learning_limit_policy ? cfg->mac_learning_limit_policy : "unset", sw, why);
}

const char *nw_notice_type_to_string(nw_notice_type t) {
        return t == NW_NOTICE_PORT_OVERRIDE_ALLOWED ? "port_override_allowed" : NULL;
}

static int notice_add(nw_findings *f, const subject *about, nw_notice_type type, const char *detail) {
        _cleanup_free_ char *o = strdup(about->object), *n = strdup(about->name ?: about->object);
        nw_notice *v;

        if (!o || !n)
                return -ENOMEM;
        v = reallocarray(f->notices, f->n_notices + 1, sizeof(*v));
        if (!v)
                return -ENOMEM;
        f->notices = v;
        v[f->n_notices] = (nw_notice) { .type = type, .kind = about->kind, .object = TAKE_PTR(o), .name = TAKE_PTR(n) };
        snprintf(v[f->n_notices].detail, sizeof(v[0].detail), "%s", detail);
        f->n_notices++;
        return 0;
}

/* Uplinks carry no VMs; NSX owns its portgroups' policy and overwrites changes made here. */
static bool judged_pg(const nw_dvpg *pg) {
        return !pg->uplink && !(pg->backing_type && strcasecmp(pg->backing_type, "nsx") == 0);
}

/* The rules of a DV portgroup, applied to its own defaultPortConfig or to a port's setting (mac,
 * sec). overridden_only: judge only a policy the setting does not inherit (a port). */
static int judge_setting(nw_findings *f, const nw_policy_cfg *cfg, const subject *proto, const nw_switch *sw,
                         const nw_dvpg *pg, const nw_mac_policy *mac, const nw_sec_policy *sec,
                         bool overridden_only) {
        const char *why, *swname;
        nw_tri prom = NW_UNSET, forged = NW_UNSET;
        bool available;
        int r;

        if (cfg->mac_learning)
                available = policy_mac_learning_available(sw, pg, &why);
        else {
                available = false;
                why = "mac_learning = no in the config";
        }
        swname = sw && sw->name ? sw->name : pg->switch_moref ? pg->switch_moref : "unknown";

        if (available)
                return overridden_only && (!mac->present || mac->inherited) ? 0 :
                        judge_mac_learning(f, cfg, proto, mac, swname, why);

        /* Config info holds effective values whichever policy carries them; the deprecated
         * securityPolicy only stands in when macManagementPolicy is missing (vCenter before 6.7). */
        if (mac->present) {
                if (overridden_only && mac->inherited)
                        return 0;
                prom = mac->promiscuous;
                forged = mac->forged_transmits;
        } else if (sec->present) {
                if (overridden_only && sec->inherited)
                        return 0;
                prom = sec->promiscuous;
                forged = sec->forged_transmits;
        } else if (overridden_only)
                return 0;

        r = judge_promiscuous_flood(f, proto, prom, "vDS", swname, why);
        if (r < 0)
                return r;
        return judge_forged(f, cfg, proto, forged, "vDS", swname, why);
}

static int judge_dvpg(nw_findings *f, const nw_inventory *inv, const nw_policy_cfg *cfg, const nw_dvpg *pg) {
        const subject proto = { .kind = NW_KIND_DVPG, .object = pg->moref, .name = pg->name };
        const nw_switch *sw = nw_inventory_get_switch(inv, pg->switch_moref);
        int r;

        if (!judged_pg(pg))
                return 0;
        /* What MAC learning needs to know comes from the switch: no switch, no verdict (the switch
         * has its own unreadable finding). */
        if (sw && sw->unreadable)
                return 0;
        f->portgroups++;
        f->judged[NW_KIND_DVPG]++;
        if (nw_dvpg_override_allowed(pg)) {
                r = notice_add(f, &proto, NW_NOTICE_PORT_OVERRIDE_ALLOWED,
                               pg->security_override == NW_TRUE && pg->mac_override == NW_TRUE ?
                               "ports may override its security and MAC management policies: each port is judged" :
                               pg->security_override == NW_TRUE ?
                               "ports may override its security policy: each port is judged" :
                               "ports may override its MAC management policy: each port is judged");
                if (r < 0)
                        return r;
        }
        return judge_setting(f, cfg, &proto, sw, pg, &pg->mac, &pg->sec, false);
}

static int judge_dvport(nw_findings *f, const nw_inventory *inv, const nw_policy_cfg *cfg, const nw_dvport *port) {
        const subject proto = { .kind = NW_KIND_DVPORT, .object = port->id, .name = port->name };
        ssize_t k = nw_inventory_dvpg_index(inv, port->portgroup);
        const nw_switch *sw;

        if (k < 0 || !judged_pg(&inv->dvpgs[k]))
                return 0;
        sw = nw_inventory_get_switch(inv, inv->dvpgs[k].switch_moref);
        if (sw && sw->unreadable)
                return 0;
        f->ports++;
        f->judged[NW_KIND_DVPORT]++;
        return judge_setting(f, cfg, &proto, sw, &inv->dvpgs[k], &port->mac, &port->sec, true);
}

static int notice_cmp(const void *a, const void *b) {
        const nw_notice *x = a, *y = b;
        return strcmp(x->object, y->object);
}

static int judge_stdpg(nw_findings *f, const nw_policy_cfg *cfg, const nw_stdpg *pg) {
        subject proto = { .kind = NW_KIND_PG, .object = pg->id, .name = pg->name };
        const char *why = "standard switches have no MAC learning";
        const char *vswitch = pg->vswitch ? pg->vswitch : "unknown";
        int r;

        f->portgroups++;
        f->judged[NW_KIND_PG]++;
        r = judge_promiscuous_flood(f, &proto, pg->promiscuous, "vSwitch", vswitch, why);
        if (r < 0)
                return r;
        return judge_forged(f, cfg, &proto, pg->forged_transmits, "vSwitch", vswitch, why);
}

/* The judge_* functions above, read as a table. */
bool policy_judges(nw_kind kind, nw_check check) {
        switch (check) {
        case NW_CHECK_NESTED_HV:
        case NW_CHECK_NESTED_HV_SUPPORTED:
                return kind == NW_KIND_VM;
        case NW_CHECK_PROMISCUOUS:
        case NW_CHECK_FORGED_TRANSMITS:
                return kind == NW_KIND_DVPG || kind == NW_KIND_DVPORT || kind == NW_KIND_PG;
        case NW_CHECK_MAC_LEARNING:
        case NW_CHECK_MAC_CHANGES:
        case NW_CHECK_MAC_LEARNING_LIMIT:
                /* Standard switches have no MAC learning. */
                return kind == NW_KIND_DVPG || kind == NW_KIND_DVPORT;
        case NW_CHECK_NONE:
        case NW_CHECK_UNREADABLE:
        case _NW_CHECK_MAX:
                break;
        }
        return false;
}

/* What the admin can do about an object nestwarden could not read. */
static const char *unreadable_hint(const nw_unreadable *u) {
        bool gone = u->fault && strcmp(u->fault, "ManagedObjectNotFound") == 0;

        if (gone)
                return "deleted while nestwarden read it; untag it if it is gone for good";
        switch (u->kind) {
        case NW_KIND_VM:
                return "grant System.Read on the VM, or untag it";
        case NW_KIND_DVPG:
                return "grant System.Read on the portgroup (or on its switch or folder)";
        case NW_KIND_PG:
                return "check the host's networking; grant System.Read on the host";
        case NW_KIND_NETWORK:
                return "grant System.Read on the network the VM is connected to";
        case NW_KIND_SWITCH:
                return "grant System.Read on the distributed switch: its portgroups cannot be judged without it";
        case NW_KIND_HOST:
                return "grant System.Read on the host: its standard portgroups cannot be judged without it";
        case NW_KIND_DVPORT:
                return "grant System.Read on the distributed switch (FetchDVPorts reads its ports)";
        case NW_KIND_NONE:
        case _NW_KIND_MAX:
                break;
        }
        return "";
}

static int judge_unreadable(nw_findings *f, const nw_unreadable *u) {
        const subject about = { .kind = u->kind, .object = u->object, .name = u->name ? u->name : u->object };
        nw_finding x = {
                .check = NW_CHECK_UNREADABLE,
                .expected = val_text("readable"),
                /* The fault type alone fits a table column; the property and the remedy go to the hint. */
                .actual = val_text(u->fault ? u->fault : "missing"),
        };
        int n;

        n = snprintf(x.hint, sizeof(x.hint), "%s: %s", u->what, unreadable_hint(u));
        if (n >= (int) sizeof(x.hint))
                nw_utf8_trim_partial(x.hint);
        f->unreadable++;
        return findings_push(f, &about, &x);
}

static int finding_cmp(const void *a, const void *b) {
        const nw_finding *x = a, *y = b;
        int c;

        c = strcmp(x->object ? x->object : "", y->object ? y->object : "");
        if (c != 0)
                return c;
        if (x->check != y->check)
                return x->check < y->check ? -1 : 1;
        /* qsort is not stable: order the remaining ties so the output never depends on it. */
        if (x->kind != y->kind)
                return x->kind < y->kind ? -1 : 1;
        return strcmp(x->name ? x->name : "", y->name ? y->name : "");
}

int policy_evaluate(const nw_inventory *inv, const nw_policy_cfg *cfg, nw_findings *out) {
        _cleanup_findings_ nw_findings f = {};
        int r = 0;

        if (!out)
                return -EINVAL;
        *out = (nw_findings) {};
        if (!inv || !cfg)
                return -EINVAL;

        for (size_t i = 0; i < inv->n_vms && r >= 0; i++)
                r = judge_vm(&f, cfg, &inv->vms[i]);
        for (size_t i = 0; i < inv->n_dvpgs && r >= 0; i++)
                r = judge_dvpg(&f, inv, cfg, &inv->dvpgs[i]);
        for (size_t i = 0; cfg->standard_portgroups && i < inv->n_stdpgs && r >= 0; i++)
                r = judge_stdpg(&f, cfg, &inv->stdpgs[i]);
        for (size_t i = 0; i < inv->n_dvports && r >= 0; i++)
                r = judge_dvport(&f, inv, cfg, &inv->dvports[i]);
        for (size_t i = 0; i < inv->n_unreadable && r >= 0; i++)
                r = judge_unreadable(&f, &inv->unreadable[i]);
        if (r < 0)
                return r;

        if (f.n > 1)
                qsort(f.v, f.n, sizeof(f.v[0]), finding_cmp);
        if (f.n_notices > 1)
                qsort(f.notices, f.n_notices, sizeof(f.notices[0]), notice_cmp);

        *out = f;
        f = (nw_findings) {};
        return 0;
}
