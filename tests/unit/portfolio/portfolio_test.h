/*
 * Helpers shared by the portfolio suites: a date text to its day number, so expected
 * values read as the dates in the files.
 */
#ifndef PORTFOLIO_TEST_H
#define PORTFOLIO_TEST_H

#include "tpw_test.h"

#include <stdio.h>

#include "tpwallet/portfolio.h"

/* "YYYY-MM-DD" → days since 1970-01-01; fails the test on any other text. */
static inline int32_t day_of(const char *date)
{
    int year = 0;
    unsigned month = 0;
    unsigned mday = 0;
    assert_int_equal(sscanf(date, "%d-%u-%u", &year, &month, &mday), 3);
    return portfolio_day_from_civil(year, month, mday);
}

#endif /* PORTFOLIO_TEST_H */
