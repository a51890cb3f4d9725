/* soap + vim bodies: fault decoding, reply shape checks, escaping of what we send. */
#include <string.h>

#include "soap.h"
#include "tap.h"
#include "vim-internal.h"

#define HEAD                                                                                         \
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"                                                 \
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "             \
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>"
#define TAIL "</soapenv:Body></soapenv:Envelope>"

static const struct {
        const char *what;
        long status;
        const char *body;
        int code;
        const char *fault;
        const char *msg;
} replies[] = {
        { "vCenter InvalidLogin", 500,
          HEAD "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Cannot complete login due to an "
               "incorrect user name or password.</faultstring><detail><InvalidLoginFault xmlns=\"urn:vim25\" "
               "xsi:type=\"InvalidLogin\"></InvalidLoginFault></detail></soapenv:Fault>" TAIL,
          -NW_ELOGIN, "InvalidLogin",
          "Login: InvalidLogin: Cannot complete login due to an incorrect user name or password." },
        { "govmomi NotAuthenticated (other xsi prefix)", 500,
          HEAD "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>session expired</faultstring>"
               "<detail><NotAuthenticatedFault xmlns:XMLSchema-instance=\"http://www.w3.org/2001/XMLSchema-instance\" "
               "XMLSchema-instance:type=\"NotAuthenticated\"><object type=\"Folder\">group-d1</object>"
               "</NotAuthenticatedFault></detail></soapenv:Fault>" TAIL,
          -NW_ENOTAUTH, "NotAuthenticated", "Login: NotAuthenticated: session expired" },
        { "fault without xsi:type: element name minus Fault", 500,
          HEAD "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>bad</faultstring>"
               "<detail><InvalidPropertyFault xmlns=\"urn:vim25\"><name>config.backingType</name>"
               "</InvalidPropertyFault></detail></soapenv:Fault>" TAIL,
          -NW_ESOAPFAULT, "InvalidProperty", "Login: InvalidProperty: bad" },
        { "fault without detail uses faultcode", 500,
          HEAD "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring></faultstring></soapenv:Fault>" TAIL,
          -NW_ESOAPFAULT, "ServerFaultCode", "Login: ServerFaultCode: (no message)" },
        { "HTTP 500 without a fault", 500, HEAD "<LoginResponse/>" TAIL, -NW_EREPLY, "",
          "Login: HTTP 500 without a SOAP fault" },
        { "not XML", 500, "<html>Bad gateway", -NW_EREPLY, "",
          "Login: HTTP 500 with a reply that is not XML (line 1: premature end of data, 1 element still open)" },
        { "an HTML error page", 503, "<!DOCTYPE html>\n<html><body>Service Unavailable</body></html>", -NW_EREPLY, "",
          "Login: HTTP 503: not a SOAP reply (a proxy or load balancer answered, or vCenter's services are down)" },
        { "not an envelope", 200, "<?xml version=\"1.0\"?><a/>", -NW_EREPLY, "",
          "Login: HTTP 200: reply is not a SOAP envelope" },
        { "wrong response element", 200, HEAD "<LogoutResponse xmlns=\"urn:vim25\"/>" TAIL, -NW_EREPLY, "",
          "Login: reply has no <LoginResponse>" },
        { "success", 200, HEAD "<LoginResponse xmlns=\"urn:vim25\"><returnval><key>k</key></returnval></LoginResponse>" TAIL,
          0, "", "" },
};

static void test_replies(void) {
        /* Whole, and in the pieces a transfer may bring: the same results. */
        static const size_t chunks[] = { 0, 1, 7, 4096 };

        for (size_t i = 0; i < ELEMENTSOF(replies) * ELEMENTSOF(chunks); i++) {
                size_t c = i % ELEMENTSOF(chunks), k = i / ELEMENTSOF(chunks);
                xmlDoc *doc = NULL;
                xmlNode *res = NULL;
                nw_err err = {};
                int r;

                r = soap_parse_reply_records(replies[k].body, strlen(replies[k].body), chunks[c], replies[k].status,
                                             "Login", NULL, NULL, &doc, &res, &err);
                if (r != replies[k].code || (r < 0 && strcmp(err.msg, replies[k].msg) != 0))
                        fprintf(stderr, "case '%s', pieces of %zu\n", replies[k].what, chunks[c]);
                CHECK_INTEQ(r, replies[k].code);
                if (r < 0) {
                        CHECK(doc == NULL);
                        CHECK_STREQ(err.fault, replies[k].fault);
                        CHECK_STREQ(err.msg, replies[k].msg);
                } else {
                        CHECK(doc != NULL);
                        CHECK_STREQ(soap_child_text(soap_child(res, "returnval"), "key"), "k");
                        xmlFreeDoc(doc);
                }
        }
}

