/* What every request handler needs: the store and the configured shops. */
#ifndef SBX_APP_H
#define SBX_APP_H

#include "sbx_config.h"
#include "sbx_faults.h"
#include "sbx_store.h"

#include <stdbool.h>
#include <stddef.h>

typedef struct sbx_app {
    sbx_store *store;        /* owned by main */
    const sbx_shop *shops;   /* points into the config */
    size_t nshops;
    const char *base_url;    /* "https://127.0.0.1:PORT", for the HTML page */
    sbx_faults *faults;      /* owned by main; armed through /_sandbox/faults */
    const sbx_rules *rules;  /* settlement rules, points into the config */
    struct sbx_notifier *notifier;  /* owned by main; NULL without --notify-url */
    bool notify_enabled;     /* queued notifications are sent (else kept as "unsent") */
} sbx_app;

#endif
