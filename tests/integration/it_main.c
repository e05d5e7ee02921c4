/* Integration test runner. Usage:
 *   test_integration --plugin SO --sandbox EXE --results DIR
 *                    [--validator PY --schemas DIR --docs MD] [-s SUITE]
 */
#include <stdio.h>
#include <string.h>

#include "it.h"

static const char *arg(int argc, char **argv, const char *name)
{
    int i;

    for (i = 1; i + 1 < argc; i++)
        if (!strcmp(argv[i], name))
            return argv[i + 1];
    return NULL;
}

int main(int argc, char **argv)
{
    const test_suite suites[] = {it_suite_orders,         it_suite_idempotency, it_suite_input,
                                 it_suite_faults,         it_suite_notify,      it_suite_crash,
                                 it_suite_matrix,         it_suite_month,       it_suite_secrets,
                                 {NULL, NULL, NULL, NULL}};
    const char *plugin = arg(argc, argv, "--plugin");
    const char *sandbox = arg(argc, argv, "--sandbox");
    const char *results = arg(argc, argv, "--results");
    int rc;

    if (!plugin || !sandbox || !results) {
        fprintf(stderr, "usage: %s --plugin SO --sandbox EXE --results DIR [...]\n", argv[0]);
        return 2;
    }
    it_validator = arg(argc, argv, "--validator");
    it_schemas = arg(argc, argv, "--schemas");
    it_docs = arg(argc, argv, "--docs");
    if (it_setup(plugin, sandbox, results) != 0) {
        it_teardown();
        return 99;
    }
    rc = cunit_run(argc, argv, suites);
    it_teardown();
    return rc;
}
