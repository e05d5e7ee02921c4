/* gw_config.h - the gateway part of the plugin configuration (YAML):
 * sections gateway, shop and logging, plus typed readers the payment method
 * uses for its own section. Every error names the origin, line and key;
 * unknown keys are errors. The keys are documented in config.yaml.example. */
#ifndef GW_CONFIG_H
#define GW_CONFIG_H

#include <stddef.h>

#include "gw_mem.h"
#include "gw_yaml.h"

#define GW_DEFAULT_BASE_URL "https://pt01.mul-pay.jp/payment/"

typedef struct gw_config {
    char *base_url; /* ends with '/' */
    char *ca_file;  /* NULL: the system's CA store */
    long connect_timeout_ms;
    long timeout_ms;     /* whole exchange of one request */
    long retries;        /* extra attempts for requests certainly not processed */
    long call_budget_ms; /* the most one operation may take, everything included */
    char *shop_id;
    char *shop_pass; /* secret: never logged */
    int log_level;   /* PMP_LOG_* */
} gw_config;

/** Reads configuration values and formats errors. */
typedef struct gw_cfg_reader {
    const gw_mem *mem;
    const char *origin; /* file name or "config" */
    char *err;
    size_t errlen;
} gw_cfg_reader;

/** Writes "origin:line: path: message" into the reader's error buffer; returns -1. */
int gw_cfg_fail(const gw_cfg_reader *r, const gw_ynode *at, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Fails on any key of map not in allowed (NULL-terminated). */
int gw_cfg_check_keys(const gw_cfg_reader *r, const gw_ynode *map, const char *path,
                      const char *const *allowed);
/** A scalar, with "${NAME}" replaced by the environment variable NAME. *out
 *  is NULL when the key is absent or empty and not required. */
int gw_cfg_string(const gw_cfg_reader *r, const gw_ynode *map, const char *path, const char *key,
                  int required, char **out);
/** An integer scalar in [min, max]; *out is left as is when absent. */
int gw_cfg_int(const gw_cfg_reader *r, const gw_ynode *map, const char *path, const char *key,
               long min, long max, long *out);
/** The mapping under key, or NULL when absent; fails when not a mapping. */
int gw_cfg_map(const gw_cfg_reader *r, const gw_ynode *map, const char *path, const char *key,
               const gw_ynode **out);

/** Parses the YAML text and loads the gateway sections into cfg. Top-level
 *  keys other than gateway, shop, logging and method_key are errors. On
 *  success *root holds the tree (for the method's own section), which the
 *  caller frees with gw_yaml_free. */
int gw_config_load(const gw_cfg_reader *r, const char *text, size_t len, const char *method_key,
                   gw_config *cfg, gw_ynode **root);
/** NULL-safe; wipes the password. */
void gw_config_release(const gw_mem *mem, gw_config *cfg);

#endif
