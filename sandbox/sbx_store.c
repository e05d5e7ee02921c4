#include "sbx_store.h"
#include "sbx_store_int.h"

#include "sbx_clock.h"
#include "sbx_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS clock("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  offset_s INTEGER NOT NULL);"
    "INSERT OR IGNORE INTO clock(id, offset_s) VALUES (1, 0);"
    "CREATE TABLE IF NOT EXISTS buyers("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  shop_id TEXT NOT NULL,"
    "  buyer_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  credit_line INTEGER NOT NULL,"
    "  reserved INTEGER NOT NULL DEFAULT 0,"
    "  order_review INTEGER NOT NULL DEFAULT 0,"
    "  closing INTEGER NOT NULL DEFAULT 0,"
    "  payment TEXT NOT NULL DEFAULT 'pay_ontime',"
    "  dunning_suspended INTEGER NOT NULL DEFAULT 0,"
    "  company_name TEXT NOT NULL,"
    "  email TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (shop_id, buyer_id));"
    "CREATE TABLE IF NOT EXISTS transactions("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  shop_id TEXT NOT NULL,"
    "  order_id TEXT NOT NULL,"
    "  access_id TEXT NOT NULL UNIQUE,"
    "  access_pass TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  job_cd TEXT NOT NULL DEFAULT '',"
    "  amount INTEGER NOT NULL,"
    "  tax INTEGER NOT NULL,"
    "  reserved INTEGER NOT NULL DEFAULT 0,"
    "  buyer_id TEXT NOT NULL DEFAULT '',"
    "  paid_code TEXT NOT NULL DEFAULT '',"
    "  contents TEXT NOT NULL DEFAULT '',"
    "  client_field1 TEXT NOT NULL DEFAULT '',"
    "  client_field2 TEXT NOT NULL DEFAULT '',"
    "  client_field3 TEXT NOT NULL DEFAULT '',"
    "  cancel_amount INTEGER,"
    "  cancel_tax INTEGER,"
    "  fixed_at TEXT NOT NULL DEFAULT '',"
    "  invoice_id INTEGER NOT NULL DEFAULT 0,"
    "  billed_amount INTEGER NOT NULL DEFAULT 0,"
    "  billed_tax INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL,"
    "  UNIQUE (shop_id, order_id));"
    /* Everything that happens later in virtual time is an event row, run
     * by sbx_events in due order; new business (closing, invoices, dunning,
     * deposits) adds kinds, not tables of timers. */
    "CREATE TABLE IF NOT EXISTS events("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  due_at INTEGER NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  shop_id TEXT NOT NULL,"
    "  ref TEXT NOT NULL,"
    "  payload TEXT NOT NULL DEFAULT '',"
    "  done_at INTEGER,"
    "  result TEXT);"
    "CREATE INDEX IF NOT EXISTS events_pending ON events(done_at, due_at, id);"
    "CREATE TABLE IF NOT EXISTS requests("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  op TEXT NOT NULL,"
    "  shop_id TEXT NOT NULL,"
    "  order_id TEXT NOT NULL,"
    "  buyer_id TEXT NOT NULL,"
    "  err_info TEXT NOT NULL,"
    "  http_status INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  fault TEXT NOT NULL DEFAULT '');"
    /* Settlement (docs/protocol.md §8): invoices and their lines, buyer
     * payments, the merchant's deposit statements. Amounts are JPY. */
    "CREATE TABLE IF NOT EXISTS invoices("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  shop_id TEXT NOT NULL,"
    "  buyer_id TEXT NOT NULL,"
    "  closing INTEGER NOT NULL,"
    "  period_start TEXT NOT NULL,"
    "  period_end TEXT NOT NULL,"
    "  issue_date TEXT NOT NULL,"
    "  due_date TEXT NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  tax INTEGER NOT NULL,"
    "  total INTEGER NOT NULL,"
    "  paid_amount INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL,"
    "  dunning_step TEXT NOT NULL DEFAULT '',"
    "  deposit_id INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL,"
    "  issued_at INTEGER NOT NULL DEFAULT 0,"
    "  paid_at INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS invoices_buyer ON invoices(shop_id, buyer_id);"
    "CREATE TABLE IF NOT EXISTS invoice_lines("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  invoice_id INTEGER NOT NULL DEFAULT 0,"
    "  shop_id TEXT NOT NULL,"
    "  buyer_id TEXT NOT NULL,"
    "  order_id TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  tax INTEGER NOT NULL,"
    "  date TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS lines_invoice ON invoice_lines(invoice_id, shop_id, buyer_id);"
    "CREATE TABLE IF NOT EXISTS payments("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  invoice_id INTEGER NOT NULL,"
    "  amount INTEGER NOT NULL,"
    "  at INTEGER NOT NULL,"
    "  source TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS deposits("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  shop_id TEXT NOT NULL,"
    "  closing INTEGER NOT NULL,"
    "  period_start TEXT NOT NULL,"
    "  period_end TEXT NOT NULL,"
    "  deposit_date TEXT NOT NULL,"
    "  sales INTEGER NOT NULL DEFAULT 0,"
    "  deductions INTEGER NOT NULL DEFAULT 0,"
    "  total INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  paid_at INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (shop_id, closing, period_end));"
    /* Result notifications (§7): the exact body, its delivery state, and
     * every attempt to deliver it. Delivery times are real time (ms). */
    "CREATE TABLE IF NOT EXISTS notifications("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  shop_id TEXT NOT NULL,"
    "  order_id TEXT NOT NULL,"
    "  status TEXT NOT NULL,"
    "  job_cd TEXT NOT NULL,"
    "  err_info TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  duplicates INTEGER NOT NULL DEFAULT 0,"
    "  pending_duplicates INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_http_status INTEGER NOT NULL DEFAULT -1,"
    "  last_answer TEXT NOT NULL DEFAULT '',"
    "  last_error TEXT NOT NULL DEFAULT '');"
    "CREATE TABLE IF NOT EXISTS notify_attempts("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  notification_id INTEGER NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  http_status INTEGER NOT NULL,"
    "  answer TEXT NOT NULL,"
    "  error TEXT NOT NULL,"
    "  duplicate INTEGER NOT NULL,"
    "  acknowledged INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS attempts_notification ON notify_attempts(notification_id);";

