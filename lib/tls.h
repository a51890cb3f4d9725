/* The OpenSSL side of the transport: what curl does not tell. The server certificate's fingerprint,
 * subject and dates, why verification failed, a pinned certificate checked inside the handshake
 * (before any request, the Login body with the password, can go out), and whether the peer spoke
 * TLS at all. */
#pragma once

#include "thumbprint.h"
#include "util.h"

typedef struct nw_tls_seen {
        bool cert;                          /* a server certificate arrived */
        uint8_t fp[NW_THUMBPRINT_LEN];      /* its SHA-256 */
        char subject[256], issuer[256];
        char names[256];                    /* subjectAltName: "DNS:a, IP:1.2.3.4" */
        char not_before[32], not_after[32]; /* "2026-01-31 12:00:00 UTC" */
        bool verified;                      /* our verification ran and passed */
        int verify_error;                   /* X509_V_ERR_*; 0 = none */
        int error_depth;                    /* 0 = the server's own certificate */
        char error_subject[256];            /* the certificate at error_depth */
        bool pin_mismatch;
        unsigned char first[5];             /* the first record header the server sent */
        size_t n_first;
} nw_tls_seen;

typedef struct nw_tls {
        bool pinned;
        uint8_t pin[NW_THUMBPRINT_LEN];
        bool insecure;
        const char *ca_file;
        nw_tls_seen seen;                   /* reset before every transfer */
} nw_tls;

/* For CURLOPT_SSL_CTX_FUNCTION with CURLOPT_SSL_CTX_DATA = the nw_tls: installs the certificate
 * callback (and, pinned, peer verification by the pin alone) and the record watcher. Returns a
 * CURLcode. */
int tls_ctx_setup(void *curl, void *ssl_ctx, void *userdata);

/* After a failed transfer (curl_code, curl's message, the URL asked for): when TLS is to blame,
 * fills err with what is wrong, the certificate's fingerprint and subject and what to do, and
 * returns -NW_ETLS; otherwise 0. */
int tls_explain(const nw_tls *t, int curl_code, const char *curl_msg, const char *url, nw_err *err);
