/* SOAP for vim25: envelopes with escaping on the way out, replies and faults parsed on the way in. */
#pragma once

#include <libxml/hash.h>
#include <libxml/tree.h>

#include "http.h"

/* Wraps a method element in the envelope pyVmomi sends (same prefixes and declarations). */
int soap_envelope(nw_buf *out, const char *method_xml);

/* Records: the elements at Envelope/Body/<METHOD>Response/path[0]/path[1]/…, handed to fn one at a
 * time as each completes (its subtree whole, still linked to its ancestors) and freed when fn
 * returns, so that a reply of any size is never held as one tree. A negative return from fn stops
 * the parse (and the transfer) with that code; fn has set err. Only a 200 reply's records are
 * handed out; what is not a record (a continuation token, a version) stays in the returned doc. */
typedef struct soap_records {
        const char *const *path;  /* NULL-terminated, at least one name; "*" stands for any */
        int (*fn)(void *userdata, const xmlNode *record, nw_err *err);
        void *userdata;
} soap_records;

/* POSTs the envelope around method_xml to url with SOAPAction "urn:vim25/<version>", parsing the
 * reply as it arrives. On success *ret_doc owns the reply (without its records, when records is not
 * NULL) and *ret_result points at the method's response element (<XResponse>). A SOAP fault becomes
 * -NW_ELOGIN (InvalidLogin), -NW_ENOTAUTH (NotAuthenticated) or -NW_ESOAPFAULT, with err->fault set
 * to the fault type and err->msg "METHOD: TYPE: faultstring". Records already handed out stand
 * even when the call then fails: the caller discards what it built on error. */
int soap_call(nw_http *h, const char *url, const char *version, const char *method, const char *method_xml,
              const soap_records *records, xmlDoc **ret_doc, xmlNode **ret_result, nw_err *err);

/* Parses a reply body fed in pieces of chunk bytes (0: at once), as soap_call does after the
 * transfer; exposed for the unit tests and the fuzz harnesses. Either way a reply with a DTD or an
 * entity declaration, or nested deeper than 64 elements, is refused (-NW_EREPLY) before anything in
 * it is expanded, and the parse stops (-ECANCELED) as soon as *abort_flag is set. */
int soap_parse_reply_records(const char *body, size_t len, size_t chunk, long status, const char *method,
                             const soap_records *records, const volatile sig_atomic_t *abort_flag,
                             xmlDoc **ret_doc, xmlNode **ret_result, nw_err *err);
int soap_parse_reply(const char *body, size_t len, long status, const char *method, xmlDoc **ret_doc,
                     xmlNode **ret_result, nw_err *err);
int soap_parse_reply_abortable(const char *body, size_t len, long status, const char *method,
                               const volatile sig_atomic_t *abort_flag, xmlDoc **ret_doc, xmlNode **ret_result,
                               nw_err *err);

/* Tree walking by local name (vCenter and the simulator differ in prefixes, never in names). */
xmlNode *soap_child(const xmlNode *parent, const char *name);
xmlNode *soap_next(const xmlNode *prev, const char *name);
#define SOAP_FOREACH(n, parent, name) \
        for (xmlNode *n = soap_child((parent), (name)); n; n = soap_next(n, (name)))
/* The node's text, or NULL; the pointer is owned by the document (no copy). */
const char *soap_text(const xmlNode *n);
/* Text of the named child, or NULL. */
const char *soap_child_text(const xmlNode *parent, const char *name);
/* xsi:type without its prefix, or NULL. */
const char *soap_xsi_type(const xmlNode *n, char *buf, size_t size);
/* <elem type="TYPE">moref</elem> and <elem>text</elem>, escaped: the two shapes of every request. */
void soap_put_moref(nw_buf *b, const char *elem, const char *type, const char *moref);
void soap_put_text(nw_buf *b, const char *elem, const char *text);

/* Writes n (and its subtree) back as request XML: local names only (the method element's default
 * namespace is urn:vim25), xsi:type with our "xsi" prefix whatever prefix the reply used, other
 * attributes (a moref's type) as they are, text escaped. For sending back what vCenter sent. */
int soap_emit(nw_buf *out, const xmlNode *n);

/* "true"/"false" → NW_TRUE/NW_FALSE, anything else or NULL → -1 (unset). */
int soap_bool(const char *s);

static inline void xmlFreeDocp(xmlDoc **d) {
        if (*d)
                xmlFreeDoc(*d);
}
#define _cleanup_xmldoc_ _cleanup_(xmlFreeDocp)
static inline void xmlFreep(xmlChar **p) {
        if (*p)
                xmlFree(*p);
}
static inline void xmlHashFreep(xmlHashTable **h) {
        if (*h)
                xmlHashFree(*h, NULL);
}
#define _cleanup_xmlhash_ _cleanup_(xmlHashFreep)
