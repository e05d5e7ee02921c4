/* TLS: the plugin talks only to a gateway whose certificate verifies, and
 * nothing in the configuration can make it do otherwise.
 *
 *   rob_tls --plugin libpmp_paid.so --sandbox paid-sandbox
 *
 * Sandboxes: a normal one, one with an expired server certificate and one
 * whose certificate names another host (--cert-mode), and one that speaks
 * plain HTTP. For each refusal the test checks the return code
 * (PMP_E_TLS, not retryable, also for authorize, which must not turn a
 * failed handshake into "outcome unknown"), a message that says what was
 * wrong, and the sandbox's own request log: nothing arrived.
 *
 * Cases:
 *  - unknown CA: the system CA store, and another sandbox's CA file;
 *  - expired certificate; certificate for another host name;
 *  - https:// to a server that does not speak TLS;
 *  - a CA file that cannot be read: PMP_E_TLS at init;
 *  - http:// to the production and test gateways, and to names that only
 *    look like loopback: PMP_E_CONFIG at init, naming gateway.base_url;
 *  - keys that might switch verification off (verify: false, insecure:
 *    true, ...), anywhere: PMP_E_CONFIG "unknown key".
 * A control with the right CA shows that a request which does arrive is
 * counted in the request log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rob.h"

static rob_plugin g_plugin;
static rob_sandbox g_ok, g_expired, g_wrong_host, g_plain;

static const char *const g_ops[][2] = {
    {"status", "{\"order_id\":\"TLS-ORDER-1\"}"},
    {"payer_status", "{\"buyer_id\":\"TLS-BUYER-1\"}"},
    {"authorize", "{\"order_id\":\"TLS-ORDER-2\",\"buyer_id\":\"TLS-BUYER-1\",\"amount\":1000}"},
};

/* Every operation in g_ops is refused with PMP_E_TLS, names the cause
 * (one of the words in why, '|'-separated), and sends nothing to sb. */
static void expect_refused(const char *what, const rob_sandbox *sb, const char *yaml,
                           const char *why)
{
    pmp_ctx *ctx = NULL;
    pmp_error err;
    long before, after;
    size_t i;

    if (!ROB_CHECKF(rob_ctx_open(g_plugin.api, yaml, NULL, &ctx, &err) == PMP_OK, "%s: init: %s",
                    what, err.message))
        return;
    before = rob_last_seq(sb, 0);
    ROB_CHECKF(before >= 0, "%s: the sandbox's request log is not readable", what);
    for (i = 0; i < sizeof(g_ops) / sizeof(g_ops[0]); i++) {
        pmp_result *res = NULL;
        int32_t rc = rob_call(g_plugin.api, ctx, g_ops[i][0], g_ops[i][1], &res, &err);
        char words[128], *w, *save = NULL;
        int named = 0;

        ROB_CHECKF(rc == PMP_E_TLS, "%s: %s returned %d (%s), expected PMP_E_TLS", what,
                   g_ops[i][0], rc, err.message);
        ROB_CHECK(res == NULL);
        ROB_CHECK(err.code == rc && err.retryable == 0);
        snprintf(words, sizeof(words), "%s", why);
        for (w = strtok_r(words, "|", &save); w; w = strtok_r(NULL, "|", &save))
            named |= strstr(err.message, w) != NULL;
        ROB_CHECKF(named && strstr(err.message, "TLS"), "%s: %s: unclear message: %s", what,
                   g_ops[i][0], err.message);
        if (getenv("ROB_VERBOSE"))
            printf("  %s, %s: %s\n", what, g_ops[i][0], err.message);
        g_plugin.api->result_free(res);
    }
    after = rob_last_seq(sb, 0);
    ROB_CHECKF(after == before, "%s: the sandbox logged %ld request(s)", what, after - before);
    g_plugin.api->shutdown(ctx);
    printf("refused, nothing sent: %s\n", what);
}

/* With the right CA a request arrives and shows in the log: the log check
 * above can see a request that was sent. */
static void control_request_is_logged(void)
{
    char yaml[2048];
    pmp_ctx *ctx = NULL;
    pmp_result *res = NULL;
    pmp_error err;
    long before;
    int32_t rc;

    rob_config(&g_ok, NULL, yaml, sizeof(yaml));
    if (!ROB_CHECK(rob_ctx_open(g_plugin.api, yaml, NULL, &ctx, &err) == PMP_OK))
        return;
    before = rob_last_seq(&g_ok, 1);
    rc = rob_call(g_plugin.api, ctx, "status", "{\"order_id\":\"TLS-CONTROL-1\"}", &res, &err);
    ROB_CHECKF(rc == PMP_E_NOT_FOUND, "control: status returned %d: %s", rc, err.message);
    ROB_CHECKF(rob_last_seq(&g_ok, 1) > before, "control: the request log did not grow");
    g_plugin.api->result_free(res);
    g_plugin.api->shutdown(ctx);
    printf("control: a verified request arrives and is logged\n");
}