void sbx_db_log_error(sbx_store *s, const char *what)
{
    sbx_log_error("sqlite: %s: %s", what, sqlite3_errmsg(s->db));
}

sqlite3_stmt *sbx_db_prep(sbx_store *s, const char *sql)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
        sbx_db_log_error(s, "prepare");
        sqlite3_finalize(st);
        return NULL;
    }
    return st;
}

/* Binds a string that outlives the statement step (SQLITE_STATIC). */
int sbx_db_bind_text(sqlite3_stmt *st, int i, const char *v)
{
    return sqlite3_bind_text(st, i, v != NULL ? v : "", -1, SQLITE_STATIC);
}

void sbx_db_col_copy(sqlite3_stmt *st, int i, char *buf, size_t n)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    (void)snprintf(buf, n, "%s", t != NULL ? (const char *)t : "");
}

char *sbx_db_col_dup(sqlite3_stmt *st, int i)
{
    const unsigned char *t = sqlite3_column_text(st, i);
    return strdup(t != NULL ? (const char *)t : "");
}

/* Runs a statement that returns no rows; finalizes it. */
int sbx_db_step_done(sbx_store *s, sqlite3_stmt *st, const char *what)
{
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        sbx_db_log_error(s, what);
        return -1;
    }
    return 0;
}

int64_t sbx_db_last_id(sbx_store *s)
{
    return sqlite3_last_insert_rowid(s->db);
}

int sbx_db_each(sbx_store *s, sqlite3_stmt *st, const char *what,
                int (*row)(void *ctx, sqlite3_stmt *st), void *ctx)
{
    int result = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int cbrc = row(ctx, st);
        if (cbrc != 0) {
            result = cbrc;
            break;
        }
    }
    if (result == 0 && rc != SQLITE_DONE) {
        sbx_db_log_error(s, what);
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

int64_t sbx_db_scalar(sbx_store *s, sqlite3_stmt *st, int64_t def, bool *failed)
{
    int64_t v = def;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        sbx_db_log_error(s, "scalar");
        *failed = true;
    }
    sqlite3_finalize(st);
    return v;
}

