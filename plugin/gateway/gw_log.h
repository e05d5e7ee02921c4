/* gw_log.h - log lines to the host's logger, filtered by level.
 * Callers never pass secrets; values that may hold one go through
 * gw_log_redact_value(). */
#ifndef GW_LOG_H
#define GW_LOG_H

#include "pmp.h"

typedef struct gw_log {
    void (*sink)(void *user_data, int32_t level, const char *msg, size_t len);
    void *user_data;
    int level; /* lines above this level are dropped */
} gw_log;

void gw_logf(const gw_log *log, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** Whether a line at level would be delivered (to skip building it). */
int gw_log_enabled(const gw_log *log, int level);
/** Whether a protocol field holds a secret whose value must never be shown. */
int gw_field_is_secret(const char *name);

#endif
