/*
 * baseline.c - the yardstick: the same idPass requests as the plugin, written
 * directly on libcurl with one reused easy handle.
 *
 * This is what a competent integrator would write by hand: every option is
 * set once, only the URL and the body change per request, the response is
 * scanned for the two or three fields the next step needs. The bodies are
 * byte-identical to the plugin's (same fields, same order, same empty
 * fields) and the request headers are the same, so the difference between
 * the two clients is the plugin's own work: validating the request JSON,
 * Windows-31J conversion, percent-encoding, response parsing and mapping,
 * building the result JSON, and its handle pool.
 */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef PMP_BENCH_VERSION
#define PMP_BENCH_VERSION "0.0.0"
#endif

static size_t on_body(char *data, size_t size, size_t nmemb, void *user)
{
    bench_buf *b = user;
    size_t n = size * nmemb;

    return bench_buf_append(b, data, n) == 0 ? n : 0;
}

/* The variant that sends the body as the plugin does since it stopped
 * libcurl from resending a POST on its own: a read callback without rewind.
 * libcurl 7.88 then sends the headers and the body in two writes (two TLS
 * records) instead of one. */
static size_t on_read(char *dst, size_t size, size_t nmemb, void *user)
{
    bench_baseline *b = user;
    size_t room = size * nmemb, n = b->up_len - b->up_pos;

    if (n > room)
        n = room;
    memcpy(dst, b->up_data + b->up_pos, n);
    b->up_pos += n;
    return n;
}

static int on_seek(void *user, curl_off_t offset, int origin)
{
    (void)user;
    (void)offset;
    (void)origin;
    return CURL_SEEKFUNC_CANTSEEK;
}

int bench_baseline_open(bench_baseline *b, const char *base_url, const char *ca_file)
{
    struct curl_slist *h = NULL, *t;
    static const char *const headers[] = {
        "Content-Type: application/x-www-form-urlencoded;charset=Windows-31J",
        "Accept: text/plain",
        "Expect:",
    };
    size_t i;

    memset(b, 0, sizeof(*b));
    for (i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        t = curl_slist_append(h, headers[i]);
        if (t == NULL) {
            curl_slist_free_all(h);
            (void)fprintf(stderr, "baseline: out of memory\n");
            return -1;
        }
        h = t;
    }
    b->headers = h;
    b->base_url = strdup(base_url);
    b->easy = curl_easy_init();
    if (b->base_url == NULL || b->easy == NULL) {
        (void)fprintf(stderr, "baseline: out of memory\n");
        bench_baseline_close(b);
        return -1;
    }
    /* The plugin's transport options (plugin/gateway/gw_http.c), set once. */
    if (curl_easy_setopt(b->easy, CURLOPT_POST, 1L) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_HTTPHEADER, b->headers) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_WRITEFUNCTION, on_body) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_WRITEDATA, &b->body) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_ERRORBUFFER, b->errbuf) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_PROTOCOLS_STR, "https") != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_CAINFO, ca_file) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_CONNECTTIMEOUT_MS, 10000L) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_TIMEOUT_MS, 60000L) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_TCP_KEEPALIVE, 1L) != CURLE_OK ||
        curl_easy_setopt(b->easy, CURLOPT_USERAGENT, "paid-pmp/" PMP_BENCH_VERSION) !=
            CURLE_OK) {
        (void)fprintf(stderr, "baseline: libcurl refused an option\n");
        bench_baseline_close(b);
        return -1;
    }
    return 0;
}

void bench_baseline_close(bench_baseline *b)
{
    if (b->easy != NULL)
        curl_easy_cleanup(b->easy);
    curl_slist_free_all(b->headers);
    free(b->base_url);
    bench_buf_free(&b->body);
    memset(b, 0, sizeof(*b));
}

