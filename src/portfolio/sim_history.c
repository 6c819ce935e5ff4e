/*
 * The recorded depegs of simulate.h, embedded at build time (cmake/TpwEmbed.cmake) so
 * that `tpwallet simulate --scenario depeg-…` works from any directory.
 */
#include <stddef.h>
#include <string.h>

#include "tpwallet/simulate.h"

#include "banned.h"

extern const unsigned char portfolio_depeg_usdc_2023_03_csv[];
extern const size_t portfolio_depeg_usdc_2023_03_csv_size;
extern const unsigned char portfolio_depeg_ust_2022_05_csv[];
extern const size_t portfolio_depeg_ust_2022_05_csv_size;

enum tpw_err portfolio_sim_depeg_load(const char *name, struct portfolio_series *out,
                                      struct tpw_error_detail *detail)
{
    memset(out, 0, sizeof(*out));
    const unsigned char *text = NULL;
    size_t size_bytes = 0;
    if (strcmp(name, "usdc-2023-03") == 0) {
        text = portfolio_depeg_usdc_2023_03_csv;
        size_bytes = portfolio_depeg_usdc_2023_03_csv_size;
    } else if (strcmp(name, "ust-2022-05") == 0) {
        text = portfolio_depeg_ust_2022_05_csv;
        size_bytes = portfolio_depeg_ust_2022_05_csv_size;
    } else {
        return tpw_error_set(detail, TPW_ERR_PORTFOLIO_PARAMETER_INVALID, 0,
                             "no recorded depeg '%.40s' (usdc-2023-03 or ust-2022-05)", name);
    }
    return portfolio_series_parse((const char *)text, size_bytes, PORTFOLIO_CLOSE_RAW, out, detail);
}
