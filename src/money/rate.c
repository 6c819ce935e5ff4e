/*
 * Exchange rates as exact decimals scaled by 10^18. Parsing reuses the amount
 * grammar; formatting gives the shortest exact text so "1.0842" round-trips.
 */
#include <string.h>

#include "money_int.h"
#include "tpw_assert.h"

#include "banned.h"

enum tpw_err money_rate_parse(const char *text, size_t text_len, struct money_rate *out,
                              struct tpw_error_detail *detail)
{
    return money_decimal_parse(text, text_len, MONEY_RATE_SCALE_DIGITS, &out->value_e18, detail);
}

size_t money_rate_format(struct money_rate rate, char *buf, size_t size)
{
    char full[MONEY_DECIMAL_TEXT_SIZE];
    size_t length =
        money_decimal_format(rate.value_e18, MONEY_RATE_SCALE_DIGITS, full, sizeof(full));
    TPW_ASSERT(length > MONEY_RATE_SCALE_DIGITS + 1);
    while (full[length - 1] == '0') {
        length--;
    }
    if (full[length - 1] == '.') {
        length--;
    }
    if (size < length + 1) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    memcpy(buf, full, length);
    buf[length] = '\0';
    return length;
}
