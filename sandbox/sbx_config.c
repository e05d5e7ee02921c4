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
    "\n"
    "Settlement rules (docs/protocol.md section 8):\n"
    "  --closing-default R       end (default) or a day 1-28 (e.g. 20)\n"
    "  --due-months N            invoice due at the end of the month N months after\n"
    "                            the closing month (default 1)\n"
    "  --deposit-day D           merchant paid on day D (default 5) ...\n"
    "  --deposit-month-offset N  ... N months after the closing month (default 2)\n"
    "  --dunning STEPS           DAYS:name,... after the due date\n"
    "                            (default 1:reminder,10:second_reminder,30:collection)\n"
    "\n"
    "Result notifications (docs/protocol.md section 7):\n"
    "  --notify-url URL          POST notifications here; loopback only\n"
    "                            (http(s)://localhost, 127.x.x.x or [::1])\n"
    "  --notify-interval S       real seconds between sends (default 3600)\n"
    "  --notify-retries N        resends after the first send (default 5)\n"
    "  --notify-timeout-ms MS    per send (default 10000)\n"
    "  --notify-ca FILE          CA file for an https notify URL\n"
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

bool sbx_config_url_is_loopback(const char *url)
{
    const char *rest;
    if (strncmp(url, "http://", 7) == 0)
        rest = url + 7;
    else if (strncmp(url, "https://", 8) == 0)
        rest = url + 8;
    else
        return false;
    char host[64];
    size_t n;
    if (rest[0] == '[') {
        n = strcspn(rest + 1, "]");
        if (rest[1 + n] != ']' || n == 0 || n >= sizeof host)
            return false;
        memcpy(host, rest + 1, n);
        host[n] = '\0';
        rest += n + 2;
    } else {
        n = strcspn(rest, ":/?#");
        if (n == 0 || n >= sizeof host)
            return false;
        memcpy(host, rest, n);
        host[n] = '\0';
        rest += n;
    }
    /* No user-info trick ("http://127.0.0.1@evil/") and a sane rest. */
    if (strchr(host, '@') != NULL || (*rest != '\0' && *rest != ':' && *rest != '/'))
        return false;
    if (strchr(url, '@') != NULL || strchr(url, ' ') != NULL)
        return false;
    return strcmp(host, "localhost") == 0 || sbx_config_host_is_loopback(host);
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
           O_THREADS, O_QUIET, O_HELP, O_CERT_MODE, O_CLOSING, O_DUE_MONTHS,
           O_DEPOSIT_DAY, O_DEPOSIT_OFFSET, O_DUNNING, O_NOTIFY_URL, O_NOTIFY_INTERVAL,
           O_NOTIFY_RETRIES, O_NOTIFY_TIMEOUT, O_NOTIFY_CA };
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
        {"closing-default", required_argument, NULL, O_CLOSING},
        {"due-months", required_argument, NULL, O_DUE_MONTHS},
        {"deposit-day", required_argument, NULL, O_DEPOSIT_DAY},
        {"deposit-month-offset", required_argument, NULL, O_DEPOSIT_OFFSET},
        {"dunning", required_argument, NULL, O_DUNNING},
        {"notify-url", required_argument, NULL, O_NOTIFY_URL},
        {"notify-interval", required_argument, NULL, O_NOTIFY_INTERVAL},
        {"notify-retries", required_argument, NULL, O_NOTIFY_RETRIES},
        {"notify-timeout-ms", required_argument, NULL, O_NOTIFY_TIMEOUT},
        {"notify-ca", required_argument, NULL, O_NOTIFY_CA},
        {NULL, 0, NULL, 0},
    };

    memset(cfg, 0, sizeof *cfg);
    cfg->host = "127.0.0.1";
    cfg->db_path = ":memory:";
    cfg->threads = 8;
    sbx_rules_default(&cfg->rules);
    cfg->notify_interval_s = 3600;  /* GMO-PG: every 60 minutes ... */
    cfg->notify_retries = 5;        /* ... 5 times */
    cfg->notify_timeout_ms = 10000; /* §7: no answer within 10 s = not received */

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
        case O_CLOSING:
            if (!sbx_rules_set_closing(&cfg->rules, optarg))
                return SBX_CONFIG_ERROR;
            break;
        case O_DUE_MONTHS:
            if (!parse_uint(optarg, 12, &v) || v == 0) {
                fprintf(stderr, "paid-sandbox: --due-months expects 1-12\n");
                return SBX_CONFIG_ERROR;
            }
            cfg->rules.due_months = (int)v;
            break;
        case O_DEPOSIT_DAY:
            if (!parse_uint(optarg, 31, &v) || v == 0) {
                fprintf(stderr, "paid-sandbox: --deposit-day expects 1-31\n");
                return SBX_CONFIG_ERROR;
            }
            cfg->rules.deposit_day = (int)v;
            break;
        case O_DEPOSIT_OFFSET:
            if (!parse_uint(optarg, 12, &v)) {
                fprintf(stderr, "paid-sandbox: --deposit-month-offset expects 0-12\n");
                return SBX_CONFIG_ERROR;
            }
            cfg->rules.deposit_month_offset = (int)v;
            break;
        case O_DUNNING:
            if (!sbx_rules_set_dunning(&cfg->rules, optarg))
                return SBX_CONFIG_ERROR;
            break;
        case O_NOTIFY_URL:
            if (!sbx_config_url_is_loopback(optarg)) {
                fprintf(stderr, "paid-sandbox: --notify-url '%s' refused: only http(s) to "
                                "localhost, 127.x.x.x or [::1]\n", optarg);
                return SBX_CONFIG_ERROR;
            }
            cfg->notify_url = optarg;
            break;
        case O_NOTIFY_INTERVAL:
            if (!parse_uint(optarg, 86400, &v) || v == 0) {
                fprintf(stderr, "paid-sandbox: --notify-interval expects 1-86400 seconds\n");
                return SBX_CONFIG_ERROR;
            }
            cfg->notify_interval_s = (unsigned)v;
            break;
        case O_NOTIFY_RETRIES:
            if (!parse_uint(optarg, 100, &v)) {
                fprintf(stderr, "paid-sandbox: --notify-retries expects 0-100\n");
                return SBX_CONFIG_ERROR;
            }
            cfg->notify_retries = (unsigned)v;
            break;
        case O_NOTIFY_TIMEOUT:
            if (!parse_uint(optarg, 600000, &v) || v < 10) {
                fprintf(stderr, "paid-sandbox: --notify-timeout-ms expects 10-600000\n");
                return SBX_CONFIG_ERROR;
            }
            cfg->notify_timeout_ms = (unsigned)v;
            break;
        case O_NOTIFY_CA:
            cfg->notify_ca = optarg;
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
