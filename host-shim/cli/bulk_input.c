/*
 * bulk_input.c - read the operations of pmp-host bulk from JSON lines or CSV.
 *
 * JSON lines: every non-blank line is one JSON object; its "op" member names
 * the operation and every other member goes into the request as it is:
 *
 *   {"op":"capture","order_id":"ORD-1","fixed_at":"2026-12-03"}
 *
 * CSV (RFC 4180: comma-separated, "quoted" fields may hold commas, doubled
 * quotes and line breaks; CRLF or LF; an UTF-8 byte-order mark is skipped):
 * the header row names the columns, one of which is "op"; every other column
 * is a request member, an empty cell is left out. Cells of the integer
 * members (amount, tax and enroll's numbers) become JSON integers; columns
 * client_field1..3 become the client_fields array. For anything richer use
 * JSON lines.
 *
 *   op,order_id,amount,tax,fixed_at
 *   capture,ORD-1,,,2026-12-03
 */
#include "bulk.h"

#include <errno.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Request members that are integers wherever they appear
 * (docs/operations.md). */
static const char *const bulk_int_members[] = {
    "amount",      "tax",          "established_year", "established_month",
    "annual_sales", "business_detail_type", "shop_count", NULL,
};

struct bulk_reader {
    FILE *f;
    int own; /* close f */
    int format;
    long lineno; /* lines consumed so far */
    char *line;
    size_t line_cap;
    /* CSV */
    char **cols;
    size_t ncols;
    char *rec; /* the current record, across lines */
    size_t rec_len, rec_cap;
};

