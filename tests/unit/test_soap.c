/* soap + vim bodies: fault decoding, reply shape checks, escaping of what we send. */
#include <string.h>

#include "soap.h"
#include "tap.h"
#include "vim.h"

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
          -NW_EFAULT, "InvalidProperty", "Login: InvalidProperty: bad" },
        { "fault without detail uses faultcode", 500,
          HEAD "<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring></faultstring></soapenv:Fault>" TAIL,
          -NW_EFAULT, "ServerFaultCode", "Login: ServerFaultCode: (no message)" },
        { "HTTP 500 without a fault", 500, HEAD "<LoginResponse/>" TAIL, -NW_EREPLY, "",
          "Login: HTTP 500 without a SOAP fault" },
        { "not XML", 502, "<html>Bad gateway", -NW_EREPLY, "", "Login: HTTP 502 with a reply that is not XML" },
        { "not an envelope", 200, "<?xml version=\"1.0\"?><a/>", -NW_EREPLY, "",
          "Login: HTTP 200: reply is not a SOAP envelope" },
        { "wrong response element", 200, HEAD "<LogoutResponse xmlns=\"urn:vim25\"/>" TAIL, -NW_EREPLY, "",
          "Login: reply has no <LoginResponse>" },
        { "success", 200, HEAD "<LoginResponse xmlns=\"urn:vim25\"><returnval><key>k</key></returnval></LoginResponse>" TAIL,
          0, "", "" },
};

static void test_replies(void) {
        for (size_t i = 0; i < ELEMENTSOF(replies); i++) {
                xmlDoc *doc = NULL;
                xmlNode *res = NULL;
                nw_err err = {};
                int r;

                r = soap_parse_reply(replies[i].body, strlen(replies[i].body), replies[i].status, "Login", &doc, &res,
                                     &err);
                if (r != replies[i].code)
                        fprintf(stderr, "case '%s'\n", replies[i].what);
                CHECK_INTEQ(r, replies[i].code);
                if (r < 0) {
                        CHECK(doc == NULL);
                        CHECK_STREQ(err.fault, replies[i].fault);
                        CHECK_STREQ(err.msg, replies[i].msg);
                } else {
                        CHECK(doc != NULL);
                        CHECK_STREQ(soap_child_text(soap_child(res, "returnval"), "key"), "k");
                        xmlFreeDoc(doc);
                }
        }
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
        nw_buf_free(&b);

        CHECK_INTEQ(vim_body_continue(&b, "pc<1>", "tok&1"), 0);
        CHECK_STREQ(b.data, "<ContinueRetrievePropertiesEx xmlns=\"urn:vim25\"><_this type=\"PropertyCollector\">"
                            "pc&lt;1&gt;</_this><token>tok&amp;1</token></ContinueRetrievePropertiesEx>");
        nw_buf_free(&b);
}

static void test_envelope(void) {
        nw_buf b = {};

        CHECK_INTEQ(soap_envelope(&b, "<X/>"), 0);
        CHECK(strstr(b.data, "<soapenv:Body><X/></soapenv:Body>") != NULL);
        CHECK(strncmp(b.data, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", 39) == 0);
        nw_buf_free(&b);
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
        nw_buf_free(&b);
}

int main(void) {
        test_replies();
        test_escaping();
        test_envelope();
        test_retrieve_body();
        return tap_exit("soap");
}
