/* SOAP for vim25: the envelope, the POST, the reply and its faults, parsed in one place. */
#include "soap.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <string.h>

/* The deepest reply the scenario sends (a WaitForUpdatesEx update set holding a DV portgroup's
 * defaultPortConfig) nests 14 elements; vCenter's are of the same shape. 64 leaves a wide margin
 * and stays far below what costs anything to walk. */
#define SOAP_MAX_DEPTH 64
#define STR_(x) #x
#define STR(x) STR_(x)

static inline void xmlFreeParserCtxtp(xmlParserCtxt **c) {
        if (*c)
                xmlFreeParserCtxt(*c);
}

#define ENVELOPE_HEAD                                                                              \
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                             \
        "<soapenv:Envelope xmlns:soapenc=\"http://schemas.xmlsoap.org/soap/encoding/\" "           \
        "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "                             \
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "                                 \
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\">\n<soapenv:Body>"
#define ENVELOPE_TAIL "</soapenv:Body>\n</soapenv:Envelope>"

int soap_envelope(nw_buf *out, const char *method_xml) {
        nw_buf_puts(out, ENVELOPE_HEAD);
        nw_buf_puts(out, method_xml);
        nw_buf_puts(out, ENVELOPE_TAIL);
        return out->oom ? -ENOMEM : 0;
}

void soap_put_moref(nw_buf *b, const char *elem, const char *type, const char *moref) {
        nw_buf_printf(b, "<%s type=\"", elem);
        nw_buf_put_xml(b, type);
        nw_buf_puts(b, "\">");
        nw_buf_put_xml(b, moref);
        nw_buf_printf(b, "</%s>", elem);
}

void soap_put_text(nw_buf *b, const char *elem, const char *text) {
        nw_buf_printf(b, "<%s>", elem);
        nw_buf_put_xml(b, text);
        nw_buf_printf(b, "</%s>", elem);
}

static bool is_element(const xmlNode *n, const char *name) {
        return n->type == XML_ELEMENT_NODE && (!name || strcmp((const char *) n->name, name) == 0);
}

xmlNode *soap_child(const xmlNode *parent, const char *name) {
        if (!parent)
                return NULL;
        for (xmlNode *n = parent->children; n; n = n->next)
                if (is_element(n, name))
                        return n;
        return NULL;
}

xmlNode *soap_next(const xmlNode *prev, const char *name) {
        for (xmlNode *n = prev->next; n; n = n->next)
                if (is_element(n, name))
                        return n;
        return NULL;
}

const char *soap_text(const xmlNode *n) {
        if (!n)
                return NULL;
        for (xmlNode *c = n->children; c; c = c->next)
                if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE)
                        return (const char *) c->content;
        return NULL;
}

const char *soap_child_text(const xmlNode *parent, const char *name) {
        return soap_text(soap_child(parent, name));
}

const char *soap_xsi_type(const xmlNode *n, char *buf, size_t size) {
        xmlChar *v;
        const char *colon;

        if (!n)
                return NULL;
        v = xmlGetNsProp(n, (const xmlChar *) "type", (const xmlChar *) "http://www.w3.org/2001/XMLSchema-instance");
        if (!v)
                return NULL;
        colon = strchr((const char *) v, ':');
        snprintf(buf, size, "%s", colon ? colon + 1 : (const char *) v);
        xmlFree(v);
        return buf;
}

int soap_emit(nw_buf *out, const xmlNode *n) {
        static const char xsi[] = "http://www.w3.org/2001/XMLSchema-instance";

        if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
                return nw_buf_put_xml(out, (const char *) n->content);
        if (n->type != XML_ELEMENT_NODE)
                return 0;
        nw_buf_printf(out, "<%s", (const char *) n->name);
        for (const xmlAttr *a = n->properties; a; a = a->next) {
                xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
                const char *val = v ? (const char *) v : "", *colon;

                if (a->ns && a->ns->href && strcmp((const char *) a->ns->href, xsi) == 0) {
                        /* The type name may carry the reply's prefix too ("vim25:HostNicTeamingPolicy"). */
                        colon = strchr(val, ':');
                        nw_buf_printf(out, " xsi:%s=\"", (const char *) a->name);
                        nw_buf_put_xml(out, colon ? colon + 1 : val);
                } else if (!a->ns) {
                        nw_buf_printf(out, " %s=\"", (const char *) a->name);
                        nw_buf_put_xml(out, val);
                } else {
                        xmlFree(v);
                        continue;
                }
                nw_buf_puts(out, "\"");
                xmlFree(v);
        }
        nw_buf_puts(out, ">");
        for (const xmlNode *c = n->children; c; c = c->next)
                soap_emit(out, c);
        nw_buf_printf(out, "</%s>", (const char *) n->name);
        return out->oom ? -ENOMEM : 0;
}

