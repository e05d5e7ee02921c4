/* The sandbox's own tiny PKI: a CA and a server certificate for loopback,
 * generated with OpenSSL 3 and handed to libmicrohttpd as PEM. */
#ifndef SBX_TLS_H
#define SBX_TLS_H

#include <limits.h>

typedef struct sbx_tls_material {
    char *cert_pem;          /* owned, server certificate (PEM) */
    char *key_pem;           /* owned, server private key (PEM, PKCS#8) */
    char ca_path[PATH_MAX];  /* absolute path of ca.pem */
} sbx_tls_material;

/* What server certificate to present. The broken ones exist for the
 * client's TLS tests: a correct client must refuse both. */
enum sbx_cert_mode {
    SBX_CERT_NORMAL = 0,
    SBX_CERT_EXPIRED,     /* signed by the CA, expired yesterday */
    SBX_CERT_WRONG_HOST,  /* signed by the CA, valid, for DNS:wrong.example only */
};

/* SBX_CERT_NORMAL reuses ca.pem, server-cert.pem and server-key.pem from
 * state_dir (an absolute path) when they form a valid chain covering host
 * for at least another day; otherwise, and always in the other modes, it
 * generates and writes new ones (a later normal start then finds the broken
 * certificate invalid and replaces it). Returns 0 or -1 (reason logged). */
int sbx_tls_prepare(const char *state_dir, const char *host, enum sbx_cert_mode mode,
                    sbx_tls_material *out);

/* NULL-safe; wipes the key before freeing it. */
void sbx_tls_material_free(sbx_tls_material *m);

#endif
