/* vAPI REST: the session, the one call every request goes through, and the attached-objects reply.
 * Tags have no SOAP API worth using, and no change feed: callers poll (vapi-tags.c). */
#include "vapi-internal.h"

#include <string.h>

static inline void json_tokener_freep(json_tokener **t) {
        if (*t)
                json_tokener_free(*t);
}

/* A session token longer than this is not one vCenter made (theirs are about 40 bytes). */
#define TOKEN_MAX 4096

/* The payload of a reply body: exactly one JSON value (blanks after it at most), valid UTF-8,
 * unwrapped from /rest's {"value": ...}. Otherwise -NW_EREPLY and *ret_why says what is wrong. */
static int parse_payload(const char *data, size_t len, bool legacy, json_object **ret, const char **ret_why) {
        _cleanup_(json_tokener_freep) json_tokener *tok = NULL;
        _cleanup_json_ json_object *doc = NULL;
        enum json_tokener_error jerr;
        json_object *value;
        size_t end;

        if (len > INT32_MAX) {
                *ret_why = "reply too large";
                return -EFBIG;
        }
        tok = json_tokener_new();
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
        doc = json_tokener_parse_ex(tok, data, (int) len);
        jerr = json_tokener_get_error(tok);
        end = json_tokener_get_parse_end(tok);
        if (jerr == json_tokener_continue && len > 0) {
                /* A literal or number at the very end waits for a delimiter: the end of input is one. */
                doc = json_tokener_parse_ex(tok, "", 1);
                jerr = json_tokener_get_error(tok);
        }
        if (jerr == json_tokener_continue) {
                *ret_why = "reply is not JSON: it ends in the middle of a value";
                return -NW_EREPLY;
        }
        if (jerr != json_tokener_success) {
                *ret_why = json_tokener_error_desc(jerr);
                return -NW_EREPLY;
        }
        for (size_t i = end; i < len; i++)
                if (!strchr(" \t\r\n", data[i]) || data[i] == '\0') {
                        *ret_why = "reply is not JSON: more follows its value";
                        return -NW_EREPLY;
                }
        if (legacy) {
                if (!json_object_object_get_ex(doc, "value", &value)) {
                        *ret_why = "reply has no \"value\"";
                        return -NW_EREPLY;
                }
                *ret = json_object_get(value);
        } else {
                *ret = doc;
                doc = NULL;
        }
        return 0;
}

static const vapi_paths paths_api = {
        .session = "/api/session",
        .categories = "/api/cis/tagging/category",
        .category = "/api/cis/tagging/category/",
        .tags_for_category = "/api/cis/tagging/tag?action=list-tags-for-category",
        .tag = "/api/cis/tagging/tag/",
        .attached = "/api/cis/tagging/tag-association?action=list-attached-objects-on-tags",
};

static const vapi_paths paths_rest = {
        .session = "/rest/com/vmware/cis/session",
        .categories = "/rest/com/vmware/cis/tagging/category",
        .category = "/rest/com/vmware/cis/tagging/category/id:",
        .tags_for_category = "/rest/com/vmware/cis/tagging/tag/id:",
        .tags_for_category_action = "?~action=list-tags-for-category",
        .tag = "/rest/com/vmware/cis/tagging/tag/id:",
        .attached = "/rest/com/vmware/cis/tagging/tag-association?~action=list-attached-objects-on-tags",
};

const vapi_paths *vapi_paths_of(const nw_vapi *v) {
        return v->legacy ? &paths_rest : &paths_api;
}

