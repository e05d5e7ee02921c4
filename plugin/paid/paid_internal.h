/* paid_internal.h - the Paid payment method: context, configuration, results
 * and the helpers its operations share. Not part of the ABI. */
#ifndef PAID_INTERNAL_H
#define PAID_INTERNAL_H

#include <json-c/json.h>
#include <openssl/evp.h>
#include <stdint.h>
#include <sys/types.h>

#include "gw_config.h"
#include "gw_error.h"
#include "gw_idpass.h"
#include "gw_jw.h"
#include "gw_log.h"
#include "gw_mem.h"
#include "gw_req.h"
#include "pmp.h"

#define PAID_PAY_TYPE "29"
/* more calls than any operation makes (authorize at most 7) */
#define PAID_MAX_CALLS 16

/* ------------------------------------------------------------------ config */

typedef struct paid_map_entry {
    char *literal;    /* gateway literal, e.g. "AUTH" */
    const char *word; /* one of paid_status_words, static */
} paid_map_entry;

/* Settlement rules (docs/protocol.md section 8). */
typedef struct paid_settlement {
    int closing_day;          /* 0: month end, else 1..28 */
    int due_month_offset;     /* invoice due at the end of closing month + N */
    int deposit_month_offset; /* deposit in closing month + N ... */
    int deposit_day;          /* ... on this day, Sat/Sun moved to Monday */
} paid_settlement;

typedef struct paid_config {
    paid_map_entry *tx; /* transaction Status -> word */
    size_t ntx;
    paid_map_entry *buyer; /* BuyerStatus -> word */
    size_t nbuyer;
    char **decline_prefixes; /* ErrInfo prefixes that are business declines */
    size_t ndecline;
    int64_t max_amount;
    paid_settlement settlement;
    int notify_confirm; /* confirm notifications by inquiry */
} paid_config;

/** Loads the "paid" section (may be NULL) on top of the documented defaults. */
int paid_config_load(const gw_cfg_reader *r, const gw_ynode *section, paid_config *pc);
void paid_config_release(const gw_mem *mem, paid_config *pc);
/** The status word for a literal, or NULL when the map does not know it. */
const char *paid_map_lookup(const paid_map_entry *map, size_t n, const char *literal);
/** The static copy of a known status word, or NULL. */
const char *paid_status_word(const char *word);

/* ----------------------------------------------------------------- context */

struct pmp_ctx {
    gw_mem mem;
    pid_t pid;
    gw_log log;
    gw_config cfg;
    paid_config paid;
    gw_client client;
    EVP_MD *sha256; /* fetched once: notification event keys */
};

struct pmp_result {
    gw_mem mem;         /* the allocator it came from, by value */
    const char *status; /* static */
    char *json;
    size_t json_len;
    char *gateway_errors;
};

/* -------------------------------------------------------- operation helpers */

/** The state of one operation while it runs: the context, the error struct
 *  and the trace of gateway calls that goes into the result. */
typedef struct paid_op {
    pmp_ctx *ctx;
    pmp_error *err;
    const char *name;                  /* "authorize", ... */
    const char *calls[PAID_MAX_CALLS]; /* idPass operations made, static names */
    int ncalls;
    int64_t deadline_ms; /* gw_now_ms() by which the operation must end */
    int maybe_changed;   /* a call that can change the gateway's state was sent */
    char gateway_errors[96];
} paid_op;

int32_t paid_op_begin(paid_op *op, pmp_ctx *ctx, const char *name, pmp_result **out,
                      pmp_error *err);
void paid_op_end(paid_op *op);

/** Runs one idPass call and records it in the trace. */
int paid_call(paid_op *op, gw_call *call);
/** Turns a failed call into a return code and error message. mutating says
 *  whether the call could have moved money (decides NETWORK vs UNKNOWN). */
int32_t paid_call_error(paid_op *op, const gw_call *call, int rc, int mutating);

/** The error for running out of memory: PMP_E_NOMEM while nothing that can
 *  change the gateway's state was sent, else PMP_E_OUTCOME_UNKNOWN. */
int32_t paid_nomem(paid_op *op);
/** Builds the result: adds operation, status and gateway_calls to doc (which
 *  it consumes) and copies the text into the host's memory. */
int32_t paid_result(paid_op *op, const char *status, json_object *doc, pmp_result **out);

/** Builds the result from JSON text the operation wrote itself (gw_jw),
 *  which must already hold operation, status and gateway_calls (see
 *  paid_jw_close). Takes the text over (allocated with the context's
 *  allocator) and frees it on failure. */
int32_t paid_result_text(paid_op *op, const char *status, char *json, size_t len, pmp_result **out);
/** Writes operation, status and gateway_calls, closes the top-level object. */
void paid_jw_close(paid_op *op, gw_jw *w, const char *status);

/* Small json-c helpers that tolerate a NULL value (out of memory). */
void paid_json_str(json_object *o, const char *key, const char *v);
void paid_json_int(json_object *o, const char *key, int64_t v);
void paid_json_bool(json_object *o, const char *key, int v);

/** Parses a gateway amount ("" = 0). Returns -1 when not digits. */
int paid_parse_amount(const char *s, int64_t *out);
/** Formats an amount for the form body. */
void paid_format_amount(int64_t v, char *buf, size_t size);

/* ------------------------------------------------------------- inquiries */

/** A SearchTradeMulti answer; strings borrowed from call.resp. */
typedef struct paid_trade {
    gw_call call;
    gw_field fields[4];
    const char *status;
    const char *access_id;
    const char *access_pass; /* secret: only ever sent back to the gateway */
    int64_t amount, tax, cancel_amount, cancel_tax;
} paid_trade;

/** Inquires an order. Returns PMP_OK, PMP_E_NOT_FOUND (err filled), or
 *  another error. Release t with paid_trade_release in every case. */
int32_t paid_search(paid_op *op, const char *order_id, paid_trade *t);
void paid_trade_release(paid_trade *t);
/** The mapped word for a transaction literal; logs and gives "unknown" for
 *  a literal the map lacks. */
const char *paid_tx_word(paid_op *op, const char *literal);
/** Adds order_id, gateway_status, amount, tax and access_id of t to doc. */
void paid_json_trade(json_object *doc, const char *order_id, const paid_trade *t);

/** Whether the answer says the operation is not allowed in the order's
 *  current state (e.g. someone else moved the order on first). */
int paid_is_state_error(const gw_resp *resp);
/** Whether the answer is a business decline by the configured prefixes. */
int paid_is_decline(const pmp_ctx *ctx, const gw_resp *resp);
/** {"code","reason","message"} for a decline answer. */
json_object *paid_decline_json(const gw_resp *resp);

/** The settlement forecast for a sale fixed on y-m-d. basis says where the
 *  date came from ("fixed_at", "today", "process_date"). */
json_object *paid_settlement_json(const paid_settlement *s, int y, int m, int d, const char *basis);

/* ------------------------------------------------------------- operations */

int32_t paid_enroll(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out, pmp_error *err);
int32_t paid_payer_status(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out,
                          pmp_error *err);
int32_t paid_authorize(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out, pmp_error *err);
int32_t paid_capture(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out, pmp_error *err);
int32_t paid_void(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out, pmp_error *err);
int32_t paid_refund(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out, pmp_error *err);
int32_t paid_adjust(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out, pmp_error *err);
int32_t paid_status(pmp_ctx *ctx, const char *req, size_t len, pmp_result **out, pmp_error *err);
int32_t paid_notify(pmp_ctx *ctx, const char *body, size_t body_len, const char *headers,
                    size_t headers_len, pmp_result **out, pmp_error *err);

#endif
