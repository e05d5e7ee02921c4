/*
 * sandbox_admin.h - the sandbox's admin API over HTTPS: the request log the
 * demo shows, the records the benchmarks check. Internal to pmp-host and
 * pmp-bench.
 */
#ifndef PMP_HOST_SANDBOX_ADMIN_H
#define PMP_HOST_SANDBOX_ADMIN_H

#include <json-c/json.h>
#include <stddef.h>

typedef struct host_admin host_admin;

/* Prepares a client for the admin endpoints of the sandbox whose protocol
 * base is base_url (".../payment/"): the admin root is its parent. TLS is
 * verified against ca_file only (NULL: the system's CAs). The caller must
 * have called
 * curl_global_init(). Returns 0, or -1 with msg set. */
int host_admin_open(const char *base_url, const char *ca_file, host_admin **out, char *msg,
                    size_t msg_size);

/* GET <admin root>/_sandbox/requests?since=<since> and parse the JSON answer.
 * *out receives a json_object the caller releases with json_object_put().
 * Returns 0, or -1 with msg set. */
int host_admin_requests(host_admin *admin, long long since, json_object **out, char *msg,
                        size_t msg_size);

/* method ("GET", "POST" with an empty body, or "DELETE") <admin root>/<path>, e.g.
 * "_sandbox/transactions", and parse the JSON answer (HTTP 200 only) into
 * *out, which the caller releases. Returns 0, or -1 with msg set (for
 * another HTTP status: with the sandbox's "error" text). */
int host_admin_call(host_admin *admin, const char *method, const char *path, json_object **out,
                    char *msg, size_t msg_size);

/* NULL is a no-op. */
void host_admin_close(host_admin *admin);

#endif /* PMP_HOST_SANDBOX_ADMIN_H */
