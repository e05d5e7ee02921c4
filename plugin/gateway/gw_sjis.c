#include "gw_sjis.h"

#include <errno.h>
#include <iconv.h>
#include <string.h>

#define CHARSET_SJIS "WINDOWS-31J"
#define CHARSET_UTF8 "UTF-8"

static int convert(const char *to, const char *from, const char *in, size_t len, gw_buf *out,
                   size_t *bad_offset)
{
    iconv_t cd;
    char chunk[512];
    char *src = (char *)in;
    size_t left = len;
    int rc = GW_SJIS_OK;

    cd = iconv_open(to, from);
    if (cd == (iconv_t)-1)
        return GW_SJIS_NO_ICONV;
    while (left > 0) {
        char *dst = chunk;
        size_t room = sizeof(chunk);
        size_t r = iconv(cd, &src, &left, &dst, &room);

        if (gw_buf_append(out, chunk, sizeof(chunk) - room) != 0) {
            rc = GW_SJIS_NOMEM;
            goto out_close;
        }
        if (r == (size_t)-1 && errno != E2BIG) {
            if (bad_offset)
                *bad_offset = (size_t)(src - in);
            /* EILSEQ on valid input means "no such character in the target". */
            rc = (errno == EILSEQ && !strcmp(from, CHARSET_UTF8) && gw_utf8_valid(in, len))
                     ? GW_SJIS_UNREPRESENTABLE
                     : GW_SJIS_INVALID;
            goto out_close;
        }
    }
out_close:
    iconv_close(cd);
    return rc;
}

/* ASCII is the same bytes in UTF-8 and Windows-31J (glibc's CP932 maps
 * 0x5C and 0x7E to '\\' and '~'), so most protocol values skip iconv. */
static int is_ascii(const char *s, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++)
        if ((unsigned char)s[i] >= 0x80)
            return 0;
    return 1;
}

int gw_sjis_from_utf8(const char *utf8, size_t len, gw_buf *out, size_t *bad_offset)
{
    if (is_ascii(utf8, len))
        return gw_buf_append(out, utf8, len) == 0 ? GW_SJIS_OK : GW_SJIS_NOMEM;
    if (!gw_utf8_valid(utf8, len)) {
        if (bad_offset)
            *bad_offset = 0;
        return GW_SJIS_INVALID;
    }
    return convert(CHARSET_SJIS, CHARSET_UTF8, utf8, len, out, bad_offset);
}

int gw_sjis_to_utf8(const char *sjis, size_t len, gw_buf *out, size_t *bad_offset)
{
    if (is_ascii(sjis, len))
        return gw_buf_append(out, sjis, len) == 0 ? GW_SJIS_OK : GW_SJIS_NOMEM;
    return convert(CHARSET_UTF8, CHARSET_SJIS, sjis, len, out, bad_offset);
}

long gw_sjis_length(const char *utf8, size_t len, size_t *bad_offset)
{
    gw_buf tmp;
    int rc;
    long n;
    if (is_ascii(utf8, len))
        return (long)len;
    gw_buf_init(&tmp, &gw_mem_libc, 0);
    rc = gw_sjis_from_utf8(utf8, len, &tmp, bad_offset);
    n = rc == GW_SJIS_OK ? (long)tmp.len : rc;
    gw_buf_release(&tmp);
    return n;
}

int gw_utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0;

    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        unsigned long cp;

        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            n = 1;
            cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            n = 2;
            cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return 0;
        }
        if (i + n >= len) /* truncated sequence */
            return 0;
        for (size_t k = 1; k <= n; k++) {
            if ((p[i + k] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
            cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        i += n + 1;
    }
    return 1;
}

unsigned long gw_utf8_codepoint(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    unsigned long cp;
    size_t n, k;

    if (!len)
        return 0;
    if (p[0] < 0x80)
        return p[0];
    n = (p[0] & 0xE0) == 0xC0 ? 1 : (p[0] & 0xF0) == 0xE0 ? 2 : 3;
    cp = p[0] & (0x3F >> n);
    for (k = 1; k <= n && k < len; k++)
        cp = (cp << 6) | (p[k] & 0x3F);
    return cp;
}
