#include "sbx_tls.h"

#include "sbx_log.h"

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CA_FILE "ca.pem"
#define CERT_FILE "server-cert.pem"
#define KEY_FILE "server-key.pem"

/* Validity: from a day ago (tolerates clock skew between the sandbox and the
 * client) for two years. */
#define NOT_BEFORE_OFFSET (-86400L)
#define VALID_DAYS 730
/* A certificate that expires within this margin is regenerated rather than
 * reused, so a long test run never hits the expiry. */
#define REUSE_MARGIN_S 86400

static void log_ssl_error(const char *what)
{
    unsigned long e = ERR_get_error();
    char msg[256] = "";
    if (e != 0)
        ERR_error_string_n(e, msg, sizeof msg);
    sbx_log_error("tls: %s failed %s", what, msg);
    ERR_clear_error();
}

static int path_join(char *out, size_t n, const char *dir, const char *name)
{
    int w = snprintf(out, n, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= n) {
        sbx_log_error("tls: path too long: %s/%s", dir, name);
        return -1;
    }
    return 0;
}

/* ---- loading and checking existing material ---------------------------- */

static X509 *load_cert(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    X509 *x = PEM_read_X509(f, NULL, NULL, NULL);
    (void)fclose(f);
    return x;
}

static EVP_PKEY *load_key(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return NULL;
    EVP_PKEY *k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    (void)fclose(f);
    return k;
}

static bool time_ok(const X509 *x)
{
    time_t limit = time(NULL) + REUSE_MARGIN_S;
    return X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
           X509_cmp_time(X509_get0_notAfter(x), &limit) > 0;
}

static bool existing_material_ok(const char *dir, const char *host)
{
    char ca_path[PATH_MAX], cert_path[PATH_MAX], key_path[PATH_MAX];
    if (path_join(ca_path, sizeof ca_path, dir, CA_FILE) != 0 ||
        path_join(cert_path, sizeof cert_path, dir, CERT_FILE) != 0 ||
        path_join(key_path, sizeof key_path, dir, KEY_FILE) != 0)
        return false;

    bool ok = false;
    X509 *ca = load_cert(ca_path);
    X509 *srv = load_cert(cert_path);
    EVP_PKEY *key = load_key(key_path);
    if (ca == NULL || srv == NULL || key == NULL)
        goto free_loaded;
    if (X509_verify(srv, X509_get0_pubkey(ca)) != 1)
        goto free_loaded;
    if (X509_check_private_key(srv, key) != 1)
        goto free_loaded;
    if (!time_ok(ca) || !time_ok(srv))
        goto free_loaded;
    if (X509_check_ip_asc(srv, host, 0) != 1)
        goto free_loaded;
    ok = true;
free_loaded:
    EVP_PKEY_free(key);
    X509_free(srv);
    X509_free(ca);
    ERR_clear_error();  /* failed reads leave entries; they are not errors here */
    return ok;
}

/* ---- generation --------------------------------------------------------- */

static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (ext == NULL) {
        log_ssl_error("X509V3_EXT_conf_nid");
        return -1;
    }
    int rc = X509_add_ext(x, ext, -1) == 1 ? 0 : -1;
    X509_EXTENSION_free(ext);
    if (rc != 0)
        log_ssl_error("X509_add_ext");
    return rc;
}

static int set_random_serial(X509 *x)
{
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        log_ssl_error("RAND_bytes");
        return -1;
    }
    raw[0] &= 0x7f;  /* keep the serial positive */
    int rc = -1;
    BIGNUM *bn = BN_bin2bn(raw, sizeof raw, NULL);
    if (bn == NULL)
        goto fail;
    if (BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) == NULL)
        goto free_bn;
    rc = 0;
free_bn:
    BN_free(bn);
fail:
    if (rc != 0)
        log_ssl_error("serial number");
    return rc;
}

static int set_name(X509 *x, const char *cn, bool also_issuer)
{
    X509_NAME *name = X509_get_subject_name(x);
    if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                   (const unsigned char *)"paid-pmp sandbox", -1, -1, 0) != 1 ||
        X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                   (const unsigned char *)cn, -1, -1, 0) != 1) {
        log_ssl_error("X509_NAME_add_entry_by_txt");
        return -1;
    }
    if (also_issuer && X509_set_issuer_name(x, name) != 1) {
        log_ssl_error("X509_set_issuer_name");
        return -1;
    }
    return 0;
}

/* Expired certificates: valid for a month, ending a day ago. */
#define EXPIRED_NOT_BEFORE_DAYS (-31)
#define EXPIRED_NOT_AFTER_DAYS (-1)

