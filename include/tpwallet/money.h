/*
 * Money core: assets, exact amounts, exact rates, rounding, conversion and fees.
 *
 * Amounts are unsigned 128-bit integers of an asset's minor unit (cents for USD,
 * satoshi for BTC, wei for ETH); they never carry a sign — direction lives in the
 * ledger (debit or credit), not in the number. Rates are unsigned 128-bit integers
 * scaled by 10^18. No floating point is used anywhere in this module.
 *
 * Every operation that can lose precision takes an explicit `enum money_rounding`;
 * there is no default inside the library. The policy (docs/money.md): what the
 * customer receives rounds down, what the customer pays in fees rounds up.
 */
#ifndef TPWALLET_MONEY_H
#define TPWALLET_MONEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"
#include "tpwallet/u128.h"

/* ------------------------------------------------------------------------------------
 * Assets
 * ------------------------------------------------------------------------------------ */

/* Asset codes are 2..8 characters of A-Z and 0-9, starting with a letter. Eight
 * characters pack into 8 bytes, which keeps fixed-size ledger records fixed. */
#define MONEY_ASSET_CODE_LEN_MIN 2
#define MONEY_ASSET_CODE_LEN_MAX 8
/* The minor unit is at most 10^-18 (ETH's wei), the same scale as rates, so a
 * conversion never needs a divisor above 10^36 < 2^128. */
#define MONEY_ASSET_EXPONENT_MAX 18
#define MONEY_ASSET_NAME_SIZE 96

enum money_asset_kind {
    MONEY_ASSET_ISO4217 = 1,    /* from the ISO 4217 list */
    MONEY_ASSET_CONFIGURED = 2, /* from a configured-assets file (crypto, metals…) */
};

/* What kind of holding an asset is, for valuations that group them (the asset map):
 * ISO 4217 money is fiat, an ISO code without a minor unit other; a configured asset's
 * class is its file's `class` column (other when the file has none). */
enum money_asset_class {
    MONEY_CLASS_OTHER = 0, /* so that an asset built field by field defaults to it */
    MONEY_CLASS_FIAT = 1,
    MONEY_CLASS_STABLECOIN = 2,
    MONEY_CLASS_CRYPTO = 3,
    MONEY_CLASS_COMMODITY = 4,
};

/* "fiat", "stablecoin", "crypto", "commodity", "other". */
const char *money_asset_class_name(enum money_asset_class asset_class);

struct money_asset {
    char code[MONEY_ASSET_CODE_LEN_MAX + 1]; /* NUL-terminated, e.g. "USD" */
    uint8_t exponent;                        /* minor unit = 10^-exponent of the major unit */
    bool is_money;                           /* false for ISO codes whose minor unit is "N.A." */
    uint16_t iso_numeric;                    /* ISO 4217 numeric code, 0 when none */
    enum money_asset_kind kind;
    char name[MONEY_ASSET_NAME_SIZE];
    enum money_asset_class asset_class;
};

/* Checks that `code` has the shape of an asset code (not that it is registered). */
bool money_asset_code_valid(const char *code, size_t code_len);

/* The registry of known assets. Opaque handle. */
typedef struct money_registry money_registry;

/* Creates an empty registry. Returns NULL only when out of memory. */
money_registry *money_registry_create(void);
void money_registry_destroy(money_registry *registry);

/*
 * Loads the ISO 4217 list and the configured assets that are built into the library
 * (the files data/iso4217/iso4217.csv and data/assets.csv, embedded at build time).
 */
TPW_MUST_CHECK enum tpw_err money_registry_load_builtin(money_registry *registry,
                                                        struct tpw_error_detail *detail);

/*
 * Loads ISO 4217 rows, CSV with the header `code,numeric,minor_unit,name`.
 * A minor_unit of "N.A." registers the code as known but not money.
 * Errors: TPW_ERR_CSV_SYNTAX (with the line number in detail->offset_bytes),
 * TPW_ERR_ASSET_CODE_INVALID, TPW_ERR_ASSET_EXPONENT_INVALID, TPW_ERR_ASSET_DUPLICATE,
 * TPW_ERR_ASSET_REGISTRY_FULL. On error the registry is left as it was before the call.
 */
TPW_MUST_CHECK enum tpw_err money_registry_load_iso4217(money_registry *registry, const char *csv,
                                                        size_t csv_len,
                                                        struct tpw_error_detail *detail);

