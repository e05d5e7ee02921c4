/* SQLite persistence. One connection guarded by one mutex: every request
 * takes the lock for its whole duration (sbx_store_lock), so operations on
 * buyers and their credit lines are serialised and atomic. */
#ifndef SBX_STORE_H
#define SBX_STORE_H

#include <stdbool.h>
#include <stddef.h>
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
    int closing;            /* SBX_CLOSING_MONTH_END (0) or a day 1-28 */
    char payment[24];       /* how the buyer pays invoices: pay_ontime, paylate<N>,
                               paypartial, paynever */
    bool dunning_suspended; /* SUSPENDED because of an overdue invoice (paying
                               restores AVAILABLE) */
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
    int64_t invoice_id;     /* the invoice the sale went on, 0 before closing */
    int64_t billed_amount;  /* what the buyer has been invoiced for this order so far */
    int64_t billed_tax;
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

/* One consolidated invoice per buyer per closing period (§8). */
typedef struct sbx_invoice {
    int64_t id;
    char shop_id[16];
    char buyer_id[24];
    int closing;
    char period_start[12];  /* yyyyMMdd, like FixedAt */
    char period_end[12];    /* the closing date */
    char issue_date[12];
    char due_date[12];
    int64_t amount;         /* sums of the lines */
    int64_t tax;
    int64_t total;          /* amount + tax: what the buyer owes */
    int64_t paid_amount;
    char state[16];         /* closed, issued, overdue, paid, credit */
    char dunning_step[24];  /* last dunning step taken, "" for none */
    int64_t deposit_id;
    int64_t created_at;     /* virtual times; 0 = not yet */
    int64_t issued_at;
    int64_t paid_at;
} sbx_invoice;

/* An invoice line: a sale (kind SALES), or an adjustment for a return or a
 * lowering after invoicing (RETURN, CHANGE; negative) waiting with
 * invoice_id 0 for the buyer's next closing, or a credit carried over from
 * an invoice that came out negative (CARRY). */
typedef struct sbx_line {
    int64_t id;
    int64_t invoice_id;
    char shop_id[16];
    char buyer_id[24];
    char order_id[32];
    char kind[16];
    int64_t amount;
    int64_t tax;
    char date[12];          /* yyyyMMdd: fixed date of a sale, date of an adjustment */
    int64_t created_at;
} sbx_line;

/* The merchant's deposit statement of one closing period (§8). */
typedef struct sbx_deposit {
    int64_t id;
    char shop_id[16];
    int closing;
    char period_start[12];
    char period_end[12];
    char deposit_date[12];
    int64_t sales;          /* every sale of the period, in full */
    int64_t deductions;     /* returns and lowerings after invoicing (positive) */
    int64_t total;          /* sales - deductions */
    char state[16];         /* scheduled, paid */
    int64_t created_at;
    int64_t paid_at;
} sbx_deposit;

typedef struct sbx_payment {
    int64_t id;
    int64_t invoice_id;
    int64_t amount;
    int64_t at;
    char source[16];        /* buyer (test value) or operator (admin call) */
} sbx_payment;

/* What the buyer owes, from its invoices. */
typedef struct sbx_buyer_money {
    int64_t invoiced;        /* total of all invoices */
    int64_t paid;            /* total of all payments */
    int64_t overdue_count;   /* invoices past due and not paid */
    int64_t overdue_amount;  /* what is outstanding on them */
    char dunning_step[24];   /* the furthest step among them, "" for none */
} sbx_buyer_money;

/* A result notification (§7) and its delivery. */
typedef struct sbx_notification {
    int64_t id;
    char shop_id[16];
    char order_id[32];      /* "" for the connectivity test */
    char status[16];
    char job_cd[16];
    char err_info[16];
    char *body;             /* owned: exactly the bytes sent, every time */
    int64_t created_at;     /* virtual time of the change */
    char state[16];         /* pending, acknowledged, failed, unsent */
    int attempts;           /* scheduled sends made (first + resends) */
    int duplicates;         /* extra sends asked for through the admin API */
    int pending_duplicates; /* of those, not yet sent */
    int64_t next_attempt_ms;/* real time, ms since the epoch */
    int last_http_status;   /* -1 before the first send, 0 no HTTP answer */
    char last_answer[208];  /* printable ASCII, cut */
    char last_error[128];
} sbx_notification;

typedef struct sbx_notify_attempt {
    int64_t id;
    int64_t notification_id;
    int64_t at_ms;          /* real time */
    int http_status;        /* 0: no HTTP answer */
    char answer[208];
    char error[128];
    bool duplicate;
    bool acknowledged;
} sbx_notify_attempt;

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

/* Marks every pending event of kind for (shop, ref) as done with result
 * "cancelled" (a buyer's closing rule changed, for instance). */
int sbx_store_event_cancel(sbx_store *s, const char *kind, const char *shop_id,
                           const char *ref, int64_t at);

int sbx_store_log_add(sbx_store *s, sbx_logrow *r);       /* sets seq */
typedef int (*sbx_log_cb)(void *ctx, const sbx_logrow *r);
/* Rows with seq > since in order; limit < 0 means all. */
int sbx_store_log_foreach(sbx_store *s, int64_t since, int limit, sbx_log_cb cb, void *ctx);
int64_t sbx_store_log_last_seq(sbx_store *s);