/* POSTs body to <base><op>.idPass; the answer is in b->body. */
static int post(bench_baseline *b, const char *op, const char *body, size_t len)
{
    char url[512];
    long connects = 0, http = 0;
    CURLcode cc;

    if ((size_t)snprintf(url, sizeof(url), "%s%s.idPass", b->base_url, op) >= sizeof(url))
        return -1;
    b->body.len = 0;
    b->errbuf[0] = '\0';
    (void)curl_easy_setopt(b->easy, CURLOPT_URL, url);
    if (b->read_callback) {
        b->up_data = body;
        b->up_len = len;
        b->up_pos = 0;
        (void)curl_easy_setopt(b->easy, CURLOPT_READFUNCTION, on_read);
        (void)curl_easy_setopt(b->easy, CURLOPT_READDATA, b);
        (void)curl_easy_setopt(b->easy, CURLOPT_SEEKFUNCTION, on_seek);
    } else {
        (void)curl_easy_setopt(b->easy, CURLOPT_POSTFIELDS, body);
    }
    (void)curl_easy_setopt(b->easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    cc = curl_easy_perform(b->easy);
    (void)curl_easy_getinfo(b->easy, CURLINFO_NUM_CONNECTS, &connects);
    (void)curl_easy_getinfo(b->easy, CURLINFO_RESPONSE_CODE, &http);
    b->connects += connects;
    if (cc != CURLE_OK || http != 200) {
        (void)fprintf(stderr, "baseline: %s: %s (HTTP %ld)\n", op,
                      cc != CURLE_OK ? (b->errbuf[0] ? b->errbuf : curl_easy_strerror(cc)) : "",
                      http);
        return -1;
    }
    return 0;
}

/* The raw value of key in a Key=Value&... answer, copied into out. */
static int field(const bench_buf *body, const char *key, char *out, size_t size)
{
    size_t klen = strlen(key);
    const char *p = body->data;

    while (p != NULL && *p != '\0') {
        const char *amp = strchr(p, '&');
        size_t n = amp != NULL ? (size_t)(amp - p) : strlen(p);

        if (n > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            n -= klen + 1;
            if (n >= size)
                return -1;
            memcpy(out, p + klen + 1, n);
            out[n] = '\0';
            return 0;
        }
        p = amp != NULL ? amp + 1 : NULL;
    }
    return -1;
}

static int has_error(const bench_buf *body, const char *op)
{
    char info[128];

    if (field(body, "ErrInfo", info, sizeof(info)) == 0 && info[0] != '\0') {
        (void)fprintf(stderr, "baseline: %s: ErrInfo=%s\n", op, info);
        return 1;
    }
    return 0;
}

int bench_baseline_authorize(bench_baseline *b, const char *order_id, const char *buyer_id,
                             long amount, long tax)
{
    char body[640], access_id[64], access_pass[64], status[32];
    int n;

    n = snprintf(body, sizeof(body),
                 "ShopID=" BENCH_SHOP_ID "&ShopPass=" BENCH_SHOP_PASS
                 "&OrderID=%s&Amount=%ld&Tax=%ld",
                 order_id, amount, tax);
    if (n < 0 || (size_t)n >= sizeof(body) || post(b, "EntryTranPaid", body, (size_t)n) != 0 ||
        has_error(&b->body, "EntryTranPaid") ||
        field(&b->body, "AccessID", access_id, sizeof(access_id)) != 0 ||
        field(&b->body, "AccessPass", access_pass, sizeof(access_pass)) != 0)
        return -1;
    n = snprintf(body, sizeof(body),
                 "ShopID=" BENCH_SHOP_ID "&ShopPass=" BENCH_SHOP_PASS
                 "&AccessID=%s&AccessPass=%s&OrderID=%s&PaidBuyerID=%s&ClientField1="
                 "&ClientField2=&ClientField3=&ClientFieldFlag=0&Contents=",
                 access_id, access_pass, order_id, buyer_id);
    if (n < 0 || (size_t)n >= sizeof(body) || post(b, "ExecTranPaid", body, (size_t)n) != 0 ||
        has_error(&b->body, "ExecTranPaid") ||
        field(&b->body, "Status", status, sizeof(status)) != 0)
        return -1;
    if (strcmp(status, "AUTH") != 0) {
        (void)fprintf(stderr, "baseline: ExecTranPaid: Status=%s\n", status);
        return -1;
    }
    return 0;
}

int bench_baseline_status(bench_baseline *b, const char *order_id)
{
    char body[256], status[32];
    int n;

    n = snprintf(body, sizeof(body),
                 "ShopID=" BENCH_SHOP_ID "&ShopPass=" BENCH_SHOP_PASS "&OrderID=%s&PayType=29",
                 order_id);
    if (n < 0 || (size_t)n >= sizeof(body) || post(b, "SearchTradeMulti", body, (size_t)n) != 0 ||
        has_error(&b->body, "SearchTradeMulti") ||
        field(&b->body, "Status", status, sizeof(status)) != 0)
        return -1;
    return 0;
}