static void unknown_ca(void)
{
    char yaml[2048];

    /* The sandbox's CA is in no system store. */
    snprintf(yaml, sizeof(yaml),
             "gateway:\n  base_url: %s\n  timeout_ms: 20000\n"
             "shop:\n  id: tshop00000001\n  password: sbxpass01\n",
             g_ok.base_url);
    expect_refused("unknown CA (system store)", &g_ok, yaml, "certificate|issuer|self-signed|CA");
    /* Another sandbox's CA: a valid CA file that did not sign this server. */
    snprintf(yaml, sizeof(yaml),
             "gateway:\n  base_url: %s\n  ca_file: %s\n  timeout_ms: 20000\n"
             "shop:\n  id: tshop00000001\n  password: sbxpass01\n",
             g_ok.base_url, g_expired.ca_file);
    expect_refused("unknown CA (another CA file)", &g_ok, yaml,
                   "certificate|issuer|self-signed|CA");
}

static void expired_certificate(void)
{
    char yaml[2048];

    rob_config(&g_expired, NULL, yaml, sizeof(yaml));
    expect_refused("expired certificate", &g_expired, yaml, "expired");
}

static void wrong_host_name(void)
{
    char yaml[2048];

    rob_config(&g_wrong_host, NULL, yaml, sizeof(yaml));
    expect_refused("certificate for another host", &g_wrong_host, yaml, "name|host|subject");
}

static void no_tls_server(void)
{
    char yaml[2048], url[256];

    /* The plain-HTTP sandbox, asked for https:// with a valid CA file. */
    snprintf(url, sizeof(url), "https://%.240s", g_plain.base_url + strlen("http://"));
    snprintf(yaml, sizeof(yaml),
             "gateway:\n  base_url: %s\n  ca_file: %s\n  timeout_ms: 20000\n"
             "shop:\n  id: tshop00000001\n  password: sbxpass01\n",
             url, g_ok.ca_file);
    expect_refused("https:// to a server without TLS", &g_plain, yaml,
                   "SSL|TLS|wrong version|packet");
}

static void unreadable_ca_file(void)
{
    char yaml[2048];
    pmp_ctx *ctx = NULL;
    pmp_error err;
    int32_t rc;

    snprintf(yaml, sizeof(yaml),
             "gateway:\n  base_url: %s\n  ca_file: %s/no-such-ca.pem\n"
             "shop:\n  id: tshop00000001\n  password: sbxpass01\n",
             g_ok.base_url, g_ok.workdir);
    rc = rob_ctx_open(g_plugin.api, yaml, NULL, &ctx, &err);
    ROB_CHECKF(rc == PMP_E_TLS && ctx == NULL, "unreadable ca_file: init returned %d: %s", rc,
               err.message);
    ROB_CHECKF(strstr(err.message, "ca_file") != NULL, "unreadable ca_file: message: %s",
               err.message);
    g_plugin.api->shutdown(ctx);
    printf("refused at init: unreadable ca_file\n");
}

/* init fails with PMP_E_CONFIG and a message naming key (and a line). */
static void expect_config_error(const char *what, const char *yaml, const char *key,
                                const char *words)
{
    pmp_ctx *ctx = NULL;
    pmp_error err;
    int32_t rc = rob_ctx_open(g_plugin.api, yaml, NULL, &ctx, &err);

    ROB_CHECKF(rc == PMP_E_CONFIG && ctx == NULL, "%s: init returned %d: %s", what, rc,
               err.message);
    ROB_CHECKF(strstr(err.message, key) && strstr(err.message, words) &&
                   strstr(err.message, "robustness.yaml:"),
               "%s: message does not name %s (%s): %s", what, key, words, err.message);
    if (getenv("ROB_VERBOSE"))
        printf("  %s: %s\n", what, err.message);
    g_plugin.api->shutdown(ctx);
}

