/* The "old host": a host compiled against the frozen first v1 header
 * (abi/v1.0/pmp.h, and nothing else of this project) loads the current
 * plugin and runs an order against the sandbox. It proves that a host built
 * for ABI 1.0 keeps working with every later 1.x plugin: same symbol, same
 * table prefix, same structs, same codes, same JSON it relies on.
 *
 *   old_host --plugin libpmp_paid.so --sandbox paid-sandbox
 *
 * Self-contained on purpose (its own sandbox start, dlopen, checks): any
 * helper shared with the rest of the tests would be compiled against the
 * current header. */
#include <dlfcn.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pmp.h" /* abi/v1.0/pmp.h */

#if PMP_ABI_MAJOR != 1 || PMP_ABI_MINOR != 0
#error "old_host must be built against the frozen v1.0 header (abi/v1.0)"
#endif

static int g_passed, g_failed;

static int check(int cond, const char *what)
{
    if (cond) {
        g_passed++;
    } else {
        g_failed++;
        fprintf(stderr, "check failed: %s\n", what);
    }
    return cond;
}

/* ------------------------------------------------------------ sandbox */

static pid_t g_sandbox = -1;
static char g_dir[256], g_url[256], g_ca[512];

static int read_ready(const char *path)
{
    char line[600];
    FILE *f = fopen(path, "r");
    int ready = 0;

    if (!f)
        return 0;
    while (fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!strncmp(line, "PAID_SANDBOX_URL=", 17))
            snprintf(g_url, sizeof(g_url), "%.200s", line + 17);
        else if (!strncmp(line, "PAID_SANDBOX_CA=", 16))
            snprintf(g_ca, sizeof(g_ca), "%.500s", line + 16);
        else if (!strcmp(line, "PAID_SANDBOX_READY=1"))
            ready = 1;
    }
    fclose(f);
    return ready && g_url[0] && g_ca[0];
}

static int start_sandbox(const char *exe)
{
    char ready[300], state[300], log[300];
    int i;

    snprintf(g_dir, sizeof(g_dir), "%s/pmp-oldhost-XXXXXX",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(g_dir))
        return -1;
    snprintf(ready, sizeof(ready), "%s/ready", g_dir);
    snprintf(state, sizeof(state), "%s/state", g_dir);
    snprintf(log, sizeof(log), "%s/sandbox.log", g_dir);
    fflush(NULL);
    g_sandbox = fork();
    if (g_sandbox < 0)
        return -1;
    if (g_sandbox == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);

        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execl(exe, exe, "--port", "0", "--state-dir", state, "--db", ":memory:", "--ready-file",
              ready, "--quiet", (char *)NULL);
        _exit(127);
    }
    for (i = 0; i < 600; i++) {
        struct timespec ts = {0, 50 * 1000000L};

        if (read_ready(ready))
            return 0;
        if (waitpid(g_sandbox, NULL, WNOHANG) == g_sandbox) {
            g_sandbox = -1;
            fprintf(stderr, "sandbox exited early; see %s\n", log);
            return -1;
        }
        nanosleep(&ts, NULL);
    }
    return -1;
}

static void stop_sandbox(void)
{
    char cmd[300];

    if (g_sandbox > 0) {
        kill(g_sandbox, SIGTERM);
        waitpid(g_sandbox, NULL, 0);
    }
    if (g_dir[0]) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", g_dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", g_dir);
    }
}

/* ------------------------------------------------------------ the host */

static const pmp_api *g_api;

/* Runs one operation; on success returns the status word (copied into
 * status) and whether the JSON contains want (NULL: anything). */
static int run(pmp_operation_fn fn, pmp_ctx *ctx, const char *name, const char *req,
               const char *want_status, const char *want_json)
{
    pmp_result *res = NULL;
    pmp_error err;
    int32_t rc;
    size_t len = 0;
    const char *json;
    int ok;

    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    rc = fn(ctx, req, strlen(req), &res, &err);
    if (rc != PMP_OK) {
        fprintf(stderr, "%s: %d (%s) %s\n", name, rc, g_api->strerror(rc), err.message);
        return check(0, name);
    }
    json = g_api->result_json(res, &len);
    ok = check(json && strlen(json) == len, "result_json length");
    ok &= check(!strcmp(g_api->result_status(res), want_status), name);
    if (want_json)
        ok &= check(strstr(json, want_json) != NULL, name);
    ok &= check(g_api->result_gateway_errors(res) != NULL, "result_gateway_errors");
    if (!ok)
        fprintf(stderr, "%s: status %s, json %s\n", name, g_api->result_status(res), json);
    g_api->result_free(res);
    return ok;
}

