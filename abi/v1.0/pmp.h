/*
 * pmp.h - the payment-method plugin ABI, version 1.
 *
 * A payment-method plugin is a shared object that exports exactly one symbol,
 * pmp_get_api(). Everything else is reached through the read-only function
 * table it returns. This header is the whole contract: if it is not written
 * here, it is not API. The versioning and compatibility policy is in
 * docs/ABI.md; the JSON of every request and result is in docs/operations.md
 * with a JSON Schema per operation in docs/schemas/.
 *
 * Rules that hold for every function below unless its comment says otherwise:
 *
 *  - Strings crossing the boundary are UTF-8 with an explicit length. Strings
 *    the plugin hands back are also NUL-terminated, as a courtesy to C hosts.
 *  - Inputs are borrowed for the duration of the call only; the plugin copies
 *    what it keeps.
 *  - What the plugin allocates is freed only through the plugin's own free
 *    functions (result_free, shutdown). Never mix allocators.
 *  - Free functions accept NULL.
 *  - Functions return 0 (PMP_OK) or a negative PMP_E_* code. Codes are fixed
 *    forever and never reused. A declined payment is NOT an error: it is a
 *    result whose status is "declined".
 *  - PMP_E_OUTCOME_UNKNOWN means "the request may have reached the gateway and
 *    the plugin could not find out what happened". It is never success and
 *    never failure. Retry only with the same order ID; the plugin will inquire
 *    before it sends anything that moves money.
 *  - Every function that can fail takes a caller-owned pmp_error (which may be
 *    NULL) and fills it on failure. There is no thread-local "last error".
 *  - Secrets (shop password, access passwords) never appear in results, error
 *    messages or log lines.
 *
 * Threading: pmp_get_api() and strerror() may be called from any thread at any
 * time, before or without init. init() and shutdown() of one context must not
 * overlap with any other call on that context. All other operations on one
 * context may run concurrently from any number of threads. Several contexts
 * may live at once (for example one per merchant shop). A pmp_result has one
 * owner and must not be used from two threads at once. The plugin starts no
 * long-lived threads, installs no signal handlers, never exits the process and
 * never changes process-wide state of libcurl or OpenSSL beyond libcurl's own
 * reference-counted global init.
 *
 * Fork: a context must not be used in a child process created by fork() after
 * init; operations there return PMP_E_FORKED. Call init again in the child.
 *
 * The ABI uses only fixed-width integers, size_t, const char * with lengths,
 * and pointers to opaque types or to structs that start with struct_size, so
 * that ctypes, cffi and PHP FFI can bind it by hand. No enums, unions,
 * bitfields, bools or structs by value.
 */
#ifndef PMP_H
#define PMP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define PMP_EXPORT __attribute__((visibility("default")))
#else
#define PMP_EXPORT
#endif

/** ABI major version this header describes: the soname's number and the
 *  argument of pmp_get_api(). Changes only on a break. */
#define PMP_ABI_MAJOR 1
/** ABI minor version: counts entries appended to pmp_api. */
#define PMP_ABI_MINOR 0

/* ------------------------------------------------------------------------
 * Return codes. 0 or negative; fixed forever, appended only.
 * ---------------------------------------------------------------------- */
#define PMP_OK 0
/** Wrong use of the ABI: NULL where a pointer is required, a struct_size too
 *  small, unknown flag bits. Nothing was sent. */
#define PMP_E_INVALID_ARG (-1)
/** The request JSON is malformed or a field is missing, of the wrong type,
 *  out of range or not representable in Windows-31J. The message names the
 *  field. Nothing was sent. */
#define PMP_E_INVALID_REQUEST (-2)
/** The configuration given to init is invalid; the message names the key
 *  and its line. */
#define PMP_E_CONFIG (-3)
/** The request could not be delivered (connection refused, DNS failure,
 *  connect timeout) and certainly did not reach the gateway. Retryable. */
#define PMP_E_NETWORK (-4)
/** The request may have reached the gateway and its outcome could not be
 *  settled by inquiry. Not success, not failure. Retry only with the same
 *  order ID. */
