/*
 * 128-bit identifiers: time-ordered, unique, with a readable text form.
 *
 * Layout (most significant first): 48 bits of Unix time in milliseconds, then 80
 * bits that are random for the first id of a millisecond and incremented for each
 * further id in the same millisecond. Numeric order is creation order within one
 * generator. Text form: `<prefix>_<26 Crockford base32 digits>`, e.g.
 * `tr_01JDQ6W3ZB8XKQ4N7T5V0M2C9E`; the base32 part is the ULID of the value.
 */
#ifndef TPWALLET_ID_H
#define TPWALLET_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/clock.h"
#include "tpwallet/error.h"
#include "tpwallet/prng.h"
#include "tpwallet/u128.h"

/* Prefixes are 1..8 lowercase ASCII letters: "acct", "tr", "qt", "pay". */
#define TPW_ID_PREFIX_LEN_MAX 8
#define TPW_ID_BASE32_LEN 26
/* prefix + "_" + 26 digits + NUL */
#define TPW_ID_TEXT_SIZE (TPW_ID_PREFIX_LEN_MAX + 1 + TPW_ID_BASE32_LEN + 1)
/* 2^48 ms is the year 10889. */
#define TPW_ID_TIME_MS_MAX ((UINT64_C(1) << 48) - 1)

struct tpw_id_gen {
    struct tpw_clock clock;
    struct tpw_prng *prng; /* borrowed; must outlive the generator */
    uint64_t last_ms;
    tpw_u128 last_random; /* low 80 bits of the last id */
};

/* `prng` is borrowed. */
void tpw_id_gen_init(struct tpw_id_gen *gen, struct tpw_clock clock, struct tpw_prng *prng);

/*
 * Returns a new id, strictly greater than every id this generator returned before,
 * even if the clock steps backwards (the last timestamp is then reused). When the 80
 * random bits of one millisecond are exhausted the timestamp moves one millisecond on.
 */
tpw_u128 tpw_id_gen_next(struct tpw_id_gen *gen);

/* The millisecond timestamp embedded in `id`. */
uint64_t tpw_id_time_ms(tpw_u128 id);

/* True when `prefix` is 1..8 lowercase ASCII letters. */
bool tpw_id_prefix_valid(const char *prefix);

/*
 * Writes `<prefix>_<base32>` into buf. Returns the length written, or 0 when `size`
 * is too small or the prefix is invalid.
 */
size_t tpw_id_format(tpw_u128 id, const char *prefix, char *buf, size_t size);

/*
 * Parses an identifier. Accepted: `<prefix>_<base32>` where prefix equals
 * `expected_prefix` (any valid prefix when it is NULL), and a plain decimal integer
 * below 2^128, leading zeros allowed (so clients can keep their own numbering). The text form
 * always carries its prefix: a bare 26-digit base32 made only of digits would read as a decimal
 * too, so bare base32 is not accepted. Base32 is case-insensitive and reads I and L as 1 and O as 0
 * (Crockford). Errors: TPW_ERR_ID_INVALID, TPW_ERR_ID_PREFIX.
 */
TPW_MUST_CHECK enum tpw_err tpw_id_parse(const char *text, size_t text_len,
                                         const char *expected_prefix, tpw_u128 *out /* out */,
                                         struct tpw_error_detail *detail);

#endif /* TPWALLET_ID_H */
