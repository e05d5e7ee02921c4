/* Fuzz target "notify": the result-notification parser and checks, through
 * the real notify entry of the function table. Notifications are unsigned
 * POSTs anyone can send to the shop, so this is the plugin's most exposed
 * parser. Two contexts: one that trusts the body (paid.notify.confirm:
 * false, the whole path runs without a gateway) and one that confirms by
 * inquiry against a gateway that refuses connections (fuzz_plugin.h).
 *
 * Input, three parts:
 *
 *     trust | confirm                  which context
 *     {"Content-Type": "..."}         the headers JSON, or an empty line
 *     ShopID=...&OrderID=...          the body, byte for byte, to the end
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - the return code is PMP_OK, PMP_E_INVALID_REQUEST or (confirm only)
 *    PMP_E_NETWORK; a confirming context succeeds only for the
 *    connectivity test, whose status word is "test";
 *  - on success the result says operation "notify", reply_body "0", the
 *    status word the accessor returns, and (except for the connectivity
 *    test) a 64-hex event_key that is the same when the same body comes
 *    again;
 *  - on failure *out is NULL and pmp_error holds the code and a message
 *    (for bad headers, the JSON parser's own words);
 *  - the shop password appears in no log line, message or result. */
#include <json-c/json.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_plugin.h"

static const pmp_api *g_api;
static pmp_ctx *g_trust, *g_confirm;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_api = fuzz_api();
    g_trust = fuzz_ctx_open("paid:\n  notify:\n    confirm: false\n");
    g_confirm = fuzz_ctx_open("");
    return 0;
}

static const char *member(json_object *doc, const char *key)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(doc, key, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return json_object_get_string(v);
}

static int hex64(const char *s)
{
    size_t i;

    if (!s || strlen(s) != 64)
        return 0;
    for (i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* Runs notify once; on success copies the event key (or "") into key. */
static int32_t notify_once(pmp_ctx *ctx, int confirm, const char *headers, size_t hlen,
                           const char *body, size_t blen, int own_secret, char key[65])
{
    pmp_result *res = (pmp_result *)&res; /* must be overwritten */
    pmp_error err;
    int32_t rc;

    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    key[0] = '\0';
    rc = g_api->notify(ctx, body, blen, headers, hlen, &res, &err);
    if (rc == PMP_OK) {
        size_t jlen = 0;
        const char *json, *status;
        json_object *doc;

        FUZZ_CHECK(res != NULL);
        json = g_api->result_json(res, &jlen);
        status = g_api->result_status(res);
        FUZZ_CHECK(json && strlen(json) == jlen && status && *status);
        FUZZ_CHECK(own_secret || !fuzz_has_secret(json, jlen));
        doc = json_tokener_parse(json);
        FUZZ_CHECK(doc != NULL);
        FUZZ_CHECK(member(doc, "operation") && !strcmp(member(doc, "operation"), "notify"));
        FUZZ_CHECK(member(doc, "status") && !strcmp(member(doc, "status"), status));
        FUZZ_CHECK(member(doc, "reply_body") && !strcmp(member(doc, "reply_body"), "0"));
        if (strcmp(status, "test")) {
            FUZZ_CHECK(!confirm);
            FUZZ_CHECK(hex64(member(doc, "event_key")));
            memcpy(key, member(doc, "event_key"), 65);
        }
        json_object_put(doc);
        g_api->result_free(res);
    } else {
        FUZZ_CHECK(res == NULL);
        FUZZ_CHECK(rc == PMP_E_INVALID_REQUEST || (confirm && rc == PMP_E_NETWORK));
        FUZZ_CHECK(err.code == rc);
        FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) && err.message[0]);
        FUZZ_CHECK(own_secret || !fuzz_has_secret(err.message, strlen(err.message)));
        /* A headers error carries the JSON parser's own words (it once
         * formatted the message into itself). */
        if (!strncmp(err.message, "notify: headers: ", 17))
            FUZZ_CHECK(!strncmp(err.message + 17, "request: ", 9));
    }
    FUZZ_CHECK(!fuzz_secret_logged() || own_secret);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data, *end = text + size;
    const char *nl1 = memchr(text, '\n', size), *nl2, *headers, *body;
    size_t mode_len, hlen, blen;
    char key1[65], key2[65];
    pmp_ctx *ctx;
    int confirm, own_secret;

    if (!nl1)
        return 0;
    mode_len = (size_t)(nl1 - text);
    if (mode_len == 5 && !memcmp(text, "trust", 5))
        confirm = 0;
    else if (mode_len == 7 && !memcmp(text, "confirm", 7))
        confirm = 1;
    else
        return 0;
    ctx = confirm ? g_confirm : g_trust;
    headers = nl1 + 1;
    nl2 = memchr(headers, '\n', (size_t)(end - headers));
    if (!nl2)
        return 0;
    hlen = (size_t)(nl2 - headers);
    body = nl2 + 1;
    blen = (size_t)(end - body);
    own_secret = fuzz_has_secret(text, size);
    (void)fuzz_secret_logged();

    if (notify_once(ctx, confirm, hlen ? headers : NULL, hlen, body, blen, own_secret, key1) ==
            PMP_OK &&
        key1[0]) {
        /* The same notification again (the gateway resends byte-identical
         * bodies): the same event key, so the host can drop it. */
        FUZZ_CHECK(notify_once(ctx, confirm, hlen ? headers : NULL, hlen, body, blen, own_secret,
                               key2) == PMP_OK);
        FUZZ_CHECK(!strcmp(key1, key2));
    }
    return 0;
}