#define PMP_E_OUTCOME_UNKNOWN (-5)
/** The gateway answered with an error (ErrCode/ErrInfo) that is not a
 *  business decline, e.g. an input or state error. pmp_error.gateway_code
 *  holds the ErrInfo list. Not retryable as is. */
#define PMP_E_GATEWAY (-6)
/** The operation is not supported by this plugin or build. */
#define PMP_E_UNSUPPORTED (-7)
/** pmp_get_api() was asked for an ABI major this plugin does not serve. */
#define PMP_E_ABI_VERSION (-8)
/** The context was created in another process (fork after init). */
#define PMP_E_FORKED (-9)
/** Memory allocation failed. Nothing was sent, or the outcome is reported
 *  as PMP_E_OUTCOME_UNKNOWN when it might have been. */
#define PMP_E_NOMEM (-10)
/** A bug in the plugin. Please report it. */
#define PMP_E_INTERNAL (-11)
/** The request conflicts with what the gateway already holds: the same order
 *  ID with a different amount, buyer or contents. Nothing was changed. */
#define PMP_E_CONFLICT (-12)
/** TLS failed: the certificate did not verify, the host name did not match,
 *  or the CA file could not be read. Nothing was sent. */
#define PMP_E_TLS (-13)
/** The gateway's answer could not be understood (not Key=Value, wrong
 *  encoding) for a call that moves no money. */
#define PMP_E_PROTOCOL (-14)
/** The order (or buyer) does not exist at the gateway. */
#define PMP_E_NOT_FOUND (-15)
/** The operation is not allowed in the order's current state (for example
 *  a refund before capture). Nothing was sent that changes money. */
#define PMP_E_STATE (-16)

/* ------------------------------------------------------------------------
 * Log levels passed to pmp_host_services.log.
 * ---------------------------------------------------------------------- */
#define PMP_LOG_ERROR 1
#define PMP_LOG_WARN 2
#define PMP_LOG_INFO 3
#define PMP_LOG_DEBUG 4

/* ------------------------------------------------------------------------
 * Capability bits, reported by capabilities() in the "flags" member of its
 * result JSON (as a number) and as named booleans. Unknown bits are ignored.
 * ---------------------------------------------------------------------- */
#define PMP_CAP_PARTIAL_CAPTURE (1u << 0)
#define PMP_CAP_MULTIPLE_CAPTURES (1u << 1)
#define PMP_CAP_REFUND (1u << 2)
#define PMP_CAP_PARTIAL_REFUND (1u << 3)
#define PMP_CAP_VOID (1u << 4)
#define PMP_CAP_ADJUST (1u << 5)
#define PMP_CAP_ASYNC_REVIEW (1u << 6)
#define PMP_CAP_NOTIFICATIONS (1u << 7)
#define PMP_CAP_PAYER_ENROLLMENT (1u << 8)

/* ------------------------------------------------------------------------
 * Opaque types.
 * ---------------------------------------------------------------------- */

/** One configured plugin instance (one merchant shop). Created by init,
 *  destroyed by shutdown. */
typedef struct pmp_ctx pmp_ctx;

/** The outcome of one operation: a status word, a JSON document and the
 *  gateway's error codes. Owned by the caller of the operation; freed with
 *  pmp_api.result_free. */
typedef struct pmp_result pmp_result;

/* ------------------------------------------------------------------------
 * Caller-owned structs. Each starts with struct_size, which the caller sets
 * to sizeof() of the struct as it knows it; the plugin reads and writes only
 * the fields inside struct_size.
 * ---------------------------------------------------------------------- */

/** Error details, filled by the plugin when a function returns non-zero.
 *  The caller allocates it (stack is fine), sets struct_size, and may pass
 *  NULL instead if it does not want details. On success it is left as is. */
