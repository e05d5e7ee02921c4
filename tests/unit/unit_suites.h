#ifndef UNIT_SUITES_H
#define UNIT_SUITES_H

#include "cunit_main.h"

extern const test_suite unit_suite_codec;
extern const test_suite unit_suite_config;
extern const test_suite unit_suite_request;
extern const test_suite unit_suite_settle;

#endif
