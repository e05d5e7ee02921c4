/* Records of result notifications (§7) and their delivery attempts. */
#include "sbx_store.h"
#include "sbx_store_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOTIFICATION_COLS "id, shop_id, order_id, status, job_cd, err_info, body, "       \
                          "created_at, state, attempts, duplicates, pending_duplicates, " \
                          "next_attempt_ms, last_http_status, last_answer, last_error"

void sbx_notification_clear(sbx_notification *n)
{
    if (n == NULL)
        return;
    free(n->body);
    memset(n, 0, sizeof *n);
}

static int read_notification(sqlite3_stmt *st, sbx_notification *n)
{
    memset(n, 0, sizeof *n);
    n->id = sqlite3_column_int64(st, 0);
    sbx_db_col_copy(st, 1, n->shop_id, sizeof n->shop_id);
    sbx_db_col_copy(st, 2, n->order_id, sizeof n->order_id);
    sbx_db_col_copy(st, 3, n->status, sizeof n->status);
    sbx_db_col_copy(st, 4, n->job_cd, sizeof n->job_cd);
    sbx_db_col_copy(st, 5, n->err_info, sizeof n->err_info);
    n->body = sbx_db_col_dup(st, 6);
    n->created_at = sqlite3_column_int64(st, 7);
    sbx_db_col_copy(st, 8, n->state, sizeof n->state);
    n->attempts = sqlite3_column_int(st, 9);
    n->duplicates = sqlite3_column_int(st, 10);
    n->pending_duplicates = sqlite3_column_int(st, 11);
    n->next_attempt_ms = sqlite3_column_int64(st, 12);
    n->last_http_status = sqlite3_column_int(st, 13);
    sbx_db_col_copy(st, 14, n->last_answer, sizeof n->last_answer);
    sbx_db_col_copy(st, 15, n->last_error, sizeof n->last_error);
    return n->body != NULL ? 0 : -1;
}

int sbx_store_notification_insert(sbx_store *s, sbx_notification *n)
{
    sqlite3_stmt *st = sbx_db_prep(s, "INSERT INTO notifications(shop_id, order_id, status, "
                                      "job_cd, err_info, body, created_at, state, "
                                      "next_attempt_ms) VALUES (?,?,?,?,?,?,?,?,?)");
    if (st == NULL)
        return -1;
    sbx_db_bind_text(st, 1, n->shop_id);
    sbx_db_bind_text(st, 2, n->order_id);
    sbx_db_bind_text(st, 3, n->status);
    sbx_db_bind_text(st, 4, n->job_cd);
    sbx_db_bind_text(st, 5, n->err_info);
    sbx_db_bind_text(st, 6, n->body);
    sqlite3_bind_int64(st, 7, n->created_at);
    sbx_db_bind_text(st, 8, n->state);
    sqlite3_bind_int64(st, 9, n->next_attempt_ms);
    if (sbx_db_step_done(s, st, "notification insert") != 0)
        return -1;
    n->id = sbx_db_last_id(s);
    n->last_http_status = -1;
    return 0;
}

static int notification_one(sbx_store *s, sqlite3_stmt *st, sbx_notification *out)
{
    int rc = sqlite3_step(st);
    int result = 0;
    if (rc == SQLITE_ROW)
        result = read_notification(st, out) == 0 ? 1 : -1;
    else if (rc != SQLITE_DONE) {
        sbx_db_log_error(s, "notification get");
        result = -1;
    }
    sqlite3_finalize(st);
    if (result < 0)
        sbx_notification_clear(out);
    return result;
}

int sbx_store_notification_get(sbx_store *s, int64_t id, sbx_notification *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " NOTIFICATION_COLS " FROM notifications "
                                      "WHERE id = ?");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    return notification_one(s, st, out);
}

int sbx_store_notification_next_due(sbx_store *s, int64_t now_ms, sbx_notification *out)
{
    memset(out, 0, sizeof *out);
    /* Oldest first: notifications go out in the order the changes
     * happened (for clock advances: event order). */
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " NOTIFICATION_COLS " FROM notifications "
                                      "WHERE pending_duplicates > 0 OR "
                                      "(state = 'pending' AND next_attempt_ms <= ?) "
                                      "ORDER BY id LIMIT 1");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, now_ms);
    return notification_one(s, st, out);
}

int64_t sbx_store_notification_next_time(sbx_store *s)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT MIN(next_attempt_ms) FROM notifications "
                                      "WHERE state = 'pending'");
    if (st == NULL)
        return -1;
    bool failed = false;
    int64_t v = sbx_db_scalar(s, st, -1, &failed);
    return failed ? -1 : v;
}

