#include "sbx_form.h"

#include <errno.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* glibc knows the Microsoft variant of Shift_JIS under this name; it maps
 * e.g. 0x8160 to U+FF5E as the gateway does, unlike plain SHIFT_JIS. */
#define WIRE_CHARSET "WINDOWS-31J"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* Percent-decodes s[0..n) into a new NUL-terminated buffer. */
static char *pct_decode(const char *s, size_t n, size_t *out_len, bool *malformed)
{
    char *out = malloc(n + 1);
    if (out == NULL)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] == '%') {
            int hi = i + 1 < n ? hexval(s[i + 1]) : -1;
            int lo = i + 2 < n ? hexval(s[i + 2]) : -1;
            if (hi < 0 || lo < 0) {
                *malformed = true;
                free(out);
                return NULL;
            }
            out[o++] = (char)(hi * 16 + lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *out_len = o;
    return out;
}

static char *convert(const char *to, const char *from, const char *in, size_t len,
                     size_t *out_len)
{
    /* An iconv descriptor carries conversion state and must not be shared
     * between threads; opening one per value is cheap next to a request. */
    iconv_t cd = iconv_open(to, from);
    if (cd == (iconv_t)-1)
        return NULL;
    size_t cap = len * 3 / 2 + 16;  /* SJIS->UTF-8 grows at most 3/2 */
    char *out = malloc(cap + 1);
    if (out == NULL) {
        (void)iconv_close(cd);
        errno = ENOMEM;
        return NULL;
    }
    char *inp = (char *)in;  /* iconv's prototype is not const-correct */
    size_t inleft = len;
    char *outp = out;
    size_t outleft = cap;
    int saved = 0;
    if (iconv(cd, &inp, &inleft, &outp, &outleft) == (size_t)-1 ||
        iconv(cd, NULL, NULL, &outp, &outleft) == (size_t)-1)
        saved = errno == E2BIG ? EILSEQ : errno;  /* cap is always enough */
    (void)iconv_close(cd);
    if (saved != 0) {
        free(out);
        errno = saved;
        return NULL;
    }
    size_t n = cap - outleft;
    /* A NUL byte would silently truncate the stored text; refuse it. */
    if (memchr(out, '\0', n) != NULL) {
        free(out);
        errno = EILSEQ;
        return NULL;
    }
    out[n] = '\0';
    if (out_len != NULL)
        *out_len = n;
    return out;
}

char *sbx_sjis_to_utf8(const char *in, size_t len, size_t *out_len)
{
    return convert("UTF-8", WIRE_CHARSET, in, len, out_len);
}

char *sbx_utf8_to_sjis(const char *in, size_t len, size_t *out_len)
{
    return convert(WIRE_CHARSET, "UTF-8", in, len, out_len);
}

static bool pct_append(sbx_buf *b, const char *bytes, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)bytes[i];
        bool keep = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
        if (keep) {
            (void)sbx_buf_putc(b, (char)c);
        } else {
            char esc[3] = {'%', hex[c >> 4], hex[c & 0x0f]};
            (void)sbx_buf_append(b, esc, sizeof esc);
        }
    }
    return sbx_buf_ok(b);
}

bool sbx_form_put_pair(sbx_buf *b, const char *key, const char *utf8_value)
{
    const char *v = utf8_value != NULL ? utf8_value : "";
    size_t n = 0;
    char *sjis = sbx_utf8_to_sjis(v, strlen(v), &n);
    if (sjis == NULL)
        return false;
    if (b->len > 0)
        (void)sbx_buf_putc(b, '&');
    bool ok = pct_append(b, key, strlen(key));
    (void)sbx_buf_putc(b, '=');
    ok = pct_append(b, sjis, n) && ok;
    free(sjis);
    return ok && sbx_buf_ok(b);
}

static void field_clear(sbx_field *f)
{
    free(f->name);
    free(f->raw);
    free(f->utf8);
}

void sbx_form_free(sbx_form *f)
{
    if (f == NULL)
        return;
    for (size_t i = 0; i < f->count; i++)
        field_clear(&f->fields[i]);
    free(f->fields);
    f->fields = NULL;
    f->count = 0;
}

