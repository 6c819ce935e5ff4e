/*
 * Exact decimal text for amounts and rates, and checked amount arithmetic.
 *
 * Grammar: digits [ "." digits ], at most `exponent` fraction digits. The scanner
 * classifies the first offending character so callers get one precise error code
 * and offset (docs/money.md lists them); the value is then accumulated with
 * overflow checks and scaled to the exponent. Nothing here rounds.
 */
#include <string.h>

#include "money_int.h"
#include "tpw_assert.h"

#include "banned.h"

void money__quote(const char *text, size_t text_len, char out[MONEY_QUOTE_SIZE])
{
    size_t shown = text_len > 40 ? 40 : text_len;
    for (size_t index = 0; index < shown; index++) {
        bool printable = text[index] >= 0x20 && text[index] < 0x7f;
        out[index] = text[index];
        if (!printable) {
            out[index] = '?';
        }
    }
    size_t length = shown;
    if (shown < text_len) {
        memcpy(out + length, "...", 3);
        length += 3;
    }
    out[length] = '\0';
}

struct decimal_scan {
    size_t integer_digits;
    size_t fraction_digits;
    size_t point_offset; /* valid when fraction_digits > 0 or has_point */
    bool has_point;
};

static enum tpw_err reject_char(const char *text, size_t text_len, size_t offset,
                                struct tpw_error_detail *detail)
{
    char c = text[offset];
    char quoted[MONEY_QUOTE_SIZE];
    money__quote(text, text_len, quoted);
    if (c == ' ' || (c >= '\t' && c <= '\r')) {
        return tpw_error_set(detail, TPW_ERR_DECIMAL_SPACE, offset,
                             "white space in '%s' at offset %zu", quoted, offset);
    }
    if (c == '+' || c == '-') {
        return tpw_error_set(detail, TPW_ERR_DECIMAL_SIGN, offset,
                             "sign '%c' in '%s': amounts and rates are unsigned", c, quoted);
    }
    if (c == 'e' || c == 'E') {
        return tpw_error_set(detail, TPW_ERR_DECIMAL_EXPONENT, offset,
                             "exponent in '%s': write the number out in full", quoted);
    }
    return tpw_error_set(detail, TPW_ERR_DECIMAL_NON_DIGIT, offset,
                         "unexpected character at offset %zu of '%s'", offset, quoted);
}

/* *value = *value × 10^chunk_digits + chunk; true on overflow. */
static bool fold_chunk(tpw_u128 *value, uint64_t chunk, unsigned chunk_digits)
{
    bool overflow = __builtin_mul_overflow(*value, tpw_u128_pow10(chunk_digits), value);
    overflow |= __builtin_add_overflow(*value, chunk, value);
    return overflow;
}

/*
 * The digits of an already validated decimal (the point skipped) as an integer; true
 * on overflow. Up to 19 digits are gathered in 64 bits and folded into the 128-bit
 * value once per chunk, so the checked 128-bit arithmetic runs once per 19 digits.
 */
static bool accumulate_digits(const char *text, size_t text_len, tpw_u128 *value)
{
    bool overflow = false;
    uint64_t chunk = 0;
    unsigned chunk_digits = 0;
    for (size_t offset = 0; offset < text_len; offset++) {
        if (text[offset] == '.') {
            continue;
        }
        chunk = chunk * 10 + (uint64_t)(text[offset] - '0');
        if (++chunk_digits == 19) {
            overflow |= fold_chunk(value, chunk, chunk_digits);
            chunk = 0;
            chunk_digits = 0;
        }
    }
    overflow |= fold_chunk(value, chunk, chunk_digits);
    return overflow;
}

/* Validates the shape of `text`; fills `scan` on success. */
static enum tpw_err decimal_scan(const char *text, size_t text_len, unsigned exponent,
                                 struct decimal_scan *scan, struct tpw_error_detail *detail)
{
    memset(scan, 0, sizeof(*scan));
    if (text_len == 0) {
        return tpw_error_set(detail, TPW_ERR_DECIMAL_EMPTY, 0, "empty decimal");
    }
    for (size_t offset = 0; offset < text_len; offset++) {
        char c = text[offset];
        if (c >= '0' && c <= '9') {
            if (!scan->has_point) {
                scan->integer_digits++;
            } else if (++scan->fraction_digits > exponent) {
                char quoted[MONEY_QUOTE_SIZE];
                money__quote(text, text_len, quoted);
                return tpw_error_set(detail, TPW_ERR_DECIMAL_PRECISION, offset,
                                     "'%s' has more than %u fraction digits", quoted, exponent);
            }
        } else if (c == '.' && !scan->has_point) {
            if (scan->integer_digits == 0) {
                return tpw_error_set(detail, TPW_ERR_DECIMAL_LEADING_POINT, offset,
                                     "decimal point needs a digit before it (write 0.5)");
            }
            scan->has_point = true;
            scan->point_offset = offset;
        } else {
            return reject_char(text, text_len, offset, detail);
        }
    }
    if (scan->has_point && scan->fraction_digits == 0) {
        return tpw_error_set(detail, TPW_ERR_DECIMAL_TRAILING_POINT, scan->point_offset,
                             "decimal point needs a digit after it (write 5 or 5.0)");
    }
    return TPW_OK;
}