int sbx_store_notification_record(sbx_store *s, const sbx_notify_attempt *a,
                                  const char *state, int64_t next_attempt_ms)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE notifications SET state = ?, next_attempt_ms = ?, "
                                      "attempts = attempts + ?, duplicates = duplicates + ?, "
                                      "pending_duplicates = MAX(pending_duplicates - ?, 0), "
                                      "last_http_status = ?, last_answer = ?, last_error = ? "
                                      "WHERE id = ?");
    if (st == NULL)
        return -1;
    int dup = a->duplicate ? 1 : 0;
    sbx_db_bind_text(st, 1, state);
    sqlite3_bind_int64(st, 2, next_attempt_ms);
    sqlite3_bind_int(st, 3, 1 - dup);
    sqlite3_bind_int(st, 4, dup);
    sqlite3_bind_int(st, 5, dup);
    sqlite3_bind_int(st, 6, a->http_status);
    sbx_db_bind_text(st, 7, a->answer);
    sbx_db_bind_text(st, 8, a->error);
    sqlite3_bind_int64(st, 9, a->notification_id);
    if (sbx_db_step_done(s, st, "notification update") != 0)
        return -1;
    /* Gone meanwhile (a reset while the send was under way): nothing to
     * attach the attempt to. */
    if (sqlite3_changes(s->db) == 0)
        return 0;
    st = sbx_db_prep(s, "INSERT INTO notify_attempts(notification_id, at_ms, http_status, "
                        "answer, error, duplicate, acknowledged) VALUES (?,?,?,?,?,?,?)");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, a->notification_id);
    sqlite3_bind_int64(st, 2, a->at_ms);
    sqlite3_bind_int(st, 3, a->http_status);
    sbx_db_bind_text(st, 4, a->answer);
    sbx_db_bind_text(st, 5, a->error);
    sqlite3_bind_int(st, 6, dup);
    sqlite3_bind_int(st, 7, a->acknowledged ? 1 : 0);
    return sbx_db_step_done(s, st, "attempt insert");
}

int sbx_store_notification_add_duplicate(sbx_store *s, int64_t id)
{
    sqlite3_stmt *st = sbx_db_prep(s, "UPDATE notifications SET pending_duplicates = "
                                      "pending_duplicates + 1 WHERE id = ?");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, id);
    if (sbx_db_step_done(s, st, "notification duplicate") != 0)
        return -1;
    sbx_notification n;
    int rc = sbx_store_notification_get(s, id, &n);
    sbx_notification_clear(&n);
    return rc;
}

typedef struct notification_iter {
    sbx_notification_cb cb;
    void *ctx;
} notification_iter;

static int notification_row(void *ctx, sqlite3_stmt *st)
{
    notification_iter *it = ctx;
    sbx_notification n;
    if (read_notification(st, &n) != 0) {
        sbx_notification_clear(&n);
        return -1;
    }
    int rc = it->cb(it->ctx, &n);
    sbx_notification_clear(&n);
    return rc;
}

int sbx_store_notification_foreach(sbx_store *s, const char *order_id,
                                   sbx_notification_cb cb, void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT " NOTIFICATION_COLS " FROM notifications "
                                      "WHERE (?1 IS NULL OR order_id = ?1) ORDER BY id");
    if (st == NULL)
        return -1;
    if (order_id != NULL)
        sbx_db_bind_text(st, 1, order_id);
    notification_iter it = {cb, ctx};
    return sbx_db_each(s, st, "notification list", notification_row, &it);
}

typedef struct attempt_iter {
    sbx_attempt_cb cb;
    void *ctx;
} attempt_iter;

static int attempt_row(void *ctx, sqlite3_stmt *st)
{
    attempt_iter *it = ctx;
    sbx_notify_attempt a;
    memset(&a, 0, sizeof a);
    a.id = sqlite3_column_int64(st, 0);
    a.notification_id = sqlite3_column_int64(st, 1);
    a.at_ms = sqlite3_column_int64(st, 2);
    a.http_status = sqlite3_column_int(st, 3);
    sbx_db_col_copy(st, 4, a.answer, sizeof a.answer);
    sbx_db_col_copy(st, 5, a.error, sizeof a.error);
    a.duplicate = sqlite3_column_int(st, 6) != 0;
    a.acknowledged = sqlite3_column_int(st, 7) != 0;
    return it->cb(it->ctx, &a);
}

int sbx_store_attempt_foreach(sbx_store *s, int64_t notification_id, sbx_attempt_cb cb,
                              void *ctx)
{
    sqlite3_stmt *st = sbx_db_prep(s, "SELECT id, notification_id, at_ms, http_status, answer, "
                                      "error, duplicate, acknowledged FROM notify_attempts "
                                      "WHERE notification_id = ? ORDER BY id");
    if (st == NULL)
        return -1;
    sqlite3_bind_int64(st, 1, notification_id);
    attempt_iter it = {cb, ctx};
    return sbx_db_each(s, st, "attempt list", attempt_row, &it);
}
