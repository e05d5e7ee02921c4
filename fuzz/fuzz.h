/* fuzz.h - what every fuzz target in this directory provides.
 *
 * Each target is one file defining LLVMFuzzerTestOneInput (and
 * LLVMFuzzerInitialize when it needs set-up). The same file is linked either
 * with libFuzzer (meson option fuzz, clang) or with replay_main.c, which runs
 * the committed corpus and regressions once (suite fuzz-replay, any compiler).
 *
 * FUZZ_CHECK states an invariant the code under test must keep for every
 * input; a broken invariant aborts, which libFuzzer reports as a crash and
 * the replay reports as a failed test. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
