/* Fuzz target "request": the request-JSON validation of every operation,
 * driven through the real entry points of the function table (the same code
 * a host reaches through pmp_get_api), on a context whose gateway refuses
 * every connection (fuzz_plugin.h). A request that passes validation
 * therefore fails with PMP_E_NETWORK without reaching anything.
 *
 * Input: the operation name on the first line, the request JSON after it:
 *
 *     authorize
 *     {"order_id":"O-1","buyer_id":"B-1","amount":1000}
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - the return code is PMP_OK (capabilities only: nothing else can succeed
 *    without a gateway), PMP_E_INVALID_REQUEST (not retryable) or
 *    PMP_E_NETWORK (retryable); never "outcome unknown" for a connection
 *    that was refused, never an internal error;
 *  - on failure *out is NULL and pmp_error holds the same code and a
 *    NUL-terminated, non-empty message; on success the result's JSON names
 *    the operation and carries the status word the accessor returns;
 *  - the shop password appears in no log line and no error message. */
#include <json-c/json.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_plugin.h"

static const pmp_api *g_api;
static pmp_ctx *g_ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    g_api = fuzz_api();
    g_ctx = fuzz_ctx_open("");
    return 0;
}

static pmp_operation_fn operation(const char *name, size_t len)
{
    const struct {
        const char *name;
        pmp_operation_fn fn;
    } ops[] = {
        {"capabilities", g_api->capabilities},
        {"enroll", g_api->enroll},
        {"payer_status", g_api->payer_status},
        {"authorize", g_api->authorize},
        {"capture", g_api->capture},
        {"void", g_api->void_order},
        {"refund", g_api->refund},
        {"adjust", g_api->adjust},
        {"status", g_api->status},
    };
    size_t i;

    for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
        if (strlen(ops[i].name) == len && !memcmp(ops[i].name, name, len))
            return ops[i].fn;
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *nl = memchr(text, '\n', size);
    const char *req;
    size_t name_len, req_len;
    pmp_operation_fn fn;
    pmp_result *res = (pmp_result *)&res; /* must be overwritten */
    pmp_error err;
    int32_t rc;
    int is_caps, own_secret;

    if (!nl)
        return 0;
    name_len = (size_t)(nl - text);
    fn = operation(text, name_len);
    if (!fn)
        return 0;
    is_caps = name_len == 12 && !memcmp(text, "capabilities", 12);
    req = nl + 1;
    req_len = size - name_len - 1;
    /* An input that itself holds the password may see it echoed back. */
    own_secret = fuzz_has_secret(text, size);
    memset(&err, 0, sizeof(err));
    err.struct_size = sizeof(err);
    (void)fuzz_secret_logged();

    rc = fn(g_ctx, req, req_len, &res, &err);

    if (rc == PMP_OK) {
        size_t jlen = 0;
        const char *json, *status;
        json_object *doc, *v = NULL;

        FUZZ_CHECK(is_caps);
        FUZZ_CHECK(res != NULL);
        json = g_api->result_json(res, &jlen);
        status = g_api->result_status(res);
        FUZZ_CHECK(json && strlen(json) == jlen && status && *status);
        doc = json_tokener_parse(json);
        FUZZ_CHECK(doc && json_object_object_get_ex(doc, "operation", &v));
        FUZZ_CHECK(!strcmp(json_object_get_string(v), "capabilities"));
        FUZZ_CHECK(json_object_object_get_ex(doc, "status", &v));
        FUZZ_CHECK(!strcmp(json_object_get_string(v), status));
        json_object_put(doc);
        g_api->result_free(res);
    } else {
        FUZZ_CHECK(res == NULL);
        FUZZ_CHECK(rc == PMP_E_INVALID_REQUEST || rc == PMP_E_NETWORK);
        FUZZ_CHECK(err.code == rc);
        FUZZ_CHECK(err.retryable == (rc == PMP_E_NETWORK));
        FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)) && err.message[0]);
        FUZZ_CHECK(memchr(err.gateway_code, '\0', sizeof(err.gateway_code)));
        FUZZ_CHECK(own_secret || !fuzz_has_secret(err.message, strlen(err.message)));
    }
    FUZZ_CHECK(!fuzz_secret_logged() || own_secret);
    return 0;
}
