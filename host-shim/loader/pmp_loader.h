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

#ifdef __cplusplus
}
#endif

#endif /* PMP_LOADER_H */
