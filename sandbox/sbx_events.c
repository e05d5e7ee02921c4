#include "sbx_events.h"

#include "sbx_clock.h"
#include "sbx_log.h"
#include "sbx_paid.h"

#include <json-c/json.h>
#include <stdio.h>
#include <string.h>

static const struct {
    const char *kind;
    sbx_event_fn fn;
} handlers[] = {
    {SBX_EV_SCREENING, sbx_paid_event_screening},
    {SBX_EV_ORDER_REVIEW, sbx_paid_event_order_review},
};

/* A handler that keeps rescheduling itself at the same instant would
 * otherwise spin forever. */
#define MAX_EVENTS_PER_PASS 100000

static sbx_event_fn find_handler(const char *kind)
{
    for (size_t i = 0; i < sizeof handlers / sizeof handlers[0]; i++)
        if (strcmp(handlers[i].kind, kind) == 0)
            return handlers[i].fn;
    return NULL;
}

static int append_json(struct json_object *out, const sbx_event *ev, const char *result)
{
    char at[32];
    sbx_time_iso(ev->due_at, at, sizeof at);
    json_object *o = json_object_new_object();
    if (o == NULL)
        return -1;
    if (json_object_object_add(o, "id", json_object_new_int64(ev->id)) != 0 ||
        json_object_object_add(o, "at", json_object_new_string(at)) != 0 ||
        json_object_object_add(o, "kind", json_object_new_string(ev->kind)) != 0 ||
        json_object_object_add(o, "shop_id", json_object_new_string(ev->shop_id)) != 0 ||
        json_object_object_add(o, "ref", json_object_new_string(ev->ref)) != 0 ||
        json_object_object_add(o, "result", json_object_new_string(result)) != 0 ||
        json_object_array_add(out, o) != 0) {
        json_object_put(o);
        return -1;
    }
    return 0;
}

int sbx_events_run_due(sbx_store *s, int64_t now, struct json_object *out)
{
    int count = 0;
    while (count < MAX_EVENTS_PER_PASS) {
        sbx_event ev;
        int rc = sbx_store_event_next_due(s, now, &ev);
        if (rc < 0)
            return -1;
        if (rc == 0)
            break;
        char result[64] = "";
        sbx_event_fn fn = find_handler(ev.kind);
        if (fn == NULL) {
            /* A database written by a newer sandbox; keep it inspectable. */
            (void)snprintf(result, sizeof result, "unknown kind");
        } else if (fn(s, &ev, result, sizeof result) != 0) {
            sbx_log_error("event %lld (%s) failed", (long long)ev.id, ev.kind);
            return -1;
        }
        /* Recorded at its due time: that is when it happened in virtual time. */
        if (sbx_store_event_finish(s, ev.id, ev.due_at, result) != 0)
            return -1;
        if (out != NULL && append_json(out, &ev, result) != 0)
            return -1;
        count++;
    }
    return count;
}
