/* The keys nestwarden.conf may hold and the parser of one value. Internal to config: config.c reads
 * the file and keeps line numbers; config-keys.c knows what each key accepts. */
#pragma once

#include "config.h"

typedef enum config_key_type {
        KEY_STRING, /* non-empty text; empty means the default (or "missing" when required) */
        KEY_PATH,   /* absolute path; empty means unset */
        KEY_URL,    /* https:// vCenter SDK endpoint */
        KEY_BOOL,
        KEY_INT,    /* int64_t in min..max */
        KEY_CHOICE, /* one of choices, copied into a char[size] */
        KEY_LIST,   /* comma-separated items into an nw_strv; empty means none */
        KEY_SIZE,   /* int64_t bytes in min..max, with an optional K, M or G suffix (powers of 1024) */
        KEY_THUMBPRINT, /* SHA-256 certificate fingerprint, stored as "SHA256:" + 64 lowercase hex */
} config_key_type;

typedef struct config_key {
        const char *section;
        const char *name;
        config_key_type type;
        bool required;
        int64_t min, max;
        const char *const *choices;
        size_t offset;
        size_t size;
        const char *def; /* KEY_STRING default */
        const char *suffix; /* KEY_PATH: the file name must end in it, after at least one character */
} config_key;

extern const config_key config_keys[];
extern const size_t config_n_keys;

static inline void *config_key_field(nw_config *cfg, const config_key *k) {
        return (char *) cfg + k->offset;
}

/* The key, or NULL; *ret_section_known (if not NULL) says whether any key has that section. */
const config_key *config_key_find(const char *section, const char *name, bool *ret_section_known);

/* Parses value and stores it in k's field of cfg. -EINVAL when value is not what k accepts, with
 * why reading "key 'x': ..."; -ENOMEM. */
int config_key_set(nw_config *cfg, const config_key *k, const char *value, char *why, size_t why_size);

/* Defaults of the integer, boolean and choice keys (string keys carry theirs in the table). */
int config_defaults(nw_config *cfg);
