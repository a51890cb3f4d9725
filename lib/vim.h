/* The vim25 calls nestwarden makes to read: service content, login/logout, property retrieval with
 * paging, filters and update waits. The calls that change things are in vim-tasks.h; the request
 * bodies and the call helper both files share, in vim-internal.h. */
#pragma once

#include "soap.h"

typedef struct vim_ctx {
        nw_http *http;            /* borrowed */
        char *url;                /* .../sdk */
        char version[16];         /* SOAPAction version in use: the server's about.apiVersion */
        char *api_version;        /* about.apiVersion */
        char *full_name;          /* about.fullName, for messages */
        char *property_collector; /* morefs from the ServiceContent */
        char *session_manager;
        char *root_folder;
        bool logged_in;
        char *task_collector;     /* our own PropertyCollector for task waits, made on first use */
        char *event_manager;      /* NULL when the ServiceContent names none */
        char *custom_fields_manager;
} vim_ctx;

typedef struct vim_prop_spec {
        const char *type;
        const char *const *paths;  /* NULL-terminated */
} vim_prop_spec;

/* A one-hop traversal from the listed objects (e.g. VirtualMachine.network). */
typedef struct vim_traversal {
        const char *name;
        const char *type;
        const char *path;
} vim_traversal;

typedef struct vim_obj_spec {
        const char *type;
        const char *moref;
        const vim_traversal *traversals;
        size_t n_traversals;
} vim_obj_spec;

typedef struct vim_filter_spec {
        const vim_prop_spec *props;
        size_t n_props;
        const vim_obj_spec *objs;
        size_t n_objs;
} vim_filter_spec;

/* Called once per ObjectContent, as the page is read; oc holds <obj> and the <propSet> children and
 * is freed on return. A negative return stops (the retrieval fails with it). */
typedef int (*vim_object_cb)(void *userdata, const char *type, const char *moref, const xmlNode *oc, nw_err *err);

/* RetrieveServiceContent: fills a new context for url. */
int vim_connect(nw_http *h, const char *url, vim_ctx **ret, nw_err *err);
void vim_free(vim_ctx *vc);
static inline void vim_freep(vim_ctx **vc) {
        vim_free(*vc);
}
#define _cleanup_vim_ _cleanup_(vim_freep)

int vim_login(vim_ctx *vc, const char *user, const char *password, nw_err *err);
/* Best effort; a vCenter that is gone already has no session to end. */
int vim_logout(vim_ctx *vc, nw_err *err);

/* RetrievePropertiesEx with maxObjects = page_size, then ContinueRetrievePropertiesEx until the
 * token runs out; over 1,000 objects in spec, one such retrieval per 1,000. Objects that vanished
 * meanwhile come back with a missingSet (reportMissingObjectsInResults). */
int vim_retrieve(vim_ctx *vc, const vim_filter_spec *spec, int64_t page_size, vim_object_cb cb, void *userdata,
                 nw_err *err);

/* Called once per ObjectUpdate: kind is "enter", "modify" or "leave"; ou holds <changeSet> children
 * ({name, op, val}), as the update set is read, and is freed on return. A negative return stops. */
typedef int (*vim_update_cb)(void *userdata, const char *type, const char *moref, const char *kind,
                             const xmlNode *ou, nw_err *err);

/* CreateFilter on the session's collector (partialUpdates false: changed properties come whole). */
int vim_create_filter(vim_ctx *vc, const vim_filter_spec *spec, char **ret_filter, nw_err *err);
int vim_destroy_filter(vim_ctx *vc, const char *filter, nw_err *err);
/* The same on another collector (a private one for task waits, see vim-tasks). */
int vim_create_filter_on(vim_ctx *vc, const char *collector, const vim_filter_spec *spec, char **ret_filter,
                         nw_err *err);
int vim_wait_for_updates_on(vim_ctx *vc, const char *collector, const char *version, int max_wait_seconds,
                            vim_update_cb cb, void *userdata, char **ret_version, nw_err *err);
/* WaitForUpdatesEx(version, maxWaitSeconds). Feeds every ObjectUpdate to cb, then replaces
 * *ret_version with the new version; on a timeout nothing is called and *ret_version stays. */
int vim_wait_for_updates(vim_ctx *vc, const char *version, int max_wait_seconds, vim_update_cb cb, void *userdata,
                         char **ret_version, nw_err *err);

/* Telling vCenter itself (see annotate.h). EventManager.LogUserEvent: a GeneralUserEvent with msg
 * on the entity. -EOPNOTSUPP when the ServiceContent named no eventManager. */
int vim_log_user_event(vim_ctx *vc, const char *entity_type, const char *entity, const char *msg, nw_err *err);
/* CustomFieldsManager.AddCustomFieldDef(name, moType): *ret_key is the new field's key. A field of
 * that name exists already: -NW_ESOAPFAULT with err->fault "DuplicateName". */
int vim_add_custom_field_def(vim_ctx *vc, const char *name, const char *mo_type, int32_t *ret_key, nw_err *err);
/* CustomFieldsManager.SetField(entity, key, value). */
int vim_set_field(vim_ctx *vc, const char *entity_type, const char *entity, int32_t key, const char *value,
                  nw_err *err);
