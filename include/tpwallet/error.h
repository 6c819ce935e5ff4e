/*
 * tpwallet error codes: one table, many views.
 *
 * Every fallible function in tpwallet returns `enum tpw_err`: 0 is success and every
 * error is negative. The X-macro table below is the single definition of each error;
 * the enum, its stable name, the message, the HTTP status, the API error code and
 * type, and the CLI exit status (sysexits.h) are all generated from it, so they can
 * never drift apart. Numbers are part of the ABI: never renumber, only append.
 */
#ifndef TPWALLET_ERROR_H
#define TPWALLET_ERROR_H

#include <stddef.h>

/* Marks a function whose result must be checked; ignoring it is a build error. */
#define TPW_MUST_CHECK __attribute__((warn_unused_result))

/*
 * X(NAME, number, http_status, exit_status, api_type, api_code, message)
 *
 * api_type follows Stripe's error types: "invalid_request_error" for anything the
 * caller can fix by changing the request, "api_error" for our side.
 * exit_status values are sysexits.h numbers: 64 usage, 65 data error, 66 no input,
 * 69 service unavailable, 70 internal software error, 71 OS error, 74 I/O error,
 * 75 temporary failure, 77 permission denied, 78 configuration error.
 */
#define TPW_ERROR_TABLE(X)                                                                         \
    X(OK, 0, 200, 0, "", "ok", "success")                                                          \
    /* General. */                                                                                 \
    X(INVALID_ARGUMENT, -1, 400, 64, "invalid_request_error", "invalid_argument",                  \
      "invalid argument")                                                                          \
    X(USAGE, -2, 400, 64, "invalid_request_error", "usage", "invalid command usage")               \
    X(NOMEM, -3, 503, 71, "api_error", "out_of_memory", "out of memory")                           \
    X(IO, -4, 500, 74, "api_error", "io_error", "input/output error")                              \
    X(NOT_FOUND, -5, 404, 66, "invalid_request_error", "not_found", "file not found")              \
    X(INTERNAL, -6, 500, 70, "api_error", "internal_error", "internal error")                      \
    /* Decimal text (amounts and rates). */                                                        \
    X(DECIMAL_EMPTY, -20, 400, 65, "invalid_request_error", "decimal_empty", "empty decimal")      \
    X(DECIMAL_SIGN, -21, 400, 65, "invalid_request_error", "decimal_sign",                         \
      "signs are not allowed in decimals")                                                         \
    X(DECIMAL_EXPONENT, -22, 400, 65, "invalid_request_error", "decimal_exponent",                 \
      "exponents are not allowed in decimals")                                                     \
    X(DECIMAL_SPACE, -23, 400, 65, "invalid_request_error", "decimal_space",                       \
      "white space is not allowed in decimals")                                                    \
    X(DECIMAL_LEADING_POINT, -24, 400, 65, "invalid_request_error", "decimal_leading_point",       \
      "decimal point without an integer part")                                                     \
    X(DECIMAL_TRAILING_POINT, -25, 400, 65, "invalid_request_error", "decimal_trailing_point",     \
      "decimal point without a fraction part")                                                     \
    X(DECIMAL_NON_DIGIT, -26, 400, 65, "invalid_request_error", "decimal_non_digit",               \
      "unexpected character in decimal")                                                           \
    X(DECIMAL_PRECISION, -27, 400, 65, "invalid_request_error", "decimal_precision",               \
      "more fraction digits than allowed")                                                         \
    X(DECIMAL_OVERFLOW, -28, 400, 65, "invalid_request_error", "decimal_overflow",                 \
      "decimal too large for 128 bits")                                                            \
    /* Arithmetic. */                                                                              \
    X(OVERFLOW, -40, 422, 65, "invalid_request_error", "amount_overflow",                          \
      "result too large for 128 bits")                                                             \
    X(UNDERFLOW, -41, 422, 65, "invalid_request_error", "amount_underflow",                        \
      "result would be negative")                                                                  \
    X(DIVISION_BY_ZERO, -42, 400, 65, "invalid_request_error", "division_by_zero",                 \
      "division by zero")                                                                          \
    X(RATE_ZERO, -43, 400, 65, "invalid_request_error", "rate_zero",                               \
      "a conversion rate must be greater than zero")                                               \
    X(ROUNDING_UNKNOWN, -44, 400, 65, "invalid_request_error", "rounding_unknown",                 \
      "unknown rounding mode")                                                                     \
    X(FEE_INVALID, -45, 400, 65, "invalid_request_error", "fee_invalid", "invalid fee schedule")   \
    X(FEE_EXCEEDS_AMOUNT, -46, 422, 65, "invalid_request_error", "fee_exceeds_amount",             \
      "fee is larger than the amount")                                                             \
    /* Assets and the asset registry. */                                                           \
    X(ASSET_UNKNOWN, -60, 400, 65, "invalid_request_error", "asset_unknown", "unknown asset")      \
    X(ASSET_NOT_MONEY, -61, 400, 65, "invalid_request_error", "asset_not_money",                   \
      "asset has no minor unit and is not configured as money")                                    \
    X(ASSET_CODE_INVALID, -62, 400, 65, "invalid_request_error", "asset_code_invalid",             \
      "invalid asset code")                                                                        \
    X(ASSET_EXPONENT_INVALID, -63, 400, 78, "invalid_request_error", "asset_exponent_invalid",     \
      "invalid asset exponent")                                                                    \
    X(ASSET_DUPLICATE, -64, 400, 78, "invalid_request_error", "asset_duplicate",                   \
      "asset defined twice")                                                                       \
    X(ASSET_REGISTRY_FULL, -65, 500, 78, "api_error", "asset_registry_full", "too many assets")    \
    X(CSV_SYNTAX, -66, 400, 78, "invalid_request_error", "csv_syntax", "malformed data file")      \
    /* Identifiers. */                                                                             \
    X(ID_INVALID, -80, 400, 65, "invalid_request_error", "id_invalid", "invalid identifier")       \
    X(ID_PREFIX, -81, 400, 65, "invalid_request_error", "id_prefix",                               \
      "identifier has the wrong prefix")                                                           \
    /* The ledger. */                                                                              \
    X(LEDGER_EXISTS, -100, 409, 73, "invalid_request_error", "ledger_exists",                      \
      "a ledger already exists in this directory")                                                 \
    X(LEDGER_NOT_FOUND, -101, 404, 66, "invalid_request_error", "ledger_not_found",                \
      "no ledger in this directory")                                                               \
    X(LEDGER_LOCKED, -102, 409, 75, "api_error", "ledger_locked",                                  \
      "the ledger is open in another process")                                                     \
    X(LEDGER_FAILED, -103, 503, 74, "api_error", "ledger_failed",                                  \
      "the ledger stopped after a storage failure; reopen it to recover")                          \
    X(LEDGER_READ_ONLY, -104, 405, 64, "invalid_request_error", "ledger_read_only",                \
      "the ledger is open read-only")                                                              \
    X(LEDGER_BATCH_TOO_LARGE, -105, 400, 65, "invalid_request_error", "batch_too_large",           \
      "too many commands in one batch")                                                            \
    X(LEDGER_ASSET_CONFLICT, -106, 409, 65, "invalid_request_error", "asset_conflict",             \
      "the asset is already defined with another exponent")                                        \
    X(LEDGER_ASSETS_FULL, -107, 507, 65, "api_error", "ledger_assets_full",                        \
      "the ledger holds as many assets as it can")                                                 \
    X(LEDGER_ASSET_NOT_FOUND, -108, 404, 65, "invalid_request_error", "asset_not_found",           \
      "no such asset in the ledger")                                                               \
    X(LEDGER_ACCOUNT_NOT_FOUND, -109, 404, 65, "invalid_request_error", "account_not_found",       \
      "no such account")                                                                           \
    X(LEDGER_TRANSFER_NOT_FOUND, -110, 404, 65, "invalid_request_error", "transfer_not_found",     \
      "no such transfer")                                                                          \
    X(LEDGER_FLAG_UNKNOWN, -111, 400, 65, "invalid_request_error", "flag_unknown", "unknown flag") \
    X(LEDGER_KIND_UNKNOWN, -112, 400, 65, "invalid_request_error", "account_kind_unknown",         \
      "unknown account kind")                                                                      \
    /* The journal. */                                                                             \
    X(JOURNAL_CORRUPT, -120, 500, 65, "api_error", "journal_corrupt", "the journal is damaged")    \
    X(JOURNAL_FULL, -121, 507, 74, "api_error", "journal_full", "no space left for the journal")   \
    X(JOURNAL_SYNC, -122, 500, 74, "api_error", "journal_sync_failed",                             \
      "the journal could not be made durable")                                                     \
    X(JOURNAL_VERSION, -123, 500, 78, "api_error", "journal_version",                              \
      "the journal was written by an unsupported format version")                                  \
    /* The checkpoint store (LMDB). */                                                             \
    X(STORE, -130, 500, 74, "api_error", "store_error", "the checkpoint store failed")             \
    X(STORE_CORRUPT, -131, 500, 65, "api_error", "store_corrupt",                                  \
      "the checkpoint store is damaged")                                                           \
    X(CHECKPOINT_MISMATCH, -132, 500, 65, "api_error", "checkpoint_mismatch",                      \
      "the checkpoint does not match the journal")                                                 \
    /* Market data: order books and feeds. */                                                      \
    X(MARKET_BOOK_FULL, -140, 507, 65, "api_error", "market_book_full",                            \
      "the order book side holds as many levels as it can")                                        \
    X(MARKET_VALUE_RANGE, -141, 400, 65, "invalid_request_error", "market_value_range",            \
      "price or quantity too large for the order book")                                            \
    X(MARKET_VENUE_UNKNOWN, -142, 400, 65, "invalid_request_error", "market_venue_unknown",        \
      "unknown market venue")                                                                      \
    X(MARKET_MESSAGE_INVALID, -143, 400, 65, "invalid_request_error", "market_message_invalid",    \
      "malformed market data message")                                                             \
    X(MARKET_SEQUENCE_GAP, -144, 409, 65, "invalid_request_error", "market_sequence_gap",          \
      "a gap in the feed's update ids; the book needs a resync")                                   \
    X(MARKET_TOO_MANY_BOOKS, -145, 507, 65, "api_error", "market_too_many_books",                  \
      "the feed holds as many order books as it can")                                              \
    X(MARKET_BOOK_EMPTY, -146, 422, 65, "invalid_request_error", "market_book_empty",              \
      "the order book has no level on a side the indicator needs")                                 \
    X(MARKET_DEPTH_INSUFFICIENT, -147, 422, 65, "invalid_request_error",                           \
      "market_depth_insufficient", "not enough depth in the order book for the quantity")          \
    X(MARKET_LIVE, -148, 502, 69, "api_error", "market_live",                                      \
      "a live market connection could not be started")                                             \
    X(MARKET_NOT_SYNCED, -149, 504, 69, "api_error", "market_not_synced",                          \
      "no source delivered a synced order book in time")                                           \
    /* Quantitative analytics: option pricing and implied volatility. */                           \
    X(QUANT_INPUT_INVALID, -160, 400, 65, "invalid_request_error", "quant_input_invalid",          \
      "option inputs out of range (a price, strike, time or volatility not above zero)")           \
    X(QUANT_NO_VOLATILITY, -161, 422, 65, "invalid_request_error", "quant_no_volatility",          \
      "no volatility reproduces the option price (below intrinsic or above the bound)")            \
    /* Price series (CSV daily closes). */                                                         \
    X(PRICES_EMPTY, -180, 400, 65, "invalid_request_error", "prices_empty",                        \
      "the price file holds no prices")                                                            \
    X(PRICES_NO_HEADER, -181, 400, 65, "invalid_request_error", "prices_no_header",                \
      "no header row with a date column")                                                          \
    X(PRICES_NO_CLOSE, -182, 400, 65, "invalid_request_error", "prices_no_close",                  \
      "the header has no close column")                                                            \
    X(PRICES_ROW_SHORT, -183, 400, 65, "invalid_request_error", "prices_row_short",                \
      "a row has fewer fields than the header")                                                    \
    X(PRICES_DATE_INVALID, -184, 400, 65, "invalid_request_error", "prices_date_invalid",          \
      "unparsable date")                                                                           \
    X(PRICES_NUMBER_INVALID, -185, 400, 65, "invalid_request_error", "prices_number_invalid",      \
      "unparsable price")                                                                          \
    X(PRICES_NOT_POSITIVE, -186, 400, 65, "invalid_request_error", "prices_not_positive",          \
      "a price must be greater than zero")                                                         \
    X(PRICES_DUPLICATE_DATE, -187, 400, 65, "invalid_request_error", "prices_duplicate_date",      \
      "two rows for the same date")                                                                \
    X(PRICES_TOO_LARGE, -188, 400, 65, "invalid_request_error", "prices_too_large",                \
      "the price file is larger than allowed")                                                     \
    /* Portfolios and backtests. */                                                                \
    X(PORTFOLIO_WEIGHT_INVALID, -190, 400, 65, "invalid_request_error", "weight_invalid",          \
      "a weight must be a decimal from 0 to 1")                                                    \
    X(PORTFOLIO_WEIGHT_NEGATIVE, -191, 400, 65, "invalid_request_error", "weight_negative",        \
      "weights must not be negative")                                                              \
    X(PORTFOLIO_WEIGHTS_SUM, -192, 400, 65, "invalid_request_error", "weights_sum",                \
      "the weights do not sum to exactly 1")                                                       \
    X(PORTFOLIO_ASSET_NO_PRICES, -193, 400, 65, "invalid_request_error", "asset_no_prices",        \
      "an asset with a weight has no prices")                                                      \
    X(PORTFOLIO_ASSET_NO_WEIGHT, -194, 400, 65, "invalid_request_error", "asset_no_weight",        \
      "an asset with prices has no weight")                                                        \
    X(PORTFOLIO_ASSET_DUPLICATE, -195, 400, 65, "invalid_request_error",                           \
      "portfolio_asset_duplicate", "an asset is named twice")                                      \
    X(PORTFOLIO_TOO_MANY_ASSETS, -196, 400, 65, "invalid_request_error",                           \
      "portfolio_too_many_assets", "too many assets in the portfolio")                             \
    X(PORTFOLIO_NO_OVERLAP, -197, 400, 65, "invalid_request_error", "no_overlap",                  \
      "the price series share fewer than two dates")                                               \
    X(PORTFOLIO_CHECK_UNKNOWN, -198, 400, 65, "invalid_request_error", "check_unknown",            \
      "unknown rebalancing check schedule")                                                        \
    X(PORTFOLIO_PARAMETER_INVALID, -199, 400, 65, "invalid_request_error",                         \
      "portfolio_parameter_invalid", "invalid backtest parameter")                                 \
    /* Optimisers and volatility models (portfolio; -180..-199 is full, so -200..-219). */         \
    X(OPT_INPUT_INVALID, -200, 400, 65, "invalid_request_error", "optimizer_input_invalid",        \
      "optimiser input out of range (a NaN, a bound, a count or a parameter)")                     \
    X(OPT_INFEASIBLE, -201, 422, 65, "invalid_request_error", "optimizer_infeasible",              \
      "no portfolio satisfies the constraints")                                                    \
    X(OPT_NOT_CONVERGED, -202, 422, 65, "invalid_request_error", "optimizer_not_converged",        \
      "the optimiser did not converge within its iteration limit")                                 \
    X(OPT_COVARIANCE_NOT_PD, -203, 422, 65, "invalid_request_error", "covariance_not_pd",          \
      "the covariance matrix is not symmetric positive definite")                                  \
    X(OPT_CONSTRAINTS_DEPENDENT, -204, 422, 65, "invalid_request_error", "constraints_dependent",  \
      "the equality constraints are linearly dependent")                                           \
    X(OPT_TOO_FEW_RETURNS, -205, 422, 65, "invalid_request_error", "too_few_returns",              \
      "too few returns to estimate from")                                                          \
    X(OPT_NO_EXCESS_RETURN, -206, 422, 65, "invalid_request_error", "no_excess_return",            \
      "no asset's expected return exceeds the risk-free rate")                                     \
    X(OPT_METHOD_UNKNOWN, -207, 400, 64, "invalid_request_error", "method_unknown",                \
      "unknown optimisation or volatility method")                                                 \
    /* The HTTP API (src/api). */                                                                  \
    X(API_LISTEN, -300, 500, 69, "api_error", "listen_failed", "cannot listen on the address")     \
    X(API_ROUTE_UNKNOWN, -301, 404, 65, "invalid_request_error", "route_unknown",                  \
      "unrecognized request URL")                                                                  \
    X(API_METHOD_NOT_ALLOWED, -302, 405, 65, "invalid_request_error", "method_not_allowed",        \
      "method not allowed on this URL")                                                            \
    X(API_BODY_TOO_LARGE, -303, 413, 65, "invalid_request_error", "body_too_large",                \
      "request body too large")                                                                    \
    X(API_MEDIA_TYPE, -304, 415, 65, "invalid_request_error", "unsupported_media_type",            \
      "request body must be application/json")                                                     \
    X(API_JSON_INVALID, -305, 400, 65, "invalid_request_error", "json_invalid",                    \
      "request body is not valid JSON")                                                            \
    X(API_SHUTTING_DOWN, -306, 503, 69, "api_error", "shutting_down", "the server is stopping")    \
    X(API_TIME_INVALID, -308, 400, 65, "invalid_request_error", "time_invalid",                    \
      "a time is nanoseconds since the epoch or YYYY-MM-DDTHH:MM:SS[.fff]Z")                       \
    /* API keys and access (src/api/apikey.c, keystore.c). */                                      \
    X(API_UNAUTHENTICATED, -320, 401, 77, "invalid_request_error", "unauthenticated",              \
      "a valid API key is required (Authorization: Bearer <key>)")                                 \
    X(API_PERMISSION_DENIED, -321, 403, 77, "invalid_request_error", "permission_denied",          \
      "this API key's role may not do this")                                                       \
    X(API_RATE_LIMITED, -322, 429, 75, "invalid_request_error", "rate_limited",                    \
      "too many requests for this API key; retry after the Retry-After seconds")                   \
    X(API_KEY_INVALID, -323, 400, 64, "invalid_request_error", "api_key_invalid",                  \
      "invalid API key settings")                                                                  \
    X(API_KEY_NOT_FOUND, -324, 404, 66, "invalid_request_error", "api_key_not_found",              \
      "no such API key")                                                                           \
    X(API_KEYFILE_CORRUPT, -325, 500, 78, "api_error", "keyfile_corrupt",                          \
      "the API key file is malformed")                                                             \
    /* Idempotency-Key (src/api/idempotency.c). */                                                 \
    X(API_IDEMPOTENCY_KEY_INVALID, -330, 400, 64, "invalid_request_error",                         \
      "idempotency_key_invalid", "an Idempotency-Key is 1 to 255 visible ASCII characters")        \
    X(API_IDEMPOTENCY_MISMATCH, -331, 422, 65, "idempotency_error", "idempotency_key_reused",      \
      "this Idempotency-Key was used with other parameters")                                       \
    X(API_IDEMPOTENCY_IN_USE, -332, 409, 75, "idempotency_error", "idempotency_key_in_use",        \
      "a request with this Idempotency-Key is still running; retry later")                         \
    X(API_STREAMS_FULL, -344, 503, 69, "api_error", "streams_full",                                \
      "too many event streams are open; retry later")                                              \
    X(API_CATCHUPS_FULL, -345, 503, 69, "api_error", "catchups_full",                              \
      "too many event streams are catching up from old ids; retry later")                          \
    /* Ledger events. */                                                                           \
    X(LEDGER_EVENT_ID_INVALID, -340, 400, 65, "invalid_request_error", "event_id_invalid",         \
      "malformed event id (the form is <sequence>-<index>, in decimal)")                           \
    X(LEDGER_EVENT_ID_FUTURE, -341, 400, 65, "invalid_request_error", "event_id_future",           \
      "the event id is beyond the end of the journal")                                             \
    X(LEDGER_EVENT_ID_UNKNOWN, -342, 400, 65, "invalid_request_error", "event_id_unknown",         \
      "the event id names no event position in its journal record")                                \
    X(LEDGER_EVENTS_RETRACTED, -343, 500, 74, "api_error", "events_retracted",                     \
      "the journal was cut back below events already returned; reopen the cursor")                 \
    /* FX fees per corridor and routing (src/fx/fees.c, graph.c, route.c). */                      \
    X(FX_CURRENCY_UNKNOWN, -420, 400, 65, "invalid_request_error", "fx_currency_unknown",          \
      "the currency is not in the FX graph")                                                       \
    X(FX_QUOTE_INVALID, -421, 400, 65, "invalid_request_error", "fx_quote_invalid",                \
      "a quote needs two different currencies and 0 < bid <= ask")                                 \
    X(FX_PAIR_DUPLICATE, -422, 400, 65, "invalid_request_error", "fx_pair_duplicate",              \
      "the pair is quoted twice")                                                                  \
    X(FX_CORRIDOR_DUPLICATE, -423, 400, 65, "invalid_request_error", "fx_corridor_duplicate",      \
      "the corridor has two fee entries")                                                          \
    X(FX_FEE_TIERS_INVALID, -424, 400, 65, "invalid_request_error", "fx_fee_tiers_invalid",        \
      "invalid fee tiers")                                                                         \
    X(FX_GRAPH_TOO_LARGE, -425, 400, 65, "invalid_request_error", "fx_graph_too_large",            \
      "too many currencies for one FX graph")                                                      \
    X(FX_NO_ROUTE, -426, 422, 65, "invalid_request_error", "fx_no_route",                          \
      "no conversion route of at most three legs joins the currencies")                            \
    X(FX_AMOUNT_TOO_SMALL, -427, 422, 65, "invalid_request_error", "fx_amount_too_small",          \
      "the amount does not cover the fees on any route")                                           \
    X(FX_ROUTE_INVALID, -428, 400, 65, "invalid_request_error", "fx_route_invalid",                \
      "the route repeats a currency or has a leg without a quoted pair")                           \
    /* FX aggregation (src/fx/aggregate.c). */                                                     \
    X(FX_POLICY_INVALID, -440, 400, 78, "invalid_request_error", "fx_policy_invalid",              \
      "invalid FX aggregation policy or provider configuration")                                   \
    X(FX_PROVIDER_UNKNOWN, -441, 400, 64, "invalid_request_error", "fx_provider_unknown",          \
      "unknown rate provider")                                                                     \
    X(FX_PROVIDERS_FULL, -442, 400, 78, "invalid_request_error", "fx_providers_full",              \
      "too many rate providers")                                                                   \
    X(FX_PROVIDER_NAME_TAKEN, -443, 409, 65, "invalid_request_error", "fx_provider_name_taken",    \
      "a rate provider with this name is already registered")                                      \
    X(FX_QUOTE_FUTURE, -445, 400, 65, "invalid_request_error", "fx_quote_future",                  \
      "the quote is dated in the future")                                                          \
    X(FX_QUOTE_OUT_OF_ORDER, -446, 409, 65, "invalid_request_error", "fx_quote_out_of_order",      \
      "the quote is older than the one the provider already gave for the pair")                    \
    X(FX_PAIRS_FULL, -447, 503, 69, "api_error", "fx_pairs_full", "too many currency pairs")       \
    X(FX_PAIR_UNKNOWN, -448, 404, 69, "invalid_request_error", "rate_unavailable",                 \
      "no provider quotes this pair, its inverse or a cross through a pivot")                      \
    X(FX_PAIR_STALE, -449, 503, 69, "api_error", "rate_stale",                                     \
      "the rate is stale: no provider has quoted it recently enough to convert")                   \
    X(FX_PAIR_DEGRADED, -450, 503, 69, "api_error", "rate_degraded",                               \
      "the rate is degraded and the policy does not allow converting on it")                       \
    /* Exchange: locked quotes and their execution (src/exchange). */                              \
    X(EXCHANGE_QUOTE_UNKNOWN, -460, 404, 65, "invalid_request_error", "quote_not_found",           \
      "no such quote (never made here, or forgotten after it expired)")                            \
    X(EXCHANGE_QUOTE_EXPIRED, -461, 410, 65, "invalid_request_error", "quote_expired",             \
      "the quote has expired: ask for a new one")                                                  \
    X(EXCHANGE_QUOTE_USED, -462, 409, 65, "invalid_request_error", "quote_used",                   \
      "the quote has been executed already")                                                       \
    X(EXCHANGE_QUOTE_BUSY, -463, 409, 75, "invalid_request_error", "quote_busy",                   \
      "the quote is being executed by another request")                                            \
    X(EXCHANGE_INSUFFICIENT_FUNDS, -464, 422, 65, "invalid_request_error", "insufficient_funds",   \
      "the account cannot pay the quote's amount")                                                 \
    X(EXCHANGE_ACCOUNT_ASSET, -465, 400, 65, "invalid_request_error", "account_asset_mismatch",    \
      "the account holds another asset than the quote converts from or to")                        \
    X(EXCHANGE_REFUSED, -466, 422, 65, "invalid_request_error", "conversion_refused",              \
      "the ledger refused the conversion")                                                         \
    X(EXCHANGE_QUOTES_FULL, -467, 503, 69, "api_error", "quotes_full",                             \
      "too many open quotes; retry in a few seconds")                                              \
    /* The CLI as a client of `tpwallet serve` (app/tpwallet/cli_http.c, -470..-479). */           \
    X(CLIENT_UNREACHABLE, -470, 503, 69, "api_error", "server_unreachable",                        \
      "the tpwallet server could not be reached or did not answer in time")                        \
    X(CLIENT_REPLY_INVALID, -471, 502, 70, "api_error", "server_reply_invalid",                    \
      "the server's reply is not the JSON object expected")                                        \
    /* The server's log of manual rates (src/api/rates_manual.c, -480..-489). */                   \
    X(FX_MANUAL_LOG_CORRUPT, -480, 500, 78, "api_error", "fx_manual_log_corrupt",                  \
      "the log of manual rates is malformed")                                                      \
    /* Market data in the server (src/api/markets*.c, -490..-499). */                              \
    X(MARKET_UNKNOWN, -490, 404, 65, "invalid_request_error", "market_unknown",                    \
      "no market of that venue and symbol on this server")                                         \
    X(MARKETS_CONFIG_INVALID, -491, 500, 78, "api_error", "markets_config_invalid",                \
      "the markets file is malformed")                                                             \
    /* Rebalancing through the exchange (src/exchange/rebalance.c, -500..-509). */                 \
    X(REBALANCE_INVALID, -500, 400, 65, "invalid_request_error", "rebalance_invalid",              \
      "the portfolio cannot be rebalanced as given")                                               \
    /* Portfolios in the server (src/api/routes_portfolios*.c, -520..-539). */                     \
    X(PORTFOLIO_NOT_FOUND, -520, 404, 65, "invalid_request_error", "portfolio_not_found",          \
      "no such portfolio")                                                                         \
    X(PORTFOLIO_LOG_CORRUPT, -521, 500, 78, "api_error", "portfolio_log_corrupt",                  \
      "the journal of portfolio events is malformed")                                              \
    X(PORTFOLIO_ACCOUNT_UNKNOWN, -522, 400, 65, "invalid_request_error",                           \
      "portfolio_account_unknown", "a holding's account is not in the ledger")                     \
    X(PORTFOLIO_ACCOUNT_OWNER, -523, 400, 65, "invalid_request_error", "portfolio_account_owner",  \
      "a holding's account belongs to another owner than the portfolio's")                         \
    X(PORTFOLIO_ACCOUNT_DUPLICATE, -524, 400, 65, "invalid_request_error",                         \
      "portfolio_account_duplicate", "an account is listed twice")                                 \
    X(PORTFOLIO_NO_BASE_HOLDING, -525, 400, 65, "invalid_request_error",                           \
      "portfolio_no_base_holding", "no holding is in the base currency")                           \
    X(PORTFOLIO_PLAN_UNKNOWN, -526, 404, 65, "invalid_request_error", "plan_not_found",            \
      "no such rebalance plan for this portfolio (never made, or forgotten)")                      \
    X(PORTFOLIO_PLAN_EXPIRED, -527, 410, 65, "invalid_request_error", "plan_expired",              \
      "the plan's quotes have expired: preview again")                                             \
    X(PORTFOLIO_PLAN_USED, -528, 409, 65, "invalid_request_error", "plan_used",                    \
      "the plan has been executed, or refused, already")                                           \
    X(PORTFOLIO_PLAN_STALE, -529, 409, 65, "invalid_request_error", "plan_stale",                  \
      "the balances have moved since the preview: preview again")                                  \
    X(PORTFOLIO_COST_ABOVE_MAX, -530, 422, 65, "invalid_request_error", "cost_above_max",          \
      "the rebalance would cost more than max_cost")                                               \
    X(PORTFOLIOS_FULL, -531, 507, 69, "api_error", "portfolios_full",                              \
      "the server holds as many portfolios as it can")                                             \
    /* The dashboard's files (src/api/web.c, -550..-559). */                                       \
    X(WEB_ROOT_INVALID, -550, 500, 78, "api_error", "web_root_invalid",                            \
      "the web root does not hold the dashboard's built files")                                    \
    /* The asset map (src/api/routes_map.c, -560..-569). */                                        \
    X(MAP_TOO_LARGE, -560, 422, 65, "invalid_request_error", "map_too_large",                      \
      "more accounts than one map values: name an owner")                                          \
    /* FX: ECB reference rates and the rate history (src/fx, -400..-419). */                       \
    X(FX_XML_INVALID, -400, 400, 65, "invalid_request_error", "fx_xml_invalid",                    \
      "the ECB XML is malformed, truncated or lacks an element or attribute")                      \
    X(FX_XML_NAMESPACE, -401, 400, 65, "invalid_request_error", "fx_xml_namespace",                \
      "not an ECB eurofxref document (root element or namespace)")                                 \
    X(FX_RATE_INVALID, -402, 400, 65, "invalid_request_error", "fx_rate_invalid",                  \
      "an ECB rate is not a decimal with at most 18 fraction digits")                              \
    X(FX_RATE_ZERO, -403, 400, 65, "invalid_request_error", "fx_rate_zero",                        \
      "an exchange rate must be greater than zero")                                                \
    X(FX_CURRENCY_INVALID, -404, 400, 65, "invalid_request_error", "fx_currency_invalid",          \
      "a currency code is three letters A-Z (EUR is the base, not a quoted currency)")             \
    X(FX_CURRENCY_DUPLICATE, -405, 400, 65, "invalid_request_error", "fx_currency_duplicate",      \
      "a currency is given twice for one day")                                                     \
    X(FX_DATE_INVALID, -406, 400, 65, "invalid_request_error", "fx_date_invalid",                  \
      "a date is YYYY-MM-DD (years 1970 to 2500), or D Month YYYY in the daily CSV")               \
    X(FX_CSV_SYNTAX, -407, 400, 65, "invalid_request_error", "fx_csv_syntax",                      \
      "the ECB CSV has a bad header or a row with the wrong number of cells")                      \
    X(FX_ZIP_INVALID, -408, 400, 65, "invalid_request_error", "fx_zip_invalid",                    \
      "not a zip archive with exactly one .csv member")                                            \
    X(FX_TOO_LARGE, -409, 413, 65, "invalid_request_error", "fx_too_large",                        \
      "the ECB file or response is larger than allowed")                                           \
    X(FX_FORMAT_UNKNOWN, -410, 400, 65, "invalid_request_error", "fx_format_unknown",              \
      "not an ECB file (expected a zip, an XML or a CSV starting with Date)")                      \
    X(FX_HISTORY_CONFLICT, -411, 409, 65, "invalid_request_error", "fx_history_conflict",          \
      "a currency and date already has a different rate")                                          \
    X(FX_RATE_STALE, -412, 422, 65, "invalid_request_error", "fx_rate_stale",                      \
      "the latest observation is older than the staleness limit")                                  \
    X(FX_RATE_UNAVAILABLE, -413, 404, 65, "invalid_request_error", "fx_rate_unavailable",          \
      "the currency has no observation on or before the date")                                     \
    X(FX_FETCH_FAILED, -414, 502, 69, "api_error", "fx_fetch_failed",                              \
      "the rate provider could not be reached")                                                    \
    X(FX_FETCH_TIMEOUT, -415, 504, 75, "api_error", "fx_fetch_timeout",                            \
      "the rate provider did not answer in time")                                                  \
    X(FX_FETCH_HTTP_STATUS, -416, 502, 69, "api_error", "fx_fetch_http_status",                    \
      "the rate provider answered with an HTTP status other than 200")                             \
    X(FX_HISTORY_FULL, -417, 400, 65, "invalid_request_error", "fx_history_full",                  \
      "the rate history has too many currencies or days")                                          \
    X(FX_HISTORY_CORRUPT, -418, 500, 78, "api_error", "fx_history_corrupt",                        \
      "the stored rate history file is malformed")

