/* The vim25 calls: bodies hand-written in schema order (vCenter rejects anything else), replies
 * walked by local name. */
#include "vim-internal.h"

#include <assert.h>
#include <inttypes.h>
#include <string.h>

static int done(nw_buf *b) {
        return b->oom ? -ENOMEM : 0;
}

int vim_body_retrieve_service_content(nw_buf *b) {
        nw_buf_puts(b, "<RetrieveServiceContent xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "ServiceInstance", "ServiceInstance");
        nw_buf_puts(b, "</RetrieveServiceContent>");
        return done(b);
}

int vim_body_login(nw_buf *b, const char *session_manager, const char *user, const char *password) {
        nw_buf_puts(b, "<Login xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "SessionManager", session_manager);
        soap_put_text(b, "userName", user);
        soap_put_text(b, "password", password);
        nw_buf_puts(b, "</Login>");
        return done(b);
}

int vim_body_logout(nw_buf *b, const char *session_manager) {
        nw_buf_puts(b, "<Logout xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "SessionManager", session_manager);
        nw_buf_puts(b, "</Logout>");
        return done(b);
}

/* PropertyFilterSpec: propSet, objectSet, reportMissingObjectsInResults. */
static void put_filter_spec(nw_buf *b, const char *elem, const vim_filter_spec *spec) {
        nw_buf_printf(b, "<%s>", elem);
        for (size_t i = 0; i < spec->n_props; i++) {
                nw_buf_puts(b, "<propSet>");
                soap_put_text(b, "type", spec->props[i].type);
                for (const char *const *p = spec->props[i].paths; p && *p; p++)
                        soap_put_text(b, "pathSet", *p);
                nw_buf_puts(b, "</propSet>");
        }
        for (size_t i = 0; i < spec->n_objs; i++) {
                const vim_obj_spec *o = &spec->objs[i];

                nw_buf_puts(b, "<objectSet>");
                soap_put_moref(b, "obj", o->type, o->moref);
                nw_buf_puts(b, "<skip>false</skip>");
                for (size_t t = 0; t < o->n_traversals; t++) {
                        nw_buf_puts(b, "<selectSet xsi:type=\"TraversalSpec\">");
                        soap_put_text(b, "name", o->traversals[t].name);
                        soap_put_text(b, "type", o->traversals[t].type);
                        soap_put_text(b, "path", o->traversals[t].path);
                        nw_buf_puts(b, "<skip>false</skip></selectSet>");
                }
                nw_buf_puts(b, "</objectSet>");
        }
        nw_buf_puts(b, "<reportMissingObjectsInResults>true</reportMissingObjectsInResults>");
        nw_buf_printf(b, "</%s>", elem);
}

int vim_body_retrieve(nw_buf *b, const char *property_collector, const vim_filter_spec *spec, int64_t max_objects) {
        nw_buf_puts(b, "<RetrievePropertiesEx xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "PropertyCollector", property_collector);
        put_filter_spec(b, "specSet", spec);
        nw_buf_printf(b, "<options><maxObjects>%" PRId64 "</maxObjects></options>", max_objects);
        nw_buf_puts(b, "</RetrievePropertiesEx>");
        return done(b);
}

int vim_body_create_filter(nw_buf *b, const char *property_collector, const vim_filter_spec *spec) {
        nw_buf_puts(b, "<CreateFilter xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "PropertyCollector", property_collector);
        put_filter_spec(b, "spec", spec);
        /* Whole values for changed properties: the same parsers then serve retrievals and updates. */
        nw_buf_puts(b, "<partialUpdates>false</partialUpdates></CreateFilter>");
        return done(b);
}

int vim_body_destroy_filter(nw_buf *b, const char *filter) {
        nw_buf_puts(b, "<DestroyPropertyFilter xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "PropertyFilter", filter);
        nw_buf_puts(b, "</DestroyPropertyFilter>");
        return done(b);
}

int vim_body_wait_for_updates(nw_buf *b, const char *property_collector, const char *version, int max_wait_seconds) {
        nw_buf_puts(b, "<WaitForUpdatesEx xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "PropertyCollector", property_collector);
        soap_put_text(b, "version", version);
        nw_buf_printf(b, "<options><maxWaitSeconds>%d</maxWaitSeconds></options>", max_wait_seconds);
        nw_buf_puts(b, "</WaitForUpdatesEx>");
        return done(b);
}

int vim_body_continue(nw_buf *b, const char *property_collector, const char *token) {
        nw_buf_puts(b, "<ContinueRetrievePropertiesEx xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "PropertyCollector", property_collector);
        soap_put_text(b, "token", token);
        nw_buf_puts(b, "</ContinueRetrievePropertiesEx>");
        return done(b);
}

int vim_body_log_user_event(nw_buf *b, const char *event_manager, const char *entity_type, const char *entity,
                            const char *msg) {
        nw_buf_puts(b, "<LogUserEvent xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "EventManager", event_manager);
        soap_put_moref(b, "entity", entity_type, entity);
        soap_put_text(b, "msg", msg);
        nw_buf_puts(b, "</LogUserEvent>");
        return done(b);
}

int vim_body_add_custom_field_def(nw_buf *b, const char *custom_fields_manager, const char *name, const char *mo_type) {
        nw_buf_puts(b, "<AddCustomFieldDef xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "CustomFieldsManager", custom_fields_manager);
        soap_put_text(b, "name", name);
        soap_put_text(b, "moType", mo_type);
        nw_buf_puts(b, "</AddCustomFieldDef>");
        return done(b);
}

int vim_body_set_field(nw_buf *b, const char *custom_fields_manager, const char *entity_type, const char *entity,
                       int32_t key, const char *value) {
        nw_buf_puts(b, "<SetField xmlns=\"urn:vim25\">");
        soap_put_moref(b, "_this", "CustomFieldsManager", custom_fields_manager);
        soap_put_moref(b, "entity", entity_type, entity);
        nw_buf_printf(b, "<key>%" PRId32 "</key>", key);
        soap_put_text(b, "value", value);
        nw_buf_puts(b, "</SetField>");
        return done(b);
}

static char *dup_text(const xmlNode *parent, const char *name) {
        const char *t = soap_child_text(parent, name);
        return t ? strdup(t) : NULL;
}

static int call(vim_ctx *vc, const char *method, const nw_buf *body, const soap_records *records, xmlDoc **ret_doc,
                xmlNode **ret_returnval, char **ret_text, nw_err *err) {
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        xmlNode *res, *rv;
        char *text = NULL;
        int r;

        assert(!ret_returnval || ret_doc);
        if (body->oom)
                return nw_errf(err, -ENOMEM, "out of memory");
        r = soap_call(vc->http, vc->url, vc->version, method, body->data, records, &doc, &res, err);
        if (r < 0)
                return r;
        rv = soap_child(res, "returnval");
        if (ret_text) {
                const char *t = soap_text(rv);

                if (!t)
                        return nw_errf(err, -NW_EREPLY, "%s: reply has no returnval", method);
                text = strdup(t);
                if (!text)
                        return nw_errf(err, -ENOMEM, "out of memory");
                *ret_text = text;
        }
        if (ret_returnval)
                *ret_returnval = rv;
        if (ret_doc)
                *ret_doc = TAKE_PTR(doc);
        return 0;
}

int vim_call(vim_ctx *vc, const char *method, const nw_buf *body, xmlDoc **ret_doc, xmlNode **ret_returnval,
             char **ret_text, nw_err *err) {
        return call(vc, method, body, NULL, ret_doc, ret_returnval, ret_text, err);
}

int vim_call_records(vim_ctx *vc, const char *method, const nw_buf *body, const soap_records *records,
                     xmlDoc **ret_doc, xmlNode **ret_returnval, nw_err *err) {
        return call(vc, method, body, records, ret_doc, ret_returnval, NULL, err);
}

void vim_free(vim_ctx *vc) {
        if (!vc)
                return;
        free(vc->url);
        free(vc->api_version);
        free(vc->full_name);
        free(vc->property_collector);
        free(vc->session_manager);
        free(vc->root_folder);
        free(vc->task_collector);
        free(vc->event_manager);
        free(vc->custom_fields_manager);
        free(vc);
}

int vim_connect(nw_http *h, const char *url, vim_ctx **ret, nw_err *err) {
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        _cleanup_buf_ nw_buf body = {};
        _cleanup_(vim_freep) vim_ctx *vc = NULL;
        xmlNode *rv, *about;
        int r;

        vc = calloc(1, sizeof(*vc));
        if (!vc || !(vc->url = strdup(url)))
                return nw_errf(err, -ENOMEM, "out of memory");
        vc->http = h;
        /* Every vCenter from 6.0 on answers this version; the real one is learnt from the reply. */
        snprintf(vc->version, sizeof(vc->version), "6.0");

        vim_body_retrieve_service_content(&body);
        r = vim_call(vc, "RetrieveServiceContent", &body, &doc, &rv, NULL, err);
        if (r < 0)
                return r;

        about = soap_child(rv, "about");
        vc->property_collector = dup_text(rv, "propertyCollector");
        vc->session_manager = dup_text(rv, "sessionManager");
        vc->root_folder = dup_text(rv, "rootFolder");
        /* Optional: only annotate needs them, and it says so when they are absent. */
        vc->event_manager = dup_text(rv, "eventManager");
        vc->custom_fields_manager = dup_text(rv, "customFieldsManager");
        vc->api_version = dup_text(about, "apiVersion");
        vc->full_name = dup_text(about, "fullName");
        if (!vc->property_collector || !vc->session_manager || !vc->api_version)
                return nw_errf(err, -NW_EREPLY, "RetrieveServiceContent: reply lacks propertyCollector, "
                                                "sessionManager or about.apiVersion: is %s a vCenter?", url);

        /* Speak the server's own version: vCenter hides properties newer than the version a client
         * declares (config.backingType needs 7.0), and our requests use nothing newer than 6.7. */
        if (strlen(vc->api_version) >= sizeof(vc->version) ||
            strspn(vc->api_version, "0123456789.") != strlen(vc->api_version))
                return nw_errf(err, -NW_EREPLY, "RetrieveServiceContent: odd about.apiVersion '%s'", vc->api_version);
        snprintf(vc->version, sizeof(vc->version), "%s", vc->api_version);
        *ret = vc;
        vc = NULL;
        return 0;
}

int vim_login(vim_ctx *vc, const char *user, const char *password, nw_err *err) {
        _cleanup_buf_ nw_buf body = { .sensitive = true };
        int r;

        vim_body_login(&body, vc->session_manager, user, password);
        r = vim_call(vc, "Login", &body, NULL, NULL, NULL, err);
        if (r < 0)
                return r;
        vc->logged_in = true;
        return 0;
}

int vim_logout(vim_ctx *vc, nw_err *err) {
        _cleanup_buf_ nw_buf body = {};

        if (!vc->logged_in)
                return 0;
        vc->logged_in = false;
        vim_body_logout(&body, vc->session_manager);
        return vim_call(vc, "Logout", &body, NULL, NULL, NULL, err);
}

/* Bounds on what one retrieval may bring, so that a broken or hostile server cannot keep us
 * paging forever: distinct objects (vCenter 8 manages 45,000 VMs; a retrieval brings them and
 * their networks), and pages in a row that bring nothing new. */
#define RETRIEVE_MAX_OBJECTS 1000000
#define RETRIEVE_MAX_STALE_PAGES 3
#define RETRIEVE_BATCH 1000

typedef struct retrieval {
        xmlHashTable *seen;   /* type + moref of every object passed on: each is passed once */
        size_t n_seen;
        size_t n_new;         /* in the page being read */
        const char *method;
        vim_object_cb cb;
        void *userdata;
} retrieval;

/* One ObjectContent, as the page is read: new objects go to cb (an object already passed on is
 * skipped: a page repeating one must not count it twice). Objects with a missingSet go to cb too:
 * an object the account may not read must be accounted for, never dropped. */
static int on_object(void *userdata, const xmlNode *oc, nw_err *err) {
        retrieval *rt = userdata;
        xmlNode *obj = soap_child(oc, "obj");
        _cleanup_(xmlFreep) xmlChar *type = NULL;
        const char *moref = soap_text(obj);

        if (!obj || !moref)
                return nw_errf(err, -NW_EREPLY, "%s: object without <obj>", rt->method);
        type = xmlGetNoNsProp(obj, (const xmlChar *) "type");
        if (!type)
                return nw_errf(err, -NW_EREPLY, "%s: object %s without a type", rt->method, moref);
        if (xmlHashLookup2(rt->seen, type, (const xmlChar *) moref))
                return 0;
        if (rt->n_seen >= RETRIEVE_MAX_OBJECTS)
                return nw_errf(err, -E2BIG, "%s: more than %d objects in one retrieval", rt->method,
                               RETRIEVE_MAX_OBJECTS);
        if (xmlHashAddEntry2(rt->seen, type, (const xmlChar *) moref, (void *) 1) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        rt->n_seen++;
        rt->n_new++;
        return rt->cb(rt->userdata, (const char *) type, moref, oc, err);
}

/* One RetrievePropertiesEx and its continuations. */
static int retrieve_batch(vim_ctx *vc, retrieval *rt, const vim_filter_spec *spec, int64_t page_size, nw_err *err) {
        static const char *const path[] = { "returnval", "objects", NULL };
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        _cleanup_buf_ nw_buf body = {};
        _cleanup_free_ char *token = NULL;
        soap_records records = { .path = path, .fn = on_object, .userdata = rt };
        unsigned stale = 0;
        xmlNode *rv = NULL;
        const char *t;
        int r;

        rt->method = "RetrievePropertiesEx";
        rt->n_new = 0;
        vim_body_retrieve(&body, vc->property_collector, spec, page_size);
        r = vim_call_records(vc, rt->method, &body, &records, &doc, &rv, err);
        if (r < 0)
                return r;

        for (;;) {
                if (!rv) {
                        /* With reportMissingObjectsInResults, vCenter accounts for every object asked
                         * for (a missingSet for one it cannot read): nothing at all is no answer. */
                        if (spec->n_objs == 0 && !token)
                                return 0;
                        /* Not "nothing there": a session that timed out has been seen to answer so,
                         * hence NOTAUTH, so that run logs in again before it calls it an outage. */
                        return nw_errf(err, -NW_ENOTAUTH,
                                       "%s: empty reply for %zu objects asked for (a vCenter whose session timed "
                                       "out answers so)", rt->method, spec->n_objs);
                }
                /* The objects went to cb as the page was read; what is left is the token. */
                t = soap_child_text(rv, "token");
                if (!t)
                        return 0;
                if (token && strcmp(token, t) == 0)
                        return nw_errf(err, -NW_EREPLY, "%s: the same continuation token twice in a row",
                                       rt->method);
                stale = rt->n_new == 0 ? stale + 1 : 0;
                if (stale > RETRIEVE_MAX_STALE_PAGES)
                        return nw_errf(err, -NW_EREPLY, "%s: %u pages in a row without a new object: the "
                                       "server keeps paging without end", rt->method, stale);
                free(token);
                token = strdup(t);
                if (!token)
                        return nw_errf(err, -ENOMEM, "out of memory");
                xmlFreeDoc(doc);
                doc = NULL;
                nw_buf_done(&body);
                vim_body_continue(&body, vc->property_collector, token);
                rt->method = "ContinueRetrievePropertiesEx";
                rt->n_new = 0;
                r = vim_call_records(vc, rt->method, &body, &records, &doc, &rv, err);
                if (r < 0)
                        return r;
        }
}

int vim_retrieve(vim_ctx *vc, const vim_filter_spec *spec, int64_t page_size, vim_object_cb cb, void *userdata,
                 nw_err *err) {
        _cleanup_xmlhash_ xmlHashTable *seen = NULL;
        size_t off = 0;
        int r;

        seen = xmlHashCreate(64);
        if (!seen)
                return nw_errf(err, -ENOMEM, "out of memory");
        retrieval rt = { .seen = seen, .cb = cb, .userdata = userdata };

        /* At most RETRIEVE_BATCH objects named per request: the request, not only the reply, stays
         * the size of a page however many VMs are tagged (9,000 named at once made 4 MB). Objects
         * two batches reach (a shared network) are passed on once, as within one. */
        do {
                vim_filter_spec batch = *spec;

                batch.objs = spec->objs ? spec->objs + off : NULL;
                batch.n_objs = spec->n_objs - off < RETRIEVE_BATCH ? spec->n_objs - off : RETRIEVE_BATCH;
                r = retrieve_batch(vc, &rt, &batch, page_size, err);
                if (r < 0)
                        return r;
                off += batch.n_objs;
        } while (off < spec->n_objs);
        return 0;
}

int vim_log_user_event(vim_ctx *vc, const char *entity_type, const char *entity, const char *msg, nw_err *err) {
        _cleanup_buf_ nw_buf body = {};

        if (!vc->event_manager)
                return nw_errf(err, -EOPNOTSUPP, "LogUserEvent: the ServiceContent names no eventManager");
        vim_body_log_user_event(&body, vc->event_manager, entity_type, entity, msg);
        return vim_call(vc, "LogUserEvent", &body, NULL, NULL, NULL, err);
}

int vim_add_custom_field_def(vim_ctx *vc, const char *name, const char *mo_type, int32_t *ret_key, nw_err *err) {
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        _cleanup_buf_ nw_buf body = {};
        xmlNode *rv = NULL;
        int64_t key;
        int r;

        if (!vc->custom_fields_manager)
                return nw_errf(err, -EOPNOTSUPP, "AddCustomFieldDef: the ServiceContent names no customFieldsManager");
        vim_body_add_custom_field_def(&body, vc->custom_fields_manager, name, mo_type);
        r = vim_call(vc, "AddCustomFieldDef", &body, &doc, &rv, NULL, err);
        if (r < 0)
                return r;
        if (!rv || nw_parse_int64(soap_child_text(rv, "key"), INT32_MIN, INT32_MAX, &key) < 0)
                return nw_errf(err, -NW_EREPLY, "AddCustomFieldDef: reply has no CustomFieldDef key");
        *ret_key = (int32_t) key;
        return 0;
}

int vim_set_field(vim_ctx *vc, const char *entity_type, const char *entity, int32_t key, const char *value,
                  nw_err *err) {
        _cleanup_buf_ nw_buf body = {};

        if (!vc->custom_fields_manager)
                return nw_errf(err, -EOPNOTSUPP, "SetField: the ServiceContent names no customFieldsManager");
        vim_body_set_field(&body, vc->custom_fields_manager, entity_type, entity, key, value);
        return vim_call(vc, "SetField", &body, NULL, NULL, NULL, err);
}

int vim_create_filter(vim_ctx *vc, const vim_filter_spec *spec, char **ret_filter, nw_err *err) {
        return vim_create_filter_on(vc, vc->property_collector, spec, ret_filter, err);
}

int vim_create_filter_on(vim_ctx *vc, const char *collector, const vim_filter_spec *spec, char **ret_filter,
                         nw_err *err) {
        _cleanup_buf_ nw_buf body = {};
        int r;

        vim_body_create_filter(&body, collector, spec);
        r = vim_call(vc, "CreateFilter", &body, NULL, NULL, ret_filter, err);
        /* Said as before vim_call existed: what is missing is the filter. */
        if (r == -NW_EREPLY)
                nw_errf(err, r, "CreateFilter: reply has no filter");
        return r;
}

int vim_destroy_filter(vim_ctx *vc, const char *filter, nw_err *err) {
        _cleanup_buf_ nw_buf body = {};

        vim_body_destroy_filter(&body, filter);
        return vim_call(vc, "DestroyPropertyFilter", &body, NULL, NULL, NULL, err);
}

int vim_wait_for_updates(vim_ctx *vc, const char *version, int max_wait_seconds, vim_update_cb cb, void *userdata,
                         char **ret_version, nw_err *err) {
        return vim_wait_for_updates_on(vc, vc->property_collector, version, max_wait_seconds, cb, userdata,
                                       ret_version, err);
}

typedef struct update_walk {
        vim_update_cb cb;
        void *userdata;
} update_walk;

/* One child of a PropertyFilterUpdate, as the update set is read: an ObjectUpdate goes to cb; the
 * filter's moref and its missingSet (objects gone before the filter saw them: their leave, or the
 * next gather, accounts for them) are let go like the rest. */
static int on_object_update(void *userdata, const xmlNode *ou, nw_err *err) {
        update_walk *u = userdata;
        xmlNode *obj = soap_child(ou, "obj");
        const char *kind = soap_child_text(ou, "kind"), *moref = soap_text(obj);
        _cleanup_(xmlFreep) xmlChar *type = NULL;

        if (strcmp((const char *) ou->name, "objectSet") != 0)
                return 0;
        if (!obj || !moref || !kind)
                return nw_errf(err, -NW_EREPLY, "WaitForUpdatesEx: object update without obj or kind");
        type = xmlGetNoNsProp(obj, (const xmlChar *) "type");
        return u->cb(u->userdata, type ? (const char *) type : "", moref, kind, ou, err);
}

int vim_wait_for_updates_on(vim_ctx *vc, const char *collector, const char *version, int max_wait_seconds,
                            vim_update_cb cb, void *userdata, char **ret_version, nw_err *err) {
        static const char *const path[] = { "returnval", "filterSet", "*", NULL };
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        _cleanup_buf_ nw_buf body = {};
        update_walk u = { .cb = cb, .userdata = userdata };
        soap_records records = { .path = path, .fn = on_object_update, .userdata = &u };
        xmlNode *set = NULL;
        const char *v;
        char *copy;
        int r;

        /* The first update set restates every object watched: read as a stream, one update at a
         * time, like a page. */
        vim_body_wait_for_updates(&body, collector, version, max_wait_seconds);
        r = vim_call_records(vc, "WaitForUpdatesEx", &body, &records, &doc, &set, err);
        if (r < 0)
                return r;
        if (!set)
                return 0; /* maxWaitSeconds passed without a change: the version stays */
        /* A truncated set's version is good for exactly the next call, which brings the rest. */
        v = soap_child_text(set, "version");
        if (!v)
                return nw_errf(err, -NW_EREPLY, "WaitForUpdatesEx: update set without version");
        copy = strdup(v);
        if (!copy)
                return nw_errf(err, -ENOMEM, "out of memory");
        free(*ret_version);
        *ret_version = copy;
        return 0;
}
