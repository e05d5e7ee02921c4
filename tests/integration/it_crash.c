/* Crash consistency: a host process is killed (SIGKILL) at chosen points of
 * an authorize; running the same authorize again afterwards ends with
 * exactly one order at the gateway, in the right state, every time. */
#include <CUnit/CUnit.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "it.h"

static char g_buyer[32];
static char status[32];
static const char *g_trigger; /* a log line prefix that kills the child */

static void killing_logger(void *user, int32_t level, const char *msg, size_t len)
{
    (void)user;
    (void)level;
    if (g_trigger && len >= strlen(g_trigger) && !strncmp(msg, g_trigger, strlen(g_trigger)))
        raise(SIGKILL);
}

/* In a child: a fresh context whose logger kills the process when the
 * trigger line is logged; after_answer kills it once authorize returned. */
static void child_authorize(const char *request, const char *trigger, int after_answer)
{
    pmp_host_services host = {sizeof(host), 0, NULL, killing_logger, NULL, NULL, NULL};
    pmp_init_args args;
    pmp_ctx *ctx = NULL;
    pmp_result *res = NULL;
    pmp_error err = {sizeof(err), 0, 0, 0, "", ""};
    const char *yaml = it_fmt("gateway:\n  base_url: %s\n  ca_file: %s\n"
                              "shop:\n  id: tshop00000001\n  password: %s\n"
                              "logging:\n  level: debug\n",
                              it.base_url, it.ca_file, it.shop_pass);

    memset(&args, 0, sizeof(args));
    args.struct_size = sizeof(args);
    args.config = yaml;
    args.config_len = strlen(yaml);
    args.host = &host;
    g_trigger = trigger;
    if (it.api->init(&args, &ctx, &err) != PMP_OK)
        _exit(3);
    it.api->authorize(ctx, request, strlen(request), &res, &err);
    if (after_answer)
        raise(SIGKILL); /* the answer arrived; the host never stored it */
    _exit(4);
}

/* how the child dies: at a log line, after the answer, or killed by the
 * parent while the gateway holds Exec's answer back */
#define KILL_BY_PARENT_DURING_EXEC 2

static void crash_then_retry(const char *trigger, int after_answer, const char *expect_gw_before)
{
    char order[40], request[256];
    json_object *tx, *d;
    int64_t since;
    pid_t pid;
    int st = 0;

    it_id("K", order, sizeof(order));
    snprintf(request, sizeof(request),
             "{\"order_id\":\"%s\",\"buyer_id\":\"%s\",\"amount\":7000,\"tax\":700}", order,
             g_buyer);
    since = it_seq();
    if (after_answer == KILL_BY_PARENT_DURING_EXEC)
        json_object_put(
            it_admin("faults?op=ExecTranPaid&kind=delay_after_commit&delay_ms=5000", 1));
    fflush(NULL);
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0)
        child_authorize(request, trigger, after_answer == 1);
    if (after_answer == KILL_BY_PARENT_DURING_EXEC) {
        int i;

        /* Exec has reached the gateway and is committed; its answer is held */
        for (i = 0; i < 200 && it_count(since, "ExecTranPaid", order) < 1; i++) {
            struct timespec ts = {0, 25 * 1000000L};

            nanosleep(&ts, NULL);
        }
        kill(pid, SIGKILL);
        json_object_put(it_admin("faults", 2));
    }
    waitpid(pid, &st, 0);
    CU_ASSERT_TRUE(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    /* what the crash left at the gateway */
    tx = it_admin(it_fmt("transactions/%s", order), 0);
    if (expect_gw_before) {
        CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
        CU_ASSERT_STRING_EQUAL(it_jstr(tx, "status"), expect_gw_before);
    }
    json_object_put(tx);
    /* the host runs the same operation again */
    d = it_ok("authorize", request, status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "authorized");
    json_object_put(d);
    d = it_ok("authorize", request, status, sizeof(status));
    CU_ASSERT_STRING_EQUAL(status, "authorized");
    json_object_put(d);
    tx = it_admin(it_fmt("transactions/%s", order), 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(tx);
    CU_ASSERT_STRING_EQUAL(it_jstr(tx, "status"), "AUTH");
    CU_ASSERT_EQUAL(it_jint(tx, "amount"), 7000);
    json_object_put(tx);
    /* exactly one order: one successful Entry and one placed Exec */
    {
        json_object *reqs = it_admin(it_fmt("requests?since=%lld", (long long)since), 0), *list;
        int entries = 0, execs = 0;
        size_t i;

        CU_ASSERT_PTR_NOT_NULL_FATAL(reqs);
        json_object_object_get_ex(reqs, "requests", &list);
        for (i = 0; i < json_object_array_length(list); i++) {
            json_object *r = json_object_array_get_idx(list, i);

            if (strcmp(it_jstr(r, "order_id"), order) || *it_jstr(r, "err_info"))
                continue;
            entries += !strcmp(it_jstr(r, "op"), "EntryTranPaid");
            execs += !strcmp(it_jstr(r, "op"), "ExecTranPaid");
        }
        CU_ASSERT_EQUAL(entries, 1);
        CU_ASSERT_EQUAL(execs, 1);
        json_object_put(reqs);
    }
}

static void buyer(void)
{
    it_id("KB", g_buyer, sizeof(g_buyer));
    it_enroll(g_buyer, "line9000000", status, sizeof(status));
    CU_ASSERT_STRING_EQUAL_FATAL(status, "approved");
}

static void killed_after_entry_before_exec(void)
{
    /* logged just before ExecTranPaid is sent */
    crash_then_retry("idPass ExecTranPaid request", 0, "UNPROCESSED");
}

static void killed_after_exec_sent_before_answer(void)
{
    /* logged when the answer's HTTP status is known, before it is parsed:
     * the gateway has committed, the host never sees the answer */
    crash_then_retry("idPass ExecTranPaid: HTTP", 0, "AUTH");
}

static void killed_while_exec_answer_is_held(void)
{
    crash_then_retry(NULL, KILL_BY_PARENT_DURING_EXEC, "AUTH");
}

static void killed_after_answer_before_storing(void)
{
    crash_then_retry(NULL, 1, "AUTH");
}

static void every_time(void)
{
    int i;

    for (i = 0; i < 5; i++) {
        crash_then_retry("idPass ExecTranPaid request", 0, "UNPROCESSED");
        crash_then_retry("idPass ExecTranPaid: HTTP", 0, "AUTH");
        crash_then_retry(NULL, 1, "AUTH");
        crash_then_retry(NULL, KILL_BY_PARENT_DURING_EXEC, "AUTH");
    }
}

static const test_case cases[] = {
    {"a buyer", buyer},
    {"killed after Entry, before Exec", killed_after_entry_before_exec},
    {"killed as Exec's answer arrives, before it is read", killed_after_exec_sent_before_answer},
    {"killed while the gateway holds Exec's answer", killed_while_exec_answer_is_held},
    {"killed after the answer, before the host stored it", killed_after_answer_before_storing},
    {"every time (5 rounds of all four)", every_time},
    {NULL, NULL},
};

const test_suite it_suite_crash = {"crash", cases, NULL, NULL};
