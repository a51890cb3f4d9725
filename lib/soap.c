/* SOAP for vim25: the envelope, the POST, the reply and its faults, parsed in one place. */
#include "soap.h"

#include <libxml/SAX2.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <string.h>

/* The deepest reply the scenario sends (a WaitForUpdatesEx update set holding a DV portgroup's
 * defaultPortConfig) nests 14 elements; vCenter's are of the same shape. 64 leaves a wide margin
 * and stays far below what costs anything to walk. */
#define SOAP_MAX_DEPTH 64
/* With records, what is not one (a token, a version) is all that is kept: a handful of elements in
 * vCenter's replies. Far more is a reply that would hold its whole size as a tree after all. */
#define SOAP_MAX_KEPT 10000
#define STR_(x) #x
#define STR(x) STR_(x)

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
 * whatever encoding or spacing tricks the body plays (the parser itself found the DOCTYPE).
 *
 * It also hands records out as they complete: the elements at Envelope/Body/<METHODResponse>/path…
 * go to the caller one at a time and are freed at once, so a page of 1,000 objects is never held
 * as a tree, only one object's subtree is. */
typedef struct parse_guard {
        const volatile sig_atomic_t *abort_flag;
        unsigned depth;
        int code;         /* why the parser was stopped; 0: it was not */
        const char *why;  /* for code's message; NULL: a record callback failed and said why in err */
        const char *method;
        char response[128];         /* "<METHOD>Response" */
        const soap_records *records; /* NULL: keep everything */
        unsigned record_depth;       /* 3 + the path's length */
        unsigned matched;            /* the open elements match the record path down to this depth */
        xmlNode *record;             /* the record element being built */
        unsigned kept;               /* elements outside records so far */
        nw_err *err;
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

static const char *path_name(const parse_guard *g, unsigned depth) {
        switch (depth) {
        case 1:
                return "Envelope";
        case 2:
                return "Body";
        case 3:
                return g->response;
        default:
                return g->records->path[depth - 4];
        }
}

static void on_start(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri,
                     int nb_namespaces, const xmlChar **namespaces, int nb_attributes, int nb_defaulted,
                     const xmlChar **attributes) {
        xmlParserCtxt *ctxt = ctx;
        parse_guard *g = ctxt->_private;

        /* Checked per element: a capped body parses in well under a second, but SIGTERM must not
         * wait for it. */
        if (g->abort_flag && *g->abort_flag)
                return guard_stop(ctx, -ECANCELED, "parsing the reply aborted");
        if (++g->depth > SOAP_MAX_DEPTH)
                return guard_stop(ctx, -NW_EREPLY, "reply nested deeper than " STR(SOAP_MAX_DEPTH)
                                  " elements: refused");
        xmlSAX2StartElementNs(ctx, localname, prefix, uri, nb_namespaces, namespaces, nb_attributes, nb_defaulted,
                              attributes);
        if (!g->records)
                return;
        if (g->matched == g->depth - 1 && g->depth <= g->record_depth &&
            (strcmp(path_name(g, g->depth), "*") == 0 || strcmp((const char *) localname, path_name(g, g->depth)) == 0)) {
                g->matched = g->depth;
                if (g->depth == g->record_depth) {
                        /* The element SAX2 just opened; anything else means it could not (out of memory). */
                        if (!ctxt->node || ctxt->node->name != localname)
                                return guard_stop(ctx, -ENOMEM, "out of memory");
                        g->record = ctxt->node;
                }
        }
        if (!g->record && ++g->kept > SOAP_MAX_KEPT)
                guard_stop(ctx, -NW_EREPLY, "reply holds more than " STR(SOAP_MAX_KEPT)
                           " elements besides its objects: refused");
}

static void on_end(void *ctx, const xmlChar *localname, const xmlChar *prefix, const xmlChar *uri) {
        xmlParserCtxt *ctxt = ctx;
        parse_guard *g = ctxt->_private;
        xmlNode *record = NULL;
        int r;

        if (g->records && g->matched == g->depth) {
                g->matched--;
                if (g->depth == g->record_depth && g->record == ctxt->node)
                        record = g->record;
                g->record = NULL;
        }
        g->depth--;
        xmlSAX2EndElementNs(ctx, localname, prefix, uri);
        if (!record)
                return;
        r = g->records->fn(g->records->userdata, record, g->err);
        xmlUnlinkNode(record);
        xmlFreeNode(record);
        /* SAX2 appends text to the parent's last child in place, trusting lengths it kept for the
         * node it made last; with the record gone that may be an older text node (mixed content in a
         * hostile reply). 0 makes it append the slow, checked way. */
        ctxt->nodemem = 0;
        if (r < 0)
                guard_stop(ctx, r, NULL);
}

static void on_parser_error(void *userdata, xmlError *e) {
}

typedef struct soap_reader {
        xmlParserCtxt *ctxt;
        parse_guard g;
        char why[160];    /* the parser's own complaint */
        bool failed;      /* the reader stopped the transfer (err says why) */
} soap_reader;

static void reader_free(soap_reader *rd) {
        if (!rd)
                return;
        if (rd->ctxt) {
                xmlFreeDoc(rd->ctxt->myDoc);
                rd->ctxt->myDoc = NULL;
                xmlFreeParserCtxt(rd->ctxt);
        }
        free(rd);
}

static inline void reader_freep(soap_reader **rd) {
        reader_free(*rd);
}

static int reader_new(const char *method, const soap_records *records, const volatile sig_atomic_t *abort_flag,
                      soap_reader **ret, nw_err *err) {
        _cleanup_(reader_freep) soap_reader *rd = NULL;
        xmlParserCtxt *ctxt;

        rd = calloc(1, sizeof(*rd));
        if (!rd)
                return nw_errf(err, -ENOMEM, "out of memory");
        rd->g = (parse_guard) { .abort_flag = abort_flag, .method = method, .records = records, .err = err };
        snprintf(rd->g.response, sizeof(rd->g.response), "%sResponse", method);
        for (const char *const *p = records ? records->path : NULL; p && *p; p++)
                rd->g.record_depth = 4 + (unsigned) (p - records->path);
        if (records && !rd->g.record_depth)
                return nw_errf(err, -EINVAL, "%s: empty record path", method);

        ctxt = rd->ctxt = xmlCreatePushParserCtxt(NULL, NULL, NULL, 0, NULL);
        if (!ctxt)
                return nw_errf(err, -ENOMEM, "out of memory");
        /* The body is UTF-8 whatever it declares, as vCenter's always are. */
        if (xmlSwitchEncoding(ctxt, XML_CHAR_ENCODING_UTF8) < 0)
                return nw_errf(err, -ENOMEM, "out of memory");
        ctxt->_private = &rd->g;
        ctxt->sax->internalSubset = on_doctype;
        ctxt->sax->externalSubset = on_doctype;
        ctxt->sax->entityDecl = on_entity_decl;
        ctxt->sax->startElementNs = on_start;
        ctxt->sax->endElementNs = on_end;
        /* Nothing of ours reads them, and outside a record they would pile up for the whole reply. */
        ctxt->sax->comment = NULL;
        ctxt->sax->processingInstruction = NULL;
        /* The parser's complaints are read back from the context (reader_check), never printed. */
        ctxt->sax->serror = on_parser_error;
        /* Not XML_PARSE_HUGE: it lifts libxml2's own limits (amplification, text node and name sizes).
         * No NOENT, DTDLOAD or XINCLUDE: nothing outside the body is ever read. */
        xmlCtxtUseOptions(ctxt, XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                XML_PARSE_NOCDATA);
        *ret = TAKE_PTR(rd);
        return 0;
}

/* The parser's state after a chunk (or the end): the guard's refusal, a record's failure, or the
 * body not being XML. */
static int reader_check(soap_reader *rd, long status, nw_err *err) {
        const xmlParserCtxt *ctxt = rd->ctxt;
        const xmlError *e;

        if (rd->g.code)
                return rd->g.why ? nw_errf(err, rd->g.code, "%s: HTTP %ld: %s", rd->g.method, status, rd->g.why)
                                 : rd->g.code;
        /* A limit of libxml2's own (a text node over 10 MB) or its running out of memory leaves the
         * document well-formed so far but stops the parse: what follows would be missing, silently. */
        if (ctxt->wellFormed && ctxt->errNo == XML_ERR_OK && !ctxt->disableSAX)
                return 0;
        e = xmlCtxtGetLastError(rd->ctxt);
        /* The push parser's word for a body that stops inside an element is "Extra content at the
         * end of the document": say what happened instead. */
        if (e && e->code == XML_ERR_DOCUMENT_END && rd->g.depth > 0)
                snprintf(rd->why, sizeof(rd->why), "line %d: premature end of data, %u element%s still open",
                         e->line, rd->g.depth, rd->g.depth == 1 ? "" : "s");
        else if (e && e->message)
                snprintf(rd->why, sizeof(rd->why), "line %d: %.*s", e->line, (int) strcspn(e->message, "\n"),
                         e->message);
        if (ctxt->wellFormed)
                return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld: reply refused by the XML parser (%s)", rd->g.method, status,
                               rd->why[0] ? rd->why : "no reason given");
        return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld with a reply that is not XML%s%s%s", rd->g.method, status,
                       rd->why[0] ? " (" : "", rd->why, rd->why[0] ? ")" : "");
}

