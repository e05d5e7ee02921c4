/* Fault injection for tests (issue 4): an admin call arms the next N
 * protocol requests of an operation with a fault kind; the gateway takes
 * one armed fault per request and changes how the request is processed or
 * answered. The table is in memory on purpose: a fault is test plumbing for
 * the current process, never state that should survive a restart. */
#ifndef SBX_FAULTS_H
#define SBX_FAULTS_H

#include <stdbool.h>
#include <stdint.h>

struct json_object;

typedef enum sbx_fault_kind {
    SBX_FAULT_NONE = 0,
    SBX_FAULT_DELAY_AFTER_COMMIT,
    SBX_FAULT_DROP_BEFORE_COMMIT,
    SBX_FAULT_DROP_AFTER_COMMIT,
    SBX_FAULT_TRUNCATE,
    SBX_FAULT_HTTP500,
    SBX_FAULT_HTTP503,
    SBX_FAULT_HTTP503_AFTER_COMMIT,
    SBX_FAULT_RATE_LIMIT,
    SBX_FAULT_GARBAGE,
    SBX_FAULT_OVERSIZED,
    SBX_FAULT_REDIRECT,
    SBX_FAULT_MULTI_ERROR,
} sbx_fault_kind;

/* At most this many armed entries at once; arming more is refused. */
#define SBX_FAULTS_MAX 64
/* Upper bound of delay_ms: longer than any sane client timeout. */
#define SBX_FAULT_MAX_DELAY_MS 600000u

/* One fault taken for one request. */
typedef struct sbx_fault {
    sbx_fault_kind kind;
    unsigned delay_ms;  /* wait this long before delivering the (faulted) answer */
    int64_t arm_id;     /* the armed entry it came from */
} sbx_fault;

typedef struct sbx_faults sbx_faults;

int sbx_faults_new(sbx_faults **out);
void sbx_faults_free(sbx_faults *f);  /* NULL-safe */

/* Name <-> kind ("delay_after_commit", ...). */
const char *sbx_fault_kind_name(sbx_fault_kind kind);
bool sbx_fault_kind_parse(const char *name, sbx_fault_kind *out);
/* True when the request is processed and committed before the fault acts. */
bool sbx_fault_commits(sbx_fault_kind kind);
/* The delay used when the arming call gives none. */
unsigned sbx_fault_default_delay_ms(sbx_fault_kind kind);

/* Arms the next count requests of op ("*" for any operation). Returns the
 * entry's id (> 0), or -1 when the table is full. */
int64_t sbx_faults_arm(sbx_faults *f, const char *op, unsigned count, sbx_fault_kind kind,
                       unsigned delay_ms);
/* Takes one armed fault matching op (oldest entry first). Returns true and
 * fills out, or false when nothing is armed for op. */
bool sbx_faults_take(sbx_faults *f, const char *op, sbx_fault *out);
/* Disarms everything. */
void sbx_faults_clear(sbx_faults *f);
/* {"faults":[{"id":1,"op":"ExecTranPaid","kind":"...","remaining":2,
 * "delay_ms":0,"taken":1}]}, or NULL when out of memory. */
struct json_object *sbx_faults_json(sbx_faults *f);

#endif