void bulk_record_clear(bulk_record *rec)
{
    free(rec->op);
    free(rec->request);
    free(rec->order_id);
    free(rec->buyer_id);
    memset(rec, 0, sizeof(*rec));
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_blank(const char *s)
{
    for (; *s != '\0'; s++)
        if (*s != ' ' && *s != '\t' && *s != '\r' && *s != '\n')
            return 0;
    return 1;
}

/* getline() with the line number kept; strips the newline (and a CR).
 * Returns the length, or -1 at the end / on error (errno tells). */
static ssize_t read_line(bulk_reader *r)
{
    ssize_t n;

    errno = 0;
    n = getline(&r->line, &r->line_cap, r->f);
    if (n < 0)
        return -1;
    r->lineno++;
    if (r->lineno == 1 && n >= 3 && memcmp(r->line, "\xEF\xBB\xBF", 3) == 0) {
        memmove(r->line, r->line + 3, (size_t)n - 2);
        n -= 3;
    }
    if (n > 0 && r->line[n - 1] == '\n')
        r->line[--n] = '\0';
    if (n > 0 && r->line[n - 1] == '\r')
        r->line[--n] = '\0';
    return n;
}

/* ------------------------------------------------------------------------
 * CSV
 * ---------------------------------------------------------------------- */

static int rec_append(bulk_reader *r, const char *p, size_t n)
{
    if (r->rec_len + n + 1 > r->rec_cap) {
        size_t cap = r->rec_cap ? r->rec_cap : 1024;
        char *d;

        while (cap < r->rec_len + n + 1)
            cap *= 2;
        d = realloc(r->rec, cap);
        if (d == NULL)
            return -1;
        r->rec = d;
        r->rec_cap = cap;
    }
    memcpy(r->rec + r->rec_len, p, n);
    r->rec_len += n;
    r->rec[r->rec_len] = '\0';
    return 0;
}

/* Whether text leaves a quoted field open. */
static int csv_open_quote(const char *s)
{
    int in = 0;

    for (; *s != '\0'; s++)
        if (*s == '"')
            in = !in;
    return in;
}

/* Reads one logical CSV record into r->rec. Returns 1, 2 when the file ends
 * inside a quoted field, 0 at the end, -1 on error (msg set). *first_line
 * receives its first line number. */
static int csv_read_record(bulk_reader *r, long *first_line, char *msg, size_t msg_size)
{
    ssize_t n;

    r->rec_len = 0;
    if (r->rec != NULL)
        r->rec[0] = '\0';
    do {
        n = read_line(r);
        if (n < 0) {
            if (errno != 0) {
                (void)snprintf(msg, msg_size, "read error: %s", strerror(errno));
                return -1;
            }
            if (r->rec_len == 0)
                return 0;
            return 2; /* the file ends inside a quoted field */
        }
        if (r->rec_len == 0) {
            if (is_blank(r->line))
                continue;
            *first_line = r->lineno;
        } else if (rec_append(r, "\n", 1) != 0) {
            (void)snprintf(msg, msg_size, "out of memory");
            return -1;
        }
        if (r->rec_len + (size_t)n > BULK_RECORD_MAX) {
            (void)snprintf(msg, msg_size, "line %ld: record longer than %u bytes", *first_line,
                           (unsigned)BULK_RECORD_MAX);
            return -1;
        }
        if (rec_append(r, r->line, (size_t)n) != 0) {
            (void)snprintf(msg, msg_size, "out of memory");
            return -1;
        }
    } while (r->rec_len == 0 || csv_open_quote(r->rec));
    return 1;
}

/* Splits r->rec in place into at most max cells. Returns the number of
 * cells, or -1 for a malformed record (stray quote) or too many cells. */
static long csv_split(char *s, char **cells, size_t max)
{
    size_t n = 0;
    char *w;

    for (;;) {
        if (n == max)
            return -1;
        cells[n++] = w = s;
        if (*s == '"') {
            s++;
            for (;;) {
                if (*s == '\0')
                    return -1;
                if (*s == '"') {
                    if (s[1] == '"') {
                        *w++ = '"';
                        s += 2;
                        continue;
                    }
                    s++;
                    break;
                }
                *w++ = *s++;
            }
            if (*s != ',' && *s != '\0')
                return -1;
        } else {
            while (*s != ',' && *s != '\0') {
                if (*s == '"')
                    return -1;
                *w++ = *s++;
            }
        }
        if (*s == '\0') {
            *w = '\0';
            return (long)n;
        }
        *w = '\0';
        s++;
    }
}

static int is_int_member(const char *name)
{
    size_t i;

    for (i = 0; bulk_int_members[i] != NULL; i++)
        if (strcmp(bulk_int_members[i], name) == 0)
            return 1;
    return 0;
}

static int client_field_index(const char *name)
{
    if (strncmp(name, "client_field", 12) == 0 && name[12] >= '1' && name[12] <= '3' &&
        name[13] == '\0')
        return name[12] - '1';
    return -1;
}

static int csv_header(bulk_reader *r, char *msg, size_t msg_size)
{
    char *cells[256];
    long first = 0, n, i, j;
    int rc, has_op = 0;

    rc = csv_read_record(r, &first, msg, msg_size);
    if (rc != 1) {
        if (rc == 0)
            (void)snprintf(msg, msg_size, "the CSV file is empty (it needs a header row)");
        else if (rc == 2)
            (void)snprintf(msg, msg_size, "line %ld: a quoted field of the header is not closed",
                           first);
        return -1;
    }
    n = csv_split(r->rec, cells, sizeof(cells) / sizeof(cells[0]));
    if (n < 0) {
        (void)snprintf(msg, msg_size, "line %ld: malformed CSV header", first);
        return -1;
    }
    r->cols = calloc((size_t)n, sizeof(*r->cols));
    if (r->cols == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (cells[i][0] == '\0') {
            (void)snprintf(msg, msg_size, "line %ld: column %ld of the header has no name", first,
                           i + 1);
            return -1;
        }
        for (j = 0; j < i; j++) {
            if (strcmp(r->cols[j], cells[i]) == 0) {
                (void)snprintf(msg, msg_size, "line %ld: column '%s' appears twice", first,
                               cells[i]);
                return -1;
            }
        }
        r->cols[i] = strdup(cells[i]);
        if (r->cols[i] == NULL) {
            (void)snprintf(msg, msg_size, "out of memory");
            return -1;
        }
        r->ncols = (size_t)i + 1;
        has_op |= strcmp(cells[i], "op") == 0;
    }
    if (!has_op) {
        (void)snprintf(msg, msg_size, "line %ld: the CSV header has no 'op' column", first);
        return -1;
    }
    return 0;
}

/* Strict int64: optional '-', digits, nothing else. */
static int parse_int64(const char *s, int64_t *out)
{
    char *end;
    long long v;

    if (*s == '\0' || (*s != '-' && (*s < '0' || *s > '9')))
        return -1;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0')
        return -1;
    *out = (int64_t)v;
    return 0;
}

/* Builds rec from the cells of one record. */
static void csv_record(bulk_reader *r, char **cells, size_t n, bulk_record *rec)
{
    json_object *req = json_object_new_object();
    json_object *cf = NULL;
    const char *text;
    size_t i;

    if (req == NULL) {
        (void)snprintf(rec->error, sizeof(rec->error), "out of memory");
        return;
    }
    for (i = 0; i < n; i++) {
        const char *name = r->cols[i];
        const char *cell = cells[i];
        int k;

        if (strcmp(name, "op") == 0) {
            rec->op = strdup(cell);
            continue;
        }
        k = client_field_index(name);
        if (k >= 0) {
            if (cf == NULL) {
                int j;

                cf = json_object_new_array();
                for (j = 0; cf != NULL && j < 3; j++)
                    (void)json_object_array_add(cf, json_object_new_string(""));
            }
            if (cf != NULL)
                (void)json_object_array_put_idx(cf, (size_t)k, json_object_new_string(cell));
            continue;
        }
        if (cell[0] == '\0')
            continue;
        if (is_int_member(name)) {
            int64_t v;

            if (parse_int64(cell, &v) != 0) {
                (void)snprintf(rec->error, sizeof(rec->error),
                               "column %s: '%.40s' is not an integer", name, cell);
                goto out;
            }
            (void)json_object_object_add(req, name, json_object_new_int64(v));
        } else {
            (void)json_object_object_add(req, name, json_object_new_string(cell));
        }
        if (strcmp(name, "order_id") == 0)
            rec->order_id = strdup(cell);
        else if (strcmp(name, "buyer_id") == 0)
            rec->buyer_id = strdup(cell);
    }
    if (cf != NULL) {
        (void)json_object_object_add(req, "client_fields", cf);
        cf = NULL;
    }
    text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
    rec->request = text != NULL ? strdup(text) : NULL;
    if (rec->request == NULL)
        (void)snprintf(rec->error, sizeof(rec->error), "out of memory");
    else
        rec->request_len = strlen(rec->request);
out:
    json_object_put(cf);
    json_object_put(req);
}

static int csv_next(bulk_reader *r, bulk_record *rec, char *msg, size_t msg_size)
{
    char **cells;
    long n;
    int rc;

    rc = csv_read_record(r, &rec->line, msg, msg_size);
    if (rc <= 0)
        return rc;
    if (rc == 2) {
        (void)snprintf(rec->error, sizeof(rec->error),
                       "a quoted field is not closed before the end of the file");
        return 1;
    }
    cells = calloc(r->ncols, sizeof(*cells));
    if (cells == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    n = csv_split(r->rec, cells, r->ncols);
    if (n < 0)
        (void)snprintf(rec->error, sizeof(rec->error),
                       "malformed CSV record (a stray quote, or more than %zu cells)", r->ncols);
    else if ((size_t)n != r->ncols)
        (void)snprintf(rec->error, sizeof(rec->error), "%ld cells where the header has %zu", n,
                       r->ncols);
    else
        csv_record(r, cells, (size_t)n, rec);
    free(cells);
    return 1;
}

/* ------------------------------------------------------------------------
 * JSON lines
 * ---------------------------------------------------------------------- */

static char *member_string(json_object *obj, const char *name)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(obj, name, &v) || !json_object_is_type(v, json_type_string))
        return NULL;
    return strdup(json_object_get_string(v));
}