/* Records: what the callback saw, and a way to make it fail. */
typedef struct seen {
        unsigned n;
        char morefs[512];
        unsigned fail_at;       /* 1-based; 0: never */
} seen;

static int on_record(void *userdata, const xmlNode *oc, nw_err *err) {
        seen *s = userdata;
        size_t len = strlen(s->morefs);
        const char *moref = soap_child_text(oc, "obj");

        s->n++;
        snprintf(s->morefs + len, sizeof(s->morefs) - len, "%s%s", len ? "," : "", moref ? moref : "?");
        /* Whole when handed out: its last child is there. */
        CHECK(soap_child(oc, "propSet") != NULL);
        if (s->n == s->fail_at)
                return nw_errf(err, -EBADMSG, "record %u refused", s->n);
        return 0;
}

#define OBJ(m) "<objects><obj type=\"VirtualMachine\">" m "</obj><propSet><name>name</name><val>" m "</val></propSet></objects>"
#define PAGE(inner) HEAD "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>" inner "</returnval>" \
        "</RetrievePropertiesExResponse>" TAIL

static int parse_records(const char *body, size_t chunk, long status, seen *s, xmlDoc **ret_doc, xmlNode **ret_rv,
                         nw_err *err) {
        static const char *const path[] = { "returnval", "objects", NULL };
        soap_records records = { .path = path, .fn = on_record, .userdata = s };
        xmlNode *res = NULL;
        int r;

        *err = (nw_err) {};
        r = soap_parse_reply_records(body, strlen(body), chunk, status, "RetrievePropertiesEx", &records, NULL,
                                     ret_doc, &res, err);
        if (r == 0)
                *ret_rv = soap_child(res, "returnval");
        return r;
}

static void test_records(void) {
        static const char page[] = PAGE("<token>t1</token>" OBJ("vm-1") OBJ("vm-2") OBJ("vm-3"));
        /* Mixed content around the records (no vCenter sends it): the text beside a record that is
         * gone must still be appended safely. */
        static const char mixed[] = PAGE("<token>t2</token>abc" OBJ("vm-1") "def" OBJ("vm-2") "ghi");
        static const size_t chunks[] = { 0, 1, 2, 3, 7, 64, 4096 };

        for (size_t c = 0; c < ELEMENTSOF(chunks); c++) {
                _cleanup_xmldoc_ xmlDoc *doc = NULL, *doc2 = NULL;
                xmlNode *rv = NULL, *rv2 = NULL;
                seen s = {}, s2 = {};
                nw_err err;
                xmlChar *text;

                CHECK_INTEQ(parse_records(page, chunks[c], 200, &s, &doc, &rv, &err), 0);
                CHECK_INTEQ(s.n, 3);
                CHECK_STREQ(s.morefs, "vm-1,vm-2,vm-3");
                /* What is not a record stays; the records are gone. */
                CHECK_STREQ(soap_child_text(rv, "token"), "t1");
                CHECK(soap_child(rv, "objects") == NULL);

                CHECK_INTEQ(parse_records(mixed, chunks[c], 200, &s2, &doc2, &rv2, &err), 0);
                CHECK_STREQ(s2.morefs, "vm-1,vm-2");
                text = xmlNodeGetContent(rv2);
                CHECK_STREQ((const char *) text, "t2abcdefghi");
                xmlFree(text);
        }

        /* A record refused stops the parse there, with the callback's code and message. */
        {
                xmlDoc *doc = NULL;
                xmlNode *rv = NULL;
                seen s = { .fail_at = 2 };
                nw_err err;

                CHECK_INTEQ(parse_records(page, 5, 200, &s, &doc, &rv, &err), -EBADMSG);
                CHECK_INTEQ(s.n, 2);
                CHECK_STREQ(err.msg, "record 2 refused");
                CHECK(doc == NULL);
        }

        /* Only a 200 reply has records: a fault's are never handed out. */
        {
                static const char fault500[] = HEAD "<soapenv:Fault><faultcode>ServerFaultCode</faultcode>"
                        "<faultstring>no</faultstring><detail><RetrievePropertiesExResponse xmlns=\"urn:vim25\">"
                        "<returnval>" OBJ("vm-9") "</returnval></RetrievePropertiesExResponse></detail>"
                        "</soapenv:Fault>" TAIL;
                xmlDoc *doc = NULL;
                xmlNode *rv = NULL;
                seen s = {};
                nw_err err;

                CHECK_INTEQ(parse_records(fault500, 0, 500, &s, &doc, &rv, &err), -NW_ESOAPFAULT);
                CHECK_INTEQ(s.n, 0);
                /* Elsewhere than at Envelope/Body/METHODResponse/returnval, "objects" is no record. */
                CHECK_INTEQ(parse_records(HEAD "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><x>" OBJ("vm-8")
                                          "</x></RetrievePropertiesExResponse>" TAIL, 0, 200, &s, &doc, &rv, &err), 0);
                CHECK_INTEQ(s.n, 0);
                xmlFreeDoc(doc);
        }

        /* A body cut short after some records: those were handed out, the parse still fails. */
        {
                char cut[sizeof(page)];
                xmlDoc *doc = NULL;
                xmlNode *rv = NULL;
                seen s = {};
                nw_err err;

                snprintf(cut, sizeof(cut), "%.*s", (int) (strstr(page, "vm-3") - page), page);
                CHECK_INTEQ(parse_records(cut, 16, 200, &s, &doc, &rv, &err), -NW_EREPLY);
                CHECK_INTEQ(s.n, 2);
                CHECK_STREQ(err.msg, "RetrievePropertiesEx: HTTP 200 with a reply that is not XML (line 1: "
                                     "premature end of data, 6 elements still open)");
                CHECK(doc == NULL);
        }
}

