/* Parsing and printing SHA-256 certificate fingerprints. Pure: the config reads them without TLS. */
#include "thumbprint.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

#define WHY(...) (why ? snprintf(why, why_size, __VA_ARGS__) : 0, -EINVAL)

int thumbprint_parse(const char *s, uint8_t ret[NW_THUMBPRINT_LEN], char *why, size_t why_size) {
        uint8_t d[NW_THUMBPRINT_LEN];
        size_t digits = 0, colons = 0, n = 0;
        bool colon_form;

        if (strncasecmp(s, "SHA256:", 7) == 0)
                s += 7;
        else if (strncasecmp(s, "SHA1:", 5) == 0)
                return WHY("a SHA-1 thumbprint: pin the SHA-256 one (openssl x509 -noout -fingerprint -sha256)");

        for (const char *p = s; *p; p++) {
                if (*p == ':')
                        colons++;
                else if (hexval(*p) >= 0)
                        digits++;
                else if ((unsigned char) *p < ' ' || (unsigned char) *p >= 0x7f)
                        return WHY("contains a byte that is not a hex digit or ':'");
                else
                        return WHY("contains '%c', which is not a hex digit or ':'", *p);
        }
        colon_form = colons > 0;

        /* SHA-1 is what older vSphere screens and ESXi host thumbprints show: say so, not just "too short". */
        if ((!colon_form && digits == 40) || (colon_form && digits == 40 && colons == 19))
                return WHY("a SHA-1 thumbprint (20 bytes): pin the SHA-256 one (openssl x509 -noout -fingerprint -sha256)");

        if (colon_form) {
                /* Pairs only: "A:BC" would be ambiguous. */
                for (const char *p = s;; p += 3) {
                        if (hexval(p[0]) < 0 || hexval(p[1]) < 0 || (p[2] != ':' && p[2] != '\0'))
                                return WHY("expected pairs of hex digits separated by ':' (AA:BB:...), or SHA256: and "
                                           "64 hex digits");
                        if (n < NW_THUMBPRINT_LEN)
                                d[n] = (uint8_t) (hexval(p[0]) << 4 | hexval(p[1]));
                        n++;
                        if (p[2] == '\0')
                                break;
                }
        } else {
                if (digits % 2 != 0)
                        return WHY("has %zu hex digits, an odd number: a SHA-256 fingerprint has 64", digits);
                for (size_t i = 0; i < digits; i += 2) {
                        if (n < NW_THUMBPRINT_LEN)
                                d[n] = (uint8_t) (hexval(s[i]) << 4 | hexval(s[i + 1]));
                        n++;
                }
        }
        if (n != NW_THUMBPRINT_LEN)
                return WHY("has %zu bytes: a SHA-256 fingerprint has 32 (SHA256: and 64 hex digits, or 32 "
                           "colon-separated pairs)", n);
        memcpy(ret, d, sizeof(d));
        return 0;
}

void thumbprint_format(const uint8_t d[NW_THUMBPRINT_LEN], char out[NW_THUMBPRINT_STRLEN]) {
        static const char hex[] = "0123456789abcdef";
        char *p = out;

        memcpy(p, "SHA256:", 7);
        p += 7;
        for (size_t i = 0; i < NW_THUMBPRINT_LEN; i++) {
                *p++ = hex[d[i] >> 4];
                *p++ = hex[d[i] & 0xf];
        }
        *p = '\0';
}
