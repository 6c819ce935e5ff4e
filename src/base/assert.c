/*
 * The failure path of TPW_ASSERT: report file, line and expression, then abort so a
 * core dump (or the sanitizer) captures the state. Never returns.
 */
#include <stdio.h>
#include <stdlib.h>

#include "tpw_assert.h"

#include "banned.h"

void tpw__assert_fail(const char *expression, const char *file, int line)
{
    (void)fprintf(stderr, "tpwallet: assertion failed: %s (%s:%d)\n", expression, file, line);
    (void)fflush(stderr);
    abort();
}