typedef struct pmp_error {
    uint32_t struct_size; /**< sizeof(pmp_error), set by the caller */
    int32_t code;         /**< the PMP_E_* code also returned */
    int32_t retryable;    /**< 1 when the same call may be retried as is
                               (with the same order ID), else 0 */
    int32_t reserved;     /**< 0 */
    /** The gateway's ErrInfo codes, '|'-separated (e.g. "E01040010"), or
     *  empty. NUL-terminated, truncated to fit. */
    char gateway_code[96];
    /** Human-readable English message naming the field or key at fault.
     *  NUL-terminated UTF-8, truncated to fit. Never holds a secret. */
    char message[512];
} pmp_error;

/** Services the host lends the plugin. Every member may be NULL. */
typedef struct pmp_host_services {
    uint32_t struct_size; /**< sizeof(pmp_host_services) */
    uint32_t reserved;    /**< 0 */
    /** Passed back as the first argument of every callback. */
    void *user_data;
    /** Receives one pre-formatted UTF-8 log line (no trailing newline) at a
     *  PMP_LOG_* level. Called only on a thread that is inside a plugin call
     *  on this context, possibly from several threads at once. Lines never
     *  contain secrets. NULL: the plugin logs nothing. */
    void (*log)(void *user_data, int32_t level, const char *msg, size_t len);
    /** Optional allocator for the plugin's own memory (contexts, results,
     *  buffers; libcurl, OpenSSL, json-c and libyaml keep their own). Either
     *  all three are set or none; they must be thread-safe. */
    void *(*alloc)(void *user_data, size_t size);
    void *(*realloc)(void *user_data, void *ptr, size_t size);
    void (*free)(void *user_data, void *ptr);
} pmp_host_services;

/** Arguments of init. */
typedef struct pmp_init_args {
    uint32_t struct_size; /**< sizeof(pmp_init_args) */
    uint32_t flags;       /**< no flags are defined in v1: must be 0 */
    /** The configuration as YAML text (UTF-8), see config.yaml.example. */
    const char *config;
    size_t config_len;
    /** Where the configuration came from (a file name), used only in error
     *  messages; NUL-terminated; may be NULL. */
    const char *config_origin;
    /** Host services; may be NULL. Borrowed: must stay valid and unchanged
     *  until shutdown of the context. */
    const pmp_host_services *host;
} pmp_init_args;

/* ------------------------------------------------------------------------
 * Operations. All share this shape:
 *
 *   int32_t op(pmp_ctx *ctx, const char *request, size_t request_len,
 *              pmp_result **out, pmp_error *err);
 *
 * request:  UTF-8 JSON object, see docs/operations.md. Borrowed.
 * out:      on success (0) receives a new result owned by the caller; on
 *           failure it is set to NULL.
 * err:      may be NULL; filled on failure.
 * Returns:  0 when the operation completed, whatever the business outcome
 *           (approved, pending review, declined, ...), else a PMP_E_* code.
 * Threading: may run concurrently with other operations on the same ctx.
 * ---------------------------------------------------------------------- */
typedef int32_t (*pmp_operation_fn)(pmp_ctx *ctx, const char *request, size_t request_len,
                                    pmp_result **out, pmp_error *err);

/** The function table. Read-only, static, valid for as long as the shared
 *  object stays loaded. Members are appended only, never reordered or
 *  removed; an entry the plugin does not implement returns
 *  PMP_E_UNSUPPORTED and is never NULL. A host built against a newer header
 *  must check struct_size (see PMP_API_HAS) before using a member added
 *  after the minor version it requires. */