int sbx_db_exec(sbx_store *s, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        sbx_log_error("sqlite: %s", msg != NULL ? msg : "exec failed");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

/* Adds a column that a database written by an older sandbox lacks, so a
 * --db file keeps working after an upgrade. */
static int ensure_column(sbx_store *s, const char *table, const char *column,
                         const char *decl)
{
    char sql[256];
    int w = snprintf(sql, sizeof sql, "SELECT 1 FROM pragma_table_info('%s') WHERE name = ?",
                     table);
    if (w < 0 || (size_t)w >= sizeof sql)
        return -1;
    sqlite3_stmt *st = sbx_db_prep(s, sql);
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, column);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW)
        return 0;
    if (rc != SQLITE_DONE) {
        sbx_db_log_error(s, "table info");
        return -1;
    }
    w = snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", table, column, decl);
    if (w < 0 || (size_t)w >= sizeof sql)
        return -1;
    return sbx_db_exec(s, sql);
}

static int migrate(sbx_store *s)
{
    return ensure_column(s, "requests", "fault", "TEXT NOT NULL DEFAULT ''") != 0 ||
                   ensure_column(s, "buyers", "closing", "INTEGER NOT NULL DEFAULT 0") != 0 ||
                   ensure_column(s, "buyers", "payment",
                                 "TEXT NOT NULL DEFAULT 'pay_ontime'") != 0 ||
                   ensure_column(s, "buyers", "dunning_suspended",
                                 "INTEGER NOT NULL DEFAULT 0") != 0 ||
                   ensure_column(s, "transactions", "invoice_id",
                                 "INTEGER NOT NULL DEFAULT 0") != 0 ||
                   ensure_column(s, "transactions", "billed_amount",
                                 "INTEGER NOT NULL DEFAULT 0") != 0 ||
                   ensure_column(s, "transactions", "billed_tax",
                                 "INTEGER NOT NULL DEFAULT 0") != 0
               ? -1
               : 0;
}

static int load_clock(sbx_store *s)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT offset_s FROM clock WHERE id = 1");
    if (st == NULL)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        s->clock_offset = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return rc == SQLITE_ROW ? 0 : -1;
}