int soap_bool(const char *s) {
        if (!s)
                return -1;
        if (strcmp(s, "true") == 0 || strcmp(s, "1") == 0)
                return 1;
        if (strcmp(s, "false") == 0 || strcmp(s, "0") == 0)
                return 0;
        return -1;
}

static int fault_code(const char *type) {
        if (strcmp(type, "InvalidLogin") == 0)
                return -NW_ELOGIN;
        if (strcmp(type, "NotAuthenticated") == 0)
                return -NW_ENOTAUTH;
        return -NW_ESOAPFAULT;
}

static int decode_fault(xmlNode *fault, const char *method, nw_err *err) {
        const char *string = soap_child_text(fault, "faultstring");
        xmlNode *detail = soap_child(fault, "detail");
        xmlNode *what = soap_child(detail, NULL);
        char type[64] = "", tbuf[64];
        int r;

        if (what) {
                /* vCenter: <InvalidLoginFault xsi:type="InvalidLogin">; the xsi:type is the precise one. */
                const char *t = soap_xsi_type(what, tbuf, sizeof(tbuf));
                size_t len;

                snprintf(type, sizeof(type), "%s", t ? t : (const char *) what->name);
                len = strlen(type);
                if (!t && len > 5 && strcmp(type + len - 5, "Fault") == 0)
                        type[len - 5] = '\0';
        } else
                snprintf(type, sizeof(type), "%s", soap_child_text(fault, "faultcode") ?: "UnknownFault");

        r = nw_errf(err, fault_code(type), "%s: %s: %s", method, type,
                    string && *string ? string : "(no message)");
        if (err)
                snprintf(err->fault, sizeof(err->fault), "%s", type);
        return r;
}

/* Guards the parser sees through ctxt->_private. vCenter never sends a DTD, so a reply that carries
 * one is refused at its <!DOCTYPE, before any entity is declared: nothing can be expanded or fetched,
 * whatever encoding or spacing tricks the body plays (the parser itself found the DOCTYPE). */
typedef struct parse_guard {
        const volatile sig_atomic_t *abort_flag;
        unsigned depth;
        int code;         /* why the parser was stopped; 0: it was not */
        const char *why;
} parse_guard;

static void guard_stop(void *ctx, int code, const char *why) {
        xmlParserCtxt *ctxt = ctx;
        parse_guard *g = ctxt->_private;

        if (!g->code) {
                g->code = code;
                g->why = why;
        }
        xmlStopParser(ctxt);
}

static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *external_id, const xmlChar *system_id) {
        guard_stop(ctx, -NW_EREPLY, "reply carries a DTD (<!DOCTYPE>), which vCenter never sends: refused");
}

static void on_entity_decl(void *ctx, const xmlChar *name, int type, const xmlChar *public_id,
                           const xmlChar *system_id, xmlChar *content) {
        guard_stop(ctx, -NW_EREPLY, "reply declares an entity, which vCenter never does: refused");
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                     const xmlChar **attributes) {
        parse_guard *g = ((xmlParserCtxt *) ctx)->_private;

        /* Checked per element: a capped body parses in well under a second, but SIGTERM must not
         * wait for it. */
        if (g->abort_flag && *g->abort_flag)
                return guard_stop(ctx, -ECANCELED, "parsing the reply aborted");
        if (++g->depth > SOAP_MAX_DEPTH)
                return guard_stop(ctx, -NW_EREPLY, "reply nested deeper than " STR(SOAP_MAX_DEPTH)
                                  " elements: refused");
        xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                              attributes);
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri) {
        parse_guard *g = ((xmlParserCtxt *) ctx)->_private;

        g->depth--;
        xmlSAX2EndElementNs(ctx, localname, prefix, uri);
}

