/* Telling vCenter itself: events on the objects (LogUserEvent) and the VMs' status attribute
 * (CustomFieldsManager). The texts are made in annotate-text.c; this file makes the calls, finds or
 * creates the attribute, remembers what each VM holds, and turns a refused privilege into one error
 * and that part off. */
#include "annotate.h"

#include <string.h>

#include "vim-internal.h"

#define VM_TYPE "VirtualMachine"

static void free_value(void *payload, const xmlChar *name) {
        (void) name;
        free(payload);
}

int annotate_init(annotate_ctx *a, bool on, const char *field, double now) {
        *a = (annotate_ctx) { .events = on, .status = on };
        annotate_bucket_init(&a->bucket, ANNOTATE_RATE_PER_MINUTE, now);
        if (!on)
                return 0;
        a->field = strdup(field);
        a->values = xmlHashCreate(64);
        if (!a->field || !a->values) {
                annotate_done(a);
                return -ENOMEM;
        }
        return 0;
}

void annotate_done(annotate_ctx *a) {
        free(a->field);
        if (a->values)
                xmlHashFree(a->values, free_value);
        *a = (annotate_ctx) {};
}

/* A refusal for want of a privilege (NoPermission, or HTTP 403), as against one about the object. */
static bool refused(int r, const nw_err *err) {
        return r == -EACCES || (r == -NW_ESOAPFAULT && strcmp(err->fault, "NoPermission") == 0);
}

/* part: what goes off ("events on the objects", "the VMs' status attribute"). */
static int denied(bool *on, const char *privilege, const char *part, const nw_err *e, nw_err *err) {
        *on = false;
        return nw_errf(err, -EACCES, "the account lacks %s (%s); %s off until a reload", privilege, e->msg, part);
}

int annotate_event(annotate_ctx *a, vim_ctx *vc, const nw_inventory *inv, const nw_event *ev, double now,
                   nw_err *err) {
        char msg[ANNOTATE_MSG_MAX], moref[256];
        const char *type;
        nw_err e = {};
        int r;

        if (!a->events || annotate_message(ev, msg, sizeof(msg)) < 0 ||
            annotate_entity(ev, inv, &type, moref, sizeof(moref)) < 0)
                return 0;
        if (!annotate_bucket_take(&a->bucket, now))
                return 0;
        r = vim_log_user_event(vc, type, moref, msg, &e);
        if (r >= 0)
                return 0;
        /* An object the account may not read refuses the same way: not the privilege's fault, and
         * expected. So is an object deleted since. */
        if (refused(r, &e) && ev->type == NW_EVENT_UNREADABLE)
                return 0;
        if (r == -NW_ESOAPFAULT && strcmp(e.fault, "ManagedObjectNotFound") == 0)
                return 0;
        if (refused(r, &e))
                return denied(&a->events, "Global.LogEvent", "events on the objects", &e, err);
        *err = e;
        return r;
}

/* CustomFieldsManager.field: the key of our attribute for VMs (or one for every type), if any. */
static int field_cb(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        annotate_ctx *a = userdata;

        (void) type;
        (void) moref;
        SOAP_FOREACH(ps, oc, "propSet") {
                SOAP_FOREACH(def, soap_child(ps, "val"), "CustomFieldDef") {
                        const char *name = soap_child_text(def, "name"), *mo = soap_child_text(def, "managedObjectType");
                        int64_t key;

                        if (!name || strcmp(name, a->field) != 0 || (mo && *mo && strcmp(mo, VM_TYPE) != 0))
                                continue;
                        if (nw_parse_int64(soap_child_text(def, "key"), INT32_MIN, INT32_MAX, &key) < 0)
                                return nw_errf(err, -NW_EREPLY, "CustomFieldsManager.field: %s without a key", name);
                        a->key = (int32_t) key;
                        a->have_key = true;
                }
        }
        return 0;
}

static int read_key(annotate_ctx *a, vim_ctx *vc, nw_err *err) {
        static const char *const paths[] = { "field", NULL };
        const vim_prop_spec props = { "CustomFieldsManager", paths };
        const vim_obj_spec obj = { "CustomFieldsManager", vc->custom_fields_manager, NULL, 0 };
        const vim_filter_spec spec = { &props, 1, &obj, 1 };

        return vim_retrieve(vc, &spec, 100, field_cb, a, err);
}

/* The attribute's key: read, or created when missing (another nestwarden may create it meanwhile:
 * DuplicateName, then read again). */
static int ensure_key(annotate_ctx *a, vim_ctx *vc, nw_err *err) {
        nw_err e = {};
        int r;

        if (a->have_key)
                return 0;
        if (!vc->custom_fields_manager)
                return nw_errf(err, -EOPNOTSUPP, "vCenter's ServiceContent names no customFieldsManager");
        r = read_key(a, vc, err);
        if (r < 0 || a->have_key)
                return r;
        r = vim_add_custom_field_def(vc, a->field, VM_TYPE, &a->key, &e);
        if (r >= 0) {
                a->have_key = true;
                return 0;
        }
        if (r == -NW_ESOAPFAULT && strcmp(e.fault, "DuplicateName") == 0) {
                r = read_key(a, vc, err);
                if (r >= 0 && !a->have_key)
                        return nw_errf(err, -NW_EREPLY, "AddCustomFieldDef: DuplicateName for '%s', yet no such "
                                       "attribute for VMs in CustomFieldsManager.field", a->field);
                return r;
        }
        if (refused(r, &e))
                return denied(&a->status, "Global.ManageCustomFields", "the VMs' status attribute", &e, err);
        *err = e;
        return r;
}