int sbx_store_open(const char *path, sbx_store **out)
{
    *out = NULL;
    sbx_store *s = calloc(1, sizeof *s);
    if (s == NULL)
        return -1;
    if (pthread_mutex_init(&s->lock, NULL) != 0)
        goto free_store;
    /* FULLMUTEX on top of our own lock is cheap insurance should a future
     * code path forget to take it. */
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_FULLMUTEX;
    if (sqlite3_open_v2(path, &s->db, flags, NULL) != SQLITE_OK) {
        sbx_log_error("sqlite: cannot open %s: %s", path,
                      s->db != NULL ? sqlite3_errmsg(s->db) : "out of memory");
        goto close_db;
    }
    if (sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK)
        goto close_db;
    /* WAL keeps a file database fast with a commit per request; for
     * :memory: the pragma is a harmless no-op. */
    if (sbx_db_exec(s, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;") != 0 ||
        sbx_db_exec(s, schema_sql) != 0 || migrate(s) != 0 || load_clock(s) != 0)
        goto close_db;
    *out = s;
    return 0;
close_db:
    sqlite3_close(s->db);
    pthread_mutex_destroy(&s->lock);
free_store:
    free(s);
    return -1;
}

void sbx_store_close(sbx_store *s)
{
    if (s == NULL)
        return;
    if (sqlite3_close(s->db) != SQLITE_OK)
        sbx_log_error("sqlite: close: %s", sqlite3_errmsg(s->db));
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void sbx_store_lock(sbx_store *s)
{
    (void)pthread_mutex_lock(&s->lock);
}

void sbx_store_unlock(sbx_store *s)
{
    (void)pthread_mutex_unlock(&s->lock);
}

int sbx_store_begin(sbx_store *s)
{
    return sbx_db_exec(s, "BEGIN IMMEDIATE");
}

int sbx_store_commit(sbx_store *s)
{
    return sbx_db_exec(s, "COMMIT");
}

void sbx_store_rollback(sbx_store *s)
{
    if (sqlite3_get_autocommit(s->db) == 0)
        (void)sbx_db_exec(s, "ROLLBACK");
    /* The cached offset may have changed inside the rolled-back work. */
    (void)load_clock(s);
}

int64_t sbx_store_now(const sbx_store *s)
{
    return sbx_clock_now(s->clock_offset);
}

int64_t sbx_store_clock_offset(const sbx_store *s)
{
    return s->clock_offset;
}

int sbx_store_set_clock_offset(sbx_store *s, int64_t offset_s)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE clock SET offset_s = ? WHERE id = 1");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, offset_s);
    if (sbx_db_step_done(s, st, "set clock") != 0)
        return -1;
    s->clock_offset = offset_s;
    return 0;
}

int sbx_store_reset(sbx_store *s)
{
    /* The AUTOINCREMENT counters are kept on purpose: request sequence
     * numbers, PaidIDs and PaidCodes never repeat within one database, so a
     * client polling /requests?since=N after a reset cannot be confused. */
    if (sbx_db_exec(s, "BEGIN IMMEDIATE;"
                    "DELETE FROM buyers; DELETE FROM transactions;"
                    "DELETE FROM events; DELETE FROM requests;"
                    "DELETE FROM invoices; DELETE FROM invoice_lines;"
                    "DELETE FROM payments; DELETE FROM deposits;"
                    "DELETE FROM notifications; DELETE FROM notify_attempts;"
                    "UPDATE clock SET offset_s = 0 WHERE id = 1;"
                    "COMMIT;") != 0) {
        sbx_store_rollback(s);
        return -1;
    }
    s->clock_offset = 0;
    return 0;
}

/* ---- buyers ------------------------------------------------------------- */

void sbx_buyer_clear(sbx_buyer *b)
{
    if (b == NULL)
        return;
    free(b->data_json);
    free(b->company_name);
    free(b->email);
    memset(b, 0, sizeof *b);
}

static void set_paid_id(sbx_buyer *b)
{
    (void)snprintf(b->paid_id, sizeof b->paid_id, "P%09lld",
                   (long long)(100000000 + b->id % 900000000));
}

#define BUYER_COLS "id, shop_id, buyer_id, status, credit_line, reserved, order_review, " \
                   "company_name, email, data, created_at, updated_at, closing, payment, "  \
                   "dunning_suspended"

static int read_buyer(sqlite3_stmt *st, sbx_buyer *b)
{
    memset(b, 0, sizeof *b);
    b->id = sqlite3_column_int64(st, 0);
    sbx_db_col_copy(st, 1, b->shop_id, sizeof b->shop_id);
    sbx_db_col_copy(st, 2, b->buyer_id, sizeof b->buyer_id);
    sbx_db_col_copy(st, 3, b->status, sizeof b->status);
    b->credit_line = sqlite3_column_int64(st, 4);
    b->reserved = sqlite3_column_int64(st, 5);
    b->order_review = sqlite3_column_int(st, 6) != 0;
    b->company_name = sbx_db_col_dup(st, 7);
    b->email = sbx_db_col_dup(st, 8);
    b->data_json = sbx_db_col_dup(st, 9);
    b->created_at = sqlite3_column_int64(st, 10);
    b->updated_at = sqlite3_column_int64(st, 11);
    b->closing = sqlite3_column_int(st, 12);
    sbx_db_col_copy(st, 13, b->payment, sizeof b->payment);
    b->dunning_suspended = sqlite3_column_int(st, 14) != 0;
    set_paid_id(b);
    if (b->company_name == NULL || b->email == NULL || b->data_json == NULL) {
        sbx_buyer_clear(b);
        return -1;
    }
    return 0;
}

int sbx_store_buyer_get(sbx_store *s, const char *shop_id, const char *buyer_id, sbx_buyer *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " BUYER_COLS " FROM buyers "
                               "WHERE (?1 IS NULL OR shop_id = ?1) AND buyer_id = ?2 "
                               "ORDER BY id LIMIT 1");
    if (st == NULL)
        return -1;
    if (shop_id != NULL)
        sbx_db_bind_text(st, 1, shop_id);
    sbx_db_bind_text(st, 2, buyer_id);
    int rc = sqlite3_step(st);
    int result;
    if (rc == SQLITE_ROW)
        result = read_buyer(st, out) == 0 ? 1 : -1;
    else if (rc == SQLITE_DONE)
        result = 0;
    else {
        sbx_db_log_error(s, "buyer get");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

int sbx_store_buyer_insert(sbx_store *s, sbx_buyer *b)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO buyers(shop_id, buyer_id, status, credit_line, "
                               "reserved, order_review, company_name, email, data, "
                               "created_at, updated_at, closing, payment, dunning_suspended) "
                               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, b->shop_id);
    sbx_db_bind_text(st, 2, b->buyer_id);
    sbx_db_bind_text(st, 3, b->status);
    sqlite3_bind_int64(st, 4, b->credit_line);
    sqlite3_bind_int64(st, 5, b->reserved);
    sqlite3_bind_int(st, 6, b->order_review ? 1 : 0);
    sbx_db_bind_text(st, 7, b->company_name);
    sbx_db_bind_text(st, 8, b->email);
    sbx_db_bind_text(st, 9, b->data_json);
    sqlite3_bind_int64(st, 10, b->created_at);
    sqlite3_bind_int64(st, 11, b->updated_at);
    sqlite3_bind_int(st, 12, b->closing);
    sbx_db_bind_text(st, 13, b->payment[0] != '\0' ? b->payment : "pay_ontime");
    sqlite3_bind_int(st, 14, b->dunning_suspended ? 1 : 0);
    if (sbx_db_step_done(s, st, "buyer insert") != 0)
        return -1;
    b->id = sqlite3_last_insert_rowid(s->db);
    set_paid_id(b);
    return 0;
}

int sbx_store_buyer_save(sbx_store *s, const sbx_buyer *b)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE buyers SET status = ?, credit_line = ?, reserved = ?, "
                               "order_review = ?, company_name = ?, email = ?, data = ?, "
                               "updated_at = ?, closing = ?, payment = ?, "
                               "dunning_suspended = ? WHERE id = ?");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, b->status);
    sqlite3_bind_int64(st, 2, b->credit_line);
    sqlite3_bind_int64(st, 3, b->reserved);
    sqlite3_bind_int(st, 4, b->order_review ? 1 : 0);
    sbx_db_bind_text(st, 5, b->company_name);
    sbx_db_bind_text(st, 6, b->email);
    sbx_db_bind_text(st, 7, b->data_json);
    sqlite3_bind_int64(st, 8, b->updated_at);
    sqlite3_bind_int(st, 9, b->closing);
    sbx_db_bind_text(st, 10, b->payment[0] != '\0' ? b->payment : "pay_ontime");
    sqlite3_bind_int(st, 11, b->dunning_suspended ? 1 : 0);
    sqlite3_bind_int64(st, 12, b->id);
    return sbx_db_step_done(s, st, "buyer save");
}

