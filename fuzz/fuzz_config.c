/* Fuzz target "config": the configuration loader, exactly as init runs it:
 * YAML text -> gw_yaml tree -> gw_config_load (gateway, shop, logging) ->
 * paid_config_load (the "paid" section). No network, no libcurl.
 *
 * Input: the YAML text a host passes to init.
 *
 * Invariants checked beyond "no crash, no sanitizer report":
 *  - a failure leaves a message that starts with the origin and, when it
 *    names a line, a line the text has; nothing stays allocated;
 *  - a success yields a configuration that keeps the documented promises:
 *    base_url is https:// (or http:// to localhost, [::1] or 127.x.x.x, not
 *    to a name that only starts with "127.", no user info) and ends with '/'; shop id and password
 * are present and alphanumeric (13 / 10); timeouts, retries, level and max_amount are within their
 * ranges; every status-map entry maps to a known word; at least one decline prefix;
 *  - releasing a loaded configuration frees every allocation;
 *  - failing the N-th allocation (for each N the load makes, up to 256)
 *    gives a clean failure that leaks nothing. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "fuzz_mem.h"
#include "gw_config.h"
#include "paid_internal.h"

#define ORIGIN "fuzz.yaml"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    /* ${PAID_SHOP_PASS} in a seed resolves; ${UNSET_...} takes the error path. */
    setenv("PAID_SHOP_PASS", "sbxpass01", 1);
    setenv("PAID_FUZZ_URL", "https://127.0.0.1:1/payment", 1);
    return 0;
}

static int alnum(const char *s, size_t max)
{
    size_t n = strlen(s);

    if (!n || n > max)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
            return 0;
    return 1;
}

/* Whether an authority (up to the first '/') is this machine: localhost,
 * [::1] or 127.x.x.x, each optionally with a port. */
static int loopback_authority(const char *a)
{
    size_t n = strcspn(a, "/");
    char host[64];
    struct in_addr ip;
    const char *colon;

    if (n >= sizeof(host))
        return 0;
    memcpy(host, a, n);
    host[n] = '\0';
    if (!strncmp(host, "[::1]", 5))
        return host[5] == '\0' || host[5] == ':';
    colon = strchr(host, ':');
    if (colon)
        host[colon - host] = '\0';
    if (!strcmp(host, "localhost"))
        return 1;
    return inet_pton(AF_INET, host, &ip) == 1 && (ntohl(ip.s_addr) >> 24) == 127;
}

static void check_loaded(const gw_config *c, const paid_config *p)
{
    size_t len, i;

    FUZZ_CHECK(c->base_url != NULL);
    len = strlen(c->base_url);
    FUZZ_CHECK(len > 8 && c->base_url[len - 1] == '/');
    FUZZ_CHECK(!strncmp(c->base_url, "https://", 8) ||
               (!strncmp(c->base_url, "http://", 7) && loopback_authority(c->base_url + 7)));
    FUZZ_CHECK(!strpbrk(c->base_url, " \t\r\n?#@\\"));
    FUZZ_CHECK(c->shop_id && alnum(c->shop_id, 13));
    FUZZ_CHECK(c->shop_pass && alnum(c->shop_pass, 10));
    FUZZ_CHECK(c->connect_timeout_ms >= 100 && c->connect_timeout_ms <= c->timeout_ms);
    FUZZ_CHECK(c->timeout_ms <= 600000);
    FUZZ_CHECK(c->retries >= 0 && c->retries <= 10);
    FUZZ_CHECK(c->log_level >= PMP_LOG_ERROR && c->log_level <= PMP_LOG_DEBUG);
    FUZZ_CHECK(p->max_amount >= 1 && p->max_amount <= 9999999999LL);
    FUZZ_CHECK(p->ndecline >= 1);
    for (i = 0; i < p->ndecline; i++)
        FUZZ_CHECK(p->decline_prefixes[i] && strlen(p->decline_prefixes[i]) >= 3);
    for (i = 0; i < p->ntx; i++)
        FUZZ_CHECK(p->tx[i].literal && paid_status_word(p->tx[i].word) == p->tx[i].word);
    for (i = 0; i < p->nbuyer; i++)
        FUZZ_CHECK(p->buyer[i].literal && paid_status_word(p->buyer[i].word) == p->buyer[i].word);
    FUZZ_CHECK(paid_map_lookup(p->tx, p->ntx, "NO SUCH LITERAL") == NULL);
}

