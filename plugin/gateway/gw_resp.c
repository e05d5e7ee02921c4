#include "gw_resp.h"

#include <stdio.h>
#include <string.h>

#include "gw_buf.h"
#include "gw_sjis.h"

static int valid_key(const char *k)
{
    if (!*k)
        return 0;
    for (; *k; k++) {
        char c = *k;

        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return 0;
    }
    return 1;
}

static size_t count_char(const char *s, char c)
{
    size_t n = 0;

    for (; *s; s++)
        n += *s == c;
    return n;
}

/* Splits a '|' list in place into items; drops one trailing empty item. */
static size_t split_list(char *s, const char **items, size_t max)
{
    size_t n = 0;
    char *p = s;

    if (!*s)
        return 0;
    while (n < max) {
        char *bar = strchr(p, '|');

        items[n++] = p;
        if (!bar)
            break;
        *bar = '\0';
        p = bar + 1;
        if (!*p)
            break;
    }
    return n;
}

static int parse_errors(gw_resp *r)
{
    const char *codes = gw_resp_get(r, "ErrCode");
    const char *infos = gw_resp_get(r, "ErrInfo");
    size_t clen, ilen, max, nc, ni, i;

    if (!codes && !infos)
        return GW_RESP_OK;
    codes = codes ? codes : "";
    infos = infos ? infos : "";
    clen = strlen(codes);
    ilen = strlen(infos);
    max = count_char(codes, '|') + count_char(infos, '|') + 2;
    r->err_text = gw_malloc(r->mem, clen + ilen + 2);
    r->err_codes = gw_calloc(r->mem, max, sizeof(*r->err_codes));
    r->err_infos = gw_calloc(r->mem, max, sizeof(*r->err_infos));
    if (!r->err_text || !r->err_codes || !r->err_infos)
        return GW_RESP_NOMEM;
    memcpy(r->err_text, codes, clen + 1);
    memcpy(r->err_text + clen + 1, infos, ilen + 1);
    nc = split_list(r->err_text, r->err_codes, max);
    ni = split_list(r->err_text + clen + 1, r->err_infos, max);
    r->nerr = nc > ni ? nc : ni;
    for (i = 0; i < r->nerr; i++) {
        if (!r->err_codes[i])
            r->err_codes[i] = "";
        if (!r->err_infos[i])
            r->err_infos[i] = "";
    }
    /* "ErrCode=" with nothing in it still means the gateway flagged an error. */
    if (r->nerr == 0) {
        r->err_codes[0] = "";
        r->err_infos[0] = "";
        r->nerr = 1;
    }
    return GW_RESP_OK;
}