static int reader_feed(soap_reader *rd, long status, const char *data, size_t len, nw_err *err) {
        /* Only an answer (200) carries records; a fault's 500 is read whole. */
        if (status != 200)
                rd->g.records = NULL;
        rd->g.err = err;
        while (len > 0) {
                int n = len > INT32_MAX ? INT32_MAX : (int) len;
                int r;

                xmlParseChunk(rd->ctxt, data, n, 0);
                r = reader_check(rd, status, err);
                if (r < 0)
                        return r;
                data += n;
                len -= (size_t) n;
        }
        return 0;
}

static int reader_finish(soap_reader *rd, long status, xmlDoc **ret_doc, xmlNode **ret_result, nw_err *err) {
        _cleanup_xmldoc_ xmlDoc *doc = NULL;
        xmlNode *env, *b, *first;
        int r;

        /* vCenter answers 200, or 500 with a SOAP fault: anything else came from something in between
         * (an HTML error page, often with a DOCTYPE), and parsing it would only confuse the message. */
        if (status != 200 && status != 500)
                return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld: not a SOAP reply (a proxy or load balancer "
                               "answered, or vCenter's services are down)", rd->g.method, status);
        rd->g.err = err;
        xmlParseChunk(rd->ctxt, NULL, 0, 1);
        r = reader_check(rd, status, err);
        if (r < 0)
                return r;
        doc = rd->ctxt->myDoc;
        rd->ctxt->myDoc = NULL;

        env = xmlDocGetRootElement(doc);
        if (!env || !is_element(env, "Envelope"))
                return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld: reply is not a SOAP envelope", rd->g.method, status);
        b = soap_child(env, "Body");
        first = soap_child(b, NULL);
        if (first && is_element(first, "Fault"))
                return decode_fault(first, rd->g.method, err);
        if (status != 200)
                return nw_errf(err, -NW_EREPLY, "%s: HTTP %ld without a SOAP fault", rd->g.method, status);
        if (!first || !is_element(first, rd->g.response))
                return nw_errf(err, -NW_EREPLY, "%s: reply has no <%s>", rd->g.method, rd->g.response);

        *ret_result = first;
        *ret_doc = TAKE_PTR(doc);
        return 0;
}