int main(int argc, char **argv)
{
    const char *plugin = NULL, *sandbox = NULL;
    char yaml[2048], req[1024], buyer[40], order[40];
    pmp_get_api_fn get;
    pmp_init_args args;
    pmp_ctx *ctx = NULL;
    pmp_error err;
    void *handle, *sym;
    int i;

    for (i = 1; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--plugin"))
            plugin = argv[i + 1];
        else if (!strcmp(argv[i], "--sandbox"))
            sandbox = argv[i + 1];
    }
    if (!plugin || !sandbox) {
        fprintf(stderr, "usage: %s --plugin PATH --sandbox PATH\n", argv[0]);
        return 2;
    }
    handle = dlopen(plugin, RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    sym = dlsym(handle, "pmp_get_api");
    memcpy(&get, &sym, sizeof(get));
    if (!check(sym != NULL, "pmp_get_api exported") ||
        !check(get(PMP_ABI_MAJOR, &g_api) == PMP_OK && g_api, "v1 table served"))
        return 1;
    /* What a 1.0 host may rely on without PMP_API_HAS. */
    check(g_api->abi_major == 1, "abi_major 1");
    check(g_api->struct_size >= sizeof(pmp_api), "table covers every 1.0 member");
    check(PMP_API_HAS(g_api, result_free), "PMP_API_HAS(result_free)");
    check(g_api->init && g_api->shutdown && g_api->strerror && g_api->capabilities &&
              g_api->enroll && g_api->payer_status && g_api->authorize && g_api->capture &&
              g_api->void_order && g_api->refund && g_api->adjust && g_api->status &&
              g_api->notify && g_api->result_status && g_api->result_json &&
              g_api->result_gateway_errors && g_api->result_free,
          "no 1.0 member is NULL");
    check(get(PMP_ABI_MAJOR + 1, &g_api) == PMP_E_ABI_VERSION, "another major refused");
    get(PMP_ABI_MAJOR, &g_api);
    check(!strcmp(g_api->strerror(PMP_E_OUTCOME_UNKNOWN), g_api->strerror(-5)), "codes fixed");

    if (start_sandbox(sandbox) != 0) {
        fprintf(stderr, "sandbox did not start\n");
        stop_sandbox();
        return 99;
    }
    snprintf(yaml, sizeof(yaml),
             "gateway:\n  base_url: %s\n  ca_file: %s\n  timeout_ms: 20000\n"
             "shop:\n  id: tshop00000001\n  password: sbxpass01\n",
             g_url, g_ca);
    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.config = yaml;
    args.config_len = strlen(yaml);
    args.config_origin = "old-host.yaml";
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    if (!check(g_api->init(&args, &ctx, &err) == PMP_OK, "init")) {
        fprintf(stderr, "init: %s\n", err.message);
        stop_sandbox();
        return 1;
    }

    snprintf(buyer, sizeof(buyer), "OLD%d", (int)getpid() % 100000);
    snprintf(order, sizeof(order), "OLD%d-1", (int)getpid() % 100000);
    run(g_api->capabilities, ctx, "capabilities", "{}", "ok", "\"abi_major\":1");
    snprintf(req, sizeof(req),
             "{\"buyer_id\":\"%s\",\"company_name\":\"株式会社テスト商事\","
             "\"company_name_kana\":\"カブシキガイシャテストショウジ\",\"zip_code\":\"150-0002\","
             "\"prefecture\":\"東京都\",\"address1\":\"渋谷区渋谷\",\"address2\":\"1-2-3\","
             "\"tel\":\"03-1234-5678\",\"email\":\"oldhost@example.jp\"}",
             buyer);
    run(g_api->enroll, ctx, "enroll", req, "approved", NULL);
    snprintf(req, sizeof(req), "{\"buyer_id\":\"%s\",\"amount\":10800}", buyer);
    run(g_api->payer_status, ctx, "payer_status", req, "approved", "\"eligible\":true");
    snprintf(req, sizeof(req),
             "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":10000,\"tax\":800}", order,
             buyer);
    run(g_api->authorize, ctx, "authorize", req, "authorized", "\"replayed\":false");
    run(g_api->authorize, ctx, "authorize again", req, "authorized", "\"replayed\":true");
    snprintf(req, sizeof(req), "{\"order_id\":\"%s\"}", order);
    run(g_api->status, ctx, "status", req, "authorized", "\"amount\":10000");
    run(g_api->capture, ctx, "capture", req, "captured", NULL);
    run(g_api->status, ctx, "status after capture", req, "captured", NULL);

    /* An error through the 1.0 pmp_error. */
    {
        pmp_result *res = (pmp_result *)&res;

        memset(&err, 0, sizeof(err));
        err.struct_size = sizeof(err);
        check(g_api->status(ctx, "{}", 2, &res, &err) == PMP_E_INVALID_REQUEST && !res &&
                  err.code == PMP_E_INVALID_REQUEST && strstr(err.message, "order_id"),
              "invalid request through the 1.0 error struct");
    }

    g_api->shutdown(ctx);
    dlclose(handle);
    stop_sandbox();
    printf("old host (ABI 1.0 header) against plugin %s: %d passed, %d failed\n", plugin, g_passed,
           g_failed);
    return g_failed ? 1 : 0;
}
