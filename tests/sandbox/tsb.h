/* Shared helpers of the sandbox's black-box tests (tests/sandbox/). */
#ifndef TSB_H
#define TSB_H

#include <CUnit/Basic.h>
#include <curl/curl.h>
#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define SHOP "ShopID=tshop00000001&ShopPass=sbxpass01"
#define SHOP_PASS "sbxpass01"

typedef struct sandbox {
    pid_t pid;
    char url[256];        /* https://127.0.0.1:PORT/payment/ */
    char base[256];       /* https://127.0.0.1:PORT */
    char ca[PATH_MAX];
    char stderr_path[PATH_MAX];
} sandbox;

typedef struct http_result {
    long status;
    char *body;       /* raw bytes, NUL-terminated */
    size_t len;
    char *content_type;
    char *location;   /* Location of a redirect ("" for none) */
    CURLcode code;
    double seconds;   /* total time of the transfer */
} http_result;

typedef struct order {
    char id[40];
    char access_id[40];
    char access_pass[40];
} order;

/* Asserts field(resp, key) == want. */
#define CHECK_FIELD(resp, key, want)                                            \
    do {                                                                        \
        char *v_ = field((resp), (key));                                        \
        CU_ASSERT_PTR_NOT_NULL(v_);                                             \
        if (v_ != NULL) {                                                       \
            if (strcmp(v_, (want)) != 0)                                        \
                fprintf(stderr, "\n  %s: got '%s' want '%s' in %s\n", (key), v_, \
                        (want), (resp));                                        \
            CU_ASSERT_STRING_EQUAL(v_, (want));                                 \
        }                                                                       \
        free(v_);                                                               \
    } while (0)

extern const char *g_bin;
extern char g_tmp[PATH_MAX];
extern sandbox g_sb;
extern CURL *g_curl;
extern char g_passes[256][40];
extern size_t g_npasses;

void unique_id(char *buf, size_t n, const char *prefix);
void fmt(char *buf, size_t n, const char *f, ...) __attribute__((format(printf, 3, 4)));
char *xstrdup(const char *s);

/* Starts paid-sandbox with a state dir, an optional --db and further
 * arguments (NULL-terminated, may be NULL); waits for the ready file. */
int sandbox_start_args(sandbox *sb, const char *name, const char *db,
                       const char *const *extra);
int sandbox_start(sandbox *sb, const char *name, const char *db);
int sandbox_stop(sandbox *sb);
/* True when the sandbox's stderr holds no sanitizer report (UBSan keeps
 * running after one, so the exit status alone does not tell). */
bool tsb_stderr_clean(const sandbox *sb);

void http_result_free(http_result *r);
http_result http(CURL *curl, const sandbox *sb, const char *method, const char *url,
                 const char *body, const char *content_type);
/* As http(), but a transport failure is expected (not printed). */
http_result http_ex(CURL *curl, const sandbox *sb, const char *method, const char *url,
                    const char *body, const char *content_type, bool failure_expected);
char *call(const char *op, const char *body);
char *callf(const char *op, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *field(const char *resp, const char *key);
json_object *admin(const char *method, const char *path, long want_status);
const char *jstr(json_object *o, const char *key);
int64_t jint(json_object *o, const char *key);

int save_buyer(const char *buyer_id, const char *local);
int entry(order *o, long amount, long tax);
char *exec_order(const order *o, const char *buyer, const char *contents);
char *order_op(const char *op, const order *o, const char *extra);
char *search(const order *o);
long rest_amount(const char *buyer);
char *buyer_status(const char *buyer);
void check_errors(const char *resp, const char *codes, const char *infos);
void advance(const char *query);

/* Test groups of the other files; each returns 0 or -1. */
int tsb_add_fault_tests(CU_pSuite s);
/* These add their own suites (each with its own sandbox). */
int tsb_add_settle_tests(void);
int tsb_add_notify_tests(void);

#endif
