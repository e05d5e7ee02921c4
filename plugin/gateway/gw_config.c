#include "gw_config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pmp.h"

int gw_cfg_fail(const gw_cfg_reader *r, const gw_ynode *at, const char *path, const char *fmt, ...)
{
    char what[320];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap);
    va_end(ap);
    if (at)
        snprintf(r->err, r->errlen, "%s:%u: %s: %s", r->origin, at->line, path, what);
    else
        snprintf(r->err, r->errlen, "%s: %s: %s", r->origin, path, what);
    return -1;
}

static void join_path(char *buf, size_t size, const char *path, const char *key)
{
    snprintf(buf, size, "%s%s%s", path, *path ? "." : "", key);
}

int gw_cfg_check_keys(const gw_cfg_reader *r, const gw_ynode *map, const char *path,
                      const char *const *allowed)
{
    size_t i;

    for (i = 0; i + 1 < map->nitems; i += 2) {
        const char *key = map->items[i]->scalar;
        const char *const *a;
        char full[160];

        for (a = allowed; *a; a++)
            if (!strcmp(*a, key))
                break;
        if (*a)
            continue;
        join_path(full, sizeof(full), path, key);
        return gw_cfg_fail(r, map->items[i], full, "unknown key");
    }
    return 0;
}

/* YAML's own spellings of "nothing". */
static int is_null_scalar(const gw_ynode *n)
{
    return n->plain && (!n->scalar_len || !strcmp(n->scalar, "~") || !strcmp(n->scalar, "null"));
}

int gw_cfg_string(const gw_cfg_reader *r, const gw_ynode *map, const char *path, const char *key,
                  int required, char **out)
{
    const gw_ynode *n = gw_yaml_get(map, key);
    char full[160];
    const char *value;
    size_t len;

    *out = NULL;
    join_path(full, sizeof(full), path, key);
    if (!n || (n->type == GW_Y_SCALAR && is_null_scalar(n))) {
        if (required)
            return gw_cfg_fail(r, n ? n : map, full, "is required");
        return 0;
    }
    if (n->type != GW_Y_SCALAR)
        return gw_cfg_fail(r, n, full, "must be a string");
    value = n->scalar;
    len = n->scalar_len;
    if (len > 3 && !strncmp(value, "${", 2) && value[len - 1] == '}') {
        char name[128];

        if (len - 3 >= sizeof(name))
            return gw_cfg_fail(r, n, full, "environment variable name too long");
        memcpy(name, value + 2, len - 3);
        name[len - 3] = '\0';
        value = getenv(name);
        if (!value || !*value)
            return gw_cfg_fail(r, n, full, "environment variable %s is not set", name);
        len = strlen(value);
    }
    if (!len) {
        if (required)
            return gw_cfg_fail(r, n, full, "must not be empty");
        return 0;
    }
    *out = gw_strndup(r->mem, value, len);
    if (!*out)
        return gw_cfg_fail(r, n, full, "out of memory");
    return 0;
}

int gw_cfg_int(const gw_cfg_reader *r, const gw_ynode *map, const char *path, const char *key,
               long min, long max, long *out)
{
    const gw_ynode *n = gw_yaml_get(map, key);
    char full[160];
    char *end;
    long v;

    if (!n)
        return 0;
    join_path(full, sizeof(full), path, key);
    if (n->type != GW_Y_SCALAR || !n->plain || !n->scalar_len)
        return gw_cfg_fail(r, n, full, "must be an integer between %ld and %ld", min, max);
    errno = 0;
    v = strtol(n->scalar, &end, 10);
    if (errno || *end || v < min || v > max)
        return gw_cfg_fail(r, n, full, "must be an integer between %ld and %ld", min, max);
    *out = v;
    return 0;
}

int gw_cfg_map(const gw_cfg_reader *r, const gw_ynode *map, const char *path, const char *key,
               const gw_ynode **out)
{
    const gw_ynode *n = gw_yaml_get(map, key);
    char full[160];

    *out = NULL;
    if (!n || (n->type == GW_Y_SCALAR && is_null_scalar(n)))
        return 0;
    join_path(full, sizeof(full), path, key);
    if (n->type != GW_Y_MAP)
        return gw_cfg_fail(r, n, full, "must be a mapping");
    *out = n;
    return 0;
}