static int set_validity(X509 *x, bool expired)
{
    time_t now = time(NULL);
    bool ok;
    if (expired)
        ok = X509_time_adj_ex(X509_getm_notBefore(x), EXPIRED_NOT_BEFORE_DAYS, 0, &now) != NULL &&
             X509_time_adj_ex(X509_getm_notAfter(x), EXPIRED_NOT_AFTER_DAYS, 0, &now) != NULL;
    else
        ok = X509_time_adj_ex(X509_getm_notBefore(x), 0, NOT_BEFORE_OFFSET, &now) != NULL &&
             X509_time_adj_ex(X509_getm_notAfter(x), VALID_DAYS, NOT_BEFORE_OFFSET, &now) !=
                 NULL;
    if (!ok) {
        log_ssl_error("validity");
        return -1;
    }
    return 0;
}

/* A self-signed CA certificate for ca_key. Returns NULL on failure. */
static X509 *make_ca_cert(EVP_PKEY *ca_key)
{
    X509 *x = X509_new();
    if (x == NULL) {
        log_ssl_error("X509_new");
        return NULL;
    }
    if (X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) != 0 ||
        set_name(x, "paid-sandbox local CA", true) != 0 || set_validity(x, false) != 0 ||
        X509_set_pubkey(x, ca_key) != 1)
        goto free_cert;
    /* The subject key identifier must exist before the authority key
     * identifier, which copies it for a self-signed certificate. */
    if (add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE,pathlen:0") != 0 ||
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") != 0 ||
        add_ext(x, x, NID_subject_key_identifier, "hash") != 0 ||
        add_ext(x, x, NID_authority_key_identifier, "keyid:always") != 0)
        goto free_cert;
    if (X509_sign(x, ca_key, EVP_sha256()) == 0) {
        log_ssl_error("X509_sign (CA)");
        goto free_cert;
    }
    return x;
free_cert:
    X509_free(x);
    return NULL;
}

static X509 *make_server_cert(EVP_PKEY *srv_key, X509 *ca, EVP_PKEY *ca_key,
                              const char *host, enum sbx_cert_mode mode)
{
    char san[128];
    /* 127.0.0.1, ::1 and localhost always, plus the bound address when the
     * user picked another loopback address; a name nobody connects to for
     * the wrong-host mode. */
    bool extra = strcmp(host, "127.0.0.1") != 0 && strcmp(host, "::1") != 0;
    int w = mode == SBX_CERT_WRONG_HOST
                ? snprintf(san, sizeof san, "DNS:wrong.example")
                : snprintf(san, sizeof san, "IP:127.0.0.1,IP:::1,DNS:localhost%s%s",
                           extra ? ",IP:" : "", extra ? host : "");
    if (w < 0 || (size_t)w >= sizeof san)
        return NULL;

    X509 *x = X509_new();
    if (x == NULL) {
        log_ssl_error("X509_new");
        return NULL;
    }
    if (X509_set_version(x, X509_VERSION_3) != 1 || set_random_serial(x) != 0 ||
        set_name(x, mode == SBX_CERT_WRONG_HOST ? "wrong.example" : "localhost", false) != 0 ||
        X509_set_issuer_name(x, X509_get_subject_name(ca)) != 1 ||
        set_validity(x, mode == SBX_CERT_EXPIRED) != 0 || X509_set_pubkey(x, srv_key) != 1)
        goto free_cert;
    if (add_ext(x, ca, NID_basic_constraints, "critical,CA:FALSE") != 0 ||
        add_ext(x, ca, NID_key_usage, "critical,digitalSignature") != 0 ||
        add_ext(x, ca, NID_ext_key_usage, "serverAuth") != 0 ||
        add_ext(x, ca, NID_subject_key_identifier, "hash") != 0 ||
        add_ext(x, ca, NID_authority_key_identifier, "keyid:always") != 0 ||
        add_ext(x, ca, NID_subject_alt_name, san) != 0)
        goto free_cert;
    if (X509_sign(x, ca_key, EVP_sha256()) == 0) {
        log_ssl_error("X509_sign (server)");
        goto free_cert;
    }
    return x;
free_cert:
    X509_free(x);
    return NULL;
}

/* Writes data to dir/name through a temporary file and rename(), so a
 * concurrent reader (another sandbox reusing the directory, a test reading
 * ca.pem) never sees a half-written file. */
static int write_file_atomic(const char *dir, const char *name, const char *data,
                             size_t len, mode_t mode)
{
    char path[PATH_MAX], tmp[PATH_MAX];
    if (path_join(path, sizeof path, dir, name) != 0)
        return -1;
    int w = snprintf(tmp, sizeof tmp, "%s/.%s.%ld.tmp", dir, name, (long)getpid());
    if (w < 0 || (size_t)w >= sizeof tmp)
        return -1;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0) {
        sbx_log_error("tls: cannot create %s: %s", tmp, strerror(errno));
        return -1;
    }
    /* open() honours the umask; the key must be exactly 0600. */
    if (fchmod(fd, mode) != 0)
        goto close_tmp;
    size_t off = 0;
    while (off < len) {
        ssize_t n = write(fd, data + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            goto close_tmp;
        off += (size_t)n;
    }
    if (fsync(fd) != 0)
        goto close_tmp;
    if (close(fd) != 0) {
        fd = -1;
        goto unlink_tmp;
    }
    if (rename(tmp, path) != 0)
        goto unlink_tmp;
    return 0;
close_tmp:
    (void)close(fd);
unlink_tmp:
    sbx_log_error("tls: cannot write %s: %s", path, strerror(errno));
    (void)unlink(tmp);
    return -1;
}