/*
 * Loads configured assets, CSV with the header `code,exponent,name`. A configured
 * asset may add a new code or give a minor unit to a known "N.A." ISO code (XAU…);
 * redefining a code that is already money is TPW_ERR_ASSET_DUPLICATE. Same errors
 * and all-or-nothing behaviour as money_registry_load_iso4217().
 */
TPW_MUST_CHECK enum tpw_err money_registry_load_configured(money_registry *registry,
                                                           const char *csv, size_t csv_len,
                                                           struct tpw_error_detail *detail);

/* As above, reading the CSV from a file. Adds TPW_ERR_NOT_FOUND and TPW_ERR_IO. */
TPW_MUST_CHECK enum tpw_err money_registry_load_configured_file(money_registry *registry,
                                                                const char *path,
                                                                struct tpw_error_detail *detail);

/*
 * Finds a money asset by code (exact, case-sensitive). Errors: TPW_ERR_ASSET_CODE_INVALID,
 * TPW_ERR_ASSET_UNKNOWN, TPW_ERR_ASSET_NOT_MONEY. `*out` stays valid until the
 * registry is destroyed; later loads never move existing assets.
 */
TPW_MUST_CHECK enum tpw_err money_registry_find(const money_registry *registry, const char *code,
                                                const struct money_asset **out /* out */,
                                                struct tpw_error_detail *detail);

/* Number of registered codes (money or not), and the code at `index`, sorted by code. */
size_t money_registry_count(const money_registry *registry);
const struct money_asset *money_registry_at(const money_registry *registry, size_t index);

/* ------------------------------------------------------------------------------------
 * Rounding
 * ------------------------------------------------------------------------------------ */

enum money_rounding {
    MONEY_ROUND_HALF_EVEN = 1, /* nearest; ties to the even neighbour (banker's) */
    MONEY_ROUND_HALF_UP = 2,   /* nearest; ties away from zero */
    MONEY_ROUND_DOWN = 3,      /* toward zero (truncate): what a customer receives */
    MONEY_ROUND_UP = 4,        /* away from zero: what a customer pays */
};

/* "half-even", "half-up", "down", "up". */
const char *money_rounding_name(enum money_rounding rounding);
/* Inverse of money_rounding_name(); TPW_ERR_ROUNDING_UNKNOWN otherwise. */
TPW_MUST_CHECK enum tpw_err money_rounding_parse(const char *name,
                                                 enum money_rounding *out /* out */);

/*
 * round(a * b / divisor) with an exact 256-bit intermediate and the given rounding.
 * Errors, checked in this order: TPW_ERR_INVALID_ARGUMENT (unknown rounding value),
 * TPW_ERR_DIVISION_BY_ZERO, TPW_ERR_OVERFLOW (the rounded result does not fit in 128
 * bits). `*out` is written only on success.
 */
TPW_MUST_CHECK enum tpw_err money_muldiv(tpw_u128 a, tpw_u128 b, tpw_u128 divisor,
                                         enum money_rounding rounding, tpw_u128 *out /* out */);

/* ------------------------------------------------------------------------------------
 * Amounts (minor units)
 * ------------------------------------------------------------------------------------ */

/* Checked arithmetic: TPW_ERR_OVERFLOW / TPW_ERR_UNDERFLOW instead of wrapping. */
TPW_MUST_CHECK enum tpw_err money_amount_add(tpw_u128 a_minor, tpw_u128 b_minor,
                                             tpw_u128 *sum_minor /* out */);
TPW_MUST_CHECK enum tpw_err money_amount_sub(tpw_u128 a_minor, tpw_u128 b_minor,
                                             tpw_u128 *difference_minor /* out */);

/*
 * Exact decimal text ↔ integer at a fixed number of fraction digits (`exponent`
 * 0..38). The grammar is `digits [ "." digits ]`: no sign, no exponent, no spaces, no
 * leading or trailing point, at most `exponent` fraction digits (fewer are padded:
 * "12.3" USD is 1230); leading zeros are accepted. The first offending character
 * decides the error and detail->offset_bytes is its position (for too many fraction
 * digits, the first digit beyond the allowed ones): TPW_ERR_DECIMAL_EMPTY, _SPACE,
 * _SIGN, _EXPONENT, _LEADING_POINT, _TRAILING_POINT, _NON_DIGIT, _PRECISION; then
 * TPW_ERR_DECIMAL_OVERFLOW (offset 0) if the value exceeds 2^128-1. The text is read
 * by length; a NUL inside it is an unexpected character.
 */
TPW_MUST_CHECK enum tpw_err money_decimal_parse(const char *text, size_t text_len,
                                                unsigned exponent, tpw_u128 *out /* out */,
                                                struct tpw_error_detail *detail);