int sbx_store_buyer_foreach(sbx_store *s, sbx_buyer_cb cb, void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " BUYER_COLS " FROM buyers ORDER BY id");
    if (st == NULL)
        return -1;
    int result = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sbx_buyer b;
        if (read_buyer(st, &b) != 0) {
            result = -1;
            break;
        }
        int cbrc = cb(ctx, &b);
        sbx_buyer_clear(&b);
        if (cbrc != 0) {
            result = cbrc;
            break;
        }
    }
    if (result == 0 && rc != SQLITE_DONE) {
        sbx_db_log_error(s, "buyer list");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

/* ---- transactions -------------------------------------------------------- */

int sbx_txn_init(sbx_txn *t)
{
    memset(t, 0, sizeof *t);
    t->contents = strdup("");
    for (int i = 0; i < 3; i++)
        t->client_field[i] = strdup("");
    if (t->contents == NULL || t->client_field[0] == NULL || t->client_field[1] == NULL ||
        t->client_field[2] == NULL) {
        sbx_txn_clear(t);
        return -1;
    }
    return 0;
}

void sbx_txn_clear(sbx_txn *t)
{
    if (t == NULL)
        return;
    free(t->contents);
    for (int i = 0; i < 3; i++)
        free(t->client_field[i]);
    memset(t, 0, sizeof *t);
}

#define TXN_COLS "id, shop_id, order_id, access_id, access_pass, status, job_cd, amount, " \
                 "tax, reserved, buyer_id, paid_code, contents, client_field1, "          \
                 "client_field2, client_field3, cancel_amount, cancel_tax, fixed_at, "    \
                 "created_at, updated_at, invoice_id, billed_amount, billed_tax"

static int read_txn(sqlite3_stmt *st, sbx_txn *t)
{
    memset(t, 0, sizeof *t);
    t->id = sqlite3_column_int64(st, 0);
    sbx_db_col_copy(st, 1, t->shop_id, sizeof t->shop_id);
    sbx_db_col_copy(st, 2, t->order_id, sizeof t->order_id);
    sbx_db_col_copy(st, 3, t->access_id, sizeof t->access_id);
    sbx_db_col_copy(st, 4, t->access_pass, sizeof t->access_pass);
    sbx_db_col_copy(st, 5, t->status, sizeof t->status);
    sbx_db_col_copy(st, 6, t->job_cd, sizeof t->job_cd);
    t->amount = sqlite3_column_int64(st, 7);
    t->tax = sqlite3_column_int64(st, 8);
    t->reserved = sqlite3_column_int64(st, 9);
    sbx_db_col_copy(st, 10, t->buyer_id, sizeof t->buyer_id);
    sbx_db_col_copy(st, 11, t->paid_code, sizeof t->paid_code);
    t->contents = sbx_db_col_dup(st, 12);
    for (int i = 0; i < 3; i++)
        t->client_field[i] = sbx_db_col_dup(st, 13 + i);
    t->has_cancel = sqlite3_column_type(st, 16) != SQLITE_NULL;
    t->cancel_amount = sqlite3_column_int64(st, 16);
    t->cancel_tax = sqlite3_column_int64(st, 17);
    sbx_db_col_copy(st, 18, t->fixed_at, sizeof t->fixed_at);
    t->created_at = sqlite3_column_int64(st, 19);
    t->updated_at = sqlite3_column_int64(st, 20);
    t->invoice_id = sqlite3_column_int64(st, 21);
    t->billed_amount = sqlite3_column_int64(st, 22);
    t->billed_tax = sqlite3_column_int64(st, 23);
    if (t->contents == NULL || t->client_field[0] == NULL || t->client_field[1] == NULL ||
        t->client_field[2] == NULL) {
        sbx_txn_clear(t);
        return -1;
    }
    return 0;
}

int sbx_store_txn_get(sbx_store *s, const char *shop_id, const char *order_id, sbx_txn *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " TXN_COLS " FROM transactions "
                               "WHERE (?1 IS NULL OR shop_id = ?1) AND order_id = ?2 "
                               "ORDER BY id LIMIT 1");
    if (st == NULL)
        return -1;
    if (shop_id != NULL)
        sbx_db_bind_text(st, 1, shop_id);
    sbx_db_bind_text(st, 2, order_id);
    int rc = sqlite3_step(st);
    int result;
    if (rc == SQLITE_ROW)
        result = read_txn(st, out) == 0 ? 1 : -1;
    else if (rc == SQLITE_DONE)
        result = 0;
    else {
        sbx_db_log_error(s, "txn get");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

static void bind_cancel(sqlite3_stmt *st, int i, const sbx_txn *t)
{
    if (t->has_cancel) {
        sqlite3_bind_int64(st, i, t->cancel_amount);
        sqlite3_bind_int64(st, i + 1, t->cancel_tax);
    } else {
        sqlite3_bind_null(st, i);
        sqlite3_bind_null(st, i + 1);
    }
}

int sbx_store_txn_insert(sbx_store *s, sbx_txn *t)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO transactions(shop_id, order_id, access_id, "
                               "access_pass, status, job_cd, amount, tax, reserved, buyer_id, "
                               "paid_code, contents, client_field1, client_field2, "
                               "client_field3, cancel_amount, cancel_tax, fixed_at, "
                               "created_at, updated_at) "
                               "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, t->shop_id);
    sbx_db_bind_text(st, 2, t->order_id);
    sbx_db_bind_text(st, 3, t->access_id);
    sbx_db_bind_text(st, 4, t->access_pass);
    sbx_db_bind_text(st, 5, t->status);
    sbx_db_bind_text(st, 6, t->job_cd);
    sqlite3_bind_int64(st, 7, t->amount);
    sqlite3_bind_int64(st, 8, t->tax);
    sqlite3_bind_int64(st, 9, t->reserved);
    sbx_db_bind_text(st, 10, t->buyer_id);
    sbx_db_bind_text(st, 11, t->paid_code);
    sbx_db_bind_text(st, 12, t->contents);
    sbx_db_bind_text(st, 13, t->client_field[0]);
    sbx_db_bind_text(st, 14, t->client_field[1]);
    sbx_db_bind_text(st, 15, t->client_field[2]);
    bind_cancel(st, 16, t);
    sbx_db_bind_text(st, 18, t->fixed_at);
    sqlite3_bind_int64(st, 19, t->created_at);
    sqlite3_bind_int64(st, 20, t->updated_at);
    if (sbx_db_step_done(s, st, "txn insert") != 0)
        return -1;
    t->id = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int sbx_store_txn_save(sbx_store *s, const sbx_txn *t)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE transactions SET status = ?, job_cd = ?, amount = ?, "
                               "tax = ?, reserved = ?, buyer_id = ?, paid_code = ?, "
                               "contents = ?, client_field1 = ?, client_field2 = ?, "
                               "client_field3 = ?, cancel_amount = ?, cancel_tax = ?, "
                               "fixed_at = ?, updated_at = ?, invoice_id = ?, "
                               "billed_amount = ?, billed_tax = ? WHERE id = ?");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, t->status);
    sbx_db_bind_text(st, 2, t->job_cd);
    sqlite3_bind_int64(st, 3, t->amount);
    sqlite3_bind_int64(st, 4, t->tax);
    sqlite3_bind_int64(st, 5, t->reserved);
    sbx_db_bind_text(st, 6, t->buyer_id);
    sbx_db_bind_text(st, 7, t->paid_code);
    sbx_db_bind_text(st, 8, t->contents);
    sbx_db_bind_text(st, 9, t->client_field[0]);
    sbx_db_bind_text(st, 10, t->client_field[1]);
    sbx_db_bind_text(st, 11, t->client_field[2]);
    bind_cancel(st, 12, t);
    sbx_db_bind_text(st, 14, t->fixed_at);
    sqlite3_bind_int64(st, 15, t->updated_at);
    sqlite3_bind_int64(st, 16, t->invoice_id);
    sqlite3_bind_int64(st, 17, t->billed_amount);
    sqlite3_bind_int64(st, 18, t->billed_tax);
    sqlite3_bind_int64(st, 19, t->id);
    return sbx_db_step_done(s, st, "txn save");
}

