/* The tag by name → its ids → the VMs on it. vCenter has no lookup by name: resolving walks every
 * category and every tag of the category, one request each. So the ids are kept (vapi_tag_ref)
 * and names are looked up again only when the ids stop naming the configured tag. */
#include "vapi-internal.h"

#include <curl/curl.h>
#include <string.h>

static inline void curl_freep(char **p) {
        curl_free(*p);
}

void vapi_tag_ref_done(vapi_tag_ref *t) {
        free(t->category);
        free(t->tag);
        free(t->category_id);
        free(t->tag_id);
        *t = (vapi_tag_ref) {};
}

/* A list call's reply must be an array of ids (strings): anything else is an error, never "none". */
static int check_ids(json_object *ids, const char *method, const char *path, nw_err *err) {
        size_t n;

        if (!json_object_is_type(ids, json_type_array))
                return nw_errf(err, -NW_EREPLY, "%s %s: reply is not an array of ids", method, path);
        n = json_object_array_length(ids);
        for (size_t i = 0; i < n; i++)
                if (!json_object_is_type(json_object_array_get_idx(ids, i), json_type_string))
                        return nw_errf(err, -NW_EREPLY, "%s %s: id #%zu is not a string", method, path, i + 1);
        return 0;
}

/* GET prefix + id: the object (a category or a tag), checked to have a "name" string. */
static int get_by_id(nw_vapi *v, const char *prefix, const char *id, json_object **ret, nw_err *err) {
        _cleanup_(curl_freep) char *esc = NULL;
        _cleanup_buf_ nw_buf path = {};
        _cleanup_json_ json_object *o = NULL;
        json_object *nm;
        int r;

        esc = curl_easy_escape(NULL, id, 0);
        if (!esc || nw_buf_printf(&path, "%s%s", prefix, esc) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        r = vapi_call(v, "GET", path.data, NULL, NULL, NULL, &o, err);
        if (r < 0)
                return r;
        if (!json_object_object_get_ex(o, "name", &nm) || !json_object_is_type(nm, json_type_string))
                return nw_errf(err, -NW_EREPLY, "GET %s: reply is not an object with a \"name\" string", path.data);
        *ret = o;
        o = NULL;
        return 0;
}

/* Among ids, the one whose object (GET prefix + id) has "name" == name. *ret_id is a copy. */
static int find_by_name(nw_vapi *v, json_object *ids, const char *prefix, const char *name, char **ret_id,
                        nw_err *err) {
        size_t n = json_object_array_length(ids);

        for (size_t i = 0; i < n; i++) {
                _cleanup_json_ json_object *o = NULL;
                const char *id = json_object_get_string(json_object_array_get_idx(ids, i));
                json_object *nm;
                int r;

                if (!id)
                        continue;
                r = get_by_id(v, prefix, id, &o, err);
                if (r == -ENOENT)
                        continue; /* deleted between list and get */
                if (r < 0)
                        return r;
                (void) json_object_object_get_ex(o, "name", &nm);
                if (strcmp(json_object_get_string(nm), name) == 0) {
                        *ret_id = strdup(id);
                        return *ret_id ? 1 : nw_errf(err, -ENOMEM, "out of memory");
                }
        }
        return 0;
}

int vapi_lookup_tag(nw_vapi *v, const char *category, const char *tag, vapi_tag_ref *ret, nw_err *err) {
        const vapi_paths *p = vapi_paths_of(v);
        _cleanup_json_ json_object *cats = NULL, *tags = NULL, *req = NULL;
        _cleanup_tag_ref_ vapi_tag_ref t = {};
        _cleanup_(curl_freep) char *esc = NULL;
        _cleanup_buf_ nw_buf path = {};
        int r;

        r = vapi_call(v, "GET", p->categories, NULL, NULL, NULL, &cats, err);
        if (r >= 0)
                r = check_ids(cats, "GET", p->categories, err);
        if (r < 0)
                return nw_err_prefix(err, r, "listing tag categories");
        r = find_by_name(v, cats, p->category, category, &t.category_id, err);
        if (r < 0)
                return nw_err_prefix(err, r, "resolving tag category '%s'", category);
        if (r == 0)
                return nw_errf(err, -NW_ENOTFOUND, "tag category '%s' does not exist (or the user cannot read it)",
                               category);

        if (v->legacy) {
                esc = curl_easy_escape(NULL, t.category_id, 0);
                if (!esc || nw_buf_printf(&path, "%s%s%s", p->tags_for_category, esc, p->tags_for_category_action) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
                /* vCenter takes an empty body here; the simulator insists on one. */
                r = vapi_call(v, "POST", path.data, "{}", NULL, NULL, &tags, err);
        } else {
                req = json_object_new_object();
                if (!req || json_object_object_add(req, "category_id", json_object_new_string(t.category_id)) < 0)
                        return nw_errf(err, -ENOMEM, "out of memory");
                r = vapi_call(v, "POST", p->tags_for_category, json_object_to_json_string(req), NULL, NULL, &tags,
                              err);
        }
        if (r >= 0)
                r = check_ids(tags, "POST", v->legacy ? path.data : p->tags_for_category, err);
        if (r < 0)
                return nw_err_prefix(err, r, "listing tags of category '%s'", category);
        r = find_by_name(v, tags, p->tag, tag, &t.tag_id, err);
        if (r < 0)
                return nw_err_prefix(err, r, "resolving tag '%s'", tag);
        if (r == 0)
                return nw_errf(err, -NW_ENOTFOUND, "tag '%s' does not exist in category '%s'", tag, category);

        t.category = strdup(category);
        t.tag = strdup(tag);
        if (!t.category || !t.tag)
                return nw_errf(err, -ENOMEM, "out of memory");
        *ret = t;
        t = (vapi_tag_ref) {};
        return 0;
}

/* list-attached-objects-on-tags for ref's tag id: 1 request. *ret_objects counts objects of any type. */
static int list_attached(nw_vapi *v, const vapi_tag_ref *ref, nw_strv *ret, size_t *ret_objects, nw_err *err) {
        const char *attached = vapi_paths_of(v)->attached;
        _cleanup_json_ json_object *req = NULL, *ids = NULL, *res = NULL;
        _cleanup_buf_ nw_buf call = {};
        int r;

        req = json_object_new_object();
        ids = json_object_new_array();
        if (!req || !ids || json_object_array_add(ids, json_object_new_string(ref->tag_id)) < 0 ||
            json_object_object_add(req, "tag_ids", json_object_get(ids)) < 0 ||
            nw_buf_printf(&call, "POST %s", attached) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        r = vapi_call(v, "POST", attached, json_object_to_json_string(req), NULL, NULL, &res, err);
        if (r >= 0)
                r = vapi_collect_vms(res, call.data, ret, ret_objects, err);
        if (r < 0)
                return nw_err_prefix(err, r, "listing objects tagged %s/%s", ref->category, ref->tag);
        return 0;
}

bool vapi_listing_suspect(int r, const char *msg, const char *tag_id, size_t objects) {
        if (r == -ENOENT)
                return true;
        /* /api's error_type or a message quoting the id, whatever the status that came with it. */
        if (r == -NW_EREPLY && msg && (strstr(msg, "NOT_FOUND") || strstr(msg, "not_found") || strstr(msg, tag_id)))
                return true;
        return r == 0 && objects == 0;
}

/* Whether ref's ids still name the configured tag: 0 yes, 1 no (gone, renamed, moved to another
 * category; with category, the category read too: gone or renamed). One request, two with category. */
static int still_named(nw_vapi *v, const vapi_tag_ref *ref, bool category, nw_err *err) {
        _cleanup_json_ json_object *tag = NULL, *cat = NULL;
        json_object *nm, *cid;
        int r;

        r = get_by_id(v, vapi_paths_of(v)->tag, ref->tag_id, &tag, err);
        if (r == -ENOENT)
                return 1;
        if (r < 0)
                return nw_err_prefix(err, r, "checking that tag %s/%s (id %s) still exists", ref->category, ref->tag,
                                     ref->tag_id);
        (void) json_object_object_get_ex(tag, "name", &nm);
        if (!json_object_object_get_ex(tag, "category_id", &cid) || !json_object_is_type(cid, json_type_string))
                return nw_errf(err, -NW_EREPLY, "checking that tag %s/%s (id %s) still exists: reply has no "
                               "\"category_id\" string", ref->category, ref->tag, ref->tag_id);
        if (strcmp(json_object_get_string(nm), ref->tag) != 0 || strcmp(json_object_get_string(cid), ref->category_id) != 0)
                return 1;
        if (!category)
                return 0;

        r = get_by_id(v, vapi_paths_of(v)->category, ref->category_id, &cat, err);
        if (r == -ENOENT)
                return 1;
        if (r < 0)
                return nw_err_prefix(err, r, "checking that tag category '%s' (id %s) still exists", ref->category,
                                     ref->category_id);
        (void) json_object_object_get_ex(cat, "name", &nm);
        return strcmp(json_object_get_string(nm), ref->category) != 0;
}

/* The listing by a ref resolved just now: nothing to doubt. */
static int resolve_and_list(nw_vapi *v, vapi_tag_ref *ref, const char *category, const char *tag, nw_strv *ret,
                            nw_err *err) {
        int r;

        vapi_tag_ref_done(ref);
        r = vapi_lookup_tag(v, category, tag, ref, err);
        if (r < 0)
                return r;
        return list_attached(v, ref, ret, NULL, err);
}

int vapi_tagged_vms(nw_vapi *v, vapi_tag_ref *ref, const char *category, const char *tag, bool verify,
                    nw_strv *ret, nw_err *err) {
        _cleanup_strv_ nw_strv vms = {};
        size_t objects = 0;
        nw_err listing;
        int r, named;

        if (!ref->tag_id || strcmp(ref->category, category) != 0 || strcmp(ref->tag, tag) != 0)
                return resolve_and_list(v, ref, category, tag, ret, err);
        if (verify) {
                named = still_named(v, ref, true, err);
                if (named < 0)
                        return named;
                if (named)
                        return resolve_and_list(v, ref, category, tag, ret, err);
        }

        r = list_attached(v, ref, &vms, &objects, err);
        /* Just read by id: the tag is there, whatever the listing says. */
        if (verify || !vapi_listing_suspect(r, err ? err->msg : NULL, ref->tag_id, objects)) {
                if (r < 0)
                        return r;
                *ret = vms;
                vms = (nw_strv) {};
                return 0;
        }
        /* Empty, or failed as if the tag were gone: one GET of the tag by id says which. */
        listing = err ? *err : (nw_err) {};
        named = still_named(v, ref, false, err);
        if (named < 0)
                return named;
        if (named)
                return resolve_and_list(v, ref, category, tag, ret, err);
        if (r < 0) {
                if (err)
                        *err = listing;
                return r;
        }
        *ret = vms;
        vms = (nw_strv) {};
        return 0;
}

int vapi_attached_vms(nw_vapi *v, const char *category, const char *tag, nw_strv *ret, nw_err *err) {
        _cleanup_tag_ref_ vapi_tag_ref ref = {};

        return vapi_tagged_vms(v, &ref, category, tag, false, ret, err);
}