/* The line an error message names ("origin:N: ..." or "origin: line N: ..."),
 * or 0 when it names none. */
static unsigned long message_line(const char *msg)
{
    const char *p = msg + strlen(ORIGIN);

    if (*p == ':' && p[1] >= '0' && p[1] <= '9')
        return strtoul(p + 1, NULL, 10);
    if (!strncmp(p, ": line ", 7))
        return strtoul(p + 7, NULL, 10);
    return 0;
}

/* Lines as libyaml counts them: CR LF, CR, LF, and the Unicode breaks NEL
 * (C2 85), LS (E2 80 A8) and PS (E2 80 A9). An upper bound is enough. */
static unsigned long count_lines(const char *text, size_t len)
{
    const unsigned char *t = (const unsigned char *)text;
    unsigned long n = 1;
    size_t i;

    for (i = 0; i < len; i++) {
        if (t[i] == '\n' || (t[i] == '\r' && (i + 1 == len || t[i + 1] != '\n')))
            n++;
        else if (t[i] == 0xC2 && i + 1 < len && t[i + 1] == 0x85)
            n++;
        else if (t[i] == 0xE2 && i + 2 < len && t[i + 1] == 0x80 &&
                 (t[i + 2] == 0xA8 || t[i + 2] == 0xA9))
            n++;
    }
    return n;
}

/* Loads text as init does; returns 0 on success. Everything is released
 * before it returns. */
static int load(fuzz_mem *m, const char *text, size_t len, int check)
{
    char err[480];
    gw_cfg_reader r;
    gw_config cfg;
    paid_config pc;
    gw_ynode *root = NULL;
    int rc;

    memset(&pc, 0, sizeof(pc));
    err[0] = '\0';
    r.mem = &m->mem;
    r.origin = ORIGIN;
    r.err = err;
    r.errlen = sizeof(err);
    rc = gw_config_load(&r, text, len, "paid", &cfg, &root);
    if (rc == 0) {
        FUZZ_CHECK(root != NULL);
        rc = paid_config_load(&r, gw_yaml_get(root, "paid"), &pc);
        if (rc == 0 && check)
            check_loaded(&cfg, &pc);
        gw_yaml_free(&m->mem, root);
        paid_config_release(&m->mem, &pc);
        gw_config_release(&m->mem, &cfg);
    } else {
        FUZZ_CHECK(root == NULL);
    }
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc != 0) {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
        FUZZ_CHECK(!strncmp(err, ORIGIN, strlen(ORIGIN)));
        /* libyaml places an error at the end of the stream one line past
         * an unterminated last line. */
        if (message_line(err) > count_lines(text, len) + 1)
            fprintf(stderr, "message names line %lu of a %lu-line text: %s\n", message_line(err),
                    count_lines(text, len), err);
        FUZZ_CHECK(message_line(err) <= count_lines(text, len) + 1);
    }
    FUZZ_CHECK(m->live == 0);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    fuzz_mem m;
    long calls, n;

    /* A configuration is a few hundred bytes; init takes any size, but the
     * fuzzer's time is better spent on structure than on length. */
    if (size > 16384)
        return 0;
    fuzz_mem_init(&m);
    load(&m, text, size, 1);
    calls = m.calls;
    for (n = 1; n <= calls && n <= 256; n++) {
        fuzz_mem_arm(&m, n);
        FUZZ_CHECK(load(&m, text, size, 0) == -1);
        FUZZ_CHECK(m.failed);
    }
    return 0;
}
