/* gw_error.h - filling the caller-owned pmp_error, and the static text of
 * each return code. */
#ifndef GW_ERROR_H
#define GW_ERROR_H

#include "pmp.h"

/** Fills err (when not NULL and large enough) and returns code. */
int32_t gw_error_set(pmp_error *err, int32_t code, int retryable, const char *gateway_code,
                     const char *fmt, ...) __attribute__((format(printf, 5, 6)));
const char *gw_strerror(int32_t code);

#endif