/* localhost, [::1], or an IPv4 literal in 127.0.0.0/8; a host name that
 * merely starts with "127." (127.0.0.1.example.com) is not this machine. */
static int is_loopback_host(const char *host, size_t len)
{
    struct in_addr a;
    char ip[INET_ADDRSTRLEN];

    if ((len == 9 && !strncmp(host, "localhost", 9)) || (len == 5 && !strncmp(host, "[::1]", 5)))
        return 1;
    if (len >= sizeof(ip))
        return 0;
    memcpy(ip, host, len);
    ip[len] = '\0';
    return inet_pton(AF_INET, ip, &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

/* https:// always; http:// only for a sandbox on this machine. */
static int check_base_url(const gw_cfg_reader *r, const gw_ynode *at, gw_config *cfg)
{
    const char *url = cfg->base_url;
    const char *host, *end;
    size_t len = strlen(url);
    int https = !strncmp(url, "https://", 8);

    if (!https && strncmp(url, "http://", 7))
        return gw_cfg_fail(r, at, "gateway.base_url", "must start with https://");
    /* No user info either: in http://127.0.0.1:80@example.com/ the host is
     * example.com. */
    if (strpbrk(url, " \t\r\n?#@\\"))
        return gw_cfg_fail(r, at, "gateway.base_url",
                           "must not contain spaces, '?', '#', '@' or '\\'");
    host = url + (https ? 8 : 7);
    end = host + strcspn(host, ":/");
    if (*host == '[')
        end = strchr(host, ']') ? strchr(host, ']') + 1 : end;
    if (end == host || (*end && *end != ':' && *end != '/'))
        return gw_cfg_fail(r, at, "gateway.base_url", "has no valid host name");
    if (!https && !is_loopback_host(host, (size_t)(end - host)))
        return gw_cfg_fail(r, at, "gateway.base_url",
                           "plain http:// is allowed only for a sandbox on 127.0.0.1 or "
                           "localhost; use https://");
    if (url[len - 1] != '/') {
        char *with_slash = gw_malloc(r->mem, len + 2);

        if (!with_slash)
            return gw_cfg_fail(r, at, "gateway.base_url", "out of memory");
        memcpy(with_slash, url, len);
        memcpy(with_slash + len, "/", 2);
        gw_free(r->mem, cfg->base_url);
        cfg->base_url = with_slash;
    }
    return 0;
}

static int check_alnum(const gw_cfg_reader *r, const gw_ynode *at, const char *path, const char *v,
                       size_t max)
{
    size_t i, len = strlen(v);

    for (i = 0; i < len; i++) {
        char c = v[i];

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
            return gw_cfg_fail(r, at, path, "must be ASCII letters and digits only");
    }
    if (len > max)
        return gw_cfg_fail(r, at, path, "must be at most %zu characters", max);
    return 0;
}

static int parse_level(const gw_cfg_reader *r, const gw_ynode *logging, int *level)
{
    static const char *const names[] = {"error", "warn", "info", "debug"};
    char *value = NULL;
    size_t i;

    if (gw_cfg_string(r, logging, "logging", "level", 0, &value) != 0)
        return -1;
    if (!value)
        return 0;
    for (i = 0; i < 4; i++) {
        if (!strcmp(value, names[i])) {
            *level = (int)i + PMP_LOG_ERROR;
            gw_free(r->mem, value);
            return 0;
        }
    }
    gw_free(r->mem, value);
    return gw_cfg_fail(r, gw_yaml_get(logging, "level"), "logging.level",
                       "must be one of error, warn, info, debug");
}

int gw_config_load(const gw_cfg_reader *r, const char *text, size_t len, const char *method_key,
                   gw_config *cfg, gw_ynode **root_out)
{
    static const char *const gateway_keys[] = {"base_url",   "ca_file", "connect_timeout_ms",
                                               "timeout_ms", "retries", "call_budget_ms",
                                               NULL};
    static const char *const shop_keys[] = {"id", "password", NULL};
    static const char *const logging_keys[] = {"level", NULL};
    const char *top_keys[] = {"gateway", "shop", "logging", method_key, NULL};
    const gw_ynode *gateway = NULL, *shop = NULL, *logging = NULL;
    gw_ynode *root = NULL;
    char yerr[256];

    memset(cfg, 0, sizeof(*cfg));
    cfg->connect_timeout_ms = 10000;
    cfg->timeout_ms = 60000;
    cfg->retries = 2;
    cfg->call_budget_ms = 120000;
    cfg->log_level = PMP_LOG_INFO;
    *root_out = NULL;

    if (gw_yaml_parse(r->mem, text, len, &root, yerr, sizeof(yerr)) != 0) {
        snprintf(r->err, r->errlen, "%s: %s", r->origin, yerr);
        return -1;
    }
    if (gw_cfg_check_keys(r, root, "", top_keys) != 0 ||
        gw_cfg_map(r, root, "", "gateway", &gateway) != 0 ||
        gw_cfg_map(r, root, "", "shop", &shop) != 0 ||
        gw_cfg_map(r, root, "", "logging", &logging) != 0)
        goto fail;
    if (!shop) {
        gw_cfg_fail(r, NULL, "shop", "section is required (shop.id and shop.password)");
        goto fail;
    }
    if (gw_cfg_check_keys(r, shop, "shop", shop_keys) != 0 ||
        gw_cfg_string(r, shop, "shop", "id", 1, &cfg->shop_id) != 0 ||
        check_alnum(r, gw_yaml_get(shop, "id"), "shop.id", cfg->shop_id, 13) != 0 ||
        gw_cfg_string(r, shop, "shop", "password", 1, &cfg->shop_pass) != 0 ||
        check_alnum(r, gw_yaml_get(shop, "password"), "shop.password", cfg->shop_pass, 10) != 0)
        goto fail;
    if (gateway) {
        if (gw_cfg_check_keys(r, gateway, "gateway", gateway_keys) != 0 ||
            gw_cfg_string(r, gateway, "gateway", "base_url", 0, &cfg->base_url) != 0 ||
            gw_cfg_string(r, gateway, "gateway", "ca_file", 0, &cfg->ca_file) != 0 ||
            gw_cfg_int(r, gateway, "gateway", "connect_timeout_ms", 100, 120000,
                       &cfg->connect_timeout_ms) != 0 ||
            gw_cfg_int(r, gateway, "gateway", "timeout_ms", 100, 600000, &cfg->timeout_ms) != 0 ||
            gw_cfg_int(r, gateway, "gateway", "retries", 0, 10, &cfg->retries) != 0 ||
            gw_cfg_int(r, gateway, "gateway", "call_budget_ms", 100, 3600000,
                       &cfg->call_budget_ms) != 0)
            goto fail;
    }
    if (!cfg->base_url) {
        cfg->base_url = gw_strdup(r->mem, GW_DEFAULT_BASE_URL);
        if (!cfg->base_url) {
            gw_cfg_fail(r, NULL, "gateway.base_url", "out of memory");
            goto fail;
        }
    }
    if (check_base_url(r, gateway ? gw_yaml_get(gateway, "base_url") : NULL, cfg) != 0)
        goto fail;
    if (cfg->connect_timeout_ms > cfg->timeout_ms) {
        gw_cfg_fail(r, gw_yaml_get(gateway, "connect_timeout_ms"), "gateway.connect_timeout_ms",
                    "must not exceed gateway.timeout_ms (%ld)", cfg->timeout_ms);
        goto fail;
    }
    if (logging && (gw_cfg_check_keys(r, logging, "logging", logging_keys) != 0 ||
                    parse_level(r, logging, &cfg->log_level) != 0))
        goto fail;
    *root_out = root;
    return 0;
fail:
    gw_yaml_free(r->mem, root);
    gw_config_release(r->mem, cfg);
    return -1;
}

void gw_config_release(const gw_mem *mem, gw_config *cfg)
{
    if (!cfg)
        return;
    if (cfg->shop_pass) {
        /* volatile so the wipe is not optimised away */
        volatile char *p = cfg->shop_pass;

        while (*p)
            *p++ = '\0';
    }
    gw_free(mem, cfg->base_url);
    gw_free(mem, cfg->ca_file);
    gw_free(mem, cfg->shop_id);
    gw_free(mem, cfg->shop_pass);
    memset(cfg, 0, sizeof(*cfg));
}