enum sbx_form_result sbx_form_parse(const char *body, size_t len, sbx_form *out)
{
    out->fields = NULL;
    out->count = 0;
    size_t cap = 0;
    enum sbx_form_result rc = SBX_FORM_NOMEM;
    size_t pos = 0;
    while (pos < len) {
        const char *pair = body + pos;
        const char *amp = memchr(pair, '&', len - pos);
        size_t plen = amp != NULL ? (size_t)(amp - pair) : len - pos;
        pos += plen + 1;
        /* Tolerate a trailing CR/LF some clients append to the body. */
        while (plen > 0 && (pair[plen - 1] == '\n' || pair[plen - 1] == '\r'))
            plen--;
        if (plen == 0)
            continue;
        const char *eq = memchr(pair, '=', plen);
        size_t klen = eq != NULL ? (size_t)(eq - pair) : plen;
        const char *val = eq != NULL ? eq + 1 : pair + plen;
        size_t vlen = eq != NULL ? plen - klen - 1 : 0;

        if (out->count == cap) {
            size_t ncap = cap ? cap * 2 : 48;
            sbx_field *nf = realloc(out->fields, ncap * sizeof *nf);
            if (nf == NULL)
                goto free_form;
            out->fields = nf;
            cap = ncap;
        }
        sbx_field *f = &out->fields[out->count];
        memset(f, 0, sizeof *f);
        bool malformed = false;
        size_t nlen = 0;
        f->name = pct_decode(pair, klen, &nlen, &malformed);
        if (f->name != NULL)
            f->raw = pct_decode(val, vlen, &f->raw_len, &malformed);
        if (f->name == NULL || f->raw == NULL) {
            field_clear(f);
            rc = malformed ? SBX_FORM_MALFORMED : SBX_FORM_NOMEM;
            goto free_form;
        }
        out->count++;
        errno = 0;
        f->utf8 = sbx_sjis_to_utf8(f->raw, f->raw_len, NULL);
        if (f->utf8 == NULL && errno == ENOMEM)
            goto free_form;
        /* utf8 == NULL otherwise means "not Windows-31J": the field rules
         * report it for the field concerned. */
    }
    return SBX_FORM_OK;
free_form:
    sbx_form_free(out);
    return rc;
}

const sbx_field *sbx_form_get(const sbx_form *f, const char *name)
{
    for (size_t i = 0; i < f->count; i++)
        if (strcmp(f->fields[i].name, name) == 0)
            return &f->fields[i];
    return NULL;
}

/* ---- replies ------------------------------------------------------------ */

void sbx_reply_init(sbx_reply *r)
{
    sbx_buf_init(&r->fields);
    sbx_buf_init(&r->codes);
    sbx_buf_init(&r->infos);
    r->nerrors = 0;
    r->failed = false;
}

void sbx_reply_free(sbx_reply *r)
{
    if (r == NULL)
        return;
    sbx_buf_free(&r->fields);
    sbx_buf_free(&r->codes);
    sbx_buf_free(&r->infos);
    r->nerrors = 0;
}

void sbx_reply_add(sbx_reply *r, const char *key, const char *utf8_value)
{
    const char *v = utf8_value != NULL ? utf8_value : "";
    size_t n = 0;
    char *sjis = sbx_utf8_to_sjis(v, strlen(v), &n);
    if (sjis == NULL) {
        /* Stored text came in as Windows-31J, so this is only reachable
         * through a bug or a hand-edited database. */
        r->failed = true;
        return;
    }
    if (r->fields.len > 0)
        (void)sbx_buf_putc(&r->fields, '&');
    (void)sbx_buf_puts(&r->fields, key);
    (void)sbx_buf_putc(&r->fields, '=');
    (void)sbx_buf_append(&r->fields, sjis, n);
    free(sjis);
    if (!sbx_buf_ok(&r->fields))
        r->failed = true;
}

void sbx_reply_add_int(sbx_reply *r, const char *key, long long v)
{
    char num[32];
    (void)snprintf(num, sizeof num, "%lld", v);
    sbx_reply_add(r, key, num);
}

void sbx_reply_error(sbx_reply *r, const char *err_info)
{
    size_t n = strlen(err_info);
    if (n != 9) {
        r->failed = true;
        return;
    }
    /* Dedupe: AccessID and AccessPass share E01050xxx, for instance. */
    const char *p = r->infos.data;
    while (p != NULL && *p != '\0') {
        if (strncmp(p, err_info, 9) == 0 && (p[9] == '|' || p[9] == '\0'))
            return;
        p = strchr(p, '|');
        if (p != NULL)
            p++;
    }
    if (r->nerrors > 0) {
        (void)sbx_buf_putc(&r->codes, '|');
        (void)sbx_buf_putc(&r->infos, '|');
    }
    (void)sbx_buf_append(&r->codes, err_info, 3);
    (void)sbx_buf_append(&r->infos, err_info, 9);
    r->nerrors++;
    if (!sbx_buf_ok(&r->codes) || !sbx_buf_ok(&r->infos))
        r->failed = true;
}

bool sbx_reply_has_errors(const sbx_reply *r)
{
    return r->nerrors > 0;
}

const char *sbx_reply_err_info(const sbx_reply *r)
{
    return r->infos.data != NULL ? r->infos.data : "";
}

char *sbx_reply_body(sbx_reply *r, size_t *len_out)
{
    sbx_buf out;
    sbx_buf_init(&out);
    if (r->nerrors > 0) {
        (void)sbx_buf_puts(&out, "ErrCode=");
        (void)sbx_buf_puts(&out, r->codes.data);
        (void)sbx_buf_puts(&out, "&ErrInfo=");
        (void)sbx_buf_puts(&out, r->infos.data);
    } else if (r->fields.len > 0) {
        (void)sbx_buf_append(&out, r->fields.data, r->fields.len);
    } else {
        (void)sbx_buf_append(&out, "", 0);
    }
    return sbx_buf_steal(&out, len_out);
}
