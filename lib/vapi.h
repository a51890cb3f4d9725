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

/* A tag resolved from its names to its ids. Resolving walks every category, then every tag of the
 * category, one request each, until the names match: `run` keeps the ids between tag refreshes so
 * that a refresh is one request, not hundreds. */
typedef struct vapi_tag_ref {
        char *category, *tag;          /* the names it was resolved from */
        char *category_id, *tag_id;    /* NULL: not resolved (yet, or any more) */
} vapi_tag_ref;

void vapi_tag_ref_done(vapi_tag_ref *t);
#define _cleanup_tag_ref_ _cleanup_(vapi_tag_ref_done)

/* Resolves category/tag by name (the walk above) into *ret, untouched on failure. An unknown
 * category or tag is -NW_ENOTFOUND with a message naming it. */
int vapi_lookup_tag(nw_vapi *v, const char *category, const char *tag, vapi_tag_ref *ret, nw_err *err);

/* The VirtualMachine morefs carrying tag `tag` of category `category`, deduplicated, in server order,
 * listed by ref's cached tag id (one request); ref is resolved first when it is empty or holds
 * other names. The listing is not believed when it may mean the tag is gone (HTTP 404, an error
 * naming the id or NOT_FOUND, or no object at all: vCenter lists a deleted tag id as an empty one):
 * one GET of the tag by id tells, and only a tag gone, renamed or moved to another category is
 * resolved by name again. With verify, the tag and its category are read by id first (two
 * requests): the only way a rename of the category is noticed. An unknown category or tag is
 * -NW_ENOTFOUND with a message naming it (never "0 VMs"), ref empty then. */
int vapi_tagged_vms(nw_vapi *v, vapi_tag_ref *ref, const char *category, const char *tag, bool verify,
                    nw_strv *ret, nw_err *err);

/* vapi_tagged_vms with a ref of its own: one resolution, one listing (the one-shot commands). */
int vapi_attached_vms(nw_vapi *v, const char *category, const char *tag, nw_strv *ret, nw_err *err);

/* Whether the outcome of a listing by tag id (r, the error message, the number of objects listed
 * when r is 0) may mean that the tag is gone. Pure. */
bool vapi_listing_suspect(int r, const char *msg, const char *tag_id, size_t objects);

/* The VirtualMachine morefs in a list-attached-objects-on-tags reply body (legacy: /rest's
 * {"value": ...} around it), deduplicated, in server order. A body that is not exactly that shape
 * (an array of objects, each with an "object_ids" array of {"type", "id"} strings) is -NW_EREPLY
 * with a message saying where, never an empty set. Used by vapi_attached_vms' checks too. */
int vapi_parse_attached(const char *json, size_t len, bool legacy, nw_strv *ret, nw_err *err);
