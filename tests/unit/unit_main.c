#include "unit_suites.h"

int main(int argc, char **argv)
{
    const test_suite suites[] = {unit_suite_codec,
                                 unit_suite_config,
                                 unit_suite_request,
                                 unit_suite_settle,
                                 {NULL, NULL, NULL, NULL}};

    return cunit_run(argc, argv, suites);
}
