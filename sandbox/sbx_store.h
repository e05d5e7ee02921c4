/* SQLite persistence. One connection guarded by one mutex: every request
 * takes the lock for its whole duration (sbx_store_lock), so operations on
 * buyers and their credit lines are serialised and atomic. */
#ifndef SBX_STORE_H
#define SBX_STORE_H

#include <stdbool.h>
#include <stdint.h>

typedef struct sbx_store sbx_store;

typedef struct sbx_buyer {
    int64_t id;
    char shop_id[16];
    char buyer_id[24];
    char paid_id[16];       /* derived from id: "P" + 9 digits */
    char status[16];        /* EXAMINATION, AVAILABLE, UNAVAILABLE, SUSPENDED */
    int64_t credit_line;
    int64_t reserved;       /* sum of the reservations of its orders */
    bool order_review;      /* every order goes to AUTHPROCESS first */
    char *data_json;        /* owned: every SavePaidBuyer field, UTF-8 JSON object */
    char *company_name;     /* owned */
    char *email;            /* owned */
    int64_t created_at;
    int64_t updated_at;
} sbx_buyer;

typedef struct sbx_txn {
    int64_t id;
    char shop_id[16];
    char order_id[32];
    char access_id[40];
    char access_pass[40];
    char status[16];        /* UNPROCESSED, AUTHPROCESS, AUTH, SALES, CANCEL, RETURN, PAYFAIL */
    char job_cd[16];        /* last job: AUTH, CHANGE, SALES, CANCEL, RETURN ("" before Exec) */
    char buyer_id[24];
    char paid_code[16];
    char fixed_at[12];
    int64_t amount;
    int64_t tax;
    int64_t reserved;       /* what this order currently holds of the buyer's line */
    bool has_cancel;
    int64_t cancel_amount;
    int64_t cancel_tax;
    char *contents;         /* owned, never NULL once loaded/initialised */
    char *client_field[3];  /* owned, never NULL once loaded/initialised */
    int64_t created_at;
    int64_t updated_at;
} sbx_txn;

typedef struct sbx_event {
    int64_t id;
    int64_t due_at;
    char kind[32];
    char shop_id[16];
    char ref[32];
    char payload[64];
} sbx_event;

typedef struct sbx_logrow {
    int64_t seq;
    char op[40];
    char shop_id[16];
    char order_id[32];
    char buyer_id[24];
    char err_info[512];
    int http_status;        /* 0: the connection was dropped without an answer */
    int64_t at;
    char fault[24];         /* the injected fault kind, "" for none */
} sbx_logrow;

int sbx_store_open(const char *path, sbx_store **out);
void sbx_store_close(sbx_store *s);  /* NULL-safe */

void sbx_store_lock(sbx_store *s);
void sbx_store_unlock(sbx_store *s);

int sbx_store_begin(sbx_store *s);
int sbx_store_commit(sbx_store *s);
void sbx_store_rollback(sbx_store *s);

/* Virtual clock (lock held). */
int64_t sbx_store_now(const sbx_store *s);
int64_t sbx_store_clock_offset(const sbx_store *s);
int sbx_store_set_clock_offset(sbx_store *s, int64_t offset_s);

/* Wipes buyers, transactions, events, the request log and the clock offset. */
int sbx_store_reset(sbx_store *s);

/* Records: *_get return 1 found, 0 not found, -1 error. shop_id NULL
 * matches any shop (admin look-ups). Records must be cleared with
 * sbx_buyer_clear / sbx_txn_clear (NULL-safe, idempotent). */
void sbx_buyer_clear(sbx_buyer *b);
int sbx_store_buyer_get(sbx_store *s, const char *shop_id, const char *buyer_id, sbx_buyer *out);
int sbx_store_buyer_insert(sbx_store *s, sbx_buyer *b);   /* sets id, paid_id */
int sbx_store_buyer_save(sbx_store *s, const sbx_buyer *b);
typedef int (*sbx_buyer_cb)(void *ctx, const sbx_buyer *b);
int sbx_store_buyer_foreach(sbx_store *s, sbx_buyer_cb cb, void *ctx);

/* Initialises t to an empty record whose strings are "" (allocated). */
int sbx_txn_init(sbx_txn *t);
void sbx_txn_clear(sbx_txn *t);
int sbx_store_txn_get(sbx_store *s, const char *shop_id, const char *order_id, sbx_txn *out);
int sbx_store_txn_insert(sbx_store *s, sbx_txn *t);       /* sets id */
int sbx_store_txn_save(sbx_store *s, const sbx_txn *t);
typedef int (*sbx_txn_cb)(void *ctx, const sbx_txn *t);
int sbx_store_txn_foreach(sbx_store *s, sbx_txn_cb cb, void *ctx);

int sbx_store_event_add(sbx_store *s, const char *kind, const char *shop_id,
                        const char *ref, const char *payload, int64_t due_at);
/* The earliest pending event due at or before now (ties by id). */
int sbx_store_event_next_due(sbx_store *s, int64_t now, sbx_event *out);
int sbx_store_event_finish(sbx_store *s, int64_t id, int64_t done_at, const char *result);
typedef int (*sbx_event_cb)(void *ctx, const sbx_event *e, int64_t done_at, const char *result);
int sbx_store_event_foreach(sbx_store *s, sbx_event_cb cb, void *ctx);

int sbx_store_log_add(sbx_store *s, sbx_logrow *r);       /* sets seq */
typedef int (*sbx_log_cb)(void *ctx, const sbx_logrow *r);
/* Rows with seq > since in order; limit < 0 means all. */
int sbx_store_log_foreach(sbx_store *s, int64_t since, int limit, sbx_log_cb cb, void *ctx);
int64_t sbx_store_log_last_seq(sbx_store *s);

#endif
