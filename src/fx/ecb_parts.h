/*
 * The parts of the fx module's ECB readers that its unit tests drive directly (the
 * limits of dates, the bulk append, a day's rates, the zip reader's member limit), kept
 * apart from fx_int.h, which only the module's own files include.
 */
#ifndef TPW_FX_ECB_PARTS_H
#define TPW_FX_ECB_PARTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/fx.h"

/* Years accepted in dates (fx.h: the ECB series starts in 1999; none before 1970). */
#define FX_YEAR_MIN 1970
#define FX_YEAR_MAX 2500
/* 1970-01-01 .. 2500-12-31. */
#define FX_DAYS_MIN 0
#define FX_DAYS_MAX 193943

/* "13 April 2026" (the daily CSV's form): the day, the English month, the year. */
bool fx__date_parse_long(const char *text, size_t text_len, int32_t *date_days);

/* Adds a rate to a day: TPW_ERR_FX_CURRENCY_DUPLICATE, TPW_ERR_FX_HISTORY_FULL. */
enum tpw_err fx__day_add(struct fx_ecb_day *day, const char *currency, struct money_rate per_eur,
                         struct tpw_error_detail *detail);

/* Appends without ordering or conflict checks (until fx__history_seal). Errors:
 * TPW_ERR_FX_HISTORY_FULL, TPW_ERR_NOMEM. `currency` has been checked. */
enum tpw_err fx__history_append(fx_history *history, const char *currency, int32_t date_days,
                                struct money_rate per_eur, struct tpw_error_detail *detail);

/* fx_ecb_zip_parse() with the member size limit as a parameter (tests use a small one). */
enum tpw_err fx__ecb_zip_parse_limited(const char *zip, size_t zip_len, size_t member_size_max,
                                       fx_history **out, struct tpw_error_detail *detail);

#endif /* TPW_FX_ECB_PARTS_H */