/* Beside the records, a reply keeps only a bounded number of elements; and libxml2's own limits
 * (a text node over 10 MB) stop a parse loudly, never by leaving the rest out. */
static void test_records_bounded(void) {
        nw_buf b = {};
        xmlDoc *doc = NULL;
        xmlNode *rv = NULL;
        seen s = {};
        nw_err err;

        nw_buf_puts(&b, HEAD "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>");
        for (int i = 0; i < 10100; i++)
                nw_buf_puts(&b, i % 1000 ? "<junk/>" : OBJ("vm-1"));
        nw_buf_puts(&b, "</returnval></RetrievePropertiesExResponse>" TAIL);
        CHECK_INTEQ(parse_records(b.data, 16384, 200, &s, &doc, &rv, &err), -NW_EREPLY);
        CHECK_STREQ(err.msg, "RetrievePropertiesEx: HTTP 200: reply holds more than 10000 elements besides its "
                             "objects: refused");
        CHECK(s.n >= 10);
        nw_buf_done(&b);

        s = (seen) {};
        nw_buf_puts(&b, HEAD "<RetrievePropertiesExResponse xmlns=\"urn:vim25\"><returnval>" OBJ("vm-1")
                        "<objects><obj type=\"VirtualMachine\">");
        for (int i = 0; i < 11 * 1000 * 1000 / 64; i++)
                nw_buf_puts(&b, "vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1vm-1");
        nw_buf_puts(&b, "</obj></objects>" OBJ("vm-3") "</returnval></RetrievePropertiesExResponse>" TAIL);
        CHECK_INTEQ(parse_records(b.data, 16384, 200, &s, &doc, &rv, &err), -NW_EREPLY);
        CHECK_STREQ(err.msg, "RetrievePropertiesEx: HTTP 200: reply refused by the XML parser (line 1: "
                             "xmlSAX2Characters: huge text node)");
        CHECK_INTEQ(s.n, 1);
        CHECK(doc == NULL);
        nw_buf_done(&b);
}

static void test_escaping(void) {
        nw_buf b = {};
        xmlDoc *doc;
        xmlNode *root;

        /* Names admins really use: ampersands, quotes, angle brackets, non-ASCII. */
        CHECK_INTEQ(vim_body_login(&b, "SessionManager", "lab\\<ops> & \"dev\"", "p'a<ss>&word ünï"), 0);
        CHECK_STREQ(b.data, "<Login xmlns=\"urn:vim25\"><_this type=\"SessionManager\">SessionManager</_this>"
                            "<userName>lab\\&lt;ops&gt; &amp; &quot;dev&quot;</userName>"
                            "<password>p&apos;a&lt;ss&gt;&amp;word ünï</password></Login>");
        /* And it reads back as the same text. */
        doc = xmlReadMemory(b.data, (int) b.len, NULL, "UTF-8", XML_PARSE_NONET);
        CHECK(doc != NULL);
        root = xmlDocGetRootElement(doc);
        CHECK_STREQ(soap_child_text(root, "userName"), "lab\\<ops> & \"dev\"");
        CHECK_STREQ(soap_child_text(root, "password"), "p'a<ss>&word ünï");
        xmlFreeDoc(doc);
        nw_buf_done(&b);

        CHECK_INTEQ(vim_body_continue(&b, "pc<1>", "tok&1"), 0);
        CHECK_STREQ(b.data, "<ContinueRetrievePropertiesEx xmlns=\"urn:vim25\"><_this type=\"PropertyCollector\">"
                            "pc&lt;1&gt;</_this><token>tok&amp;1</token></ContinueRetrievePropertiesEx>");
        nw_buf_done(&b);
}

