/*
 * The server's rates (src/api/rates*.c), shared by its three files: rates.c (the
 * aggregator behind its lock, the providers, the ticker), rates_ecb.c (the ECB provider:
 * the stored history at start and the poller) and rates_quote.c (quotes and exposure).
 */
#ifndef TPW_API_RATES_H
#define TPW_API_RATES_H

#include <pthread.h>
#include <stdatomic.h>

#include "api_int.h"

/* One configured exposure limit, and whether the position is over it now. */
struct exposure_limit {
    char code[FX_CODE_SIZE];
    tpw_u128 limit_minor;
    bool over;
};

struct api_rates {
    /* Ordered by alignment (no padding); grouped by the comments. */
    struct exposure_limit limits[FX_GRAPH_CURRENCIES_MAX];
    struct fx_fee_table fees;    /* from fx_fees; empty: no fees */
    pthread_rwlock_t lock;       /* the aggregator */
    pthread_mutex_t limits_lock; /* the `over` flags */
    pthread_mutex_t stop_lock;
    pthread_cond_t stop_wake; /* broadcast at stop: the ticker and the poller */
    struct tpw_clock clock;   /* the aggregator's: the system's real time */
    fx_aggregator *aggregator;
    exchange_quote_book *quotes;      /* locked quotes (POST /v1/quotes), thread-safe itself */
    struct api_rate_history *history; /* rate_history.c: sampled by the ticker */
    struct api_signals *signals;
    size_t limits_count;
    atomic_uint_fast64_t exposure_alerts;
    atomic_uint_fast64_t status_changes;
    pthread_t ticker;
    /* The ECB poller (rates_ecb.c): its URL, buffer, period, thread and provider. */
    char *ecb_url;              /* NULL: no poller */
    char *fx_dir;               /* DATA/fx, where good days are merged */
    struct fx_ecb_day *ecb_day; /* the poller's */
    pthread_t poller;
    uint32_t ecb_id;
    unsigned ecb_poll_s;
    uint32_t manual_id;
    int manual_fd;      /* DATA/fx/manual-rates.jsonl, appended; -1: not open */
    atomic_bool cancel; /* set at stop: a fetch in progress ends */
    bool ecb_up;        /* the poller's last outcome: a change is a signal */
    bool poller_started;
    bool stop;
};

/* rates_ecb.c: the "ecb" provider (priority 1, behind manual rates) with the stored
 * history's newest day, if there is one. */
TPW_MUST_CHECK enum tpw_err api_rates_ecb_start(struct api_rates *rates, const char *data_dir,
                                                struct tpw_error_detail *detail);
/* Starts the poller thread when a URL is configured (after api_rates_ecb_start). */
TPW_MUST_CHECK enum tpw_err api_rates_poller_start(struct api_rates *rates, const char *url,
                                                   unsigned poll_s,
                                                   struct tpw_error_detail *detail);
/* Waits for the poller to end (the caller has set `stop` and `cancel`). */
void api_rates_poller_join(struct api_rates *rates);
/* rates_manual.c: opens DATA/fx/manual-rates.jsonl (rates->fx_dir must be set) and
 * replays it into the manual provider. Errors: TPW_ERR_IO, TPW_ERR_FX_MANUAL_LOG_CORRUPT. */
TPW_MUST_CHECK enum tpw_err api_rates_manual_open(struct api_rates *rates,
                                                  struct tpw_error_detail *detail);
void api_rates_manual_close(struct api_rates *rates);
/* Appends one manual rate (set by `key_id`) and syncs it. TPW_ERR_IO, TPW_ERR_NOMEM. */
TPW_MUST_CHECK enum tpw_err api_rates_manual_log(struct api_rates *rates,
                                                 const struct fx_quote *quote, uint64_t key_id,
                                                 struct tpw_error_detail *detail);
/* rate_history.c: the samples' ring, created before the ticker starts. */
TPW_MUST_CHECK enum tpw_err api_rate_history_create(unsigned period_s, unsigned window_s,
                                                    struct api_rate_history **out,
                                                    struct tpw_error_detail *detail);
void api_rate_history_destroy(struct api_rate_history *history); /* NULL is ignored */
/* Takes a sample when one is due (the ticker, each second). */
void api_rate_history_tick(struct api_rates *rates, uint64_t now_ns);
/* Sleeps up to `seconds` unless the rates stop; false when they stop. */
bool api_rates_wait(struct api_rates *rates, unsigned seconds);

#endif