int vapi_call(nw_vapi *v, const char *method, const char *path, const char *body, const char *user,
              const char *password, json_object **ret, nw_err *err) {
        /* The header carries the session token; a session-creation reply does too. */
        _cleanup_buf_ nw_buf url = {}, reply = { .sensitive = true }, hdr = { .sensitive = true };
        const char *headers[4] = { "Content-Type: application/json", "Accept: application/json", NULL, NULL };
        const char *why = NULL;
        long status = 0;
        int r;

        nw_buf_printf(&url, "%s%s", v->base, path);
        if (v->token) {
                nw_buf_printf(&hdr, "vmware-api-session-id: %s", v->token);
                headers[2] = hdr.data;
        }
        if (url.oom || hdr.oom)
                return nw_errf(err, -ENOMEM, "out of memory");

        r = nw_http_do(v->http,
                       &(nw_http_req) {
                               .method = method,
                               .url = url.data,
                               .headers = headers,
                               .body = body,
                               .body_len = body ? strlen(body) : 0,
                               .user = user,
                               .password = password,
                       },
                       &status, &reply, err);
        if (r < 0)
                return r;
        if (status == 401)
                return nw_errf(err, -NW_ENOTAUTH, "%s %s: HTTP 401 (not authenticated)", method, path);
        /* Logged in, but not allowed: a missing privilege, which logging in again will not mend. */
        if (status == 403)
                return nw_errf(err, -EACCES, "%s %s: HTTP 403 (forbidden: the account lacks a privilege for it)",
                               method, path);
        if (status == 404)
                return nw_errf(err, -ENOENT, "%s %s: HTTP 404", method, path);
        if (status < 200 || status > 299)
                return nw_errf(err, -NW_EREPLY, "%s %s: HTTP %ld: %.200s", method, path, status,
                               reply.data ? reply.data : "");
        if (!ret)
                return 0;

        /* The simulator labels JSON text/plain; trust the body, not the Content-Type. */
        r = parse_payload(reply.data ? reply.data : "", reply.len, v->legacy, ret, &why);
        if (r == -ENOMEM)
                return nw_errf(err, r, "out of memory");
        if (r < 0)
                return nw_errf(err, r, "%s %s: %s%s", method, path, strncmp(why, "reply", 5) == 0 ? "" : "reply is not JSON: ",
                               why);
        return 0;
}

/* vmware-api-session-id goes into a header as it is: it must be one printable ASCII word. */
static int check_token(json_object *tok, nw_err *err) {
        const char *t;
        int len;

        if (!json_object_is_type(tok, json_type_string))
                return nw_errf(err, -NW_EREPLY, "vAPI session: reply holds no session token");
        t = json_object_get_string(tok);
        len = json_object_get_string_len(tok);
        if (len == 0)
                return nw_errf(err, -NW_EREPLY, "vAPI session: the session token is empty");
        if (len > TOKEN_MAX)
                return nw_errf(err, -NW_EREPLY, "vAPI session: the session token is %d bytes long (at most %d): "
                               "refused", len, TOKEN_MAX);
        if (memchr(t, '\r', (size_t) len) || memchr(t, '\n', (size_t) len))
                return nw_errf(err, -NW_EREPLY, "vAPI session: the session token contains CR or LF: refused, "
                               "never put into a header");
        for (int i = 0; i < len; i++)
                if ((unsigned char) t[i] <= ' ' || (unsigned char) t[i] >= 0x7f)
                        return nw_errf(err, -NW_EREPLY, "vAPI session: the session token contains a control, "
                                       "blank or non-ASCII character: refused, never put into a header");
        return 0;
}

static char *base_of(const char *sdk_url) {
        const char *p = strstr(sdk_url, "://");
        const char *slash = p ? strchr(p + 3, '/') : NULL;

        return slash ? strndup(sdk_url, (size_t) (slash - sdk_url)) : strdup(sdk_url);
}

void vapi_free(nw_vapi *v) {
        if (!v)
                return;
        if (v->token)
                nw_wipe(v->token, strlen(v->token));
        free(v->token);
        free(v->base);
        free(v);
}