static void test_envelope(void) {
        nw_buf b = {};

        CHECK_INTEQ(soap_envelope(&b, "<X/>"), 0);
        CHECK(strstr(b.data, "<soapenv:Body><X/></soapenv:Body>") != NULL);
        CHECK(strncmp(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
        nw_buf_done(&b);
}

static void test_retrieve_body(void) {
        static const char *const vm_paths[] = { "name", "config.nestedHVEnabled", NULL };
        static const vim_traversal tr = { "vmToNetwork", "VirtualMachine", "network" };
        const vim_prop_spec props[] = { { "VirtualMachine", vm_paths } };
        const vim_obj_spec objs[] = { { "VirtualMachine", "vm-1", &tr, 1 }, { "VirtualMachine", "vm-2", NULL, 0 } };
        nw_buf b = {};

        CHECK_INTEQ(vim_body_retrieve(&b, "propertyCollector", &(vim_filter_spec) { props, 1, objs, 2 }, 50), 0);
        CHECK_STREQ(b.data,
                    "<RetrievePropertiesEx xmlns=\"urn:vim25\"><_this type=\"PropertyCollector\">propertyCollector</_this>"
                    "<specSet><propSet><type>VirtualMachine</type><pathSet>name</pathSet>"
                    "<pathSet>config.nestedHVEnabled</pathSet></propSet>"
                    "<objectSet><obj type=\"VirtualMachine\">vm-1</obj><skip>false</skip>"
                    "<selectSet xsi:type=\"TraversalSpec\"><name>vmToNetwork</name><type>VirtualMachine</type>"
                    "<path>network</path><skip>false</skip></selectSet></objectSet>"
                    "<objectSet><obj type=\"VirtualMachine\">vm-2</obj><skip>false</skip></objectSet>"
                    "<reportMissingObjectsInResults>true</reportMissingObjectsInResults></specSet>"
                    "<options><maxObjects>50</maxObjects></options></RetrievePropertiesEx>");
        nw_buf_done(&b);
}

/* HEAD without its XML declaration, for bodies that put a DOCTYPE in front. */
#define ENV                                                                                          \
        "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" "             \
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>"
#define LOGIN_OK "<LoginResponse xmlns=\"urn:vim25\"><returnval><key>k</key></returnval></LoginResponse>" TAIL
#define LAUGHS                                                                                       \
        "<!ENTITY lol \"lol\"><!ENTITY lol1 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">"  \
        "<!ENTITY lol2 \"&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;\">"             \
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">"             \
        "<!ENTITY lol4 \"&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;\">"             \
        "<!ENTITY lol5 \"&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;\">"             \
        "<!ENTITY lol6 \"&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;\">"             \
        "<!ENTITY lol7 \"&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;\">"             \
        "<!ENTITY lol8 \"&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;\">"             \
        "<!ENTITY lol9 \"&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;\">"

/* A nest of depth elements in all: Envelope, Body, LoginResponse, returnval, then x/x/... */
static char *nested(unsigned depth) {
        nw_buf b = {};

        nw_buf_puts(&b, HEAD "<LoginResponse xmlns=\"urn:vim25\"><returnval>");
        for (unsigned i = 4; i < depth; i++)
                nw_buf_puts(&b, "<x>");
        for (unsigned i = 4; i < depth; i++)
                nw_buf_puts(&b, "</x>");
        nw_buf_puts(&b, "</returnval></LoginResponse>" TAIL);
        return b.data;
}

static int parse(const char *body, size_t len, const volatile sig_atomic_t *abort_flag, nw_err *err) {
        xmlDoc *doc = NULL;
        xmlNode *res = NULL;
        int r;

        *err = (nw_err) {};
        r = soap_parse_reply_abortable(body, len, 200, "Login", abort_flag, &doc, &res, err);
        CHECK((r < 0) == (doc == NULL));
        if (doc)
                xmlFreeDoc(doc);
        return r;
}

static void test_hostile(void) {
        static const char dtd_refused[] =
                "Login: HTTP 200: reply carries a DTD (<!DOCTYPE>), which vCenter never sends: refused";
        static const struct {
                const char *what, *body;
        } with_dtd[] = {
                { "billion laughs in an attribute",
                  "<?xml version=\"1.0\"?><!DOCTYPE soapenv:Envelope [" LAUGHS "]>" ENV
                  "<LoginResponse xmlns=\"urn:vim25\"><returnval a=\"&lol9;\"><key>k</key></returnval>"
                  "</LoginResponse>" TAIL },
                { "billion laughs in text",
                  "<!DOCTYPE soapenv:Envelope [" LAUGHS "]>" ENV
                  "<LoginResponse xmlns=\"urn:vim25\"><returnval><key>&lol9;</key></returnval></LoginResponse>" TAIL },
                { "external entity (XXE)",
                  "<!DOCTYPE soapenv:Envelope [<!ENTITY xxe SYSTEM \"file:///etc/hostname\">]>" ENV
                  "<LoginResponse xmlns=\"urn:vim25\"><returnval><key>&xxe;</key></returnval></LoginResponse>" TAIL },
                { "external DTD", "<!DOCTYPE soapenv:Envelope SYSTEM \"file:///etc/hostname\">" ENV LOGIN_OK },
                { "parameter entity",
                  "<!DOCTYPE x [<!ENTITY % p SYSTEM \"http://127.0.0.1:1/x.dtd\"> %p;]>" ENV LOGIN_OK },
                { "DOCTYPE after comments, blanks and a PI",
                  "<?xml version=\"1.0\"?>\n<!-- hi -->\n\t <?pi x?><!DOCTYPE\n\tsoapenv:Envelope\n[\n"
                  "<!ENTITY a \"b\">]>" ENV
                  "<LoginResponse xmlns=\"urn:vim25\"><returnval><key>&a;</key></returnval></LoginResponse>" TAIL },
                { "empty internal subset", "<!DOCTYPE soapenv:Envelope []>" ENV LOGIN_OK },
        };
        /* UTF-16 with a BOM: the reply is read as UTF-8 whatever it says, so this is not XML at all. */
        static const char utf16[] = "\xff\xfe<\0!\0D\0O\0C\0T\0Y\0P\0E\0 \0x\0 \0[\0]\0>\0<\0x\0/\0>\0";
        static const char entity_outside[] = "<!ENTITY a \"b\"><a>&a;</a>";
        volatile sig_atomic_t abort_flag = 1;
        _cleanup_free_ char *ok = nested(64), *deep = nested(65), *very_deep = nested(100000);
        nw_err err;

        for (size_t i = 0; i < ELEMENTSOF(with_dtd); i++) {
                if (parse(with_dtd[i].body, strlen(with_dtd[i].body), NULL, &err) != -NW_EREPLY)
                        fprintf(stderr, "case '%s'\n", with_dtd[i].what);
                CHECK_INTEQ(err.code, -NW_EREPLY);
                CHECK_STREQ(err.msg, dtd_refused);
        }
        CHECK_INTEQ(parse(utf16, sizeof(utf16) - 1, NULL, &err), -NW_EREPLY);
        CHECK(strstr(err.msg, "Login: HTTP 200 with a reply that is not XML") == err.msg);
        /* An entity declaration outside a DTD is not XML either. */
        CHECK_INTEQ(parse(entity_outside, strlen(entity_outside), NULL, &err), -NW_EREPLY);
        CHECK(strstr(err.msg, "Login: HTTP 200 with a reply that is not XML (line 1: ") == err.msg);

        /* The depth limit: 64 levels are fine, 65 are not, and 100000 are refused by the same check. */
        CHECK_INTEQ(parse(ok, strlen(ok), NULL, &err), 0);
        CHECK_INTEQ(parse(deep, strlen(deep), NULL, &err), -NW_EREPLY);
        CHECK_STREQ(err.msg, "Login: HTTP 200: reply nested deeper than 64 elements: refused");
        CHECK_INTEQ(parse(very_deep, strlen(very_deep), NULL, &err), -NW_EREPLY);
        CHECK_STREQ(err.msg, "Login: HTTP 200: reply nested deeper than 64 elements: refused");

        /* The abort flag (SIGTERM in `run`) stops a parse. */
        CHECK_INTEQ(parse(ok, strlen(ok), &abort_flag, &err), -ECANCELED);
        CHECK_STREQ(err.msg, "Login: HTTP 200: parsing the reply aborted");
        abort_flag = 0;
        CHECK_INTEQ(parse(ok, strlen(ok), &abort_flag, &err), 0);
}

int main(void) {
        test_replies();
        test_records();
        test_records_bounded();
        test_hostile();
        test_escaping();
        test_envelope();
        test_retrieve_body();
        return tap_exit("soap");
}
