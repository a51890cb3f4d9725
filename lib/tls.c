/* What a failed handshake means, in the admin's words, and certificate pinning in the handshake.
 * curl (OpenSSL backend) hands us its SSL_CTX before each new connection; we replace the chain
 * verification with one that records what it saw (and, pinned, compares the fingerprint instead). */
#include "tls.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <string.h>
#include <time.h>

/* Certificate text comes from the server: keep it printable before it reaches a terminal or log. */
static void printable(char *s) {
        for (; *s; s++)
                if ((unsigned char) *s < ' ' || (unsigned char) *s >= 0x7f)
                        *s = '?';
}

static void name_string(const X509_NAME *n, char *out, size_t size) {
        BIO *b = BIO_new(BIO_s_mem());
        int len = 0;

        out[0] = '\0';
        if (!b)
                return;
        if (n && X509_NAME_print_ex(b, n, 0, XN_FLAG_RFC2253) >= 0)
                len = BIO_read(b, out, (int) size - 1);
        out[len > 0 ? len : 0] = '\0';
        BIO_free(b);
        printable(out);
}

static void time_string(const ASN1_TIME *t, char *out, size_t size) {
        struct tm tm = {};

        if (!t || ASN1_TIME_to_tm(t, &tm) != 1 || strftime(out, size, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
                snprintf(out, size, "?");
}

static void alt_names(X509 *x, char *out, size_t size) {
        GENERAL_NAMES *gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
        size_t len = 0;

        out[0] = '\0';
        for (int i = 0; gens && i < sk_GENERAL_NAME_num(gens); i++) {
                const GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, i);
                char item[300], ip[INET6_ADDRSTRLEN];
                int n;

                if (g->type == GEN_DNS)
                        snprintf(item, sizeof(item), "DNS:%.*s", ASN1_STRING_length(g->d.dNSName),
                                 (const char *) ASN1_STRING_get0_data(g->d.dNSName));
                else if (g->type == GEN_IPADD && (ASN1_STRING_length(g->d.iPAddress) == 4 ||
                                                  ASN1_STRING_length(g->d.iPAddress) == 16) &&
                         inet_ntop(ASN1_STRING_length(g->d.iPAddress) == 4 ? AF_INET : AF_INET6,
                                   ASN1_STRING_get0_data(g->d.iPAddress), ip, sizeof(ip)))
                        snprintf(item, sizeof(item), "IP:%s", ip);
                else
                        continue;
                n = snprintf(out + len, size - len, "%s%s", len ? ", " : "", item);
                if (n < 0 || (size_t) n >= size - len) {
                        out[len] = '\0';
                        break;
                }
                len += (size_t) n;
        }
        GENERAL_NAMES_free(gens);
        printable(out);
}

static void record_cert(nw_tls_seen *s, X509 *x) {
        unsigned len = 0;

        s->cert = X509_digest(x, EVP_sha256(), s->fp, &len) == 1 && len == NW_THUMBPRINT_LEN;
        name_string(X509_get_subject_name(x), s->subject, sizeof(s->subject));
        name_string(X509_get_issuer_name(x), s->issuer, sizeof(s->issuer));
        alt_names(x, s->names, sizeof(s->names));
        time_string(X509_get0_notBefore(x), s->not_before, sizeof(s->not_before));
        time_string(X509_get0_notAfter(x), s->not_after, sizeof(s->not_after));
}

/* Replaces X509_verify_cert() for the handshake: runs in it, so a refusal aborts the connection
 * before curl sends a byte of HTTP. */
static int verify_cb(X509_STORE_CTX *ctx, void *arg) {
        nw_tls *t = arg;
        X509 *leaf = X509_STORE_CTX_get0_cert(ctx), *cur;

        if (!leaf)
                return 0;
        record_cert(&t->seen, leaf);
        if (t->pinned) {
                /* The pin is the whole check: exactly this certificate, whoever signed it and whatever
                 * names and dates it carries (vSphere's own thumbprint trust works the same way). */
                if (!t->seen.cert || CRYPTO_memcmp(t->seen.fp, t->pin, NW_THUMBPRINT_LEN) != 0) {
                        t->seen.pin_mismatch = true;
                        X509_STORE_CTX_set_error(ctx, X509_V_ERR_APPLICATION_VERIFICATION);
                        return 0;
                }
                X509_STORE_CTX_set_error(ctx, X509_V_OK);
                t->seen.verified = true;
                return 1;
        }
        if (X509_verify_cert(ctx) == 1) {
                t->seen.verified = true;
                return 1;
        }
        t->seen.verify_error = X509_STORE_CTX_get_error(ctx);
        t->seen.error_depth = X509_STORE_CTX_get_error_depth(ctx);
        cur = X509_STORE_CTX_get_current_cert(ctx);
        name_string(cur ? X509_get_subject_name(cur) : NULL, t->seen.error_subject, sizeof(t->seen.error_subject));
        return 0;
}

/* Sees each record header as it arrives, before OpenSSL judges it: how "not TLS at all" is told
 * apart from a TLS handshake that went wrong. */
static void msg_cb(int write_p, int version, int content_type, const void *buf, size_t len, SSL *ssl, void *arg) {
        nw_tls *t = arg;

        if (write_p || content_type != SSL3_RT_HEADER || t->seen.n_first > 0 || len == 0)
                return;
        t->seen.n_first = len < sizeof(t->seen.first) ? len : sizeof(t->seen.first);
        memcpy(t->seen.first, buf, t->seen.n_first);
}

int tls_ctx_setup(void *curl, void *ssl_ctx, void *userdata) {
        SSL_CTX *ctx = ssl_ctx;
        nw_tls *t = userdata;

        SSL_CTX_set_cert_verify_callback(ctx, verify_cb, t);
        SSL_CTX_set_msg_callback(ctx, msg_cb);
        SSL_CTX_set_msg_callback_arg(ctx, t);
        /* Pinned, curl's own verification is off (it knows no certificate pins): the handshake then
         * fails unless verify_cb finds the pin. */
        if (t->pinned)
                SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
        return CURLE_OK;
}

static bool spoke_tls(const nw_tls_seen *s) {
        /* A record header: type 20..24 (change_cipher_spec .. heartbeat), then version 3.x. */
        return s->first[0] >= 20 && s->first[0] <= 24 && (s->n_first < 2 || s->first[1] == 3);
}

static void host_of(const char *url, char *out, size_t size) {
        CURLU *u = curl_url();
        char *host = NULL;

        snprintf(out, size, "the host in the URL");
        if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
            curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
                snprintf(out, size, "%s", host);
        curl_free(host);
        curl_url_cleanup(u);
}

int tls_explain(const nw_tls *t, int cc, const char *curl_msg, const char *url, nw_err *err) {
        const nw_tls_seen *s = &t->seen;
        char fp[NW_THUMBPRINT_STRLEN] = "", cert[700] = "", host[256];

        if (s->n_first > 0 && !spoke_tls(s)) {
                char shown[sizeof(s->first) + 1];

                memcpy(shown, s->first, s->n_first);
                shown[s->n_first] = '\0';
                printable(shown);
                return nw_errf(err, -NW_ETLS,
                               "not TLS: the server answered the TLS handshake with \"%s...\", not a TLS record "
                               "(plain HTTP on this port?); check the port in [vcenter] url", shown);
        }
        if (s->cert) {
                thumbprint_format(s->fp, fp);
                snprintf(cert, sizeof(cert), "server certificate %s, subject \"%s\", issuer \"%s\"", fp, s->subject,
                         s->issuer);
        }

        if (s->pin_mismatch) {
                char pin[NW_THUMBPRINT_STRLEN];

                thumbprint_format(t->pin, pin);
                return nw_errf(err, -NW_ETLS,
                               "TLS: certificate does not match the pinned thumbprint = %s: %s; if vCenter's "
                               "certificate was replaced on purpose, pin the new one",
                               pin, cert);
        }

        if (s->verify_error && !t->insecure) {
                switch (s->verify_error) {
                case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
                case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
                case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
                case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
                case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
                case X509_V_ERR_CERT_UNTRUSTED:
                        /* The one case a CA bundle fixes. */
                        if (t->ca_file)
                                return nw_errf(err, -NW_ETLS,
                                               "TLS: unknown issuer (%s): %s; no CA in ca_file = %s signed it: put "
                                               "the CA that did in that bundle, or pin this certificate with "
                                               "thumbprint = %s instead of ca_file",
                                               X509_verify_cert_error_string(s->verify_error), cert, t->ca_file, fp);
                        return nw_errf(err, -NW_ETLS,
                                       "TLS: unknown issuer (%s): %s; set [vcenter] ca_file to the CA bundle that "
                                       "signed it (for the VMCA: https://VCENTER/certs/download.zip), or pin this "
                                       "certificate with thumbprint = %s",
                                       X509_verify_cert_error_string(s->verify_error), cert, fp);
                case X509_V_ERR_CERT_HAS_EXPIRED:
                        if (s->error_depth > 0)
                                return nw_errf(err, -NW_ETLS,
                                               "TLS: expired: the CA certificate \"%s\" in the chain has expired: %s; "
                                               "renew that CA or check this machine's clock",
                                               s->error_subject, cert);
                        return nw_errf(err, -NW_ETLS,
                                       "TLS: expired: the certificate was valid until %s: %s; renew vCenter's "
                                       "certificate, or check this machine's clock",
                                       s->not_after, cert);
                case X509_V_ERR_CERT_NOT_YET_VALID:
                        if (s->error_depth > 0)
                                return nw_errf(err, -NW_ETLS,
                                               "TLS: not yet valid: the CA certificate \"%s\" in the chain is not valid "
                                               "yet: %s; check this machine's clock",
                                               s->error_subject, cert);
                        return nw_errf(err, -NW_ETLS,
                                       "TLS: not yet valid: the certificate is valid from %s: %s; check this "
                                       "machine's clock (and vCenter's)",
                                       s->not_before, cert);
                case X509_V_ERR_HOSTNAME_MISMATCH:
                case X509_V_ERR_IP_ADDRESS_MISMATCH:
                        break; /* below, with curl's own host check */
                default:
                        return nw_errf(err, -NW_ETLS, "TLS: certificate refused (%s, at depth %d): %s",
                                       X509_verify_cert_error_string(s->verify_error), s->error_depth, cert);
                }
        }

        /* The chain verified, yet curl refused the peer: its host name check is the one left. */
        if (!t->insecure && !t->pinned && s->cert &&
            (cc == CURLE_PEER_FAILED_VERIFICATION || s->verify_error == X509_V_ERR_HOSTNAME_MISMATCH ||
             s->verify_error == X509_V_ERR_IP_ADDRESS_MISMATCH)) {
                host_of(url, host, sizeof(host));
                return nw_errf(err, -NW_ETLS,
                               "TLS: host name mismatch: the certificate is not for %s (it names %s): %s; use a URL "
                               "with a name the certificate carries, or have vCenter's certificate issued for %s",
                               host, s->names[0] ? s->names : "no subjectAltName", cert, host);
        }

        switch (cc) {
        case CURLE_SSL_CACERT_BADFILE:
                return nw_errf(err, -NW_ETLS, "TLS: cannot use ca_file = %s (%s): it must be a readable PEM bundle",
                               t->ca_file ? t->ca_file : "(system store)", curl_msg);
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CONNECT_ERROR:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
                if (!s->cert && s->n_first == 0)
                        return nw_errf(err, -NW_ETLS,
                                       "TLS handshake failed before any answer from the server (%s): is this a TLS "
                                       "port?", curl_msg);
                return nw_errf(err, -NW_ETLS, "TLS handshake failed (%s)%s%s", curl_msg, s->cert ? ": " : "", cert);
        default:
                return 0;
        }
}
