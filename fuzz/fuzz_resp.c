/* Fuzz target "resp": the idPass codec for what arrives from outside, i.e.
 * what the plugin does with every body the gateway (or anything pretending
 * to be it) sends: gw_resp_parse for answers (raw Windows-31J Key=Value) and
 * gw_resp_parse_form for notification bodies (percent-encoded form), with
 * Windows-31J decoding, ErrCode/ErrInfo lists, and the accessors the
 * operations use on the result.
 *
 * Input: a body, byte for byte as it would come off the wire; both parsers
 * get every input.
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - the return code is one of GW_RESP_*, and NOMEM only when an allocation
 *    failed;
 *  - a parsed answer has at least one pair, every key is [A-Za-z0-9_]+ and
 *    gw_resp_get finds the first occurrence of each;
 *  - an answer with ErrCode or ErrInfo has an error list, and every entry of
 *    it is a string; gw_resp_error_join always NUL-terminates within its
 *    buffer;
 *  - gw_resp_release frees every allocation, after success and failure;
 *  - failing the N-th allocation, for every N the parse makes, gives
 *    GW_RESP_NOMEM and leaks nothing. */
#include <string.h>

#include "fuzz.h"
#include "fuzz_mem.h"
#include "gw_resp.h"

static int key_ok(const char *k)
{
    if (!*k)
        return 0;
    for (; *k; k++)
        if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') || (*k >= '0' && *k <= '9') ||
              *k == '_'))
            return 0;
    return 1;
}

static void check_parsed(const gw_resp *r)
{
    static const size_t sizes[] = {0, 1, 2, 10, 96};
    char buf[96 + 8];
    size_t i, j;

    FUZZ_CHECK(r->npairs > 0 && r->text != NULL);
    for (i = 0; i < r->npairs; i++) {
        const char *first = gw_resp_get(r, r->pairs[i].key);

        FUZZ_CHECK(key_ok(r->pairs[i].key));
        FUZZ_CHECK(r->pairs[i].value != NULL);
        for (j = 0; j < i && strcmp(r->pairs[j].key, r->pairs[i].key); j++)
            ;
        FUZZ_CHECK(first == r->pairs[j].value);
    }
    FUZZ_CHECK(gw_resp_has_error(r) ==
               (gw_resp_get(r, "ErrCode") != NULL || gw_resp_get(r, "ErrInfo") != NULL));
    for (i = 0; i < r->nerr; i++) {
        FUZZ_CHECK(r->err_codes[i] != NULL && r->err_infos[i] != NULL);
        FUZZ_CHECK(gw_resp_error_has_prefix(r, r->err_infos[i]));
    }
    /* '-' is never part of a key, so this key is never found. */
    FUZZ_CHECK(gw_resp_get(r, "No-Such-Key") == NULL && !*gw_resp_str(r, "No-Such-Key"));
    (void)gw_resp_error_has_prefix(r, "E01");
    (void)gw_resp_error_has_prefix(r, "");
    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        memset(buf, 'x', sizeof(buf));
        gw_resp_error_join(r, buf, sizes[i]);
        if (sizes[i]) {
            FUZZ_CHECK(memchr(buf, '\0', sizes[i]) != NULL);
            FUZZ_CHECK(buf[sizes[i]] == 'x');
        } else {
            FUZZ_CHECK(buf[0] == 'x');
        }
    }
}

typedef int (*parse_fn)(const gw_mem *mem, const char *body, size_t len, gw_resp *out);

static void run(parse_fn parse, const char *body, size_t size)
{
    fuzz_mem m;
    gw_resp r;
    long calls, n;
    int rc;

    fuzz_mem_init(&m);
    rc = parse(&m.mem, body, size, &r);
    FUZZ_CHECK(rc == GW_RESP_OK || rc == GW_RESP_MALFORMED || rc == GW_RESP_ENCODING);
    if (rc == GW_RESP_OK)
        check_parsed(&r);
    gw_resp_release(&r);
    FUZZ_CHECK(m.live == 0);
    gw_resp_release(&r); /* released twice: a no-op */

    /* Every out-of-memory path of this input. */
    calls = m.calls;
    for (n = 1; n <= calls && n <= 64; n++) {
        fuzz_mem_arm(&m, n);
        rc = parse(&m.mem, body, size, &r);
        FUZZ_CHECK(m.failed && rc == GW_RESP_NOMEM);
        gw_resp_release(&r);
        FUZZ_CHECK(m.live == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    run(gw_resp_parse, (const char *)data, size);
    run(gw_resp_parse_form, (const char *)data, size);
    return 0;
}
