/*
 * Primary/backup failover, table-driven: each scenario is a list of inputs with their
 * timestamps and, after each, the source, the status and the event expected (or none).
 * Scenarios: start-up, a stale primary (backup, delayed), both stale (restricted),
 * switch back only after the hysteresis, a flapping primary that never stays healthy
 * long enough, repeated gaps, gaps spread beyond their window, a disconnect, a failing
 * backup; then the refusals (bad config, time going back, unknown kinds).
 */
#include "tpw_test.h"

#include <string.h>

#include "tpwallet/market.h"

/* Stale after 1 s, 3 gaps within 10 s, 5 s of health before switching back. */
static const struct market_failover_config config = {1000000, 3, 10000000, 5000000};

enum { P = MARKET_SOURCE_PRIMARY, B = MARKET_SOURCE_BACKUP };
enum { LIVE = MARKET_PRICE_LIVE, DELAYED = MARKET_PRICE_DELAYED, RESTR = MARKET_PRICE_RESTRICTED };
enum { MSG = MARKET_FAILOVER_MESSAGE, GAP = MARKET_FAILOVER_GAP };
enum { DISC = MARKET_FAILOVER_DISCONNECT, TICK = MARKET_FAILOVER_TICK };
#define NO_EVENT (-1)

struct step {
    int kind;
    int source;
    int64_t at_ms;
    int active; /* expected afterwards */
    int status; /* expected afterwards */
    int reason; /* of the event, or NO_EVENT */
};

#define STEPS_MAX 32
struct scenario {
    const char *name;
    struct step steps[STEPS_MAX];
    size_t steps_count;
};

#define R(name) MARKET_FAILOVER_REASON_##name
/* Both sources up at 0 ms: the primary's first message makes prices live. */
#define START                                                                                      \
    {MSG, P, 0, P, LIVE, R(RECOVERED)},                                                            \
    {                                                                                              \
        MSG, B, 0, P, LIVE, NO_EVENT                                                               \
    }

