#include "sbx_faults.h"

#include <json-c/json.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What each kind does is decided in sbx_gateway.c and sbx_http.c; this
 * table only names the kinds and says whether the operation runs first. */
static const struct {
    sbx_fault_kind kind;
    const char *name;
    bool commits;
    unsigned default_delay_ms;
} kinds[] = {
    {SBX_FAULT_DELAY_AFTER_COMMIT, "delay_after_commit", true, 2000},
    {SBX_FAULT_DROP_BEFORE_COMMIT, "drop_before_commit", false, 0},
    {SBX_FAULT_DROP_AFTER_COMMIT, "drop_after_commit", true, 0},
    {SBX_FAULT_TRUNCATE, "truncate", true, 0},
    {SBX_FAULT_HTTP500, "http500", false, 0},
    {SBX_FAULT_HTTP503, "http503", false, 0},
    {SBX_FAULT_HTTP503_AFTER_COMMIT, "http503_after_commit", true, 0},
    {SBX_FAULT_RATE_LIMIT, "rate_limit", false, 0},
    {SBX_FAULT_GARBAGE, "garbage", true, 0},
    {SBX_FAULT_OVERSIZED, "oversized", true, 0},
    {SBX_FAULT_REDIRECT, "redirect", false, 0},
    {SBX_FAULT_MULTI_ERROR, "multi_error", false, 0},
};
#define NKINDS (sizeof kinds / sizeof kinds[0])

typedef struct armed {
    int64_t id;
    char op[40];
    sbx_fault_kind kind;
    unsigned remaining;
    unsigned taken;
    unsigned delay_ms;
} armed;

struct sbx_faults {
    pthread_mutex_t lock;  /* request threads take, the admin thread arms */
    armed entries[SBX_FAULTS_MAX];
    size_t count;          /* entries[0..count) in arming order */
    int64_t next_id;
};

int sbx_faults_new(sbx_faults **out)
{
    *out = NULL;
    sbx_faults *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    if (pthread_mutex_init(&f->lock, NULL) != 0) {
        free(f);
        return -1;
    }
    f->next_id = 1;
    *out = f;
    return 0;
}

void sbx_faults_free(sbx_faults *f)
{
    if (f == NULL)
        return;
    pthread_mutex_destroy(&f->lock);
    free(f);
}

const char *sbx_fault_kind_name(sbx_fault_kind kind)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].kind == kind)
            return kinds[i].name;
    return "";
}

bool sbx_fault_kind_parse(const char *name, sbx_fault_kind *out)
{
    for (size_t i = 0; name != NULL && i < NKINDS; i++) {
        if (strcmp(kinds[i].name, name) == 0) {
            *out = kinds[i].kind;
            return true;
        }
    }
    return false;
}

bool sbx_fault_commits(sbx_fault_kind kind)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].kind == kind)
            return kinds[i].commits;
    return false;
}

unsigned sbx_fault_default_delay_ms(sbx_fault_kind kind)
{
    for (size_t i = 0; i < NKINDS; i++)
        if (kinds[i].kind == kind)
            return kinds[i].default_delay_ms;
    return 0;
}

int64_t sbx_faults_arm(sbx_faults *f, const char *op, unsigned count, sbx_fault_kind kind,
                       unsigned delay_ms)
{
    int64_t id = -1;
    (void)pthread_mutex_lock(&f->lock);
    if (f->count < SBX_FAULTS_MAX) {
        armed *a = &f->entries[f->count++];
        memset(a, 0, sizeof *a);
        a->id = id = f->next_id++;
        (void)snprintf(a->op, sizeof a->op, "%s", op);
        a->kind = kind;
        a->remaining = count;
        a->delay_ms = delay_ms;
    }
    (void)pthread_mutex_unlock(&f->lock);
    return id;
}

bool sbx_faults_take(sbx_faults *f, const char *op, sbx_fault *out)
{
    bool found = false;
    (void)pthread_mutex_lock(&f->lock);
    for (size_t i = 0; i < f->count; i++) {
        armed *a = &f->entries[i];
        if (strcmp(a->op, "*") != 0 && strcmp(a->op, op) != 0)
            continue;
        out->kind = a->kind;
        out->delay_ms = a->delay_ms;
        out->arm_id = a->id;
        found = true;
        a->taken++;
        if (--a->remaining == 0) {
            /* Used up: drop it, keeping the arming order of the rest. */
            memmove(&f->entries[i], &f->entries[i + 1], (f->count - i - 1) * sizeof *a);
            f->count--;
        }
        break;
    }
    (void)pthread_mutex_unlock(&f->lock);
    return found;
}

void sbx_faults_clear(sbx_faults *f)
{
    (void)pthread_mutex_lock(&f->lock);
    f->count = 0;
    (void)pthread_mutex_unlock(&f->lock);
}

/* Adds key -> v, consuming v; a NULL v (allocation failure) clears *ok. */
static void add(json_object *o, const char *key, json_object *v, bool *ok)
{
    if (v == NULL || json_object_object_add(o, key, v) != 0) {
        json_object_put(v);
        *ok = false;
    }
}

static json_object *armed_json(const armed *a)
{
    json_object *o = json_object_new_object();
    if (o == NULL)
        return NULL;
    bool ok = true;
    add(o, "id", json_object_new_int64(a->id), &ok);
    add(o, "op", json_object_new_string(a->op), &ok);
    add(o, "kind", json_object_new_string(sbx_fault_kind_name(a->kind)), &ok);
    add(o, "remaining", json_object_new_int64(a->remaining), &ok);
    add(o, "taken", json_object_new_int64(a->taken), &ok);
    add(o, "delay_ms", json_object_new_int64(a->delay_ms), &ok);
    if (!ok) {
        json_object_put(o);
        return NULL;
    }
    return o;
}

json_object *sbx_faults_json(sbx_faults *f)
{
    json_object *root = json_object_new_object();
    json_object *arr = json_object_new_array();
    if (root == NULL || arr == NULL)
        goto put_objects;
    (void)pthread_mutex_lock(&f->lock);
    bool ok = true;
    for (size_t i = 0; ok && i < f->count; i++) {
        json_object *o = armed_json(&f->entries[i]);
        if (o == NULL || json_object_array_add(arr, o) != 0) {
            json_object_put(o);
            ok = false;
        }
    }
    (void)pthread_mutex_unlock(&f->lock);
    if (!ok || json_object_object_add(root, "faults", arr) != 0)
        goto put_objects;
    return root;
put_objects:
    json_object_put(arr);
    json_object_put(root);
    return NULL;
}