static int jsonl_next(bulk_reader *r, bulk_record *rec, char *msg, size_t msg_size)
{
    json_tokener *tok;
    json_object *obj, *req, *op = NULL;
    enum json_tokener_error jerr;
    const char *text;
    ssize_t n;

    do {
        n = read_line(r);
        if (n < 0) {
            if (errno != 0) {
                (void)snprintf(msg, msg_size, "read error: %s", strerror(errno));
                return -1;
            }
            return 0;
        }
    } while (is_blank(r->line));
    rec->line = r->lineno;
    if ((size_t)n > BULK_RECORD_MAX) {
        (void)snprintf(rec->error, sizeof(rec->error), "line longer than %u bytes",
                       (unsigned)BULK_RECORD_MAX);
        return 1;
    }
    tok = json_tokener_new();
    if (tok == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    obj = json_tokener_parse_ex(tok, r->line, (int)n);
    jerr = json_tokener_get_error(tok);
    if (obj != NULL && jerr == json_tokener_success && !is_blank(r->line + tok->char_offset)) {
        json_object_put(obj);
        obj = NULL;
        (void)snprintf(rec->error, sizeof(rec->error), "text after the JSON object");
    } else if (obj == NULL || jerr != json_tokener_success) {
        json_object_put(obj);
        obj = NULL;
        (void)snprintf(rec->error, sizeof(rec->error), "not JSON: %s",
                       jerr == json_tokener_continue ? "unexpected end of line"
                                                     : json_tokener_error_desc(jerr));
    }
    json_tokener_free(tok);
    if (obj == NULL)
        return 1;
    if (!json_object_is_type(obj, json_type_object)) {
        (void)snprintf(rec->error, sizeof(rec->error), "not a JSON object");
        json_object_put(obj);
        return 1;
    }
    if (!json_object_object_get_ex(obj, "op", &op) || !json_object_is_type(op, json_type_string)) {
        (void)snprintf(rec->error, sizeof(rec->error), "no \"op\" string member");
        json_object_put(obj);
        return 1;
    }
    rec->op = strdup(json_object_get_string(op));
    rec->order_id = member_string(obj, "order_id");
    rec->buyer_id = member_string(obj, "buyer_id");
    req = json_object_new_object();
    if (req == NULL) {
        json_object_put(obj);
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    json_object_object_foreach(obj, key, val)
    {
        if (strcmp(key, "op") != 0)
            (void)json_object_object_add(req, key, json_object_get(val));
    }
    text = json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN |
                                                   JSON_C_TO_STRING_NOSLASHESCAPE);
    rec->request = text != NULL ? strdup(text) : NULL;
    if (rec->request != NULL)
        rec->request_len = strlen(rec->request);
    json_object_put(req);
    json_object_put(obj);
    if (rec->request == NULL || rec->op == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    return 1;
}

/* ------------------------------------------------------------------------
 * The reader
 * ---------------------------------------------------------------------- */

/* Looks at the first byte that is not blank (nor a byte-order mark).
 * *newlines receives the line breaks consumed on the way. */
static int sniff_format(FILE *f, long *newlines)
{
    int c;

    *newlines = 0;
    do {
        c = getc(f);
        if (c == '\n')
            (*newlines)++;
    } while (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == 0xEF || c == 0xBB ||
             c == 0xBF);
    if (c != EOF)
        (void)ungetc(c, f);
    return c == '{' ? BULK_FORMAT_JSONL : BULK_FORMAT_CSV;
}

static int format_of_name(const char *path)
{
    if (ends_with(path, ".csv") || ends_with(path, ".CSV"))
        return BULK_FORMAT_CSV;
    if (ends_with(path, ".jsonl") || ends_with(path, ".ndjson") || ends_with(path, ".json"))
        return BULK_FORMAT_JSONL;
    return BULK_FORMAT_AUTO;
}

int bulk_reader_open(const char *path, int format, bulk_reader **out, char *msg,
                     size_t msg_size)
{
    bulk_reader *r = calloc(1, sizeof(*r));

    *out = NULL;
    if (r == NULL) {
        (void)snprintf(msg, msg_size, "out of memory");
        return -1;
    }
    if (strcmp(path, "-") == 0) {
        r->f = stdin;
    } else {
        r->f = fopen(path, "re");
        if (r->f == NULL) {
            (void)snprintf(msg, msg_size, "%s: %s", path, strerror(errno));
            free(r);
            return -1;
        }
        r->own = 1;
    }
    if (format == BULK_FORMAT_AUTO)
        format = format_of_name(path);
    if (format == BULK_FORMAT_AUTO) {
        long skipped;

        /* Sniffing consumes only blanks; a file is read again from the
         * start, stdin goes on with its line count kept true. */
        format = sniff_format(r->f, &skipped);
        if (r->own)
            rewind(r->f);
        else
            r->lineno = skipped;
    }
    r->format = format;
    if (format == BULK_FORMAT_CSV && csv_header(r, msg, msg_size) != 0) {
        bulk_reader_close(r);
        return -1;
    }
    *out = r;
    return 0;
}

int bulk_reader_next(bulk_reader *r, bulk_record *rec, char *msg, size_t msg_size)
{
    memset(rec, 0, sizeof(*rec));
    if (r->format == BULK_FORMAT_CSV)
        return csv_next(r, rec, msg, msg_size);
    return jsonl_next(r, rec, msg, msg_size);
}

int bulk_reader_format(const bulk_reader *r)
{
    return r->format;
}

void bulk_reader_close(bulk_reader *r)
{
    size_t i;

    if (r == NULL)
        return;
    if (r->own && r->f != NULL)
        (void)fclose(r->f);
    for (i = 0; i < r->ncols; i++)
        free(r->cols[i]);
    free(r->cols);
    free(r->line);
    free(r->rec);
    free(r);
}

long bulk_count_records(const char *path, int format)
{
    FILE *f;
    long records = 0;
    int c, in_quote = 0, content = 0;

    if (strcmp(path, "-") == 0)
        return -1;
    f = fopen(path, "re");
    if (f == NULL)
        return -1;
    if (format == BULK_FORMAT_AUTO)
        format = format_of_name(path);
    if (format == BULK_FORMAT_AUTO) {
        long skipped;

        format = sniff_format(f, &skipped);
        rewind(f);
    }
    while ((c = getc(f)) != EOF) {
        if (format == BULK_FORMAT_CSV && c == '"')
            in_quote = !in_quote;
        if (c == '\n' && !in_quote) {
            records += content;
            content = 0;
        } else if (c != ' ' && c != '\t' && c != '\r' && c != 0xEF && c != 0xBB && c != 0xBF) {
            content = 1;
        }
    }
    records += content;
    (void)fclose(f);
    if (format == BULK_FORMAT_CSV && records > 0)
        records--; /* the header */
    return records;
}