/* Longest decimal text for any tpw_u128 at any exponent ≤ 38, plus the NUL. */
#define MONEY_DECIMAL_TEXT_SIZE 42

/*
 * Formats `value` with exactly `exponent` (0..38) fraction digits and at least one
 * integer digit ("0.50", "1000", "0.00000001"). Returns the length written (excluding
 * the NUL), or 0 when `size` is too small; `buf` then holds "" (when size > 0).
 */
size_t money_decimal_format(tpw_u128 value, unsigned exponent, char *buf, size_t size);

/* money_decimal_parse/format at the asset's exponent; detail->param is left alone. */
TPW_MUST_CHECK enum tpw_err money_amount_parse(const struct money_asset *asset, const char *text,
                                               size_t text_len, tpw_u128 *amount_minor /* out */,
                                               struct tpw_error_detail *detail);
size_t money_amount_format(const struct money_asset *asset, tpw_u128 amount_minor, char *buf,
                           size_t size);

/* ------------------------------------------------------------------------------------
 * Rates: exact decimals scaled by 10^18
 * ------------------------------------------------------------------------------------ */

#define MONEY_RATE_SCALE_DIGITS 18

struct money_rate {
    tpw_u128 value_e18; /* rate × 10^18; 1.0842 is 1084200000000000000 */
};

/* Parses a decimal with at most 18 fraction digits (errors as money_decimal_parse). */
TPW_MUST_CHECK enum tpw_err money_rate_parse(const char *text, size_t text_len,
                                             struct money_rate *out /* out */,
                                             struct tpw_error_detail *detail);

/* Shortest exact text: trailing fraction zeros and a bare point removed ("1.0842", "3"). */
size_t money_rate_format(struct money_rate rate, char *buf, size_t size);

/* ------------------------------------------------------------------------------------
 * Conversion and fees
 * ------------------------------------------------------------------------------------ */

enum money_quote_side {
    /* `rate` is units of the target per unit of the source (EUR→USD at 1.1684). */
    MONEY_RATE_TO_PER_FROM = 1,
    /* `rate` is units of the source per unit of the target: ECB rates are quoted as
     * currency per EUR, so JPY→EUR uses 186.75 with this side. */
    MONEY_RATE_FROM_PER_TO = 2,
};

/*
 * Converts `amount_minor` of `from` into minor units of `to` through `rate`, with a
 * single rounding step on the exact result:
 *   TO_PER_FROM: out = amount × rate_e18 / 10^(18 + from.exp − to.exp)
 *   FROM_PER_TO: out = amount × 10^(18 + to.exp − from.exp) / rate_e18
 * Errors, checked in this order: TPW_ERR_RATE_ZERO, TPW_ERR_INVALID_ARGUMENT (unknown
 * side or rounding), TPW_ERR_OVERFLOW. `*out_minor` is written only on success.
 */
TPW_MUST_CHECK enum tpw_err money_convert(tpw_u128 amount_minor, const struct money_asset *from,
                                          const struct money_asset *to, struct money_rate rate,
                                          enum money_quote_side side, enum money_rounding rounding,
                                          tpw_u128 *out_minor /* out */);

/* Basis points in one whole (100%). */
#define MONEY_BPS_ONE 10000u

/*
 * A fee schedule in the asset of the amount it applies to:
 *   fee = clamp(fixed + ceil(amount × proportional_bps / 10000), min, max)
 * The proportional part rounds up (the customer pays). Use TPW_U128_MAX as max_minor
 * for "no maximum".
 */
struct money_fee_schedule {
    tpw_u128 fixed_minor;
    uint32_t proportional_bps; /* 0..10000 */
    tpw_u128 min_minor;
    tpw_u128 max_minor;
};

/* The schedule with no fee at all. */
struct money_fee_schedule money_fee_none(void);

/*
 * Computes the fee for `amount_minor`. Errors, checked in this order:
 * TPW_ERR_FEE_INVALID (bps > 10000 or min > max), TPW_ERR_OVERFLOW when
 * fixed + proportional exceeds 2^128-1 (before clamping: a schedule whose uncapped fee
 * cannot be represented is refused even if `max_minor` would cap it).
 */
TPW_MUST_CHECK enum tpw_err money_fee_compute(const struct money_fee_schedule *schedule,
                                              tpw_u128 amount_minor, tpw_u128 *fee_minor /* out */,
                                              struct tpw_error_detail *detail);

#endif /* TPWALLET_MONEY_H */
