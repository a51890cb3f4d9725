/* Tests for lib/thumbprint.c: every spelling an admin may paste, and why the wrong ones are wrong. */
#include <errno.h>
#include <string.h>

#include "tap.h"
#include "thumbprint.h"

#define FP_HEX "2158f63e713ed68badad6dc5d71a7f828626eb4c2fbf41a10b9a96c03313f244"
#define FP_COLON "21:58:F6:3E:71:3E:D6:8B:AD:AD:6D:C5:D7:1A:7F:82:86:26:EB:4C:2F:BF:41:A1:0B:9A:96:C0:33:13:F2:44"

int main(void) {
        static const struct {
                const char *in, *why; /* why NULL: parses to FP_HEX */
        } t[] = {
                { "SHA256:" FP_HEX, NULL },
                { "sha256:" FP_HEX, NULL },
                { FP_HEX, NULL },
                { FP_COLON, NULL },
                { "SHA256:" FP_COLON, NULL },
                { "Sha256:21:58:f6:3e:71:3e:d6:8b:ad:ad:6d:c5:d7:1a:7f:82:86:26:eb:4c:2f:bf:41:a1:0b:9a:96:c0:33:13:f2:44",
                  NULL },
                { "", "has 0 bytes: a SHA-256 fingerprint has 32 (SHA256: and 64 hex digits, or 32 colon-separated pairs)" },
                { "SHA256:", "has 0 bytes: a SHA-256 fingerprint has 32 (SHA256: and 64 hex digits, or 32 colon-separated "
                             "pairs)" },
                { "SHA256:" FP_HEX "00", "has 33 bytes: a SHA-256 fingerprint has 32 (SHA256: and 64 hex digits, or 32 "
                                         "colon-separated pairs)" },
                { "SHA256:" FP_HEX "0", "has 65 hex digits, an odd number: a SHA-256 fingerprint has 64" },
                { FP_COLON ":", "expected pairs of hex digits separated by ':' (AA:BB:...), or SHA256: and 64 hex digits" },
                { "2:158" FP_HEX, "expected pairs of hex digits separated by ':' (AA:BB:...), or SHA256: and 64 hex digits" },
                { "SHA256: " FP_HEX, "contains ' ', which is not a hex digit or ':'" },
                { "SHA256:" FP_HEX "\t", "contains a byte that is not a hex digit or ':'" },
                { "SHA1:5ba03c9e124f880177abcdef0011223344556677",
                  "a SHA-1 thumbprint: pin the SHA-256 one (openssl x509 -noout -fingerprint -sha256)" },
                { "5ba03c9e124f880177abcdef0011223344556677",
                  "a SHA-1 thumbprint (20 bytes): pin the SHA-256 one (openssl x509 -noout -fingerprint -sha256)" },
                { "sha384:" FP_HEX, "contains 's', which is not a hex digit or ':'" },
        };
        char out[NW_THUMBPRINT_STRLEN];

        for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
                uint8_t d[NW_THUMBPRINT_LEN];
                char why[256] = "";
                int failed = tap_failed, r = thumbprint_parse(t[i].in, d, why, sizeof(why));

                if (!t[i].why) {
                        CHECK_INTEQ(r, 0);
                        thumbprint_format(d, out);
                        CHECK_STREQ(out, "SHA256:" FP_HEX);
                } else {
                        CHECK_INTEQ(r, -EINVAL);
                        CHECK_STREQ(why, t[i].why);
                }
                if (tap_failed != failed)
                        fprintf(stderr, "  ^ input '%s'\n", t[i].in);
        }
        /* why may be NULL. */
        {
                uint8_t d[NW_THUMBPRINT_LEN];

                CHECK_INTEQ(thumbprint_parse("nope", d, NULL, 0), -EINVAL);
        }
        return tap_exit("thumbprint");
}
