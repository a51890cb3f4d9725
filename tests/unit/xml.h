/* Test XML parsed as the library would see it; a fixture that does not parse stops the test. */
#pragma once

#include <libxml/parser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static inline xmlDoc *parse(const char *xml) {
        xmlDoc *doc = xmlReadMemory(xml, (int) strlen(xml), NULL, "UTF-8", XML_PARSE_NONET | XML_PARSE_NOBLANKS);
        if (!doc) {
                fprintf(stderr, "bad test XML\n");
                exit(2);
        }
        return doc;
}
