#include "gw_jw.h"

#include <string.h>

void gw_jw_init(gw_jw *w, gw_buf *out)
{
    memset(w, 0, sizeof(*w));
    w->out = out;
}

static void escaped(gw_buf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;

    gw_buf_append_char(b, '"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[6];
        size_t n = 2;

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        gw_buf_append(b, run, (size_t)(s - run));
        esc[0] = '\\';
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            esc[1] = 'u';
            esc[2] = '0';
            esc[3] = '0';
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            n = 6;
        }
        gw_buf_append(b, esc, n);
        run = s + 1;
    }
    gw_buf_append(b, run, (size_t)(s - run));
    gw_buf_append_char(b, '"');
}

/* The separator and key before a value. */
static void member(gw_jw *w, const char *key)
{
    if (w->depth > 0 && w->count[w->depth - 1]++)
        gw_buf_append_char(w->out, ',');
    if (key) {
        escaped(w->out, key);
        gw_buf_append_char(w->out, ':');
    }
}

static void open_level(gw_jw *w, const char *key, char c)
{
    member(w, key);
    gw_buf_append_char(w->out, c);
    if (w->depth < GW_JW_MAX_DEPTH)
        w->count[w->depth++] = 0;
    else
        w->out->failed = 1;
}

void gw_jw_object(gw_jw *w, const char *key)
{
    open_level(w, key, '{');
}

void gw_jw_array(gw_jw *w, const char *key)
{
    open_level(w, key, '[');
}

void gw_jw_end_object(gw_jw *w)
{
    gw_buf_append_char(w->out, '}');
    if (w->depth > 0)
        w->depth--;
}

void gw_jw_end_array(gw_jw *w)
{
    gw_buf_append_char(w->out, ']');
    if (w->depth > 0)
        w->depth--;
}

void gw_jw_str(gw_jw *w, const char *key, const char *value)
{
    member(w, key);
    if (value)
        escaped(w->out, value);
    else
        gw_buf_append(w->out, "null", 4);
}

void gw_jw_int(gw_jw *w, const char *key, int64_t value)
{
    char num[24], *p = num + sizeof(num);
    uint64_t v = value < 0 ? (uint64_t)0 - (uint64_t)value : (uint64_t)value;

    do {
        *--p = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    if (value < 0)
        *--p = '-';
    member(w, key);
    gw_buf_append(w->out, p, (size_t)(num + sizeof(num) - p));
}

void gw_jw_bool(gw_jw *w, const char *key, int value)
{
    member(w, key);
    if (value)
        gw_buf_append(w->out, "true", 4);
    else
        gw_buf_append(w->out, "false", 5);
}

void gw_jw_null(gw_jw *w, const char *key)
{
    member(w, key);
    gw_buf_append(w->out, "null", 4);
}
