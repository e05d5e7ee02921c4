/* Load, use, unload: 100 times in one process, as a long-running host that
 * reloads its plugins does (PHP-FPM workers, a host upgrading a plugin in
 * place). Each cycle: dlopen, pmp_get_api, init, one call against the
 * sandbox (status of an existing order), shutdown, dlclose.
 *
 *   rob_reload --plugin libpmp_paid.so --sandbox paid-sandbox [--cycles N]
 *
 * Checks: every cycle's call answers correctly; after dlclose the plugin is
 * no longer mapped (it can really be unloaded); open file descriptors after
 * cycle 100 equal those after cycle 10 (no socket, pipe or file kept per
 * load); resident memory grows by at most ROB_RSS_TOLERANCE_KIB between
 * cycle 10 and cycle 100 (the first cycles warm up libcurl, OpenSSL and the
 * C library, which keep caches for the process). Under AddressSanitizer the
 * RSS comparison is skipped (its quarantine holds freed memory on purpose;
 * LeakSanitizer checks leaks there instead). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rob.h"

#if defined(__SANITIZE_ADDRESS__)
#define ROB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ROB_ASAN 1
#endif
#endif

/* 100 cycles that each leaked one easy handle, one connection's buffers or
 * one configuration would grow far beyond this. */
#define ROB_RSS_TOLERANCE_KIB 1024

static int plugin_mapped(const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    char line[1024], stem[256];
    FILE *f = fopen("/proc/self/maps", "r");
    int found = 0;

    /* libpmp_paid.so.0.1.0 -> libpmp_paid.so: any file of the plugin. */
    snprintf(stem, sizeof(stem), "%s", base);
    if (strstr(stem, ".so"))
        strstr(stem, ".so")[3] = '\0';
    if (!f)
        return -1;
    while (!found && fgets(line, sizeof(line), f))
        found = strstr(line, stem) != NULL;
    fclose(f);
    return found;
}

static int one_cycle(const char *plugin, const char *yaml, const char *order, int cycle)
{
    rob_plugin p;
    pmp_ctx *ctx = NULL;
    pmp_result *res = NULL;
    pmp_error err;
    char req[128];
    int32_t rc;
    int ok;

    if (!ROB_CHECKF(rob_plugin_open(&p, plugin) == 0, "cycle %d: load failed", cycle))
        return -1;
    ok = ROB_CHECKF(rob_ctx_open(p.api, yaml, NULL, &ctx, &err) == PMP_OK, "cycle %d: init: %s",
                    cycle, err.message);
    if (ok) {
        snprintf(req, sizeof(req), "{\"order_id\":\"%s\"}", order);
        rc = rob_call(p.api, ctx, "status", req, &res, &err);
        ok = ROB_CHECKF(rc == PMP_OK && !strcmp(p.api->result_status(res), "authorized"),
                        "cycle %d: status: %d %s", cycle, rc, err.message);
        p.api->result_free(res);
        p.api->shutdown(ctx);
    }
    rob_plugin_close(&p);
    return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
    const char *plugin = NULL, *sandbox = NULL;
    char yaml[2048], buyer[40], order[40], req[1024];
    int i, rc, cycles = 100, fds10 = -1, fds_end = -1;
    long rss10 = -1, rss_end = -1;
    rob_sandbox sb;
    rob_plugin p;
    pmp_ctx *ctx = NULL;
    pmp_result *res = NULL;
    pmp_error err;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--plugin"))
            plugin = argv[i + 1];
        else if (!strcmp(argv[i], "--sandbox"))
            sandbox = argv[i + 1];
        else if (!strcmp(argv[i], "--cycles"))
            cycles = atoi(argv[i + 1]);
    }
    if (!plugin || !sandbox || cycles < 20) {
        fprintf(stderr, "usage: %s --plugin PATH --sandbox PATH [--cycles N>=20]\n", argv[0]);
        return 2;
    }
    if (rob_sandbox_start(&sb, sandbox, NULL) != 0)
        return 99;
    rob_config(&sb, NULL, yaml, sizeof(yaml));

    /* An order to ask about, made by a load of its own. */
    rob_id("BRL", buyer, sizeof(buyer));
    rob_id("RL", order, sizeof(order));
    if (rob_plugin_open(&p, plugin) != 0 || rob_ctx_open(p.api, yaml, NULL, &ctx, &err) != 0) {
        rob_sandbox_stop(&sb);
        return 99;
    }
    rob_enroll_request(buyer, req, sizeof(req));
    rc = rob_call(p.api, ctx, "enroll", req, &res, &err);
    p.api->result_free(res);
    snprintf(req, sizeof(req), "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":1000}", order,
             buyer);
    if (rc == PMP_OK)
        rc = rob_call(p.api, ctx, "authorize", req, &res, &err);
    p.api->result_free(res);
    p.api->shutdown(ctx);
    rob_plugin_close(&p);
    if (rc != PMP_OK) {
        fprintf(stderr, "set-up: %s\n", err.message);
        rob_sandbox_stop(&sb);
        return 99;
    }

    for (i = 1; i <= cycles; i++) {
        if (one_cycle(plugin, yaml, order, i) != 0)
            break;
        ROB_CHECKF(plugin_mapped(plugin) == 0, "cycle %d: still mapped after dlclose", i);
        if (i == 10) {
            fds10 = rob_count_fds();
            rss10 = rob_rss_kib();
        }
    }
    fds_end = rob_count_fds();
    rss_end = rob_rss_kib();
    printf("after cycle 10: %d fds, %ld KiB RSS; after cycle %d: %d fds, %ld KiB RSS "
           "(%+ld KiB)\n",
           fds10, rss10, cycles, fds_end, rss_end, rss_end - rss10);
    ROB_CHECKF(fds_end == fds10, "open fds grew from %d to %d", fds10, fds_end);
#ifdef ROB_ASAN
    printf("RSS comparison skipped under AddressSanitizer\n");
#else
    ROB_CHECKF(rss10 > 0 && rss_end - rss10 <= ROB_RSS_TOLERANCE_KIB,
               "RSS grew by %ld KiB (tolerance %d KiB)", rss_end - rss10, ROB_RSS_TOLERANCE_KIB);
#endif
    rc = rob_report("reload");
    rob_sandbox_stop(&sb);
    return rc;
}
