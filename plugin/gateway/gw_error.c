#include "gw_error.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

int32_t gw_error_set(pmp_error *err, int32_t code, int retryable, const char *gateway_code,
                     const char *fmt, ...)
{
    va_list ap;

    /* A host built against a smaller pmp_error gets nothing rather than an
     * overrun; every v1 field is required. */
    if (!err || err->struct_size < sizeof(pmp_error))
        return code;
    err->code = code;
    err->retryable = retryable ? 1 : 0;
    err->reserved = 0;
    snprintf(err->gateway_code, sizeof(err->gateway_code), "%s", gateway_code ? gateway_code : "");
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof(err->message), fmt, ap);
    va_end(ap);
    return code;
}

const char *gw_strerror(int32_t code)
{
    switch (code) {
    case PMP_OK:
        return "success";
    case PMP_E_INVALID_ARG:
        return "invalid argument (wrong use of the ABI)";
    case PMP_E_INVALID_REQUEST:
        return "invalid request";
    case PMP_E_CONFIG:
        return "invalid configuration";
    case PMP_E_NETWORK:
        return "network error: the request was not delivered";
    case PMP_E_OUTCOME_UNKNOWN:
        return "outcome unknown: the request may have reached the gateway";
    case PMP_E_GATEWAY:
        return "the gateway rejected the request";
    case PMP_E_UNSUPPORTED:
        return "operation not supported";
    case PMP_E_ABI_VERSION:
        return "unsupported ABI version";
    case PMP_E_FORKED:
        return "context used in a forked child process";
    case PMP_E_NOMEM:
        return "out of memory";
    case PMP_E_INTERNAL:
        return "internal error";
    case PMP_E_CONFLICT:
        return "conflicts with the existing order";
    case PMP_E_TLS:
        return "TLS verification failed";
    case PMP_E_PROTOCOL:
        return "the gateway's answer could not be used";
    case PMP_E_NOT_FOUND:
        return "not found at the gateway";
    case PMP_E_STATE:
        return "not allowed in the order's current state";
    default:
        return "unknown error code";
    }
}
