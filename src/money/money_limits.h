/*
 * Limits of the money module, each with its reason.
 */
#ifndef MONEY_LIMITS_H
#define MONEY_LIMITS_H

#include "tpwallet/money.h"

/* ISO 4217 has ~180 active codes; this leaves room for several hundred configured
 * assets. The registry is one allocation of this many entries so asset pointers
 * handed out never move. */
#define MONEY_REGISTRY_ASSETS_MAX 1024

/* A registry data file line: longest ISO line is ~80 bytes. Longer lines are errors,
 * not truncations. */
#define MONEY_CSV_LINE_MAX 256

/* Conversion divides by at most 10^(18 + 18): it must stay a tpw_u128. */
_Static_assert(2 * MONEY_ASSET_EXPONENT_MAX <= TPW_U128_POW10_MAX,
               "conversion scale must fit in 128 bits");
_Static_assert(MONEY_RATE_SCALE_DIGITS == MONEY_ASSET_EXPONENT_MAX,
               "conversion formulas assume the rate scale equals the largest exponent");
_Static_assert(MONEY_REGISTRY_ASSETS_MAX <= UINT16_MAX, "registry index is 16-bit");

#endif /* MONEY_LIMITS_H */