int gw_resp_parse(const gw_mem *mem, const char *body, size_t len, gw_resp *out)
{
    gw_buf text;
    size_t n, max, i;
    char *p;
    int rc;

    memset(out, 0, sizeof(*out));
    out->mem = mem;
    while (len > 0 && (body[len - 1] == '\r' || body[len - 1] == '\n'))
        len--;
    if (memchr(body, '\0', len))
        return GW_RESP_MALFORMED;
    gw_buf_init(&text, mem, 0);
    rc = gw_sjis_to_utf8(body, len, &text, NULL);
    if (rc != GW_SJIS_OK) {
        gw_buf_release(&text);
        return rc == GW_SJIS_NOMEM ? GW_RESP_NOMEM : GW_RESP_ENCODING;
    }
    out->text = gw_buf_steal(&text, &n);
    if (!out->text)
        return GW_RESP_NOMEM;
    if (!*out->text)
        return GW_RESP_MALFORMED;
    max = count_char(out->text, '&') + 1;
    out->pairs = gw_calloc(mem, max, sizeof(*out->pairs));
    if (!out->pairs)
        return GW_RESP_NOMEM;
    p = out->text;
    for (i = 0; i < max && p; i++) {
        char *amp = strchr(p, '&');
        char *eq;

        if (amp)
            *amp = '\0';
        if (*p) {
            eq = strchr(p, '=');
            if (!eq)
                return GW_RESP_MALFORMED;
            *eq = '\0';
            if (!valid_key(p))
                return GW_RESP_MALFORMED;
            out->pairs[out->npairs].key = p;
            out->pairs[out->npairs].value = eq + 1;
            out->npairs++;
        }
        p = amp ? amp + 1 : NULL;
    }
    if (!out->npairs)
        return GW_RESP_MALFORMED;
    return parse_errors(out);
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Appends the percent-decoded bytes of s[0..len) to raw; runs of plain
 * characters are copied in one go. */
static int percent_decode(const char *s, size_t len, gw_buf *raw)
{
    size_t i = 0, run = 0;

    while (i < len) {
        char c = s[i];

        if (c != '%' && c != '+') {
            i++;
            continue;
        }
        if (gw_buf_append(raw, s + run, i - run) != 0)
            return GW_RESP_NOMEM;
        if (c == '%') {
            int hi = i + 2 < len ? hex_value(s[i + 1]) : -1;
            int lo = hi >= 0 ? hex_value(s[i + 2]) : -1;

            if (hi < 0 || lo < 0)
                return GW_RESP_MALFORMED;
            c = (char)(hi * 16 + lo);
            i += 3;
        } else {
            c = ' ';
            i++;
        }
        if (gw_buf_append_char(raw, c) != 0)
            return GW_RESP_NOMEM;
        run = i;
    }
    return gw_buf_append(raw, s + run, len - run) == 0 ? GW_RESP_OK : GW_RESP_NOMEM;
}

int gw_resp_parse_form(const gw_mem *mem, const char *body, size_t len, gw_resp *out)
{
    gw_buf raw, text;
    size_t max, start, n;
    size_t *offsets = NULL; /* key and value offsets in text, per pair */
    int rc = GW_RESP_OK;

    memset(out, 0, sizeof(*out));
    out->mem = mem;
    while (len > 0 && (body[len - 1] == '\r' || body[len - 1] == '\n'))
        len--;
    if (!len || memchr(body, '\0', len))
        return GW_RESP_MALFORMED;
    /* Every pair decodes to "key\0value\0" in text; pairs point into it. */
    gw_buf_init(&raw, mem, 0);
    gw_buf_init(&text, mem, 0);
    max = 1;
    for (start = 0; start < len; start++)
        max += body[start] == '&';
    out->pairs = gw_calloc(mem, max, sizeof(*out->pairs));
    offsets = gw_calloc(mem, max * 2, sizeof(*offsets));
    if (!out->pairs || !offsets) {
        rc = GW_RESP_NOMEM;
        goto out_release;
    }
    /* Windows-31J grows to at most 1.5 times in UTF-8; one allocation each */
    if (gw_buf_reserve(&raw, len) != 0 || gw_buf_reserve(&text, len + len / 2 + 2 * max) != 0) {
        rc = GW_RESP_NOMEM;
        goto out_release;
    }
    /* Decode into text first; text may move while it grows, so pairs get
     * their pointers only at the end. */
    for (start = 0; start <= len;) {
        const char *pair = body + start;
        const char *amp = memchr(pair, '&', len - start);
        size_t plen = amp ? (size_t)(amp - pair) : len - start;
        const char *eq = memchr(pair, '=', plen);
        size_t klen;

        start += plen + 1;
        if (!plen)
            continue;
        if (!eq) {
            rc = GW_RESP_MALFORMED;
            goto out_release;
        }
        klen = (size_t)(eq - pair);
        raw.len = 0;
        if ((rc = percent_decode(eq + 1, plen - klen - 1, &raw)) != GW_RESP_OK)
            goto out_release;
        offsets[out->npairs * 2] = text.len;
        if (gw_buf_append(&text, pair, klen) != 0 || gw_buf_append_char(&text, '\0') != 0) {
            rc = GW_RESP_NOMEM;
            goto out_release;
        }
        offsets[out->npairs * 2 + 1] = text.len;
        if (raw.len) {
            int src = gw_sjis_to_utf8(raw.data, raw.len, &text, NULL);

            if (src != GW_SJIS_OK) {
                rc = src == GW_SJIS_NOMEM ? GW_RESP_NOMEM : GW_RESP_ENCODING;
                goto out_release;
            }
        }
        if (gw_buf_append_char(&text, '\0') != 0) {
            rc = GW_RESP_NOMEM;
            goto out_release;
        }
        out->npairs++;
    }
    out->text = gw_buf_steal(&text, &n);
    if (!out->text) {
        rc = GW_RESP_NOMEM;
        goto out_release;
    }
    for (n = 0; n < out->npairs; n++) {
        out->pairs[n].key = out->text + offsets[n * 2];
        out->pairs[n].value = out->text + offsets[n * 2 + 1];
        if (!valid_key(out->pairs[n].key)) {
            rc = GW_RESP_MALFORMED;
            goto out_release;
        }
    }
    rc = out->npairs ? parse_errors(out) : GW_RESP_MALFORMED;
out_release:
    gw_free(mem, offsets);
    gw_buf_release(&raw);
    gw_buf_release(&text);
    return rc;
}

const char *gw_resp_get(const gw_resp *r, const char *key)
{
    size_t i;

    for (i = 0; i < r->npairs; i++)
        if (!strcmp(r->pairs[i].key, key))
            return r->pairs[i].value;
    return NULL;
}

const char *gw_resp_str(const gw_resp *r, const char *key)
{
    const char *v = gw_resp_get(r, key);

    return v ? v : "";
}

int gw_resp_has_error(const gw_resp *r)
{
    return r->nerr > 0;
}

int gw_resp_error_has_prefix(const gw_resp *r, const char *prefix)
{
    size_t i, n = strlen(prefix);

    for (i = 0; i < r->nerr; i++)
        if (!strncmp(r->err_infos[i], prefix, n))
            return 1;
    return 0;
}

void gw_resp_error_join(const gw_resp *r, char *buf, size_t size)
{
    size_t i, used = 0;

    if (!size)
        return;
    buf[0] = '\0';
    for (i = 0; i < r->nerr && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? "|" : "",
                         *r->err_infos[i] ? r->err_infos[i] : r->err_codes[i]);

        if (w < 0)
            break;
        used += (size_t)w;
    }
}

void gw_resp_release(gw_resp *r)
{
    if (!r || !r->mem)
        return;
    gw_free(r->mem, r->text);
    gw_free(r->mem, r->pairs);
    gw_free(r->mem, r->err_text);
    gw_free(r->mem, (void *)r->err_codes);
    gw_free(r->mem, (void *)r->err_infos);
    memset(r, 0, sizeof(*r));
}
