/* Inside the store: the connection and the statement helpers shared by
 * sbx_store*.c. Nothing outside the store includes this. */
#ifndef SBX_STORE_INT_H
#define SBX_STORE_INT_H

#include "sbx_store.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sbx_store {
    sqlite3 *db;
    pthread_mutex_t lock;
    int64_t clock_offset;  /* cached copy of the clock table, under lock */
};

void sbx_db_log_error(sbx_store *s, const char *what);
/* A prepared statement, or NULL (logged). */
sqlite3_stmt *sbx_db_prep(sbx_store *s, const char *sql);
/* Binds a string that outlives the statement step (SQLITE_STATIC); NULL
 * binds "". */
int sbx_db_bind_text(sqlite3_stmt *st, int i, const char *v);
void sbx_db_col_copy(sqlite3_stmt *st, int i, char *buf, size_t n);
/* A malloc'ed copy of a text column ("" for NULL), or NULL on no memory. */
char *sbx_db_col_dup(sqlite3_stmt *st, int i);
/* Runs a statement that returns no rows and finalizes it; 0 or -1. */
int sbx_db_step_done(sbx_store *s, sqlite3_stmt *st, const char *what);
int sbx_db_exec(sbx_store *s, const char *sql);
/* The rowid of the last INSERT on the connection. */
int64_t sbx_db_last_id(sbx_store *s);
/* Runs st (bound, not yet stepped) and calls row(ctx, st) for each row until
 * it returns non-zero; finalizes st. Returns 0, the callback's value, or -1. */
int sbx_db_each(sbx_store *s, sqlite3_stmt *st, const char *what,
                int (*row)(void *ctx, sqlite3_stmt *st), void *ctx);
/* The single integer of a one-row query (def when there is no row); -1
 * through *failed on an error. */
int64_t sbx_db_scalar(sbx_store *s, sqlite3_stmt *st, int64_t def, bool *failed);

#endif
