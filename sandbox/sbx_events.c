#include "sbx_events.h"

#include "sbx_clock.h"
#include "sbx_log.h"
#include "sbx_paid.h"
#include "sbx_settle.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *kind;
    sbx_event_fn fn;
} handlers[] = {
    {SBX_EV_SCREENING, sbx_paid_event_screening},
    {SBX_EV_ORDER_REVIEW, sbx_paid_event_order_review},
    {SBX_EV_CLOSING, sbx_settle_event_closing},
    {SBX_EV_ISSUE, sbx_settle_event_issue},
    {SBX_EV_PAYMENT, sbx_settle_event_payment},
    {SBX_EV_DUE, sbx_settle_event_due},
    {SBX_EV_DUNNING, sbx_settle_event_dunning},
    {SBX_EV_DEPOSIT, sbx_settle_event_deposit},
};

/* A handler that keeps rescheduling itself at the same instant would
 * otherwise spin forever. */
#define MAX_EVENTS_PER_PASS 100000

void sbx_event_out_id(sbx_event_out *o, const char *key, const char *value)
{
    if (o->nids == SBX_EVENT_MAX_IDS)
        return;
    o->ids[o->nids].key = key;
    (void)snprintf(o->ids[o->nids].value, sizeof o->ids[o->nids].value, "%s", value);
    o->nids++;
}

void sbx_event_out_amount(sbx_event_out *o, int64_t amount)
{
    o->has_amount = true;
    o->amount = amount;
}

static sbx_event_fn find_handler(const char *kind)
{
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(handlers[i].kind, kind) == 0)
            return handlers[i].fn;
    return NULL;
}

static void add(json_object *o, const char *key, json_object *v, bool *ok)
{
    if (v == NULL || json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        *ok = false;
    }
}

static int append_json(json_object *out, const sbx_event *ev, const sbx_event_out *r)
{
    char at[32];
    sbx_time_iso(ev->due_at, at, sizeof at);
    json_object *o = json_object_new_object();
    json_object *ids = json_object_new_object();
    bool ok = o != NULL && ids != NULL;
    for (size_t i = 0; ok && i < r->nids; i++)
        add(ids, r->ids[i].key, json_object_new_string(r->ids[i].value), &ok);
    if (ok) {
        add(o, "id", json_object_new_int64(ev->id), &ok);
        add(o, "time", json_object_new_string(at), &ok);
        add(o, "at", json_object_new_string(at), &ok);
        add(o, "kind", json_object_new_string(ev->kind), &ok);
        add(o, "shop_id", json_object_new_string(ev->shop_id), &ok);
        add(o, "ref", json_object_new_string(ev->ref), &ok);
        add(o, "result", json_object_new_string(r->result), &ok);
        add(o, "ids", ids, &ok);
        ids = NULL;
        if (r->has_amount)
            add(o, "amount", json_object_new_int64(r->amount), &ok);
    }
    if (!ok || json_object_array_add(out, o) != 0) {
        json_object_put(ids);
        json_object_put(o);
        return -1;
    }
    return 0;
}

int sbx_events_run_due(sbx_app *app, int64_t now, json_object *out)
{
    sbx_store *s = app->store;
    int count = 0;
    while (count < MAX_EVENTS_PER_PASS) {
        sbx_event ev;
        int rc = sbx_store_event_next_due(s, now, &ev);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        sbx_event_out r;
        memset(&r, 0, sizeof r);
        sbx_event_fn fn = find_handler(ev.kind);
        if (fn == NULL) {
            /* A database written by a newer sandbox; keep it inspectable. */
            (void)snprintf(r.result, sizeof r.result, "unknown kind");
        } else if (fn(app, &ev, &r) != 0) {
            sbx_log_error("event %lld (%s) failed", (long long)ev.id, ev.kind);
            return -1;
        }
        /* Recorded at its due time: that is when it happened in virtual time. */
        if (sbx_store_event_finish(s, ev.id, ev.due_at, r.result) != 0)
            return -1;
        if (out != NULL && append_json(out, &ev, &r) != 0)
            return -1;
        count++;
    }
    return count;
}
