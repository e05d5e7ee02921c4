/* Result notifications (docs/protocol.md §7). A state change of a
 * transaction queues one notification row inside the same database
 * transaction as the change (so a rolled-back request notifies nobody);
 * a sender thread POSTs the rows to --notify-url oldest first and resends
 * each, byte-identical, every --notify-interval real seconds until the
 * receiver answers HTTP 200 with the body exactly "0", at most
 * --notify-retries times after the first send. */
#ifndef SBX_NOTIFY_H
#define SBX_NOTIFY_H

#include "sbx_app.h"
#include "sbx_config.h"
#include "sbx_store.h"

#include <stdint.h>

/* Queues the notification of t's current state (store lock held,
 * transaction open). at is the virtual time of the change; err_info is ""
 * or the refusal's ErrInfo (e.g. P01030001). Returns 0 or -1. */
int sbx_notify_queue_txn(const sbx_app *app, const sbx_txn *t, int64_t at,
                         const char *err_info);
/* Queues a connectivity test (ErrInfo E00000000, no order) for shop_id.
 * Sets *id_out. Returns 0 or -1. */
int sbx_notify_queue_test(const sbx_app *app, const char *shop_id, int64_t at,
                          int64_t *id_out);

typedef struct sbx_notifier sbx_notifier;

/* Starts the sender thread for cfg->notify_url. */
int sbx_notifier_start(sbx_store *store, const sbx_config *cfg, sbx_notifier **out);
/* Wakes the sender after a commit that may have queued something. NULL-safe. */
void sbx_notifier_kick(sbx_notifier *n);
/* Stops the thread (an ongoing send is aborted) and frees. NULL-safe. */
void sbx_notifier_stop(sbx_notifier *n);

#endif
