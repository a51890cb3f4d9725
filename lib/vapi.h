/* vAPI REST for tagging: a session, category → tag by name, the VMs attached to the tag. */
#pragma once

#include "http.h"

typedef struct nw_vapi {
        nw_http *http;     /* borrowed */
        char *base;        /* https://host[:port] */
        bool legacy;       /* /rest (6.5+) rather than /api (7.0U2+) */
        char *token;       /* vmware-api-session-id */
} nw_vapi;

/* Opens a session on the vCenter behind sdk_url (https://host/sdk), trying /api then /rest. */
int vapi_login(nw_http *h, const char *sdk_url, const char *user, const char *password, nw_vapi **ret, nw_err *err);
int vapi_logout(nw_vapi *v, nw_err *err);
void vapi_free(nw_vapi *v);
static inline void vapi_freep(nw_vapi **v) {
        vapi_free(*v);
}
#define _cleanup_vapi_ _cleanup_(vapi_freep)

/* The VirtualMachine morefs carrying tag `tag` of category `category`, deduplicated, in server order.
 * An unknown category or tag is -NW_ENOTFOUND with a message naming it (never "0 VMs"). */
int vapi_attached_vms(nw_vapi *v, const char *category, const char *tag, nw_strv *ret, nw_err *err);

/* The VirtualMachine morefs in a list-attached-objects-on-tags reply body (legacy: /rest's
 * {"value": ...} around it), deduplicated, in server order. A body that is not exactly that shape
 * (an array of objects, each with an "object_ids" array of {"type", "id"} strings) is -NW_EREPLY
 * with a message saying where, never an empty set. Used by vapi_attached_vms' checks too. */
int vapi_parse_attached(const char *json, size_t len, bool legacy, nw_strv *ret, nw_err *err);
