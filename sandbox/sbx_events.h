/* Deferred business in virtual time. Each pending row of the events table
 * has a kind; a table maps kinds to handlers. Handlers run in due order with
 * "now" set to their due time, and may schedule further events (which run in
 * the same pass when they fall due before the target time). Screening and
 * order review (§6) and the whole month of §8 (closing, invoice issue,
 * payment, due date, dunning, deposit) are such kinds. */
#ifndef SBX_EVENTS_H
#define SBX_EVENTS_H

#include "sbx_app.h"
#include "sbx_store.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct json_object;

#define SBX_EV_SCREENING "buyer.screening"
#define SBX_EV_ORDER_REVIEW "order.review"
#define SBX_EV_CLOSING "buyer.closing"
#define SBX_EV_ISSUE "invoice.issue"
#define SBX_EV_PAYMENT "invoice.payment"
#define SBX_EV_DUE "invoice.due"
#define SBX_EV_DUNNING "invoice.dunning"
#define SBX_EV_DEPOSIT "deposit.pay"

#define SBX_EVENT_MAX_IDS 4

/* What a handler reports about the event it ran, for the clock's answer. */
typedef struct sbx_event_out {
    char result[64];
    bool has_amount;
    int64_t amount;
    size_t nids;
    struct {
        const char *key;  /* static string: "buyer_id", "invoice_id", ... */
        char value[40];
    } ids[SBX_EVENT_MAX_IDS];
} sbx_event_out;

void sbx_event_out_id(sbx_event_out *o, const char *key, const char *value);
void sbx_event_out_amount(sbx_event_out *o, int64_t amount);

/* A handler fills out and returns 0, or -1 on an internal error (the caller
 * rolls the whole request back). The store lock is held and a transaction
 * is open. */
typedef int (*sbx_event_fn)(sbx_app *app, const sbx_event *ev, sbx_event_out *out);

/* Runs every pending event due at or before now. When out is a json array,
 * appends one object per event run. Returns the number of events run or -1. */
int sbx_events_run_due(sbx_app *app, int64_t now, struct json_object *out);

#endif
