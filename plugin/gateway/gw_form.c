#include "gw_form.h"

#include <string.h>

#include "gw_sjis.h"

static int is_unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

int gw_form_escape(const char *bytes, size_t len, gw_buf *out)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t i, run = 0;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)bytes[i];
        char esc[3];

        if (is_unreserved(c))
            continue;
        /* copy the unreserved run before this byte in one go */
        esc[0] = '%';
        esc[1] = hex[c >> 4];
        esc[2] = hex[c & 15];
        if (gw_buf_append(out, bytes + run, i - run) != 0 || gw_buf_append(out, esc, 3) != 0)
            return -1;
        run = i + 1;
    }
    return gw_buf_append(out, bytes + run, len - run);
}

int gw_form_encode(const gw_field *fields, size_t n, gw_buf *out, size_t *bad_field)
{
    gw_buf sjis;
    size_t i;
    int rc = GW_SJIS_OK;

    gw_buf_init(&sjis, out->mem, 0);
    for (i = 0; i < n; i++) {
        const gw_field *f = &fields[i];

        if ((i && gw_buf_append_char(out, '&') != 0) || gw_buf_append_str(out, f->name) != 0 ||
            gw_buf_append_char(out, '=') != 0) {
            rc = GW_SJIS_NOMEM;
            goto out_release;
        }
        if (!f->value || !f->len)
            continue;
        sjis.len = 0;
        rc = gw_sjis_from_utf8(f->value, f->len, &sjis, NULL);
        if (rc != GW_SJIS_OK) {
            if (bad_field)
                *bad_field = i;
            goto out_release;
        }
        if (gw_form_escape(sjis.data, sjis.len, out) != 0) {
            rc = GW_SJIS_NOMEM;
            goto out_release;
        }
    }
out_release:
    gw_buf_release(&sjis);
    return rc;
}