/* ---- settlement (sbx_store_settle.c) ---- */

int sbx_store_invoice_insert(sbx_store *s, sbx_invoice *inv);  /* sets id */
int sbx_store_invoice_save(sbx_store *s, const sbx_invoice *inv);
int sbx_store_invoice_get(sbx_store *s, int64_t id, sbx_invoice *out);
typedef int (*sbx_invoice_cb)(void *ctx, const sbx_invoice *inv);
/* shop_id / buyer_id NULL: any. Oldest first. */
int sbx_store_invoice_foreach(sbx_store *s, const char *shop_id, const char *buyer_id,
                              sbx_invoice_cb cb, void *ctx);
/* Overdue invoices of a buyer other than except_id. */
int64_t sbx_store_invoice_overdue_count(sbx_store *s, const char *shop_id,
                                        const char *buyer_id, int64_t except_id);
int sbx_store_buyer_money(sbx_store *s, const char *shop_id, const char *buyer_id,
                          sbx_buyer_money *out);

int sbx_store_line_insert(sbx_store *s, sbx_line *line);  /* sets id */
int sbx_store_line_set_invoice(sbx_store *s, int64_t line_id, int64_t invoice_id);
typedef int (*sbx_line_cb)(void *ctx, const sbx_line *line);
/* The lines of an invoice; invoice_id 0: the pending lines of (shop, buyer). */
int sbx_store_line_foreach(sbx_store *s, int64_t invoice_id, const char *shop_id,
                           const char *buyer_id, sbx_line_cb cb, void *ctx);
/* The lines of every invoice on a deposit statement. */
int sbx_store_deposit_line_foreach(sbx_store *s, int64_t deposit_id, sbx_line_cb cb,
                                   void *ctx);

/* Order IDs of a buyer's SALES transactions not on an invoice yet whose
 * fixed date is on or before period_end; malloc'ed array of malloc'ed
 * strings (free with sbx_strv_free). */
int sbx_store_sales_to_invoice(sbx_store *s, const char *shop_id, const char *buyer_id,
                               const char *period_end, char ***out, size_t *n);
/* Order IDs of the transactions on an invoice. */
int sbx_store_invoice_orders(sbx_store *s, int64_t invoice_id, char ***out, size_t *n);
void sbx_strv_free(char **v, size_t n);

int sbx_store_deposit_insert(sbx_store *s, sbx_deposit *d);  /* sets id */
int sbx_store_deposit_save(sbx_store *s, const sbx_deposit *d);
int sbx_store_deposit_get(sbx_store *s, int64_t id, sbx_deposit *out);
/* The statement of (shop, closing rule, closing date); 1 found, 0 none, -1. */
int sbx_store_deposit_find(sbx_store *s, const char *shop_id, int closing,
                           const char *period_end, sbx_deposit *out);
typedef int (*sbx_deposit_cb)(void *ctx, const sbx_deposit *d);
int sbx_store_deposit_foreach(sbx_store *s, const char *shop_id, sbx_deposit_cb cb,
                              void *ctx);

int sbx_store_payment_insert(sbx_store *s, sbx_payment *p);  /* sets id */
typedef int (*sbx_payment_cb)(void *ctx, const sbx_payment *p);
int sbx_store_payment_foreach(sbx_store *s, int64_t invoice_id, sbx_payment_cb cb,
                              void *ctx);

/* Buyers that have no pending event of kind (e.g. no next closing
 * because the database was written by an older sandbox). */
typedef struct sbx_buyer_key {
    char shop_id[16];
    char buyer_id[24];
    int closing;
} sbx_buyer_key;
int sbx_store_buyers_without_pending(sbx_store *s, const char *kind, sbx_buyer_key **out,
                                     size_t *n);

/* ---- notifications (sbx_store_notify.c) ---- */

void sbx_notification_clear(sbx_notification *n);  /* NULL-safe */
int sbx_store_notification_insert(sbx_store *s, sbx_notification *n);  /* sets id */
int sbx_store_notification_get(sbx_store *s, int64_t id, sbx_notification *out);
/* The oldest notification to send at real time now_ms: pending and due,
 * or with a duplicate asked for. 1 found, 0 none, -1 error. */
int sbx_store_notification_next_due(sbx_store *s, int64_t now_ms, sbx_notification *out);
/* The earliest next_attempt_ms of a pending notification, or -1 for none. */
int64_t sbx_store_notification_next_time(sbx_store *s);
/* Records one send: the attempt row, the counters, the new state and the
 * time of the next send. */
int sbx_store_notification_record(sbx_store *s, const sbx_notify_attempt *a,
                                  const char *state, int64_t next_attempt_ms);
/* Asks for one extra send; 1 done, 0 no such notification, -1 error. */
int sbx_store_notification_add_duplicate(sbx_store *s, int64_t id);
typedef int (*sbx_notification_cb)(void *ctx, const sbx_notification *n);
/* order_id NULL: all. Oldest first. */
int sbx_store_notification_foreach(sbx_store *s, const char *order_id,
                                   sbx_notification_cb cb, void *ctx);
typedef int (*sbx_attempt_cb)(void *ctx, const sbx_notify_attempt *a);
int sbx_store_attempt_foreach(sbx_store *s, int64_t notification_id, sbx_attempt_cb cb,
                              void *ctx);

#endif
