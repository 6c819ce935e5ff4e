/*
 * Implementation of the shared cmocka helpers (see tpw_test.h).
 */
#define _XOPEN_SOURCE 700 /* nftw */

#include "tpw_test.h"

#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tpwallet/error.h"

void tpw_test_u128_equal(tpw_u128 actual, tpw_u128 expected, const char *expression,
                         const char *file, int line)
{
    if (actual == expected) {
        return;
    }
    char actual_text[TPW_U128_DEC_SIZE];
    char expected_text[TPW_U128_DEC_SIZE];
    (void)tpw_u128_to_dec(actual, actual_text, sizeof(actual_text));
    (void)tpw_u128_to_dec(expected, expected_text, sizeof(expected_text));
    print_error("%s is %s, expected %s\n", expression, actual_text, expected_text);
    _fail(file, line);
}

void tpw_test_err_equal(int actual, int expected, const char *expression, const char *file,
                        int line)
{
    if (actual == expected) {
        return;
    }
    print_error("%s returned %s (%d), expected %s (%d)\n", expression,
                tpw_err_name((enum tpw_err)actual), actual, tpw_err_name((enum tpw_err)expected),
                expected);
    _fail(file, line);
}

void tpw_test_message_has(const char *message, const char *text, const char *file, int line)
{
    if (strstr(message, text) != NULL) {
        return;
    }
    print_error("the message \"%s\" lacks \"%s\"\n", message, text);
    _fail(file, line);
}

uint64_t tpw_test_seed(const char *suite, uint64_t fallback)
{
    uint64_t seed = fallback;
    const char *env = getenv("TPW_TEST_SEED");
    if (env != NULL && env[0] != '\0') {
        seed = strtoull(env, NULL, 10);
    }
    printf("%s: seed %" PRIu64 " (rerun with TPW_TEST_SEED=%" PRIu64 ")\n", suite, seed, seed);
    fflush(stdout);
    return seed;
}

static int remove_entry(const char *path, const struct stat *info, int type, struct FTW *ftw)
{
    (void)info;
    (void)type;
    (void)ftw;
    return remove(path);
}

bool tpw_test_tree_remove(const char *path)
{
    return nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS) == 0;
}
