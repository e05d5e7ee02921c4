#include "sbx_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "Usage: paid-sandbox [options]\n"
    "Local stand-in for the GMO-PG idPass gateway (Paid), for development and tests.\n"
    "\n"
    "  --host ADDR        loopback address to bind: 127.x.x.x or ::1 (default 127.0.0.1)\n"
    "  --port N           TCP port, 0 picks a free one (default 0)\n"
    "  --state-dir DIR    where ca.pem, server-cert.pem, server-key.pem live\n"
    "                     (default: a new directory under $TMPDIR)\n"
    "  --db FILE          SQLite database, ':memory:' by default\n"
    "  --shop ID:PASS     accept this shop (repeatable; default tshop00000001:sbxpass01)\n"
    "  --http             serve plain HTTP instead of HTTPS\n"
    "  --ready-file FILE  also write the PAID_SANDBOX_* lines to FILE (atomically)\n"
    "  --threads N        worker threads (default 8)\n"
    "  --cert-mode MODE   normal (default), expired (server certificate expired\n"
    "                     yesterday) or wrong-host (for DNS:wrong.example only);\n"
    "                     the broken modes are for clients' TLS tests\n"
    "  --quiet            no per-request log lines on stderr\n"
    "  --help             this text\n";

bool sbx_config_host_is_loopback(const char *host)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, host, &a4) == 1)
        return (ntohl(a4.s_addr) >> 24) == 127;
    if (inet_pton(AF_INET6, host, &a6) == 1)
        return memcmp(&a6, &in6addr_loopback, sizeof a6) == 0;
    return false;
}

static bool all_alnum(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') ||
              (c >= 'a' && c <= 'z')))
            return false;
    }
    return true;
}

static bool add_shop(sbx_config *cfg, const char *arg)
{
    const char *colon = strchr(arg, ':');
    if (colon == NULL) {
        fprintf(stderr, "paid-sandbox: --shop expects ID:PASS\n");
        return false;
    }
    size_t idlen = (size_t)(colon - arg);
    const char *pass = colon + 1;
    size_t passlen = strlen(pass);
    /* The same rules the gateway applies to requests (docs/protocol.md §3),
     * so a configured shop can always authenticate. */
    if (idlen < 1 || idlen > SBX_SHOP_ID_MAX || !all_alnum(arg, idlen)) {
        fprintf(stderr, "paid-sandbox: --shop: ShopID must be 1-13 ASCII alphanumerics\n");
        return false;
    }
    if (passlen < 1 || passlen > SBX_SHOP_PASS_MAX || !all_alnum(pass, passlen)) {
        fprintf(stderr, "paid-sandbox: --shop: ShopPass must be 1-10 ASCII alphanumerics\n");
        return false;
    }
    for (size_t i = 0; i < cfg->nshops; i++) {
        if (strlen(cfg->shops[i].id) == idlen &&
            memcmp(cfg->shops[i].id, arg, idlen) == 0) {
            fprintf(stderr, "paid-sandbox: --shop: ShopID given twice\n");
            return false;
        }
    }
    if (cfg->nshops == SBX_MAX_SHOPS) {
        fprintf(stderr, "paid-sandbox: at most %d shops\n", SBX_MAX_SHOPS);
        return false;
    }
    sbx_shop *s = &cfg->shops[cfg->nshops++];
    memcpy(s->id, arg, idlen);
    s->id[idlen] = '\0';
    memcpy(s->pass, pass, passlen);
    s->pass[passlen] = '\0';
    return true;
}

static bool parse_uint(const char *s, unsigned long max, unsigned long *out)
{
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

enum sbx_config_result sbx_config_parse(sbx_config *cfg, int argc, char **argv)
{
    enum { O_HOST = 256, O_PORT, O_STATE, O_DB, O_SHOP, O_HTTP, O_READY,
           O_THREADS, O_QUIET, O_HELP, O_CERT_MODE };
    static const struct option longopts[] = {
        {"host", required_argument, NULL, O_HOST},
        {"port", required_argument, NULL, O_PORT},
        {"state-dir", required_argument, NULL, O_STATE},
        {"db", required_argument, NULL, O_DB},
        {"shop", required_argument, NULL, O_SHOP},
        {"http", no_argument, NULL, O_HTTP},
        {"ready-file", required_argument, NULL, O_READY},
        {"threads", required_argument, NULL, O_THREADS},
        {"quiet", no_argument, NULL, O_QUIET},
        {"help", no_argument, NULL, O_HELP},
        {"cert-mode", required_argument, NULL, O_CERT_MODE},
        {NULL, 0, NULL, 0},
    };

    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->db_path = ":memory:";
    cfg->threads = 8;

    opterr = 1;
    int c;
    unsigned long v;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case O_HOST:
            cfg->host = optarg;
            break;
        case O_PORT:
            if (!parse_uint(optarg, 65535, &v)) {
                fprintf(stderr, "paid-sandbox: --port expects 0-65535\n");
                return SBX_CONFIG_ERROR;
            }
            cfg->port = (uint16_t)v;
            break;
        case O_STATE:
            cfg->state_dir = optarg;
            break;
        case O_DB:
            cfg->db_path = optarg;
            break;
        case O_SHOP:
            if (!add_shop(cfg, optarg))
                return SBX_CONFIG_ERROR;
            break;
        case O_HTTP:
            cfg->plain_http = true;
            break;
        case O_READY:
            cfg->ready_file = optarg;
            break;
        case O_THREADS:
            if (!parse_uint(optarg, 256, &v) || v == 0) {
                fprintf(stderr, "paid-sandbox: --threads expects 1-256\n");
                return SBX_CONFIG_ERROR;
            }
            cfg->threads = (unsigned)v;
            break;
        case O_QUIET:
            cfg->quiet = true;
            break;
        case O_CERT_MODE:
            if (strcmp(optarg, "normal") == 0) {
                cfg->cert_mode = SBX_CERT_NORMAL;
            } else if (strcmp(optarg, "expired") == 0) {
                cfg->cert_mode = SBX_CERT_EXPIRED;
            } else if (strcmp(optarg, "wrong-host") == 0) {
                cfg->cert_mode = SBX_CERT_WRONG_HOST;
            } else {
                fprintf(stderr, "paid-sandbox: --cert-mode expects normal, expired or wrong-host\n");
                return SBX_CONFIG_ERROR;
            }
            break;
        case O_HELP:
            fputs(usage_text, stdout);
            return SBX_CONFIG_EXIT_OK;
        default:
            fputs(usage_text, stderr);
            return SBX_CONFIG_ERROR;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "paid-sandbox: unexpected argument '%s'\n", argv[optind]);
        return SBX_CONFIG_ERROR;
    }
    if (!sbx_config_host_is_loopback(cfg->host)) {
        fprintf(stderr,
                "paid-sandbox: --host '%s' refused: only 127.x.x.x or ::1 "
                "(the sandbox never listens on a network interface)\n",
                cfg->host);
        return SBX_CONFIG_ERROR;
    }
    if (cfg->plain_http && cfg->cert_mode != SBX_CERT_NORMAL) {
        fprintf(stderr, "paid-sandbox: --cert-mode needs HTTPS (drop --http)\n");
        return SBX_CONFIG_ERROR;
    }
    if (cfg->db_path[0] == '\0') {
        fprintf(stderr, "paid-sandbox: --db must not be empty\n");
        return SBX_CONFIG_ERROR;
    }
    if (cfg->nshops == 0 && !add_shop(cfg, "tshop00000001:sbxpass01"))
        return SBX_CONFIG_ERROR;
    return SBX_CONFIG_OK;
}
