/* Shared by vapi.c and vapi-tags.c (and the unit tests), nobody else: each flavour's paths and the
 * one REST call. */
#pragma once

#include "json-util.h"
#include "vapi.h"

typedef struct vapi_paths {
        const char *session;
        const char *categories;
        const char *category;          /* + escaped id */
        const char *tags_for_category; /* legacy: + escaped category id + tags_for_category_action */
        const char *tags_for_category_action;
        const char *tag;               /* + escaped id */
        const char *attached;
} vapi_paths;

const vapi_paths *vapi_paths_of(const nw_vapi *v);

/* One REST call. *ret (when not NULL) gets the payload, unwrapped from /rest's {"value": ...}.
 * HTTP 401 is -NW_ENOTAUTH, 403 -EACCES, 404 -ENOENT, other non-2xx -NW_EREPLY quoting the body. */
int vapi_call(nw_vapi *v, const char *method, const char *path, const char *body, const char *user,
              const char *password, json_object **ret, nw_err *err);

/* The VM morefs in a list-attached-objects-on-tags payload (see vapi_parse_attached); *ret_objects
 * (when not NULL) gets the number of objects of any type listed, which tells an empty tag from one
 * with only hosts or folders on it. call names the request in messages. */
int vapi_collect_vms(json_object *res, const char *call, nw_strv *ret, size_t *ret_objects, nw_err *err);
