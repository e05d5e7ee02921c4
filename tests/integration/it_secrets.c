/* Runs last: the shop password and every access password the sandbox issued
 * in this run must appear nowhere in what the plugin logged (at debug
 * level), returned or reported; then every recorded request and result is
 * validated against the JSON Schemas in docs/schemas. */
#include <CUnit/CUnit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "it.h"

const char *it_validator;
const char *it_schemas;
const char *it_docs;

static void no_password_anywhere(void)
{
    json_object *reqs, *list;
    const char *out = it_outputs();
    size_t i, checked = 0;

    CU_ASSERT_TRUE(strlen(out) > 1000); /* debug logging really ran */
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "ShopPass=***"));
    CU_ASSERT_PTR_NULL(strstr(out, it.shop_pass));
    reqs = it_admin("requests?since=0", 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(reqs);
    json_object_object_get_ex(reqs, "requests", &list);
    for (i = 0; list && i < json_object_array_length(list); i++) {
        const char *order = it_jstr(json_object_array_get_idx(list, i), "order_id");
        json_object *tx;
        const char *pass;

        if (!*order || strcmp(it_jstr(json_object_array_get_idx(list, i), "op"), "EntryTranPaid"))
            continue;
        tx = it_admin(it_fmt("transactions/%s", order), 0);
        if (!tx)
            continue;
        pass = it_jstr(tx, "access_pass");
        if (strlen(pass) >= 16) {
            checked++;
            it_secret(pass);
            if (strstr(out, pass)) {
                fprintf(stderr, "\n    access password of %s leaked\n", order);
                CU_FAIL("access password found in plugin output");
            }
        }
        json_object_put(tx);
    }
    json_object_put(reqs);
    CU_ASSERT_TRUE(checked >= 10);
}

static void results_match_schemas(void)
{
    pid_t pid;
    int st = 0;

    if (!it_validator || !it_schemas) {
        CU_FAIL("validator and schemas not given");
        return;
    }
    pid = fork();
    CU_ASSERT_FATAL(pid >= 0);
    if (pid == 0) {
        if (it_docs)
            execl("/usr/bin/python3", "python3", it_validator, it.results_dir, it_schemas, "--docs",
                  it_docs, (char *)NULL);
        else
            execl("/usr/bin/python3", "python3", it_validator, it.results_dir, it_schemas,
                  (char *)NULL);
        _exit(127);
    }
    waitpid(pid, &st, 0);
    CU_ASSERT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static const test_case cases[] = {
    {"no shop or access password in any output", no_password_anywhere},
    {"requests and results match the JSON Schemas", results_match_schemas},
    {NULL, NULL},
};

const test_suite it_suite_secrets = {"secrets-and-schemas", cases, NULL, NULL};
