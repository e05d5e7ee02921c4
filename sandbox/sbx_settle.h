/* Paid's month after shipping (docs/protocol.md §8): each buyer's closing,
 * one consolidated invoice per closing period, the buyer's payment (decided
 * by a test value), dunning of overdue invoices with suspension of the
 * buyer, release of the credit line when an invoice is paid, and the
 * merchant's guaranteed deposit. The schedule comes from sbx_rules (data);
 * this file holds the event handlers that apply it. */
#ifndef SBX_SETTLE_H
#define SBX_SETTLE_H

#include "sbx_app.h"
#include "sbx_events.h"
#include "sbx_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Payment test values (stored in sbx_buyer.payment). */
#define SBX_PAY_ONTIME "pay_ontime"
#define SBX_PAY_PARTIAL "paypartial"
#define SBX_PAY_NEVER "paynever"
#define SBX_PAY_LATE "paylate"  /* followed by the number of days */

/* Normalises an admin value (pay_ontime, payontime, paylate, paylate<N>,
 * paypartial, paynever) into out; false when it is none of them. */
bool sbx_payment_parse(const sbx_rules *r, const char *value, char *out, size_t n);
/* The payment test value named in the local part of an e-mail address
 * (pay_ontime when none). */
void sbx_payment_from_email(const sbx_rules *r, const char *email, char *out, size_t n);
/* The closing rule of SavePaidBuyer's ClosingDay: "" -> def; 1-28 -> that
 * day; "end", 0, 29-31, 99 or 末 -> month end; anything else -> def. */
int sbx_closing_from_field(const char *value, int def);

/* "INV-000001" / "DEP-000001" and back (the bare number is accepted too). */
void sbx_invoice_no(int64_t id, char *buf, size_t n);
void sbx_deposit_no(int64_t id, char *buf, size_t n);
bool sbx_invoice_no_parse(const char *s, int64_t *id);
bool sbx_deposit_no_parse(const char *s, int64_t *id);

/* The following run with the store lock held inside a transaction; each
 * returns 0 or -1 (internal error). */

/* At start-up: every buyer without a pending closing (a database from a
 * sandbox that had no settlement) gets one. */
int sbx_settle_bootstrap(sbx_app *app, int64_t now);
/* A new buyer: schedules its first closing. */
int sbx_settle_buyer_added(sbx_app *app, const sbx_buyer *b, int64_t now);
/* Changes b->closing (the caller saves b) and moves its next closing. */
int sbx_settle_set_closing(sbx_app *app, sbx_buyer *b, int closing, int64_t now);
/* After a return or a change of an order that is already on an invoice:
 * queues the difference as an adjustment line for the buyer's next
 * invoice and updates t's billed amounts (the caller saves t). */
int sbx_settle_order_changed(sbx_app *app, sbx_txn *t, int64_t now);
/* Records a payment of up to amount on an invoice (source "buyer" or
 * "operator"); a fully paid invoice releases its orders' credit line and
 * may lift a dunning suspension. *paid receives what was booked (0 when
 * the invoice is not open). */
int sbx_settle_pay(sbx_app *app, int64_t invoice_id, int64_t amount, const char *source,
                   int64_t at, int64_t *paid);

/* Event handlers (sbx_events.c). */
int sbx_settle_event_closing(sbx_app *app, const sbx_event *ev, sbx_event_out *out);
int sbx_settle_event_issue(sbx_app *app, const sbx_event *ev, sbx_event_out *out);
int sbx_settle_event_payment(sbx_app *app, const sbx_event *ev, sbx_event_out *out);
int sbx_settle_event_due(sbx_app *app, const sbx_event *ev, sbx_event_out *out);
int sbx_settle_event_dunning(sbx_app *app, const sbx_event *ev, sbx_event_out *out);
int sbx_settle_event_deposit(sbx_app *app, const sbx_event *ev, sbx_event_out *out);

#endif