static void plain_http_refused(void)
{
    static const char *const urls[] = {
        "http://p01.mul-pay.jp/payment/",        /* production */
        "http://pt01.mul-pay.jp/payment/",       /* the gateway's test site */
        "http://127.0.0.1.example.com/payment/", /* only looks like loopback */
        "http://127.0.0.1:80@example.com/payment/",
        "http://localhost.example.com/payment/",
        "http://[::1]example.com/payment/",
        "http://10.0.0.1/payment/",
        "ftp://p01.mul-pay.jp/payment/",
    };
    char yaml[1024];
    size_t i;

    for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
        snprintf(yaml, sizeof(yaml),
                 "gateway:\n  base_url: %s\nshop:\n  id: tshop00000001\n  password: sbxpass01\n",
                 urls[i]);
        expect_config_error(urls[i], yaml, "gateway.base_url", ":2:");
    }
    printf("refused at init: plain http:// to %zu non-loopback URLs\n", i);
}

static void no_key_turns_verification_off(void)
{
    static const char *const keys[][2] = {
        {"gateway", "verify: false"},
        {"gateway", "insecure: true"},
        {"gateway", "ssl_verify_peer: 0"},
        {"gateway", "ssl_verify_host: 0"},
        {"gateway", "verify_peer: false"},
        {"gateway", "verify_host: false"},
        {"gateway", "tls_verify: false"},
        {"gateway", "skip_verify: true"},
        {"gateway", "insecure_skip_verify: true"},
        {"gateway", "allow_http: true"},
        {"gateway", "ca_path: /etc/ssl/certs"},
        {"gateway", "tls: {verify: false}"},
        {"shop", "insecure: true"},
        {"logging", "insecure: true"},
        {"paid", "insecure: true"},
    };
    char yaml[1024], line[64];
    size_t i;

    for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *k = keys[i][1];
        size_t n = strcspn(k, ":");

        snprintf(line, sizeof(line), "%s.%.*s", keys[i][0], (int)n, k);
        if (!strcmp(keys[i][0], "shop"))
            snprintf(yaml, sizeof(yaml),
                     "gateway:\n  base_url: %s\nshop:\n  id: tshop00000001\n"
                     "  password: sbxpass01\n  %s\n",
                     g_ok.base_url, k);
        else if (!strcmp(keys[i][0], "gateway"))
            snprintf(yaml, sizeof(yaml),
                     "gateway:\n  base_url: %s\n  %s\nshop:\n  id: tshop00000001\n"
                     "  password: sbxpass01\n",
                     g_ok.base_url, k);
        else
            snprintf(yaml, sizeof(yaml),
                     "gateway:\n  base_url: %s\nshop:\n  id: tshop00000001\n"
                     "  password: sbxpass01\n%s:\n  %s\n",
                     g_ok.base_url, keys[i][0], k);
        expect_config_error(line, yaml, line, "unknown key");
    }
    /* And at the top level. */
    snprintf(yaml, sizeof(yaml),
             "insecure: true\nshop:\n  id: tshop00000001\n  password: sbxpass01\n");
    expect_config_error("insecure (top level)", yaml, "insecure", "unknown key");
    printf("refused at init: %zu keys that could switch verification off\n", i + 1);
}

int main(int argc, char **argv)
{
    static const char *const expired[] = {"--cert-mode", "expired", NULL};
    static const char *const wrong_host[] = {"--cert-mode", "wrong-host", NULL};
    static const char *const plain[] = {"--http", NULL};
    const char *plugin = NULL, *sandbox = NULL;
    int i, rc;

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
    if (rob_plugin_open(&g_plugin, plugin) != 0 || rob_sandbox_start(&g_ok, sandbox, NULL) != 0 ||
        rob_sandbox_start(&g_expired, sandbox, expired) != 0 ||
        rob_sandbox_start(&g_wrong_host, sandbox, wrong_host) != 0 ||
        rob_sandbox_start(&g_plain, sandbox, plain) != 0) {
        fprintf(stderr, "set-up failed\n");
        rob_sandbox_stop(&g_ok);
        rob_sandbox_stop(&g_expired);
        rob_sandbox_stop(&g_wrong_host);
        rob_sandbox_stop(&g_plain);
        return 99;
    }

    control_request_is_logged();
    unknown_ca();
    expired_certificate();
    wrong_host_name();
    no_tls_server();
    unreadable_ca_file();
    plain_http_refused();
    no_key_turns_verification_off();

    rc = rob_report("tls");
    rob_sandbox_stop(&g_ok);
    rob_sandbox_stop(&g_expired);
    rob_sandbox_stop(&g_wrong_host);
    rob_sandbox_stop(&g_plain);
    rob_plugin_close(&g_plugin);
    return rc;
}