static const struct scenario scenarios[] = {
    {"stale primary: backup, delayed; primary back: live after the hysteresis",
     {START,
      {MSG, B, 900, P, LIVE, NO_EVENT},
      {TICK, 0, 1000, P, LIVE, NO_EVENT /* exactly the threshold */},
      {MSG, B, 1001, B, DELAYED, R(STALE)},
      {TICK, 0, 1002, B, DELAYED, NO_EVENT},
      {MSG, B, 1500, B, DELAYED, NO_EVENT},
      {MSG, P, 2000, B, DELAYED, NO_EVENT /* healthy since 2000 */},
      {MSG, B, 2400, B, DELAYED, NO_EVENT},
      {MSG, P, 2900, B, DELAYED, NO_EVENT},
      {MSG, B, 3300, B, DELAYED, NO_EVENT},
      {MSG, P, 3800, B, DELAYED, NO_EVENT},
      {MSG, B, 4200, B, DELAYED, NO_EVENT},
      {MSG, P, 4700, B, DELAYED, NO_EVENT},
      {MSG, B, 5100, B, DELAYED, NO_EVENT},
      {MSG, P, 5500, B, DELAYED, NO_EVENT},
      {MSG, B, 6000, B, DELAYED, NO_EVENT},
      {MSG, P, 6500, B, DELAYED, NO_EVENT},
      {MSG, B, 6999, B, DELAYED, NO_EVENT /* 4.999 s of health */},
      {MSG, P, 7000, P, LIVE, R(RECOVERED)}},
     20},
    {"both stale: restricted; the backup back: delayed; the backup failing: primary at once",
     {START,
      {TICK, 0, 1001, P, RESTR, R(STALE)},
      {MSG, B, 1500, B, DELAYED, R(STALE)},
      {TICK, 0, 2600, B, RESTR, R(STALE)},
      {MSG, P, 2700, P, LIVE, R(BACKUP_FAILED)}},
     6},
    {"a flapping primary does not switch back before the hysteresis",
     {START,
      {MSG, B, 500, P, LIVE, NO_EVENT},
      {TICK, 0, 1001, B, DELAYED, R(STALE)},
      {MSG, P, 1100, B, DELAYED, NO_EVENT /* healthy since 1100 */},
      {MSG, B, 1500, B, DELAYED, NO_EVENT},
      {MSG, P, 2000, B, DELAYED, NO_EVENT},
      {MSG, B, 2500, B, DELAYED, NO_EVENT},
      {MSG, B, 3000, B, DELAYED, NO_EVENT},
      {MSG, B, 3500, B, DELAYED, NO_EVENT /* primary silent 1.5 s: stale */},
      {MSG, P, 3600, B, DELAYED, NO_EVENT},
      {MSG, B, 4000, B, DELAYED, NO_EVENT},
      {MSG, P, 4500, B, DELAYED, NO_EVENT},
      {MSG, B, 5000, B, DELAYED, NO_EVENT},
      {MSG, B, 5500, B, DELAYED, NO_EVENT},
      {MSG, B, 6000, B, DELAYED, NO_EVENT},
      {MSG, P, 6100, B, DELAYED, NO_EVENT /* 5 s after 1100, but the streak began at 3600 */},
      {MSG, B, 6500, B, DELAYED, NO_EVENT},
      {MSG, P, 7000, B, DELAYED, NO_EVENT},
      {MSG, B, 7500, B, DELAYED, NO_EVENT},
      {MSG, P, 8000, B, DELAYED, NO_EVENT},
      {MSG, B, 8500, B, DELAYED, NO_EVENT},
      {MSG, P, 9000, B, DELAYED, NO_EVENT},
      {MSG, B, 9500, B, DELAYED, NO_EVENT},
      {MSG, P, 10000, B, DELAYED, NO_EVENT},
      {MSG, B, 10500, B, DELAYED, NO_EVENT},
      {MSG, P, 11000, B, DELAYED, NO_EVENT},
      {MSG, B, 11100, P, LIVE, R(RECOVERED) /* 5 s of health since 6100 */}},
     28},
    {"repeated gaps switch to the backup",
     {START,
      {GAP, P, 100, P, LIVE, NO_EVENT},
      {MSG, P, 600, P, LIVE, NO_EVENT},
      {MSG, B, 600, P, LIVE, NO_EVENT},
      {GAP, P, 900, P, LIVE, NO_EVENT},
      {MSG, P, 1200, P, LIVE, NO_EVENT},
      {MSG, B, 1200, P, LIVE, NO_EVENT},
      {GAP, P, 1300, B, DELAYED, R(GAPS) /* the third within 10 s */}},
     9},
    {"gaps spread beyond their window never add up",
     {START,
      {GAP, P, 0, P, LIVE, NO_EVENT},
      {MSG, P, 900, P, LIVE, NO_EVENT},
      {MSG, B, 900, P, LIVE, NO_EVENT},
      {MSG, P, 1800, P, LIVE, NO_EVENT},
      {GAP, P, 1800, P, LIVE, NO_EVENT},
      {MSG, P, 2700, P, LIVE, NO_EVENT},
      {MSG, P, 3600, P, LIVE, NO_EVENT},
      {MSG, P, 4500, P, LIVE, NO_EVENT},
      {MSG, P, 5400, P, LIVE, NO_EVENT},
      {MSG, P, 6300, P, LIVE, NO_EVENT},
      {MSG, P, 7200, P, LIVE, NO_EVENT},
      {MSG, P, 8100, P, LIVE, NO_EVENT},
      {MSG, P, 9000, P, LIVE, NO_EVENT},
      {MSG, P, 9900, P, LIVE, NO_EVENT},
      {MSG, P, 10800, P, LIVE, NO_EVENT},
      {GAP, P, 10800, P, LIVE, NO_EVENT /* a new window: 1 gap, not 3 */}},
     18},
    {"a disconnect switches at once; a disconnected backup is not used",
     {START,
      {DISC, B, 100, P, LIVE, NO_EVENT},
      {DISC, P, 200, P, RESTR, R(DISCONNECT)},
      {MSG, B, 300, B, DELAYED, R(DISCONNECT)},
      {MSG, P, 400, B, DELAYED, NO_EVENT},
      {DISC, B, 500, P, LIVE, R(BACKUP_FAILED)}},
     7},
};

