/*
 * bulk.h - pmp-host bulk: run a file of operations concurrently on one
 * plugin context. Internal to pmp-host.
 *
 * Input: JSON lines (one object per line: "op" plus the members of that
 * operation's request) or CSV (a header row naming "op" and request
 * members; one operation per record). Output: one JSON line per input
 * record, written whole with a single write() as soon as it finishes.
 */
#ifndef PMP_HOST_BULK_H
#define PMP_HOST_BULK_H

#include <stddef.h>
#include <stdint.h>

#include "host.h"

#define BULK_FORMAT_AUTO 0
#define BULK_FORMAT_JSONL 1
#define BULK_FORMAT_CSV 2

/* Longest input record accepted (a request is a few kilobytes). */
#define BULK_RECORD_MAX (1024u * 1024u)

/* One input record, parsed. Strings are owned; bulk_record_clear frees them. */
typedef struct bulk_record {
    long line;        /* 1-based input line where the record starts */
    char *op;         /* operation name as written, or NULL */
    char *request;    /* the request JSON (NUL-terminated), NULL if invalid */
    size_t request_len;
    char *order_id;   /* the request's order_id, or NULL */
    char *buyer_id;   /* the request's buyer_id, or NULL */
    char error[256];  /* non-empty: the record is invalid, with why */
} bulk_record;

void bulk_record_clear(bulk_record *rec);

typedef struct bulk_reader bulk_reader;

/* Opens path ("-" is stdin). format BULK_FORMAT_AUTO picks CSV for a .csv
 * name, JSON lines for .jsonl/.ndjson/.json, else by the first byte ('{'
 * means JSON lines). For CSV the header row is read here. Returns 0, or -1
 * with msg set. */
int bulk_reader_open(const char *path, int format, bulk_reader **out, char *msg,
                     size_t msg_size);
/* The next record: 1 (rec filled, maybe with rec->error set), 0 at the end,
 * -1 on a read error (msg set). Blank lines are skipped. */
int bulk_reader_next(bulk_reader *r, bulk_record *rec, char *msg, size_t msg_size);
/* The format in use (BULK_FORMAT_JSONL or BULK_FORMAT_CSV). */
int bulk_reader_format(const bulk_reader *r);
void bulk_reader_close(bulk_reader *r);

/* Number of records in path (for progress and ETA), or -1 (stdin or
 * unreadable). */
long bulk_count_records(const char *path, int format);

/* pmp-host [global options] bulk FILE [options]: argv[0] is "bulk".
 * Returns the exit status. */
int host_bulk_main(const host_options *opts, int argc, char **argv);

#endif /* PMP_HOST_BULK_H */
