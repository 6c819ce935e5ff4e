/*
 * 256-bit intermediate arithmetic for multiply-divide.
 *
 * The product of two 128-bit values needs 256 bits; dividing it back by a 128-bit
 * divisor is Knuth's Algorithm D (TAOCP vol. 2, 4.3.1) on 64-bit digits, using the
 * compiler's 128-bit type for the 2-by-1 digit steps. Only the case the money code
 * needs is implemented: quotients that fit in 128 bits; larger ones are reported.
 */
#include <string.h>

#include "money_int.h"
#include "tpw_assert.h"

#include "banned.h"

#define LO64(x) ((uint64_t)(x))
#define HI64(x) ((uint64_t)((x) >> 64))

struct money__u256 money__u256_mul(tpw_u128 a, tpw_u128 b)
{
    tpw_u128 p00 = (tpw_u128)LO64(a) * LO64(b);
    tpw_u128 p01 = (tpw_u128)LO64(a) * HI64(b);
    tpw_u128 p10 = (tpw_u128)HI64(a) * LO64(b);
    tpw_u128 p11 = (tpw_u128)HI64(a) * HI64(b);
    /* Each term is < 2^64, so three of them cannot overflow 128 bits. */
    tpw_u128 middle = (tpw_u128)HI64(p00) + LO64(p01) + LO64(p10);
    tpw_u128 high = p11 + HI64(p01) + HI64(p10) + HI64(middle);
    struct money__u256 product = {{LO64(p00), LO64(middle), LO64(high), HI64(high)}};
    return product;
}

/* Divisor below 2^64: schoolbook division one 64-bit digit at a time. */
static void divmod_small(const uint64_t n[4], uint64_t divisor, tpw_u128 *quotient,
                         tpw_u128 *remainder)
{
    TPW_ASSERT(n[3] == 0 && n[2] < divisor);
    tpw_u128 current = ((tpw_u128)n[2] << 64) | n[1];
    uint64_t q1 = (uint64_t)(current / divisor);
    tpw_u128 rest = current % divisor;
    current = (rest << 64) | n[0];
    uint64_t q0 = (uint64_t)(current / divisor);
    *remainder = current % divisor;
    *quotient = ((tpw_u128)q1 << 64) | q0;
}

/* u[0..2] -= q × v[0..1]; returns true when the result went negative. */
static bool multiply_subtract(uint64_t *u, const uint64_t v[2], uint64_t q)
{
    uint64_t carry = 0;
    uint64_t borrow = 0;
    for (size_t index = 0; index < 2; index++) {
        tpw_u128 product = (tpw_u128)q * v[index] + carry;
        carry = HI64(product);
        tpw_u128 difference = (tpw_u128)u[index] - LO64(product) - borrow;
        u[index] = LO64(difference);
        borrow = HI64(difference) != 0 ? 1 : 0;
    }
    tpw_u128 top = (tpw_u128)u[2] - carry - borrow;
    u[2] = LO64(top);
    return HI64(top) != 0;
}

/* One quotient digit of Algorithm D from u[0..2] and the normalized divisor v. */
static uint64_t quotient_digit(uint64_t *u, const uint64_t v[2])
{
    tpw_u128 numerator = ((tpw_u128)u[2] << 64) | u[1];
    tpw_u128 qhat = numerator / v[1];
    tpw_u128 rhat = numerator % v[1];
    /* Knuth's test: at most two corrections make qhat exact or one too large. */
    while (HI64(qhat) != 0 || qhat * v[0] > ((rhat << 64) | u[0])) {
        qhat--;
        rhat += v[1];
        if (HI64(rhat) != 0) {
            break;
        }
    }
    TPW_ASSERT(HI64(qhat) == 0);
    /* With a two-digit divisor, Knuth's test above already involves every digit of
     * the divisor and of u[j..j+2], so qhat is exact: the subtraction cannot go
     * negative and Algorithm D's add-back step is never needed. */
    uint64_t q = LO64(qhat);
    bool negative = multiply_subtract(u, v, q);
    TPW_ASSERT(!negative);
    return q;
}

/* Divisor of 65..128 bits: Algorithm D with a two-digit divisor. */
static void divmod_large(const uint64_t n[4], tpw_u128 divisor, tpw_u128 *quotient,
                         tpw_u128 *remainder)
{
    unsigned shift = (unsigned)__builtin_clzll(HI64(divisor));
    tpw_u128 normalized = divisor << shift;
    const uint64_t v[2] = {LO64(normalized), HI64(normalized)};
    uint64_t u[5];
    if (shift == 0) {
        u[4] = 0;
        memcpy(u, n, 4 * sizeof(uint64_t));
    } else {
        u[4] = n[3] >> (64 - shift);
        for (size_t index = 3; index > 0; index--) {
            u[index] = (n[index] << shift) | (n[index - 1] >> (64 - shift));
        }
        u[0] = n[0] << shift;
    }
    uint64_t q1 = quotient_digit(u + 1, v);
    uint64_t q0 = quotient_digit(u, v);
    TPW_ASSERT(u[2] == 0 && u[3] == 0 && u[4] == 0);
    *quotient = ((tpw_u128)q1 << 64) | q0;
    *remainder = (((tpw_u128)u[1] << 64) | u[0]) >> shift;
    TPW_ASSERT(*remainder < divisor);
}

bool money__u256_divmod(struct money__u256 n, tpw_u128 divisor, tpw_u128 *quotient,
                        tpw_u128 *remainder)
{
    TPW_ASSERT(divisor != 0);
    /* The quotient fits in 128 bits exactly when the high half is below the divisor. */
    tpw_u128 high = ((tpw_u128)n.limb[3] << 64) | n.limb[2];
    if (high >= divisor) {
        return false;
    }
    if (HI64(divisor) == 0) {
        divmod_small(n.limb, LO64(divisor), quotient, remainder);
    } else {
        divmod_large(n.limb, divisor, quotient, remainder);
    }
    return true;
}
