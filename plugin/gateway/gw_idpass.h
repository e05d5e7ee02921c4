/* gw_idpass.h - one idPass operation: build the Windows-31J form body, POST
 * it to <base_url><Operation>.idPass, parse the Key=Value answer, and say
 * what happened in terms that keep money safe:
 *
 *   OK        the gateway answered without ErrCode
 *   ERROR     the gateway answered with ErrCode/ErrInfo (a decision)
 *   NOT_SENT  certainly not processed (also after bounded retries)
 *   UNKNOWN   may have been processed; the caller must inquire
 *
 * Requests that are certainly not processed (connection refused, rate
 * limited) are retried with backoff up to gateway.retries times; an unknown
 * outcome is retried only for operations marked idempotent. Thread-safe. */
#ifndef GW_IDPASS_H
#define GW_IDPASS_H

#include <stddef.h>
#include <stdint.h>
#include <stdint.h>

#include "gw_config.h"
#include "gw_form.h"
#include "gw_http.h"
#include "gw_log.h"
#include "gw_resp.h"

#define GW_CALL_OK 0
#define GW_CALL_ERROR 1
#define GW_CALL_NOT_SENT 2
#define GW_CALL_UNKNOWN 3
#define GW_CALL_TLS 4
#define GW_CALL_NOMEM 5
#define GW_CALL_BAD_INPUT 6 /* a value cannot be encoded in Windows-31J */
#define GW_CALL_PROTOCOL 7  /* refused at the HTTP level (4xx), not processed */

typedef struct gw_client {
    const gw_config *cfg;
    const gw_mem *mem;
    const gw_log *log;
    gw_http_opts http;
} gw_client;

typedef struct gw_call {
    /* in */
    const char *operation; /* e.g. "EntryTranPaid" */
    const gw_field *fields;
    size_t nfields;
    int idempotent;      /* safe to resend after an unknown outcome */
    int64_t deadline_ms; /* gw_now_ms() by which all attempts must end; 0: none */
    /* out */
    gw_resp resp; /* valid for OK and ERROR; release with gw_call_release */
    long http_status;
    int sent; /* the request may have reached the gateway */
    int attempts;
    size_t bad_field; /* for BAD_INPUT */
    char detail[256]; /* why, for NOT_SENT/UNKNOWN/TLS/PROTOCOL */
} gw_call;

/** A monotonic clock in milliseconds, for deadlines. */
int64_t gw_now_ms(void);

/** A monotonic clock in milliseconds, for deadlines. */
int64_t gw_now_ms(void);

void gw_client_init(gw_client *c, const gw_config *cfg, const gw_mem *mem, const gw_log *log);
int gw_idpass_call(const gw_client *c, gw_call *call);
void gw_call_release(gw_call *call);

/** ErrInfo families that mean "the gateway may have processed it". */
int gw_errinfo_outcome_unknown(const gw_resp *resp);
/** ErrInfo families that mean "rate limited, nothing processed". */
int gw_errinfo_rate_limited(const gw_resp *resp);

#endif
