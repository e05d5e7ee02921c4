/* rob.h - what the robustness tests share: a sandbox process of their own,
 * the plugin loaded by dlopen() exactly as a host loads it, contexts on a
 * configuration that points at the sandbox, and a tiny check/report layer
 * that is safe to use from several threads (CUnit is not).
 *
 * Deliberately independent of tests/integration and of host-shim/loader:
 * these programs load and unload the plugin themselves, count what it
 * allocates, and run under ThreadSanitizer, and each fixture detail here is
 * part of what they measure. */
#ifndef ROB_H
#define ROB_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "pmp.h"
#include "tsbx.h"

/* -------------------------------------------------------------- checks */

/** Counts a check; prints file:line and the expression when it fails.
 *  Thread-safe. Returns whether cond held. */
int rob_check(int cond, const char *expr, const char *file, int line);
#define ROB_CHECK(cond) rob_check(!!(cond), #cond, __FILE__, __LINE__)
/** Prints a formatted note on a failed check's behalf, then counts it. */
int rob_checkf(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define ROB_CHECKF(cond, ...) rob_checkf(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/** Prints "N passed, M failed" and returns the exit status (0 or 1). */
int rob_report(const char *name);

/* ------------------------------------------------------------- sandbox */

/* ROB_KEEP=1 keeps the sandbox's directory (logs) */
typedef tsbx rob_sandbox;

/** Starts exe on a free loopback port with a fresh state directory and an
 *  in-memory database; extra is a NULL-terminated list of further options
 *  (e.g. "--cert-mode", "expired") or NULL. Returns 0 when it is ready. */
int rob_sandbox_start(rob_sandbox *sb, const char *exe, const char *const *extra);
/** Stops the sandbox (SIGTERM, wait) and removes its directory. */
void rob_sandbox_stop(rob_sandbox *sb);
/** GETs (post=0) or POSTs an admin path (e.g. "requests?since=0"); the body
 *  (malloc'd, NUL-terminated) or NULL. TLS is verified against the
 *  sandbox's CA unless verify is 0, which only the TLS test uses, to read
 *  the request log of a sandbox whose certificate is broken on purpose. */
char *rob_admin(const rob_sandbox *sb, const char *path, int post, int verify);
/** The sandbox's last request sequence number (its request log), or -1. */
long rob_last_seq(const rob_sandbox *sb, int verify);

/* -------------------------------------------------------------- plugin */

typedef struct rob_plugin {
    void *handle;
    const pmp_api *api;
} rob_plugin;

/** dlopen(RTLD_NOW | RTLD_LOCAL), dlsym("pmp_get_api"), table for
 *  PMP_ABI_MAJOR. Returns 0, or -1 with a message on stderr. */
int rob_plugin_open(rob_plugin *p, const char *path);
/** dlclose; the table and everything from it are gone afterwards. */
void rob_plugin_close(rob_plugin *p);

/** The YAML configuration for a context on sb (shop tshop00000001, its CA
 *  file, 20 s timeout) with extra appended. */
void rob_config(const rob_sandbox *sb, const char *extra, char *buf, size_t size);
/** init with yaml and host (which may be NULL); err is set up here. */
int32_t rob_ctx_open(const pmp_api *api, const char *yaml, const pmp_host_services *host,
                     pmp_ctx **out, pmp_error *err);
/** Runs operation op ("authorize", ...) of api; err is set up here. */
int32_t rob_call(const pmp_api *api, pmp_ctx *ctx, const char *op, const char *request,
                 pmp_result **out, pmp_error *err);
/** A run-unique identifier: prefix, pid, a counter. Thread-safe. */
void rob_id(const char *prefix, char *buf, size_t size);
/** The enroll request JSON for an approved buyer. */
void rob_enroll_request(const char *buyer_id, char *buf, size_t size);

/** Open file descriptors of this process (entries of /proc/self/fd). */
int rob_count_fds(void);
/** Resident set size of this process in KiB (VmRSS), or -1. */
long rob_rss_kib(void);

#endif
