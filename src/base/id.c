/*
 * Time-ordered 128-bit identifiers and their `<prefix>_<Crockford base32>` text form.
 *
 * The generator is deterministic given its clock and PRNG, so tests replay exactly.
 * Monotonicity is kept by the generator itself (not by the clock): within one
 * millisecond, or when the clock steps back, the 80 low bits are incremented.
 */
#include "tpwallet/id.h"

#include <string.h>

#include "tpw_assert.h"

#include "banned.h"

#define ID_RANDOM_BITS 80
#define ID_RANDOM_MASK ((((tpw_u128)1) << ID_RANDOM_BITS) - 1)

static const char base32_digits[32] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

void tpw_id_gen_init(struct tpw_id_gen *gen, struct tpw_clock clock, struct tpw_prng *prng)
{
    TPW_ASSERT(prng != NULL);
    TPW_ASSERT(clock.now_ns != NULL);
    memset(gen, 0, sizeof(*gen));
    gen->clock = clock;
    gen->prng = prng;
}

static tpw_u128 random80(struct tpw_prng *prng)
{
    tpw_u128 high = tpw_prng_next(prng) & 0xFFFFu;
    return (high << 64) | tpw_prng_next(prng);
}

tpw_u128 tpw_id_gen_next(struct tpw_id_gen *gen)
{
    uint64_t now_ms = tpw_clock_now_ns(&gen->clock) / UINT64_C(1000000);
    TPW_ASSERT(now_ms <= TPW_ID_TIME_MS_MAX);
    if (now_ms > gen->last_ms) {
        gen->last_ms = now_ms;
        gen->last_random = random80(gen->prng);
    } else if (gen->last_random < ID_RANDOM_MASK) {
        gen->last_random++;
    } else {
        /* 2^80 ids in one millisecond cannot happen in practice; stay ordered anyway. */
        TPW_ASSERT(gen->last_ms < TPW_ID_TIME_MS_MAX);
        gen->last_ms++;
        gen->last_random = random80(gen->prng);
    }
    return ((tpw_u128)gen->last_ms << ID_RANDOM_BITS) | gen->last_random;
}

uint64_t tpw_id_time_ms(tpw_u128 id)
{
    return (uint64_t)(id >> ID_RANDOM_BITS);
}

/* Validates by length, so a NUL inside text that is read by length is refused. */
static bool prefix_bytes_valid(const char *prefix, size_t length)
{
    if (length == 0 || length > TPW_ID_PREFIX_LEN_MAX) {
        return false;
    }
    for (size_t index = 0; index < length; index++) {
        if (prefix[index] < 'a' || prefix[index] > 'z') {
            return false;
        }
    }
    return true;
}

bool tpw_id_prefix_valid(const char *prefix)
{
    return prefix_bytes_valid(prefix, strlen(prefix));
}

size_t tpw_id_format(tpw_u128 id, const char *prefix, char *buf, size_t size)
{
    if (prefix == NULL || !tpw_id_prefix_valid(prefix)) {
        return 0;
    }
    size_t prefix_len = strlen(prefix);
    size_t length = prefix_len + 1 + TPW_ID_BASE32_LEN;
    if (size < length + 1) {
        return 0;
    }
    memcpy(buf, prefix, prefix_len);
    buf[prefix_len] = '_';
    char *digits = buf + prefix_len + 1;
    for (size_t index = TPW_ID_BASE32_LEN; index > 0; index--) {
        digits[index - 1] = base32_digits[(unsigned)(id & 31u)];
        id >>= 5;
    }
    TPW_ASSERT(id == 0);
    buf[length] = '\0';
    return length;
}

/* Crockford decoding: case-insensitive, I/L read as 1, O as 0; -1 for anything else. */
static int base32_value(char c)
{
    if (c >= 'a' && c <= 'z') {
        c = (char)(c - 'a' + 'A');
    }
    if (c == 'I' || c == 'L') {
        return 1;
    }
    if (c == 'O') {
        return 0;
    }
    const char *found = memchr(base32_digits, c, sizeof(base32_digits));
    return found == NULL ? -1 : (int)(found - base32_digits);
}

static enum tpw_err parse_base32(const char *text, size_t text_len, size_t offset, tpw_u128 *out,
                                 struct tpw_error_detail *detail)
{
    if (text_len != TPW_ID_BASE32_LEN) {
        return tpw_error_set(detail, TPW_ERR_ID_INVALID, offset,
                             "identifier needs %d base32 digits after the prefix, not %zu",
                             TPW_ID_BASE32_LEN, text_len);
    }
    tpw_u128 value = 0;
    for (size_t index = 0; index < text_len; index++) {
        int digit = base32_value(text[index]);
        if (digit < 0) {
            return tpw_error_set(detail, TPW_ERR_ID_INVALID, offset + index,
                                 "'%c' is not a base32 digit", text[index]);
        }
        /* 26 digits carry 130 bits; the first may only use the low 3. */
        if (index == 0 && digit > 7) {
            return tpw_error_set(detail, TPW_ERR_ID_INVALID, offset,
                                 "identifier is larger than 128 bits");
        }
        value = (value << 5) | (unsigned)digit;
    }
    *out = value;
    return TPW_OK;
}

static enum tpw_err parse_prefixed(const char *text, size_t text_len, const char *expected_prefix,
                                   tpw_u128 *out, struct tpw_error_detail *detail)
{
    const char *underscore = memchr(text, '_', text_len);
    if (underscore == NULL) {
        return tpw_error_set(detail, TPW_ERR_ID_INVALID, 0,
                             "identifier is neither '<prefix>_<base32>' nor a decimal integer");
    }
    size_t prefix_len = (size_t)(underscore - text);
    if (!prefix_bytes_valid(text, prefix_len)) {
        return tpw_error_set(detail, TPW_ERR_ID_INVALID, 0,
                             "identifier prefix must be 1 to %d lowercase letters",
                             TPW_ID_PREFIX_LEN_MAX);
    }
    if (expected_prefix != NULL &&
        (strlen(expected_prefix) != prefix_len || memcmp(text, expected_prefix, prefix_len) != 0)) {
        return tpw_error_set(detail, TPW_ERR_ID_PREFIX, 0,
                             "identifier has prefix '%.*s', expected '%s'", (int)prefix_len, text,
                             expected_prefix);
    }
    return parse_base32(underscore + 1, text_len - prefix_len - 1, prefix_len + 1, out, detail);
}

static bool all_digits(const char *text, size_t text_len)
{
    for (size_t index = 0; index < text_len; index++) {
        if (text[index] < '0' || text[index] > '9') {
            return false;
        }
    }
    return true;
}

enum tpw_err tpw_id_parse(const char *text, size_t text_len, const char *expected_prefix,
                          tpw_u128 *out, struct tpw_error_detail *detail)
{
    TPW_ASSERT(expected_prefix == NULL || tpw_id_prefix_valid(expected_prefix));
    if (text_len == 0) {
        return tpw_error_set(detail, TPW_ERR_ID_INVALID, 0, "identifier is empty");
    }
    if (!all_digits(text, text_len)) {
        return parse_prefixed(text, text_len, expected_prefix, out, detail);
    }
    if (tpw_u128_from_dec(text, text_len, out) != TPW_OK) {
        return tpw_error_set(detail, TPW_ERR_ID_INVALID, 0,
                             "decimal identifier is larger than 128 bits");
    }
    return TPW_OK;
}