typedef struct pmp_api {
    uint32_t struct_size; /**< sizeof(pmp_api) in the plugin */
    uint32_t abi_major;   /**< PMP_ABI_MAJOR of the plugin */
    uint32_t abi_minor;   /**< PMP_ABI_MINOR of the plugin */
    uint32_t reserved0;   /**< 0 */
    /** The plugin's release version (semver), static string. */
    const char *plugin_version;
    /** The payment method's short name, e.g. "paid", static string. */
    const char *method_name;

    /** Parses and validates the configuration and creates a context.
     *  Returns PMP_E_INVALID_ARG for a bad args struct or flags,
     *  PMP_E_CONFIG for a bad configuration (message names key and line),
     *  PMP_E_TLS when the configured CA file cannot be used, PMP_E_NOMEM.
     *  Sends nothing. On success *out is a new context the caller owns. */
    int32_t (*init)(const pmp_init_args *args, pmp_ctx **out, pmp_error *err);

    /** Destroys a context and everything it owns. NULL is a no-op. Results
     *  created from the context must be freed before. */
    void (*shutdown)(pmp_ctx *ctx);

    /** Static English text for a return code; never NULL. Any thread. */
    const char *(*strerror)(int32_t code);

    /** Truthful feature flags of this method. Request: {} (may be empty).
     *  Sends nothing. */
    pmp_operation_fn capabilities;
    /** Registers a buyer company and starts credit screening. */
    pmp_operation_fn enroll;
    /** Is a buyer approved, how much credit line is left, and (when the
     *  request names an amount) may this cart use the method? */
    pmp_operation_fn payer_status;
    /** Places an order against the buyer's line. Result status
     *  "authorized", "pending_review" or "declined". Idempotent on order_id:
     *  a repeat returns the existing order as it stands now, whatever its
     *  status, with "replayed": true (finishing it if only its first step
     *  had happened); a repeat with another amount or buyer is
     *  PMP_E_CONFLICT. */
    pmp_operation_fn authorize;
    /** Shipping report: fixes the sale, optionally for a lower amount. */
    pmp_operation_fn capture;
    /** Cancels an order before its sale is fixed ("void"). */
    pmp_operation_fn void_order;
    /** Returns all or part of a fixed sale. */
    pmp_operation_fn refund;
    /** Changes an order's amount; an increase may be declined. */
    pmp_operation_fn adjust;
    /** The authoritative state of an order, asked of the gateway. */
    pmp_operation_fn status;

    /** Parses and checks a result notification the host received.
     *  body: the raw request body as received (Windows-31J form data),
     *  headers_json: a JSON object of the request headers, or NULL/0.
     *  Unless configured otherwise, the order is confirmed by inquiry and
     *  the event reports the gateway's state, never the notification's
     *  word alone. The result JSON carries the event, a stable event key
     *  for de-duplication, and the exact body the host must answer with
     *  once the event is stored ("0"). PMP_E_INVALID_REQUEST (another
     *  shop, malformed) and PMP_E_NOT_FOUND (no such order): do not answer
     *  "0". PMP_E_NETWORK: the inquiry failed; answer non-"0" so the
     *  gateway resends. Threading: as the operations. */
    int32_t (*notify)(pmp_ctx *ctx, const char *body, size_t body_len, const char *headers_json,
                      size_t headers_len, pmp_result **out, pmp_error *err);

    /** The result's status word (e.g. "authorized", "declined"), a static
     *  NUL-terminated string; "" for NULL. */
    const char *(*result_status)(const pmp_result *result);
    /** The result's JSON document. Borrowed: valid until result_free. If
     *  len is not NULL it receives the length without the NUL. NULL result
     *  gives "" and 0. */
    const char *(*result_json)(const pmp_result *result, size_t *len);
    /** The gateway's ErrInfo codes behind a decline or warning,
     *  '|'-separated, "" when none. Borrowed: valid until result_free. */
    const char *(*result_gateway_errors)(const pmp_result *result);
    /** Frees a result. NULL is a no-op. */
    void (*result_free)(pmp_result *result);
} pmp_api;

/** Whether a table has member fn (added in some minor version). */
#define PMP_API_HAS(api, fn) \
    ((api)->struct_size >= offsetof(pmp_api, fn) + sizeof((api)->fn))

/** The single exported symbol. Stores the table for ABI major abi_major in
 *  *out and returns 0, or returns PMP_E_ABI_VERSION (and stores NULL) when
 *  this plugin does not serve that major, or PMP_E_INVALID_ARG when out is
 *  NULL. No side effects; any thread; may be called before or without init. */
PMP_EXPORT int32_t pmp_get_api(uint32_t abi_major, const pmp_api **out);

/** The type of pmp_get_api, for dlsym. */
typedef int32_t (*pmp_get_api_fn)(uint32_t abi_major, const pmp_api **out);

#ifdef __cplusplus
}
#endif

#endif /* PMP_H */