enum tpw_err money_decimal_parse(const char *text, size_t text_len, unsigned exponent,
                                 tpw_u128 *out, struct tpw_error_detail *detail)
{
    TPW_ASSERT(exponent <= TPW_U128_POW10_MAX);
    struct decimal_scan scan;
    enum tpw_err err = decimal_scan(text, text_len, exponent, &scan, detail);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(scan.fraction_digits <= exponent);
    tpw_u128 value = 0;
    bool overflow = accumulate_digits(text, text_len, &value);
    unsigned padding = exponent - (unsigned)scan.fraction_digits;
    overflow |= __builtin_mul_overflow(value, tpw_u128_pow10(padding), &value);
    if (overflow) {
        char quoted[MONEY_QUOTE_SIZE];
        money__quote(text, text_len, quoted);
        return tpw_error_set(detail, TPW_ERR_DECIMAL_OVERFLOW, 0,
                             "'%s' is too large for 128 bits at %u decimal places", quoted,
                             exponent);
    }
    *out = value;
    return TPW_OK;
}

size_t money_decimal_format(tpw_u128 value, unsigned exponent, char *buf, size_t size)
{
    TPW_ASSERT(exponent <= TPW_U128_POW10_MAX);
    char digits[TPW_U128_DEC_SIZE];
    size_t digits_len = tpw_u128_to_dec(value, digits, sizeof(digits));
    TPW_ASSERT(digits_len > 0);
    /* At least one integer digit, then exactly `exponent` fraction digits. */
    size_t integer_len = digits_len > exponent ? digits_len - exponent : 1;
    size_t zeros = digits_len > exponent ? 0 : exponent - digits_len;
    size_t length = integer_len + (exponent > 0 ? 1 + exponent : 0);
    if (size < length + 1) {
        if (size > 0) {
            buf[0] = '\0';
        }
        return 0;
    }
    if (exponent == 0) {
        memcpy(buf, digits, digits_len);
    } else if (digits_len > exponent) {
        memcpy(buf, digits, integer_len);
        buf[integer_len] = '.';
        memcpy(buf + integer_len + 1, digits + integer_len, exponent);
    } else {
        memcpy(buf, "0.", 2);
        memset(buf + 2, '0', zeros);
        memcpy(buf + 2 + zeros, digits, digits_len);
    }
    buf[length] = '\0';
    return length;
}

enum tpw_err money_amount_parse(const struct money_asset *asset, const char *text, size_t text_len,
                                tpw_u128 *amount_minor, struct tpw_error_detail *detail)
{
    TPW_ASSERT(asset->is_money);
    enum tpw_err err = money_decimal_parse(text, text_len, asset->exponent, amount_minor, detail);
    if (err == TPW_ERR_DECIMAL_PRECISION) {
        char quoted[MONEY_QUOTE_SIZE];
        money__quote(text, text_len, quoted);
        return tpw_error_set(detail, err, detail != NULL ? detail->offset_bytes : 0,
                             "'%s' has more fraction digits than %s allows (%u)", quoted,
                             asset->code, asset->exponent);
    }
    return err;
}

size_t money_amount_format(const struct money_asset *asset, tpw_u128 amount_minor, char *buf,
                           size_t size)
{
    TPW_ASSERT(asset->is_money);
    return money_decimal_format(amount_minor, asset->exponent, buf, size);
}

enum tpw_err money_amount_add(tpw_u128 a_minor, tpw_u128 b_minor, tpw_u128 *sum_minor)
{
    tpw_u128 sum;
    if (__builtin_add_overflow(a_minor, b_minor, &sum)) {
        return TPW_ERR_OVERFLOW;
    }
    *sum_minor = sum;
    return TPW_OK;
}

enum tpw_err money_amount_sub(tpw_u128 a_minor, tpw_u128 b_minor, tpw_u128 *difference_minor)
{
    if (a_minor < b_minor) {
        return TPW_ERR_UNDERFLOW;
    }
    *difference_minor = a_minor - b_minor;
    return TPW_OK;
}