enum tpw_err {
#define TPW_X_ENUM(name, number, http, exit, type, code, message) TPW_ERR_##name = (number),
    TPW_ERROR_TABLE(TPW_X_ENUM)
#undef TPW_X_ENUM
};

/* TPW_OK reads better than TPW_ERR_OK at call sites. */
#define TPW_OK TPW_ERR_OK

/* Static strings; never NULL. Unknown values map to "TPW_ERR_UNKNOWN" and friends. */
const char *tpw_err_name(enum tpw_err err);     /* "TPW_ERR_DECIMAL_SIGN" */
const char *tpw_strerror(enum tpw_err err);     /* "signs are not allowed in decimals" */
const char *tpw_err_api_code(enum tpw_err err); /* "decimal_sign" */
const char *tpw_err_api_type(enum tpw_err err); /* "invalid_request_error" */
int tpw_err_http_status(enum tpw_err err);      /* 400 */
int tpw_err_exit_status(enum tpw_err err);      /* 65 (EX_DATAERR) */

/* Number of entries in the table, and the entry at `index`, for listings and tests. */
size_t tpw_err_count(void);
enum tpw_err tpw_err_at(size_t index);

/*
 * Detail about an error, filled by parsers and validators without allocating.
 * `param` names the input that was wrong (an API field path or CLI argument name),
 * `offset_bytes` is the position in that input where the problem was found, and
 * `message` is a complete sentence for a human, lowercase first, the subject quoted.
 */
#define TPW_ERROR_PARAM_SIZE 64
#define TPW_ERROR_MESSAGE_SIZE 192

struct tpw_error_detail {
    enum tpw_err code;
    size_t offset_bytes;
    char param[TPW_ERROR_PARAM_SIZE];
    char message[TPW_ERROR_MESSAGE_SIZE];
};

/* Clears `detail` (may be NULL): no code, no offset, empty param and message. */
void tpw_error_detail_reset(struct tpw_error_detail *detail);

/*
 * Records `code` with a printf-style message in `detail` (may be NULL) and returns
 * `code`, so validators can write `return tpw_error_set(detail, TPW_ERR_X, 0, "...")`.
 * The message is truncated to fit. `param` is left as the caller set it.
 */
enum tpw_err tpw_error_set(struct tpw_error_detail *detail, enum tpw_err code, size_t offset_bytes,
                           const char *format, ...) __attribute__((format(printf, 4, 5)));

/* Sets detail->param (truncated to fit); NULL clears it; `detail` may be NULL. */
void tpw_error_set_param(struct tpw_error_detail *detail, const char *param);

#endif /* TPWALLET_ERROR_H */