int soap_parse_reply_records(const char *body, size_t len, size_t chunk, long status, const char *method,
                             const soap_records *records, const volatile sig_atomic_t *abort_flag,
                             xmlDoc **ret_doc, xmlNode **ret_result, nw_err *err) {
        _cleanup_(reader_freep) soap_reader *rd = NULL;
        int r;

        r = reader_new(method, records, abort_flag, &rd, err);
        if (r < 0)
                return r;
        if (status == 200 || status == 500)
                for (size_t off = 0; off < len;) {
                        size_t n = chunk && chunk < len - off ? chunk : len - off;

                        r = reader_feed(rd, status, body + off, n, err);
                        if (r < 0)
                                return r;
                        off += n;
                }
        return reader_finish(rd, status, ret_doc, ret_result, err);
}

int soap_parse_reply_abortable(const char *body, size_t len, long status, const char *method,
                               const volatile sig_atomic_t *abort_flag, xmlDoc **ret_doc, xmlNode **ret_result,
                               nw_err *err) {
        return soap_parse_reply_records(body, len, 0, status, method, NULL, abort_flag, ret_doc, ret_result, err);
}

int soap_parse_reply(const char *body, size_t len, long status, const char *method, xmlDoc **ret_doc,
                     xmlNode **ret_result, nw_err *err) {
        return soap_parse_reply_abortable(body, len, status, method, NULL, ret_doc, ret_result, err);
}

static int sink(void *userdata, long status, const char *data, size_t len, nw_err *err) {
        /* Anything but 200 or 500 is refused as a whole after the transfer, unread. */
        soap_reader *rd = userdata;
        int r;

        if (status != 200 && status != 500)
                return 0;
        r = reader_feed(rd, status, data, len, err);
        rd->failed = r < 0;
        return r;
}

int soap_call(nw_http *h, const char *url, const char *version, const char *method, const char *method_xml,
              const soap_records *records, xmlDoc **ret_doc, xmlNode **ret_result, nw_err *err) {
        _cleanup_buf_ nw_buf req = { .sensitive = true };
        _cleanup_(reader_freep) soap_reader *rd = NULL;
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
        r = reader_new(method, records, nw_http_abort_flag(h), &rd, err);
        if (r < 0)
                return r;

        /* The reply is parsed as it arrives (a page of objects is never held whole, see
         * parse_guard); a reply that cannot be one is refused at once, the rest left unread. */
        r = nw_http_do(h,
                       &(nw_http_req) {
                               .method = "POST",
                               .url = url,
                               .headers = headers,
                               .body = req.data,
                               .body_len = req.len,
                               .sink = sink,
                               .sink_userdata = rd,
                       },
                       &status, NULL, err);
        if (r < 0)
                return rd->failed ? r : nw_err_prefix(err, r, "%s", method);
        if (status == 401)
                return nw_errf(err, -NW_ENOTAUTH, "%s: HTTP 401", method);
        if (status == 403)
                return nw_errf(err, -EACCES, "%s: HTTP 403 (forbidden: the account lacks a privilege for it)",
                               method);
        return reader_finish(rd, status, ret_doc, ret_result, err);
}
