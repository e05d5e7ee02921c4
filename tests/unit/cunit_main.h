/* cunit_main.h - one runner per test program: registers the suites given,
 * runs them all or the one named by "-s NAME", and exits non-zero on any
 * failure (meson reads the exit code). */
#ifndef CUNIT_MAIN_H
#define CUNIT_MAIN_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

typedef struct test_case {
    const char *name;
    CU_TestFunc fn;
} test_case;

typedef struct test_suite {
    const char *name;
    const test_case *cases;
    CU_InitializeFunc init;
    CU_CleanupFunc cleanup;
} test_suite;

static inline int cunit_run(int argc, char **argv, const test_suite *suites)
{
    const char *only = NULL;
    unsigned failed;
    int i;

    for (i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], "-s"))
            only = argv[i + 1];
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 99;
    for (; suites->name; suites++) {
        CU_pSuite s;
        const test_case *c;

        if (only && strcmp(only, suites->name))
            continue;
        s = CU_add_suite(suites->name, suites->init, suites->cleanup);
        if (!s)
            return 99;
        for (c = suites->cases; c->name; c++)
            if (!CU_add_test(s, c->name, c->fn))
                return 99;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    failed = CU_get_number_of_failures() + CU_get_number_of_suites_failed();
    if (CU_get_number_of_tests_run() == 0)
        failed = 1;
    CU_cleanup_registry();
    return failed ? 1 : 0;
}

#endif
