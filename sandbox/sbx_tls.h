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

/* Reuses ca.pem, server-cert.pem and server-key.pem from state_dir (an
 * absolute path) when they form a valid chain covering host for at least
 * another day; otherwise generates and writes new ones.
 * Returns 0 or -1 (reason logged). */
int sbx_tls_prepare(const char *state_dir, const char *host, sbx_tls_material *out);

/* NULL-safe; wipes the key before freeing it. */
void sbx_tls_material_free(sbx_tls_material *m);

#endif