int sbx_store_txn_foreach(sbx_store *s, sbx_txn_cb cb, void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " TXN_COLS " FROM transactions ORDER BY id");
    if (st == NULL)
        return -1;
    int result = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sbx_txn t;
        if (read_txn(st, &t) != 0) {
            result = -1;
            break;
        }
        int cbrc = cb(ctx, &t);
        sbx_txn_clear(&t);
        if (cbrc != 0) {
            result = cbrc;
            break;
        }
    }
    if (result == 0 && rc != SQLITE_DONE) {
        sbx_db_log_error(s, "txn list");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

/* ---- events -------------------------------------------------------------- */

int sbx_store_event_add(sbx_store *s, const char *kind, const char *shop_id,
                        const char *ref, const char *payload, int64_t due_at)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO events(due_at, kind, shop_id, ref, payload) "
                               "VALUES (?,?,?,?,?)");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, due_at);
    sbx_db_bind_text(st, 2, kind);
    sbx_db_bind_text(st, 3, shop_id);
    sbx_db_bind_text(st, 4, ref);
    sbx_db_bind_text(st, 5, payload);
    return sbx_db_step_done(s, st, "event add");
}

static void read_event(sqlite3_stmt *st, sbx_event *e)
{
    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(st, 0);
    e->due_at = sqlite3_column_int64(st, 1);
    sbx_db_col_copy(st, 2, e->kind, sizeof e->kind);
    sbx_db_col_copy(st, 3, e->shop_id, sizeof e->shop_id);
    sbx_db_col_copy(st, 4, e->ref, sizeof e->ref);
    sbx_db_col_copy(st, 5, e->payload, sizeof e->payload);
}

