#include "gw_req.h"

#include <errno.h>
#include <string.h>

#include "gw_error.h"
#include "gw_sjis.h"

int32_t gw_req_parse(const char *text, size_t len, json_object **out, pmp_error *err)
{
    json_tokener *tok;
    json_object *obj;
    enum json_tokener_error jerr;
    size_t i;

    *out = NULL;
    for (i = 0;
         i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\t' || text[i] == '\r'); i++)
        ;
    if (i == len) {
        *out = json_object_new_object();
        return *out ? PMP_OK : gw_error_set(err, PMP_E_NOMEM, 0, NULL, "out of memory");
    }
    if (len > 1024 * 1024)
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "request: larger than 1 MiB");
    if (!gw_utf8_valid(text, len))
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "request: not valid UTF-8");
    tok = json_tokener_new_ex(32);
    if (!tok)
        return gw_error_set(err, PMP_E_NOMEM, 0, NULL, "out of memory");
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    obj = json_tokener_parse_ex(tok, text, (int)len);
    jerr = json_tokener_get_error(tok);
    if (obj && jerr == json_tokener_success && (size_t)json_tokener_get_parse_end(tok) < len) {
        /* trailing non-space after the document */
        size_t end = json_tokener_get_parse_end(tok);

        while (end < len &&
               (text[end] == ' ' || text[end] == '\n' || text[end] == '\t' || text[end] == '\r'))
            end++;
        if (end < len) {
            json_object_put(obj);
            json_tokener_free(tok);
            return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "request: malformed JSON: unexpected data at offset %zu", end);
        }
    }
    if (!obj || jerr != json_tokener_success) {
        size_t at = json_tokener_get_parse_end(tok);

        json_object_put(obj);
        json_tokener_free(tok);
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "request: malformed JSON at offset %zu: %s", at,
                            jerr == json_tokener_continue ? "unexpected end of input"
                                                          : json_tokener_error_desc(jerr));
    }
    json_tokener_free(tok);
    if (!json_object_is_type(obj, json_type_object)) {
        json_object_put(obj);
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "request: must be a JSON object");
    }
    *out = obj;
    return PMP_OK;
}

int32_t gw_req_allowed(json_object *obj, const char *const *allowed, pmp_error *err)
{
    json_object_object_foreach(obj, key, val)
    {
        const char *const *a;

        (void)val;
        for (a = allowed; *a; a++)
            if (!strcmp(*a, key))
                break;
        if (!*a)
            return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "%.100s: unknown member for this operation", key);
    }
    return PMP_OK;
}

static json_object *member(json_object *obj, const char *name)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(obj, name, &v) || json_object_is_type(v, json_type_null))
        return NULL;
    return v;
}

int32_t gw_req_text(json_object *obj, const char *name, int required, size_t max_sjis_bytes,
                    const char **out, size_t *len, pmp_error *err)
{
    json_object *v = member(obj, name);
    const char *s;
    size_t n, bad = 0;
    long sjis_len;

    *out = NULL;
    if (len)
        *len = 0;
    if (!v) {
        if (required)
            return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "%s: is required", name);
        return PMP_OK;
    }
    if (!json_object_is_type(v, json_type_string))
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "%s: must be a string", name);
    s = json_object_get_string(v);
    n = (size_t)json_object_get_string_len(v);
    if (required && n == 0)
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "%s: must not be empty", name);
    if (memchr(s, '\0', n))
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "%s: contains a NUL character",
                            name);
    if (max_sjis_bytes) {
        sjis_len = gw_sjis_length(s, n, &bad);
        if (sjis_len == GW_SJIS_UNREPRESENTABLE)
            return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "%s: character U+%04lX at byte %zu cannot be represented in "
                                "Windows-31J",
                                name, gw_utf8_codepoint(s + bad, n - bad), bad);
        if (sjis_len < 0)
            return gw_error_set(err, sjis_len == GW_SJIS_NOMEM ? PMP_E_NOMEM : PMP_E_INTERNAL, 0,
                                NULL, "%s: could not convert to Windows-31J", name);
        if ((size_t)sjis_len > max_sjis_bytes)
            return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "%s: too long (%ld bytes in Windows-31J, at most %zu)", name,
                                sjis_len, max_sjis_bytes);
    }
    *out = s;
    if (len)
        *len = n;
    return PMP_OK;
}

int32_t gw_req_ascii(json_object *obj, const char *name, int required, const char *what,
                     int (*allowed_char)(char c), size_t max_len, const char **out, pmp_error *err)
{
    size_t n, i;
    int32_t rc = gw_req_text(obj, name, required, 0, out, &n, err);

    if (rc != PMP_OK || !*out)
        return rc;
    if (n > max_len)
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "%s: too long (%zu characters, at most %zu)", name, n, max_len);
    for (i = 0; i < n; i++)
        if (!allowed_char((*out)[i]))
            return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                                "%s: character at position %zu is not allowed (%s)", name, i + 1,
                                what);
    if (n == 0)
        *out = NULL;
    return PMP_OK;
}

int32_t gw_req_int(json_object *obj, const char *name, int required, int64_t min, int64_t max,
                   int64_t *out, int *present, pmp_error *err)
{
    json_object *v = member(obj, name);
    int64_t n;

    if (present)
        *present = 0;
    if (!v) {
        if (required)
            return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL, "%s: is required", name);
        return PMP_OK;
    }
    if (!json_object_is_type(v, json_type_int))
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "%s: must be an integer number of JPY (not a string or a fraction)",
                            name);
    errno = 0;
    n = json_object_get_int64(v);
    /* json-c clamps out-of-range numbers to INT64_MIN/MAX and sets errno. */
    if (errno == ERANGE || n < min || n > max)
        return gw_error_set(err, PMP_E_INVALID_REQUEST, 0, NULL,
                            "%s: must be between %lld and %lld", name, (long long)min,
                            (long long)max);
    *out = n;
    if (present)
        *present = 1;
    return PMP_OK;
}

int gw_char_order_id(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

int gw_char_buyer_id(char c)
{
    return gw_char_order_id(c) || c == '_';
}

int gw_char_phone(char c)
{
    return (c >= '0' && c <= '9') || c == '-';
}

int gw_char_printable(char c)
{
    return c > 0x20 && c < 0x7F;
}