static xmlDoc *parse_guarded(const char *body, int len, parse_guard *g, char *why, size_t why_size) {
        _cleanup_(xmlFreeParserCtxtp) xmlParserCtxt *ctxt = NULL;
        xmlDoc *doc;
        const xmlError *e;

        ctxt = xmlNewParserCtxt();
        if (!ctxt) {
                g->code = -ENOMEM;
                g->why = "out of memory";
                return NULL;
        }
        ctxt->_private = g;
        ctxt->sax->internalSubset = on_doctype;
        ctxt->sax->externalSubset = on_doctype;
        ctxt->sax->entityDecl = on_entity_decl;
        ctxt->sax->startElementNs = on_start;
        ctxt->sax->endElementNs = on_end;
        /* Not XML_PARSE_HUGE: it lifts libxml2's own limits (amplification, text node and name sizes).
         * No NOENT, DTDLOAD or XINCLUDE: nothing outside the body is ever read. */
        doc = xmlCtxtReadMemory(ctxt, body, len, NULL, "UTF-8",
                                XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOCDATA);
        if (g->code) {
                /* A stopped parser may still hand back the part it built. */
                xmlFreeDoc(doc);
                return NULL;
        }
        if (!doc) {
                e = xmlCtxtGetLastError(ctxt);
                if (e && e->message)
                        snprintf(why, why_size, "line %d: %.*s", e->line, (int) strcspn(e->message, "\n"),
                                 e->message);
        }
        return doc;
}

int soap_parse_reply_abortable(const char *body, size_t len, long status, const char *method,
                               const volatile sig_atomic_t *abort_flag, xmlDoc **ret_doc, xmlNode **ret_result,
                               nw_err *err) {
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        parse_guard g = { .abort_flag = abort_flag };
        xmlNode *env, *b, *first;
        char want[128], why[160] = "";

        if (len > INT32_MAX)
                return nw_errf(err, -EFBIG, "%s: reply too large", method);
        /* vCenter answers 200, or 500 with a SOAP fault: anything else came from something in between
         * (an HTML error page, often with a DOCTYPE), and parsing it would only confuse the message. */
        if (status != 200 && status != 500)
                return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld: not a SOAP reply (a proxy or load balancer "
                               "answered, or vCenter's services are down)", method, status);
        doc = parse_guarded(body, (int) len, &g, why, sizeof(why));
        if (g.code)
                return nw_errf(err, g.code, "%s: HTTP %ld: %s", method, status, g.why);
        if (!doc)
                return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld with a reply that is not XML%s%s%s", method, status,
                               why[0] ? " (" : "", why, why[0] ? ")" : "");

        env = xmlDocGetRootElement(doc);
        if (!env || !is_element(env, "Envelope"))
                return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld: reply is not a SOAP envelope", method, status);
        b = soap_child(env, "Body");
        first = soap_child(b, NULL);
        if (first && is_element(first, "Fault"))
                return decode_fault(first, method, err);
        if (status != 200)
                return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld without a SOAP fault", method, status);

        snprintf(want, sizeof(want), "%sResponse", method);
        if (!first || !is_element(first, want))
                return nw_errf(err, -NW_EREPLY, "%s: reply has no <%s>", method, want);

        *ret_result = first;
        *ret_doc = doc;
        doc = NULL;
        return 0;
}

int soap_parse_reply(const char *body, size_t len, long status, const char *method, xmlDoc **ret_doc,
                     xmlNode **ret_result, nw_err *err) {
        return soap_parse_reply_abortable(body, len, status, method, NULL, ret_doc, ret_result, err);
}

int soap_call(nw_http *h, const char *url, const char *version, const char *method, const char *method_xml,
              xmlDoc **ret_doc, xmlNode **ret_result, nw_err *err) {
        _cleanup_buf_ nw_buf req = { .sensitive = true }, reply = {};
        char action[64];
        const char *headers[] = {
                "Content-Type: text/xml; charset=utf-8",
                action,
                NULL,
        };
        long status = 0;
        int r;

        snprintf(action, sizeof(action), "SOAPAction: \"urn:vim25/%s\"", version);
        r = soap_envelope(&req, method_xml);
        if (r < 0)
                return nw_errf(err, r, "out of memory");

        r = nw_http_do(h,
                       &(nw_http_req) {
                               .method = "POST",
                               .url = url,
                               .headers = headers,
                               .body = req.data,
                               .body_len = req.len,
                       },
                       &status, &reply, err);
        if (r < 0)
                return nw_err_prefix(err, r, "%s", method);
        if (status == 401)
                return nw_errf(err, -NW_ENOTAUTH, "%s: HTTP 401", method);
        if (status == 403)
                return nw_errf(err, -EACCES, "%s: HTTP 403 (forbidden: the account lacks a privilege for it)",
                               method);

        return soap_parse_reply_abortable(reply.data ? reply.data : "", reply.len, status, method,
                                          nw_http_abort_flag(h), ret_doc, ret_result, err);
}
