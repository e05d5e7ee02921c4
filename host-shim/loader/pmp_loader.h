/*
 * pmp_loader.h - load a payment-method plugin and create contexts from a
 * configuration file.
 *
 * This is the host side of abi/pmp.h, kept small so that every C host (the
 * pmp-host command, the tests, the benchmarks) loads plugins the same way and
 * checks the same things before it trusts the function table.
 *
 * Two objects, each with one owner:
 *
 *   pmp_loader      one dlopen()ed plugin and its verified pmp_api table.
 *                   Created by pmp_loader_open(), destroyed by
 *                   pmp_loader_close().
 *   pmp_loader_ctx  one initialised plugin context (pmp_ctx) together with
 *                   the pmp_host_services it was given, which the ABI says
 *                   must stay valid until shutdown. Created by
 *                   pmp_loader_ctx_open(), destroyed by
 *                   pmp_loader_ctx_close().
 *
 * Order of destruction: free every pmp_result, then close every
 * pmp_loader_ctx, then close the pmp_loader. Closing the loader unmaps the
 * plugin's code; any table pointer, context or result of it is then invalid.
 *
 * Errors: every function that can fail returns 0 or a negative code and fills
 * a caller-owned pmp_error (which may be NULL). The codes are the PMP_E_*
 * codes of pmp.h, plus the PMP_LOADER_E_* codes below for failures that
 * happen before there is a plugin to ask. pmp_loader_strerror() describes
 * both kinds without needing a loaded plugin. No function keeps a "last
 * error" anywhere else.
 *
 * Threading: pmp_loader_open() and pmp_loader_close() may be called from any
 * thread; dlopen() serialises itself. A pmp_loader must not be closed while
 * another thread still uses it or a context made from it. pmp_loader_api()
 * and pmp_loader_path() are read-only and may be called from any number of
 * threads. pmp_loader_ctx_open() and pmp_loader_ctx_close() of one context
 * must not overlap with any other call on that context (the rule of init
 * and shutdown in pmp.h); operations on pmp_loader_ctx_get() follow pmp.h.
 * The stderr logger is safe to call from several threads at once.
 *
 * Nothing here installs signal handlers, changes libcurl or OpenSSL state,
 * or exits the process.
 */
#ifndef PMP_LOADER_H
#define PMP_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "pmp.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------
 * Loader error codes. They live far below the PMP_E_* range so the two can
 * never collide, and they are never returned by a plugin.
 * ---------------------------------------------------------------------- */

/** dlopen() failed: no such file, not a shared object, missing dependency,
 *  unresolved symbol. The message holds dlerror()'s text. */
#define PMP_LOADER_E_OPEN (-1001)
/** The shared object loaded but does not export pmp_get_api. */
#define PMP_LOADER_E_SYMBOL (-1002)
/** pmp_get_api() returned 0 but the table it gave is unusable: NULL, wrong
 *  abi_major, struct_size too small for version 1, or a NULL entry. The
 *  message names what is wrong. (A plugin that refuses the major itself
 *  gives PMP_E_ABI_VERSION.) */
#define PMP_LOADER_E_TABLE (-1003)
/** The configuration file could not be read (missing, unreadable, a
 *  directory, too large, or contains a NUL byte). */
#define PMP_LOADER_E_CONFIG_FILE (-1004)
/* PMP_LOADER_E_METHODS (-1005) is defined with the methods functions below. */

/** Largest configuration file pmp_loader_ctx_open() reads, in bytes. A plugin
 *  configuration is a few hundred bytes; the cap only stops a wrong path
 *  (a log file, /dev/zero) from eating memory. */
#define PMP_LOADER_CONFIG_MAX (1024u * 1024u)

/** One loaded plugin. Opaque; created by pmp_loader_open(). */
typedef struct pmp_loader pmp_loader;

/** One plugin context plus the host services lent to it. Opaque; created by
 *  pmp_loader_ctx_open(). */
typedef struct pmp_loader_ctx pmp_loader_ctx;

/** Static English text for a PMP_E_* or PMP_LOADER_E_* code; never NULL.
 *  For PMP_E_* codes prefer pmp_api.strerror of the loaded plugin, which
 *  may know codes appended after this host was built. Any thread. */
const char *pmp_loader_strerror(int32_t code);

