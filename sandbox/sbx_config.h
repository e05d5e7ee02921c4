/* Command line of paid-sandbox. */
#ifndef SBX_CONFIG_H
#define SBX_CONFIG_H

#include "sbx_rules.h"
#include "sbx_tls.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SBX_MAX_SHOPS 32
#define SBX_SHOP_ID_MAX 13
#define SBX_SHOP_PASS_MAX 10

typedef struct sbx_shop {
    char id[SBX_SHOP_ID_MAX + 1];
    char pass[SBX_SHOP_PASS_MAX + 1];
} sbx_shop;

typedef struct sbx_config {
    /* The strings point into argv (or string literals): not owned. */
    const char *host;
    const char *state_dir;   /* NULL: create a new directory under $TMPDIR */
    const char *db_path;
    const char *ready_file;  /* NULL: none */
    uint16_t port;
    bool plain_http;
    bool quiet;
    unsigned threads;
    enum sbx_cert_mode cert_mode;
    sbx_shop shops[SBX_MAX_SHOPS];
    size_t nshops;
    sbx_rules rules;              /* settlement rules (§8), defaults or options */
    /* Result notifications (§7); notify_url NULL: none are sent. */
    const char *notify_url;
    const char *notify_ca;        /* CA file for an https notify URL */
    unsigned notify_interval_s;   /* real seconds between sends of one notification */
    unsigned notify_retries;      /* resends after the first send */
    unsigned notify_timeout_ms;   /* per send */
} sbx_config;

enum sbx_config_result { SBX_CONFIG_OK, SBX_CONFIG_EXIT_OK, SBX_CONFIG_ERROR };

/* Parses argv into cfg; prints usage or the reason of an error to stderr. */
enum sbx_config_result sbx_config_parse(sbx_config *cfg, int argc, char **argv);

/* True for 127.x.x.x and ::1 (the only addresses the sandbox binds to). */
bool sbx_config_host_is_loopback(const char *host);
/* True for an http:// or https:// URL whose host is localhost, 127.x.x.x or
 * [::1]: notifications never leave the machine. */
bool sbx_config_url_is_loopback(const char *url);

#endif
