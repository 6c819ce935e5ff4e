/*
 * Shared helpers for tpwallet's cmocka suites: the includes cmocka needs, 128-bit
 * assertions that print both sides in decimal, and the seed convention for
 * randomized tests (TPW_TEST_SEED overrides; the seed is always printed).
 */
#ifndef TPW_TEST_H
#define TPW_TEST_H

/* cmocka.h needs these first. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "tpwallet/u128.h"

/* Fails the current test, printing both values in decimal, when they differ. */
#define assert_u128_equal(actual, expected)                                                        \
    tpw_test_u128_equal((actual), (expected), #actual, __FILE__, __LINE__)

void tpw_test_u128_equal(tpw_u128 actual, tpw_u128 expected, const char *expression,
                         const char *file, int line);

/* Fails the current test when `err` is not `expected`, printing both names. */
#define assert_err(actual, expected)                                                               \
    tpw_test_err_equal((int)(actual), (int)(expected), #actual, __FILE__, __LINE__)

void tpw_test_err_equal(int actual, int expected, const char *expression, const char *file,
                        int line);

/* Fails the current test, printing the message, when `message` lacks `text`. */
#define assert_message_has(message, text)                                                          \
    tpw_test_message_has((message), (text), __FILE__, __LINE__)

void tpw_test_message_has(const char *message, const char *text, const char *file, int line);

/*
 * The seed for a randomized suite: $TPW_TEST_SEED when set (decimal), otherwise
 * `fallback`. Prints "<suite>: seed <n> (rerun with TPW_TEST_SEED=<n>)" either way,
 * so every failure can be reproduced.
 */
uint64_t tpw_test_seed(const char *suite, uint64_t fallback);

/* Removes a file or a directory tree (a test's scratch directory); false on failure. */
bool tpw_test_tree_remove(const char *path);

#endif /* TPW_TEST_H */