/** Loads the plugin at path and verifies its function table.
 *
 *  path: a file name as dlopen() takes it. A name without '/' makes dlopen
 *        search the library path, so hosts should pass an absolute or
 *        relative path containing '/'. Borrowed; copied.
 *  out:  receives a new loader owned by the caller, or NULL on failure.
 *  err:  may be NULL; filled on failure.
 *
 *  The object is opened with RTLD_NOW | RTLD_LOCAL: every symbol is bound at
 *  load time, so a broken build fails here and not in the middle of a
 *  payment, and the plugin's symbols cannot interpose on the host's (nor on
 *  another plugin's). pmp_get_api(PMP_ABI_MAJOR) is called once; the table is
 *  accepted only if it is non-NULL, has abi_major == PMP_ABI_MAJOR, a
 *  struct_size that covers every version-1 member, and no NULL version-1
 *  member (function pointers and the two name strings).
 *
 *  Returns 0, PMP_E_INVALID_ARG (path or out NULL, empty path),
 *  PMP_E_NOMEM, PMP_LOADER_E_OPEN, PMP_LOADER_E_SYMBOL, PMP_E_ABI_VERSION
 *  (the plugin does not serve major 1; its own code is passed on) or
 *  PMP_LOADER_E_TABLE. On failure nothing stays loaded. */
int32_t pmp_loader_open(const char *path, pmp_loader **out, pmp_error *err);

/** Unloads the plugin (dlclose) and frees the loader. NULL is a no-op. Every
 *  context and result of this plugin must be gone before. */
void pmp_loader_close(pmp_loader *loader);

/** The verified function table. Borrowed: valid until pmp_loader_close().
 *  NULL for a NULL loader. */
const pmp_api *pmp_loader_api(const pmp_loader *loader);

/** The path the loader was opened with. Borrowed: valid until
 *  pmp_loader_close(). "" for a NULL loader. */
const char *pmp_loader_path(const pmp_loader *loader);

/** Options of pmp_loader_ctx_open(). Zero-initialise, then set what you need;
 *  struct_size is set by the caller like every struct in pmp.h. */
typedef struct pmp_loader_ctx_options {
    uint32_t struct_size; /**< sizeof(pmp_loader_ctx_options) */
    /** Lowest PMP_LOG_* level written to stderr as "[level] msg" lines;
     *  0 gives the plugin no logger at all (it then formats nothing). */
    int32_t log_level;
    /* -- appended; read only when struct_size covers them -------------- */
    /** When not NULL, lines at or above log_level go to this function
     *  instead of stderr, with log_user_data as first argument. It follows
     *  the rules of pmp_host_services.log: called only on a thread inside a
     *  plugin call on the context (or inside pmp_loader_ctx_open), possibly
     *  from several threads at once; msg is not NUL-terminated and is
     *  borrowed for the call. Must stay valid until the context is closed. */
    void (*log)(void *log_user_data, int32_t level, const char *msg, size_t len);
    void *log_user_data;
} pmp_loader_ctx_options;

/** Reads the YAML configuration file config_path and initialises a context
 *  of the plugin with it.
 *
 *  The file is read whole (at most PMP_LOADER_CONFIG_MAX bytes) and passed
 *  as pmp_init_args.config with config_origin = config_path, so the
 *  plugin's error messages name the file and line. The file text is not
 *  kept after init: it holds the shop password.
 *
 *  loader:      an open loader. Borrowed; must outlive the context.
 *  config_path: the file to read. Borrowed.
 *  options:     may be NULL (no logging).
 *  out:         receives a new context owned by the caller, NULL on failure.
 *  err:         may be NULL; filled on failure.
 *
 *  Returns 0, PMP_E_INVALID_ARG, PMP_E_NOMEM, PMP_LOADER_E_CONFIG_FILE, or
 *  whatever the plugin's init returns (PMP_E_CONFIG, PMP_E_TLS, ...). */
int32_t pmp_loader_ctx_open(const pmp_loader *loader, const char *config_path,
                            const pmp_loader_ctx_options *options, pmp_loader_ctx **out,
                            pmp_error *err);

/** Like pmp_loader_ctx_open() but from configuration text already in memory.
 *  config is borrowed for the call only; origin (may be NULL) names it in
 *  error messages. */
int32_t pmp_loader_ctx_open_text(const pmp_loader *loader, const char *config, size_t config_len,
                                 const char *origin, const pmp_loader_ctx_options *options,
                                 pmp_loader_ctx **out, pmp_error *err);

