/* Test helper for test_config_docs.py: what the parser itself knows, printed for the documentation
 * to be compared with. Usage:
 *   config_keys            one line per config_keys[] entry, then one per journal event:
 *                            key<TAB>SECTION<TAB>NAME<TAB>TYPE<TAB>REQUIRED<TAB>DEFAULT<TAB>MIN<TAB>MAX<TAB>CHOICES
 *                            event<TAB>MESSAGE_ID<TAB>PRIORITY
 *                          DEFAULT is what holds when the key is not given ("" for unset, none,
 *                          or required), as config_defaults() and the table's .def leave it; sizes
 *                          as the biggest exact unit (64M); CHOICES comma-separated.
 *   config_keys --load FILE  config_load(FILE): exit 0, or print its error and exit 1. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "config-keys.h"
#include "journal.h"

static const char *const type_names[] = {
        [KEY_STRING] = "string", [KEY_PATH] = "path", [KEY_URL] = "url",
        [KEY_BOOL] = "bool",     [KEY_INT] = "int",   [KEY_CHOICE] = "choice",
        [KEY_LIST] = "list",     [KEY_SIZE] = "size", [KEY_THUMBPRINT] = "thumbprint",
};

static void size_format(int64_t v, char *buf, size_t size) {
        static const char units[] = "GMK";

        for (int i = 0; i < 3; i++) {
                int shift = 10 * (3 - i);

                if (v > 0 && v % (INT64_C(1) << shift) == 0) {
                        snprintf(buf, size, "%" PRId64 "%c", v >> shift, units[i]);
                        return;
                }
        }
        snprintf(buf, size, "%" PRId64, v);
}

static const char *priority_name(int p) {
        switch (p) {
        case LOG_ERR:
                return "err";
        case LOG_WARNING:
                return "warning";
        case LOG_NOTICE:
                return "notice";
        case LOG_INFO:
                return "info";
        case LOG_DEBUG:
                return "debug";
        }
        return "?";
}

static int print_keys(void) {
        _cleanup_free_ nw_config *cfg = calloc(1, sizeof(*cfg));

        if (!cfg || config_defaults(cfg) < 0) {
                fprintf(stderr, "config_keys: cannot set up the defaults\n");
                return 1;
        }
        for (size_t i = 0; i < config_n_keys; i++) {
                const config_key *k = &config_keys[i];
                const void *p = config_key_field(cfg, k);
                char def[64] = "", min[32] = "", max[32] = "", choices[256] = "";

                switch (k->type) {
                case KEY_STRING:
                        snprintf(def, sizeof(def), "%s", k->def ?: "");
                        break;
                case KEY_BOOL:
                        snprintf(def, sizeof(def), "%s", *(const bool *) p ? "yes" : "no");
                        break;
                case KEY_INT:
                        snprintf(def, sizeof(def), "%" PRId64, *(const int64_t *) p);
                        snprintf(min, sizeof(min), "%" PRId64, k->min);
                        snprintf(max, sizeof(max), "%" PRId64, k->max);
                        break;
                case KEY_SIZE:
                        size_format(*(const int64_t *) p, def, sizeof(def));
                        size_format(k->min, min, sizeof(min));
                        size_format(k->max, max, sizeof(max));
                        break;
                case KEY_CHOICE:
                        snprintf(def, sizeof(def), "%s", (const char *) p);
                        for (const char *const *c = k->choices; *c; c++) {
                                if (c != k->choices)
                                        strncat(choices, ",", sizeof(choices) - strlen(choices) - 1);
                                strncat(choices, *c, sizeof(choices) - strlen(choices) - 1);
                        }
                        break;
                case KEY_LIST:
                        if (((const nw_strv *) p)->n > 0) {
                                fprintf(stderr, "config_keys: [%s] %s: a list with a default\n", k->section, k->name);
                                return 1;
                        }
                        break;
                case KEY_PATH:
                case KEY_URL:
                case KEY_THUMBPRINT:
                        if (*(char *const *) p) {
                                fprintf(stderr, "config_keys: [%s] %s: a default nobody expects\n", k->section,
                                        k->name);
                                return 1;
                        }
                        break;
                }
                printf("key\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", k->section, k->name, type_names[k->type],
                       k->required, def, min, max, choices);
        }
        for (int t = 0; t < _NW_EVENT_MAX; t++)
                printf("event\t%s\t%s\n", journal_message_id(t), priority_name(journal_priority(t)));
        return fflush(stdout) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        if (argc == 1)
                return print_keys();
        if (argc == 3 && strcmp(argv[1], "--load") == 0) {
                _cleanup_config_ nw_config *cfg = NULL;
                nw_err err = {};

                if (config_load(argv[2], &cfg, &err) < 0) {
                        printf("%s\n", err.msg);
                        return 1;
                }
                return 0;
        }
        fprintf(stderr, "usage: config_keys [--load FILE]\n");
        return 2;
}
