/* Deferred business in virtual time. Each pending row of the events table
 * has a kind; a table maps kinds to handlers. Handlers run in due order with
 * "now" set to their due time, and may schedule further events (which run in
 * the same pass when they fall due before the target time), so month-end
 * closing, invoices, dunning and deposits can be added as new kinds. */
#ifndef SBX_EVENTS_H
#define SBX_EVENTS_H

#include "sbx_store.h"

#include <stddef.h>
#include <stdint.h>

struct json_object;

#define SBX_EV_SCREENING "buyer.screening"
#define SBX_EV_ORDER_REVIEW "order.review"

/* A handler fills result (e.g. the new status) and returns 0, or -1 on an
 * internal error (the caller rolls the whole request back). */
typedef int (*sbx_event_fn)(sbx_store *s, const sbx_event *ev, char *result, size_t n);

/* Runs every pending event due at or before now (lock held, inside a
 * transaction). When out is a json array, appends one object per event run.
 * Returns the number of events run or -1. */
int sbx_events_run_due(sbx_store *s, int64_t now, struct json_object *out);

#endif