int sbx_store_event_next_due(sbx_store *s, int64_t now, sbx_event *out)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT id, due_at, kind, shop_id, ref, payload FROM events "
                               "WHERE done_at IS NULL AND due_at <= ? "
                               "ORDER BY due_at, id LIMIT 1");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now);
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW) {
        read_event(st, out);
        result = 1;
    } else if (rc != SQLITE_DONE) {
        sbx_db_log_error(s, "event next");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

int sbx_store_event_finish(sbx_store *s, int64_t id, int64_t done_at, const char *result)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE events SET done_at = ?, result = ? WHERE id = ?");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, done_at);
    sbx_db_bind_text(st, 2, result);
    sqlite3_bind_int64(st, 3, id);
    return sbx_db_step_done(s, st, "event finish");
}

int sbx_store_event_cancel(sbx_store *s, const char *kind, const char *shop_id,
                           const char *ref, int64_t at)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE events SET done_at = ?, result = 'cancelled' "
                                      "WHERE done_at IS NULL AND kind = ? AND shop_id = ? "
                                      "AND ref = ?");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, at);
    sbx_db_bind_text(st, 2, kind);
    sbx_db_bind_text(st, 3, shop_id);
    sbx_db_bind_text(st, 4, ref);
    return sbx_db_step_done(s, st, "event cancel");
}