typedef int (*pem_writer)(BIO *bio, const void *obj);

static int pem_cert_writer(BIO *bio, const void *obj)
{
    return PEM_write_bio_X509(bio, (X509 *)obj);
}

static int pem_key_writer(BIO *bio, const void *obj)
{
    return PEM_write_bio_PrivateKey(bio, (EVP_PKEY *)obj, NULL, NULL, 0, NULL, NULL);
}

static int write_pem(const char *dir, const char *name, pem_writer fn, const void *obj,
                     mode_t mode)
{
    BIO *bio = BIO_new(BIO_s_mem());
    if (bio == NULL) {
        log_ssl_error("BIO_new");
        return -1;
    }
    int rc = -1;
    if (fn(bio, obj) != 1) {
        log_ssl_error("PEM write");
        goto free_bio;
    }
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    if (len <= 0)
        goto free_bio;
    rc = write_file_atomic(dir, name, data, (size_t)len, mode);
    /* The memory BIO held the private key; scrub it before it is freed. */
    OPENSSL_cleanse(data, (size_t)len);
free_bio:
    BIO_free(bio);
    return rc;
}

static int generate_material(const char *dir, const char *host, enum sbx_cert_mode mode)
{
    int rc = -1;
    EVP_PKEY *ca_key = EVP_EC_gen("P-256");
    EVP_PKEY *srv_key = EVP_EC_gen("P-256");
    X509 *ca = NULL, *srv = NULL;
    if (ca_key == NULL || srv_key == NULL) {
        log_ssl_error("EVP_EC_gen");
        goto free_keys;
    }
    ca = make_ca_cert(ca_key);
    if (ca == NULL)
        goto free_keys;
    srv = make_server_cert(srv_key, ca, ca_key, host, mode);
    if (srv == NULL)
        goto free_certs;
    /* Key first: a reader that finds a new certificate must also find its
     * key. The CA key is never written: nobody needs it after signing. */
    if (write_pem(dir, KEY_FILE, pem_key_writer, srv_key, 0600) != 0 ||
        write_pem(dir, CERT_FILE, pem_cert_writer, srv, 0644) != 0 ||
        write_pem(dir, CA_FILE, pem_cert_writer, ca, 0644) != 0)
        goto free_certs;
    rc = 0;
free_certs:
    X509_free(srv);
    X509_free(ca);
free_keys:
    EVP_PKEY_free(srv_key);
    EVP_PKEY_free(ca_key);
    return rc;
}

/* ---- public ------------------------------------------------------------- */

static char *read_whole_file(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        sbx_log_error("tls: cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    char *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 4096) {
            if (cap > (1u << 20)) /* PEM files here are a few hundred bytes */
                goto free_data;
            char *p = realloc(data, cap + 4096 + 1);
            if (p == NULL)
                goto free_data;
            data = p;
            cap += 4096;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f))
        goto free_data;
    data[len] = '\0';
    (void)fclose(f);
    return data;
free_data:
    if (data != NULL)
        OPENSSL_cleanse(data, cap);
    free(data);
    (void)fclose(f);
    sbx_log_error("tls: cannot read %s", path);
    return NULL;
}

int sbx_tls_prepare(const char *state_dir, const char *host, enum sbx_cert_mode mode,
                    sbx_tls_material *out)
{
    memset(out, 0, sizeof *out);
    char cert_path[PATH_MAX], key_path[PATH_MAX];
    if (path_join(out->ca_path, sizeof out->ca_path, state_dir, CA_FILE) != 0 ||
        path_join(cert_path, sizeof cert_path, state_dir, CERT_FILE) != 0 ||
        path_join(key_path, sizeof key_path, state_dir, KEY_FILE) != 0)
        return -1;

    bool reuse = mode == SBX_CERT_NORMAL && existing_material_ok(state_dir, host);
    if (!reuse && generate_material(state_dir, host, mode) != 0)
        return -1;

    out->cert_pem = read_whole_file(cert_path);
    out->key_pem = read_whole_file(key_path);
    if (out->cert_pem == NULL || out->key_pem == NULL) {
        sbx_tls_material_free(out);
        return -1;
    }
    return 0;
}

void sbx_tls_material_free(sbx_tls_material *m)
{
    if (m == NULL)
        return;
    if (m->key_pem != NULL)
        OPENSSL_cleanse(m->key_pem, strlen(m->key_pem));
    free(m->key_pem);
    free(m->cert_pem);
    m->key_pem = NULL;
    m->cert_pem = NULL;
}
