/* The Paid business of the gateway: the ten idPass operations of
 * docs/protocol.md §2 and the deferred decisions of §6. */
#ifndef SBX_PAID_H
#define SBX_PAID_H

#include "sbx_app.h"
#include "sbx_events.h"
#include "sbx_form.h"
#include "sbx_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when name is one of the ten operations (case-sensitive). */
bool sbx_paid_op_exists(const char *name);

/* Runs operation op on a parsed form at virtual time now. The store lock
 * is held and a transaction is open. Business errors go into reply; fills
 * log->buyer_id when the operation knows the buyer. Returns 0, or -1 on an
 * internal error (the caller rolls back and answers E91099999). */
int sbx_paid_run(sbx_app *app, const char *op, const sbx_form *form, int64_t now,
                 sbx_reply *reply, sbx_logrow *log);

/* Event handlers (see sbx_events.c). */
int sbx_paid_event_screening(sbx_app *app, const sbx_event *ev, sbx_event_out *out);
int sbx_paid_event_order_review(sbx_app *app, const sbx_event *ev, sbx_event_out *out);

/* Frees the credit line an order holds (its invoice was paid) and saves
 * the order. Returns 0 or -1. */
int sbx_paid_release(sbx_store *s, sbx_txn *t, int64_t now);

#endif