int vapi_login(nw_http *h, const char *sdk_url, const char *user, const char *password, nw_vapi **ret, nw_err *err) {
        _cleanup_(vapi_freep) nw_vapi *v = NULL;
        _cleanup_json_ json_object *tok = NULL;
        int r;

        v = calloc(1, sizeof(*v));
        if (!v || !(v->base = base_of(sdk_url)))
                return nw_errf(err, -ENOMEM, "out of memory");
        v->http = h;

        r = vapi_call(v, "POST", paths_api.session, NULL, user, password, &tok, err);
        if (r == -ENOENT) {
                /* No /api before 7.0U2 (and none in the simulator): the /rest flavour then. */
                v->legacy = true;
                r = vapi_call(v, "POST", paths_rest.session, NULL, user, password, &tok, err);
        }
        if (r == -NW_ENOTAUTH)
                return nw_errf(err, -NW_ELOGIN, "vAPI session: user '%s' or its password rejected", user);
        if (r < 0)
                return nw_err_prefix(err, r, "vAPI session");
        r = check_token(tok, err);
        if (r < 0)
                return r;
        v->token = strdup(json_object_get_string(tok));
        if (!v->token)
                return nw_errf(err, -ENOMEM, "out of memory");

        *ret = v;
        v = NULL;
        return 0;
}

int vapi_logout(nw_vapi *v, nw_err *err) {
        if (!v->token)
                return 0;
        return vapi_call(v, "DELETE", vapi_paths_of(v)->session, NULL, NULL, NULL, NULL, err);
}

/* [{"tag_id": ..., "object_ids": [{"type": ..., "id": ...}, ...]}, ...]: anything else is an error
 * naming call, never an empty set (which would read as "no tagged VMs"). */
int vapi_collect_vms(json_object *res, const char *call, nw_strv *ret, size_t *ret_objects, nw_err *err) {
        _cleanup_strv_ nw_strv out = {};
        size_t n, objects = 0;

        if (!json_object_is_type(res, json_type_array))
                return nw_errf(err, -NW_EREPLY, "%s: reply is not an array", call);
        n = json_object_array_length(res);
        for (size_t i = 0; i < n; i++) {
                json_object *objs;
                size_t m;

                if (!json_object_object_get_ex(json_object_array_get_idx(res, i), "object_ids", &objs))
                        return nw_errf(err, -NW_EREPLY, "%s: entry #%zu is not an object with an \"object_ids\" array",
                                       call, i + 1);
                /* A tag on nothing: [] from vCenter, null from the simulator (Go's empty list). */
                if (!objs)
                        continue;
                if (!json_object_is_type(objs, json_type_array))
                        return nw_errf(err, -NW_EREPLY, "%s: entry #%zu is not an object with an \"object_ids\" array",
                                       call, i + 1);
                m = json_object_array_length(objs);
                objects += m;
                for (size_t j = 0; j < m; j++) {
                        json_object *o = json_object_array_get_idx(objs, j), *type, *id;
                        const char *moref;

                        if (!json_object_object_get_ex(o, "type", &type) || !json_object_object_get_ex(o, "id", &id) ||
                            !json_object_is_type(type, json_type_string) || !json_object_is_type(id, json_type_string))
                                return nw_errf(err, -NW_EREPLY, "%s: object #%zu of entry #%zu has no \"type\" and "
                                               "\"id\" strings", call, j + 1, i + 1);
                        if (strcmp(json_object_get_string(type), "VirtualMachine") != 0)
                                continue;
                        moref = json_object_get_string(id);
                        if (moref[0] == '\0')
                                return nw_errf(err, -NW_EREPLY, "%s: object #%zu of entry #%zu has an empty id", call,
                                               j + 1, i + 1);
                        if (!nw_strv_contains(&out, moref) && nw_strv_push(&out, moref) < 0)
                                return nw_errf(err, -ENOMEM, "out of memory");
                }
        }
        *ret = out;
        out = (nw_strv) {};
        if (ret_objects)
                *ret_objects = objects;
        return 0;
}

int vapi_parse_attached(const char *json, size_t len, bool legacy, nw_strv *ret, nw_err *err) {
        static const char call[] = "list-attached-objects-on-tags";
        _cleanup_json_ json_object *res = NULL;
        const char *why = NULL;
        int r;

        r = parse_payload(json, len, legacy, &res, &why);
        if (r == -ENOMEM)
                return nw_errf(err, r, "out of memory");
        if (r < 0)
                return nw_errf(err, r, "%s: %s%s", call, strncmp(why, "reply", 5) == 0 ? "" : "reply is not JSON: ",
                               why);
        return vapi_collect_vms(res, call, ret, NULL, err);
}