int sbx_store_event_foreach(sbx_store *s, sbx_event_cb cb, void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT id, due_at, kind, shop_id, ref, payload, done_at, "
                               "result FROM events ORDER BY due_at, id");
    if (st == NULL)
        return -1;
    int result = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sbx_event e;
        read_event(st, &e);
        int64_t done_at = sqlite3_column_type(st, 6) == SQLITE_NULL
                              ? -1 : sqlite3_column_int64(st, 6);
        const unsigned char *res = sqlite3_column_text(st, 7);
        int cbrc = cb(ctx, &e, done_at, res != NULL ? (const char *)res : "");
        if (cbrc != 0) {
            result = cbrc;
            break;
        }
    }
    if (result == 0 && rc != SQLITE_DONE) {
        sbx_db_log_error(s, "event list");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

/* ---- request log ----------------------------------------------------------- */

int sbx_store_log_add(sbx_store *s, sbx_logrow *r)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO requests(op, shop_id, order_id, buyer_id, "
                               "err_info, http_status, at, fault) VALUES (?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, r->op);
    sbx_db_bind_text(st, 2, r->shop_id);
    sbx_db_bind_text(st, 3, r->order_id);
    sbx_db_bind_text(st, 4, r->buyer_id);
    sbx_db_bind_text(st, 5, r->err_info);
    sqlite3_bind_int(st, 6, r->http_status);
    sqlite3_bind_int64(st, 7, r->at);
    sbx_db_bind_text(st, 8, r->fault);
    if (sbx_db_step_done(s, st, "log add") != 0)
        return -1;
    r->seq = sqlite3_last_insert_rowid(s->db);
    return 0;
}

int sbx_store_log_foreach(sbx_store *s, int64_t since, int limit, sbx_log_cb cb, void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT seq, op, shop_id, order_id, buyer_id, err_info, "
                               "http_status, at, fault FROM requests WHERE seq > ? "
                               "ORDER BY seq LIMIT ?");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, since);
    sqlite3_bind_int(st, 2, limit);
    int result = 0, rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        sbx_logrow r;
        memset(&r, 0, sizeof r);
        r.seq = sqlite3_column_int64(st, 0);
        sbx_db_col_copy(st, 1, r.op, sizeof r.op);
        sbx_db_col_copy(st, 2, r.shop_id, sizeof r.shop_id);
        sbx_db_col_copy(st, 3, r.order_id, sizeof r.order_id);
        sbx_db_col_copy(st, 4, r.buyer_id, sizeof r.buyer_id);
        sbx_db_col_copy(st, 5, r.err_info, sizeof r.err_info);
        r.http_status = sqlite3_column_int(st, 6);
        r.at = sqlite3_column_int64(st, 7);
        sbx_db_col_copy(st, 8, r.fault, sizeof r.fault);
        int cbrc = cb(ctx, &r);
        if (cbrc != 0) {
            result = cbrc;
            break;
        }
    }
    if (result == 0 && rc != SQLITE_DONE) {
        sbx_db_log_error(s, "log list");
        result = -1;
    }
    sqlite3_finalize(st);
    return result;
}

int64_t sbx_store_log_last_seq(sbx_store *s)
{
    /* sqlite_sequence keeps the highest seq ever issued, also after reset. */
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT seq FROM sqlite_sequence WHERE name = 'requests'");
    if (st == NULL)
        return -1;
    int64_t v = 0;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else if (rc != SQLITE_DONE)
        v = -1;
    sqlite3_finalize(st);
    return v;
}