/** Shuts the plugin context down and frees everything the loader_ctx owns.
 *  NULL is a no-op. Results made from the context must be freed before. */
void pmp_loader_ctx_close(pmp_loader_ctx *lctx);

/** The plugin context, to pass to the operations of pmp_loader_api().
 *  Borrowed: valid until pmp_loader_ctx_close(). NULL for NULL. */
pmp_ctx *pmp_loader_ctx_get(const pmp_loader_ctx *lctx);

/** Parses a log level name: "error", "warn" (or "warning"), "info", "debug",
 *  and "off" (0). Returns the PMP_LOG_* value or 0 for "off", -1 when the
 *  name is unknown or NULL. */
int32_t pmp_loader_log_level_parse(const char *name);

/** The name of a PMP_LOG_* level ("error", "warn", "info", "debug"), or
 *  "off" for 0 and "?" for anything else. Static string. */
const char *pmp_loader_log_level_name(int32_t level);

/* ------------------------------------------------------------------------
 * Methods as configuration
 *
 * A merchant's methods file lists the payment methods a store offers, each
 * a plugin plus that plugin's own configuration file:
 *
 *   methods:
 *     - name: paid                          # key the store code uses
 *       label: "Paid (invoice, month-end)"  # what the buyer sees
 *       plugin: /usr/lib/x86_64-linux-gnu/libpmp_paid.so.1
 *       config: /etc/shop/paid.yaml
 *       enabled: true                       # optional, default true
 *
 * Rules (the whole language; anything else is an error naming file, line
 * and key, e.g. "methods.yaml:7: methods[1].label: missing"):
 *
 *  - The top level is a mapping with the single key "methods", whose value
 *    is a sequence (it may be empty: "methods: []").
 *  - Each entry is a mapping with exactly the keys name, label, plugin,
 *    config and, optionally, enabled. Values are scalars.
 *  - name: 1 to 32 characters of [a-z0-9_-], starting with a letter or a
 *    digit, unique in the file (also among disabled entries).
 *  - label: 1 to 200 bytes of UTF-8, no control characters.
 *  - plugin: a path as dlopen() takes it. A relative path containing '/'
 *    is taken relative to the methods file's directory; a bare file name
 *    (no '/') is left to dlopen()'s library search.
 *  - config: the plugin's configuration file; a relative path is taken
 *    relative to the methods file's directory.
 *  - enabled: true or false. A disabled entry is checked but not loaded and
 *    does not appear in the list.
 *
 * Several entries may name the same plugin (each gets its own context, for
 * example one per shop ID); dlopen() shares the loaded object.
 * ---------------------------------------------------------------------- */

/** The methods file could not be read, is not valid YAML, or does not follow
 *  the rules above. The message names the file, line and key. */
#define PMP_LOADER_E_METHODS (-1005)

/** Largest number of entries in a methods file. */
#define PMP_METHODS_MAX 64

/** A loaded list of payment methods. Opaque; created by pmp_methods_open(). */
typedef struct pmp_methods pmp_methods;

/** One enabled, loaded method. Filled by the loader; every pointer is
 *  borrowed and valid until pmp_methods_close(). */
typedef struct pmp_method_info {
    uint32_t struct_size; /**< sizeof(pmp_method_info) as the loader knows it */
    uint32_t reserved;    /**< 0 */
    const char *name;     /**< the entry's name, e.g. "paid" */
    const char *label;    /**< the entry's label, UTF-8 */
    const char *plugin_path; /**< the plugin path as resolved */
    const char *config_path; /**< the configuration path as resolved */
    const pmp_api *api;   /**< the plugin's verified table */
    pmp_ctx *ctx;         /**< the method's context, for the operations */
    /** The result JSON of capabilities({}), asked once at open. NUL-terminated. */
    const char *capabilities_json;
    size_t capabilities_len;
    /** From the capabilities result: the PMP_CAP_* "flags" member. */
    uint32_t capability_flags;
    /** 1 when the method screens buyers (payer_enrollment), so that its
     *  eligibility for a cart is asked with payer_status; else 0. */
    int32_t payer_enrollment;
    /** From the capabilities result: the smallest and largest amount one
     *  order may have, or -1 when the plugin does not say. */
    int64_t amount_min;
    int64_t amount_max;
} pmp_method_info;

