/* A certificate's SHA-256 fingerprint as an admin writes it in the config and reads it in errors. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#define NW_THUMBPRINT_LEN 32
/* "SHA256:" + 64 hex digits + NUL */
#define NW_THUMBPRINT_STRLEN (7 + 2 * NW_THUMBPRINT_LEN + 1)

/* Accepts "SHA256:" followed by 64 hex digits, or 32 colon-separated hex pairs (the form vSphere
 * and `openssl x509 -fingerprint -sha256` show), with or without the "SHA256:" prefix, in either
 * case. On -EINVAL, why (if not NULL) says what is wrong, without repeating the value. */
int thumbprint_parse(const char *s, uint8_t ret[NW_THUMBPRINT_LEN], char *why, size_t why_size);
/* The canonical form: "SHA256:" and 64 lowercase hex digits. */
void thumbprint_format(const uint8_t d[NW_THUMBPRINT_LEN], char out[NW_THUMBPRINT_STRLEN]);