/* VirtualMachine.customValue: the value our attribute holds on each VM read ("" when unset). */
static int value_cb(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err) {
        annotate_ctx *a = userdata;
        const char *value = "";
        char *copy;

        (void) type;
        if (soap_child(oc, "missingSet"))
                return 0; /* not read: set when its turn comes, or not at all */
        SOAP_FOREACH(ps, oc, "propSet")
                SOAP_FOREACH(cv, soap_child(ps, "val"), "CustomFieldValue") {
                        int64_t key;

                        if (nw_parse_int64(soap_child_text(cv, "key"), INT32_MIN, INT32_MAX, &key) >= 0 &&
                            key == a->key)
                                value = soap_child_text(cv, "value") ?: "";
                }
        copy = strdup(value);
        if (!copy || xmlHashUpdateEntry(a->values, (const xmlChar *) moref, copy, free_value) < 0) {
                free(copy);
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        return 0;
}

/* Reads the attribute on the VMs not remembered yet, in one retrieval. */
static int read_values(annotate_ctx *a, vim_ctx *vc, const nw_inventory *inv, nw_err *err) {
        static const char *const paths[] = { "customValue", NULL };
        const vim_prop_spec props = { VM_TYPE, paths };
        _cleanup_free_ vim_obj_spec *objs = NULL;
        size_t n = 0;

        objs = calloc(inv->n_vms + inv->n_unreadable + 1, sizeof(*objs));
        if (!objs)
                return nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; i < inv->n_vms; i++)
                if (!xmlHashLookup(a->values, (const xmlChar *) inv->vms[i].moref))
                        objs[n++] = (vim_obj_spec) { VM_TYPE, inv->vms[i].moref, NULL, 0 };
        for (size_t i = 0; i < inv->n_unreadable; i++)
                if (inv->unreadable[i].kind == NW_KIND_VM &&
                    !xmlHashLookup(a->values, (const xmlChar *) inv->unreadable[i].object))
                        objs[n++] = (vim_obj_spec) { VM_TYPE, inv->unreadable[i].object, NULL, 0 };
        if (n == 0)
                return 0;
        return vim_retrieve(vc, &(vim_filter_spec) { &props, 1, objs, n }, 1000, value_cb, a, err);
}

/* Sets one VM's attribute to value unless it holds it already. A VM that cannot be read (it is
 * "unreadable", or gone) refuses the same way as a missing privilege: that is remembered as tried. */
static int set_value(annotate_ctx *a, vim_ctx *vc, const char *vm, const char *value, bool readable, nw_err *err) {
        const char *held = xmlHashLookup(a->values, (const xmlChar *) vm);
        nw_err e = {};
        char *copy;
        int r;

        if (held && strcmp(held, value) == 0)
                return 0;
        r = vim_set_field(vc, VM_TYPE, vm, a->key, value, &e);
        if (r < 0 && readable && refused(r, &e))
                return denied(&a->status, "Global.SetCustomField", "the VMs' status attribute", &e, err);
        if (r < 0 && readable && !(r == -NW_ESOAPFAULT && strcmp(e.fault, "ManagedObjectNotFound") == 0)) {
                *err = e;
                return r;
        }
        copy = strdup(value);
        if (!copy || xmlHashUpdateEntry(a->values, (const xmlChar *) vm, copy, free_value) < 0) {
                free(copy);
                return nw_errf(err, -ENOMEM, "out of memory");
        }
        return 0;
}

typedef struct gone_scan {
        const nw_inventory *inv;
        nw_strv gone;
        bool oom;
} gone_scan;

static void gone_cb(void *payload, void *data, const xmlChar *name) {
        gone_scan *g = data;
        const char *vm = (const char *) name;

        if (nw_inventory_vm_index(g->inv, vm) >= 0 || nw_inventory_get_unreadable(g->inv, vm))
                return;
        if (*(const char *) payload && nw_strv_push(&g->gone, vm) < 0)
                g->oom = true;
}

int annotate_status(annotate_ctx *a, vim_ctx *vc, const nw_inventory *inv, const nw_findings *f,
                    const nw_fix_plan *plan, nw_err *err) {
        gone_scan g = { .inv = inv };
        char value[ANNOTATE_STATUS_MAX];
        int r;

        if (!a->status)
                return 0;
        r = ensure_key(a, vc, err);
        if (r >= 0)
                r = read_values(a, vc, inv, err);
        for (size_t i = 0; r >= 0 && i < inv->n_vms; i++) {
                annotate_vm_status(inv, f, plan, i, value, sizeof(value));
                r = set_value(a, vc, inv->vms[i].moref, value, true, err);
        }
        for (size_t i = 0; r >= 0 && i < inv->n_unreadable; i++)
                if (inv->unreadable[i].kind == NW_KIND_VM)
                        r = set_value(a, vc, inv->unreadable[i].object, "unreadable", false, err);
        if (r < 0)
                return r;

        /* A VM that left the tagged set keeps no stale verdict: its attribute is cleared. */
        xmlHashScan(a->values, gone_cb, &g);
        if (g.oom)
                r = nw_errf(err, -ENOMEM, "out of memory");
        for (size_t i = 0; r >= 0 && i < g.gone.n; i++)
                r = set_value(a, vc, g.gone.v[i], "", false, err);
        nw_strv_done(&g.gone);
        return r;
}