/** Reads the methods file at path, then loads every enabled method: opens its
 *  plugin (pmp_loader_open), creates its context from its configuration file
 *  (pmp_loader_ctx_open with options) and asks its capabilities.
 *
 *  All or nothing: when one enabled method cannot be loaded, everything is
 *  released and the error of that method is returned, its message prefixed
 *  with the file, line and name of the entry, e.g.
 *  "methods.yaml:3: paid: config.yaml:9: shop.id: missing". A store should
 *  notice a broken method at start-up, not hide it.
 *
 *  options: may be NULL (no logging); applies to every method.
 *  Returns 0, PMP_E_INVALID_ARG, PMP_E_NOMEM, PMP_LOADER_E_METHODS, or
 *  whatever pmp_loader_open(), pmp_loader_ctx_open() or the capabilities
 *  operation of a method return. */
int32_t pmp_methods_open(const char *path, const pmp_loader_ctx_options *options,
                         pmp_methods **out, pmp_error *err);

/** Shuts down every context, unloads the plugins and frees the list. NULL is
 *  a no-op. Every result made from its methods must be freed before. Must
 *  not overlap with any other call on the list or its methods. */
void pmp_methods_close(pmp_methods *methods);

/** Number of enabled methods, in file order. 0 for NULL. */
size_t pmp_methods_count(const pmp_methods *methods);

/** The method at index (file order among enabled entries), or NULL when
 *  index is out of range or methods is NULL. */
const pmp_method_info *pmp_methods_at(const pmp_methods *methods, size_t index);

/** The enabled method named name, or NULL. */
const pmp_method_info *pmp_methods_find(const pmp_methods *methods, const char *name);

/** What the store knows about the cart at checkout. */
typedef struct pmp_cart {
    uint32_t struct_size; /**< sizeof(pmp_cart) */
    uint32_t reserved;    /**< 0 */
    /** The buyer's ID at the methods that screen buyers, or NULL/"" when
     *  the buyer is not known (a guest). NUL-terminated UTF-8. */
    const char *buyer_id;
    int64_t amount; /**< cart total in JPY, without tax */
    int64_t tax;    /**< tax and shipping in JPY (0 when none) */
} pmp_cart;

/** Whether one method may be offered for a cart, and why not. */
typedef struct pmp_method_offer {
    uint32_t struct_size;           /**< set by the caller */
    int32_t eligible;               /**< 1: offer the method; 0: hide it */
    const pmp_method_info *method;  /**< the method asked about */
    /** A static word saying why:
     *   "ok"                    eligible
     *   "amount_out_of_range"   amount or tax outside the method's limits
     *   "no_buyer"              the method screens buyers and the cart has none
     *   "buyer_not_enrolled"    payer_status: the buyer does not exist there
     *   "buyer_screening", "buyer_rejected", "buyer_suspended",
     *   "buyer_unknown"         payer_status: the buyer is not approved
     *                           (status screening, rejected, suspended, other)
     *   "credit_line_exceeded"  approved, but amount + tax exceeds the line
     *   "unavailable"           payer_status failed (code says how); hidden
     *                           because eligibility could not be confirmed */
    const char *reason;
    /** PMP_OK, or the code payer_status returned when reason is
     *  "buyer_not_enrolled" or "unavailable". */
    int32_t code;
    int32_t reserved; /**< 0 */
    /** The buyer's remaining credit line in JPY when payer_status reported
     *  it, else -1. */
    int64_t rest_amount;
} pmp_method_offer;

/** Decides whether the method at index may be offered for cart. Methods
 *  that do not screen buyers are eligible when the amounts are within their
 *  limits; methods that do are asked payer_status with the buyer and the
 *  cart's amounts (one gateway round trip) and are eligible only when the
 *  plugin says "eligible": true.
 *
 *  Returns 0 whenever it could decide, including when payer_status failed
 *  (the method is then hidden, offer->code holds the code and err, when not
 *  NULL, the details). Returns PMP_E_INVALID_ARG for a NULL or too small
 *  cart or offer, an index out of range, or a negative amount or tax.
 *  May run concurrently with operations and with other checks. */
int32_t pmp_methods_check(const pmp_methods *methods, size_t index, const pmp_cart *cart,
                          pmp_method_offer *offer, pmp_error *err);

#ifdef __cplusplus
}
#endif

#endif /* PMP_LOADER_H */