static void run_scenario(const struct scenario *scenario)
{
    struct market_failover failover;
    assert_err(market_failover_init(&failover, &config, 0), TPW_OK);
    assert_int_equal(failover.status, MARKET_PRICE_RESTRICTED);
    for (size_t index = 0; index < scenario->steps_count; index++) {
        const struct step *step = &scenario->steps[index];
        struct market_failover_input input = {(enum market_failover_input_kind)step->kind,
                                              (enum market_source)step->source, step->at_ms * 1000};
        enum market_source before = failover.active;
        enum market_price_status status_before = failover.status;
        struct market_failover_event event;
        memset(&event, 0, sizeof(event));
        bool changed = false;
        assert_err(market_failover_step(&failover, &input, &event, &changed), TPW_OK);
        if (failover.active != (enum market_source)step->active ||
            failover.status != (enum market_price_status)step->status ||
            changed != (step->reason != NO_EVENT) ||
            (changed && (int)event.reason != step->reason)) {
            fail_msg("%s, step %zu at %lld ms: %s %s changed %d reason %s", scenario->name, index,
                     (long long)step->at_ms, market_source_name(failover.active),
                     market_price_status_name(failover.status), changed,
                     changed ? market_failover_reason_name(event.reason) : "-");
        }
        if (changed) {
            assert_int_equal(event.timestamp_us, input.timestamp_us);
            assert_int_equal(event.from, before);
            assert_int_equal(event.to, failover.active);
            assert_int_equal(event.status_from, status_before);
            assert_int_equal(event.status_to, failover.status);
        }
    }
}

static void test_scenarios(void **state)
{
    (void)state;
    for (size_t index = 0; index < sizeof(scenarios) / sizeof(scenarios[0]); index++) {
        run_scenario(&scenarios[index]);
    }
}

static void test_refusals(void **state)
{
    (void)state;
    struct market_failover failover;
    struct market_failover_config bad = config;
    bad.stale_after_us = 0;
    assert_err(market_failover_init(&failover, &bad, 0), TPW_ERR_INVALID_ARGUMENT);
    bad = config;
    bad.gaps_max = 0;
    assert_err(market_failover_init(&failover, &bad, 0), TPW_ERR_INVALID_ARGUMENT);
    bad = config;
    bad.gap_window_us = -1;
    assert_err(market_failover_init(&failover, &bad, 0), TPW_ERR_INVALID_ARGUMENT);
    bad = config;
    bad.hysteresis_us = -1;
    assert_err(market_failover_init(&failover, &bad, 0), TPW_ERR_INVALID_ARGUMENT);
    assert_err(market_failover_init(&failover, &config, 1000), TPW_OK);
    struct market_failover_event event;
    bool changed = false;
    struct market_failover_input input = {MARKET_FAILOVER_MESSAGE, MARKET_SOURCE_PRIMARY, 999};
    assert_err(market_failover_step(&failover, &input, &event, &changed), TPW_ERR_INVALID_ARGUMENT);
    input = (struct market_failover_input){(enum market_failover_input_kind)9, 0, 2000};
    assert_err(market_failover_step(&failover, &input, &event, &changed), TPW_ERR_INVALID_ARGUMENT);
    input = (struct market_failover_input){MARKET_FAILOVER_GAP, (enum market_source)2, 2000};
    assert_err(market_failover_step(&failover, &input, &event, &changed), TPW_ERR_INVALID_ARGUMENT);
    assert_int_equal(failover.now_us, 1000);
    assert_int_equal(failover.status, MARKET_PRICE_RESTRICTED);
    assert_string_equal(market_price_status_name((enum market_price_status)7), "unknown");
    assert_string_equal(market_failover_reason_name(MARKET_FAILOVER_REASON_GAPS), "gaps");
    assert_string_equal(market_source_name((enum market_source)3), "unknown");
    assert_string_equal(market_price_status_name(MARKET_PRICE_DELAYED), "delayed");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scenarios),
        cmocka_unit_test(test_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
