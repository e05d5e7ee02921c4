/* stderr logging. Per-request lines can be silenced with --quiet; errors
 * are always printed. Callers must never pass ShopPass or AccessPass. */
#ifndef SBX_LOG_H
#define SBX_LOG_H

#include <stdbool.h>

void sbx_log_set_quiet(bool quiet);
void sbx_log_request(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sbx_log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
