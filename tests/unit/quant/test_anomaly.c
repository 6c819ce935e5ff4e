/*
 * EWMA z-score anomaly detection on synthetic series: a steady (or gently noisy)
 * series never flags; a burst is flagged at exactly its sample; nothing is flagged
 * during the warm-up, however large; the four order-flow series of an interval are
 * scored together (the mid-return series one interval later); refusals leave the
 * detector unchanged; the same inputs give bit-identical scores.
 */
#include "tpw_test.h"

#include <math.h>
#include <string.h>

#include "tpwallet/prng.h"
#include "tpwallet/quant.h"

static const struct quant_ewma_config config = {0.1, 20, 4.0, 1e-9};

/* A deterministic wobble in [−1, 1] (no PRNG needed for "noise" this gentle). */
static double wobble(size_t index)
{
    return sin((double)index * 0.7) * cos((double)index * 0.31);
}

static void test_steady_never_flags(void **state)
{
    (void)state;
    struct quant_ewma flat;
    struct quant_ewma noisy;
    assert_err(quant_ewma_init(&flat, &config), TPW_OK);
    assert_err(quant_ewma_init(&noisy, &config), TPW_OK);
    for (size_t index = 0; index < 5000; index++) {
        struct quant_ewma_score score;
        assert_err(quant_ewma_update(&flat, (int64_t)index * 1000, 12.5, &score), TPW_OK);
        assert_false(score.flagged);
        assert_true(score.z == 0.0);
        assert_err(quant_ewma_update(&noisy, (int64_t)index * 1000, 100 + wobble(index), &score),
                   TPW_OK);
        assert_false(score.flagged);
        assert_true(!score.warm || fabs(score.z) < config.z_threshold);
    }
}

static void test_burst_flagged_at_its_sample(void **state)
{
    (void)state;
    struct quant_ewma ewma;
    assert_err(quant_ewma_init(&ewma, &config), TPW_OK);
    const size_t burst_index = 300;
    for (size_t index = 0; index < 400; index++) {
        double value = 50 + 2 * wobble(index) + (index == burst_index ? 40 : 0);
        struct quant_ewma_score score;
        assert_err(quant_ewma_update(&ewma, (int64_t)index * 60000000, value, &score), TPW_OK);
        if (index == burst_index) {
            assert_true(score.flagged);
            assert_true(score.z > 10);
            assert_int_equal(score.timestamp_us, (int64_t)burst_index * 60000000);
        } else if (index != burst_index + 1) {
            /* The sample after the burst meets a widened variance; it may or may not
             * flag the drop back, so only the burst itself is pinned here. */
            assert_false(score.flagged);
        }
    }
}

static void test_no_flags_during_warmup(void **state)
{
    (void)state;
    struct quant_ewma ewma;
    assert_err(quant_ewma_init(&ewma, &config), TPW_OK);
    for (uint32_t index = 0; index < config.warmup_count; index++) {
        double value = index % 2 == 0 ? 1 : 1e6; /* wild: would flag if warm */
        struct quant_ewma_score score;
        assert_err(quant_ewma_update(&ewma, index, value, &score), TPW_OK);
        assert_false(score.warm);
        assert_false(score.flagged);
    }
    struct quant_ewma_score score;
    assert_err(quant_ewma_update(&ewma, config.warmup_count, 1e9, &score), TPW_OK);
    assert_true(score.warm);
    assert_true(score.flagged);
}

static void test_refusals(void **state)
{
    (void)state;
    struct quant_ewma ewma;
    struct quant_ewma_config bad = config;
    bad.alpha = 0;
    assert_err(quant_ewma_init(&ewma, &bad), TPW_ERR_INVALID_ARGUMENT);
    bad.alpha = 1.5;
    assert_err(quant_ewma_init(&ewma, &bad), TPW_ERR_INVALID_ARGUMENT);
    bad = config;
    bad.warmup_count = 0;
    assert_err(quant_ewma_init(&ewma, &bad), TPW_ERR_INVALID_ARGUMENT);
    bad = config;
    bad.z_threshold = NAN;
    assert_err(quant_ewma_init(&ewma, &bad), TPW_ERR_INVALID_ARGUMENT);
    bad = config;
    bad.min_stddev = 0;
    assert_err(quant_ewma_init(&ewma, &bad), TPW_ERR_INVALID_ARGUMENT);
    assert_err(quant_ewma_init(&ewma, &config), TPW_OK);
    struct quant_ewma_score score;
    assert_err(quant_ewma_update(&ewma, 100, 1, &score), TPW_OK);
    struct quant_ewma before = ewma;
    assert_err(quant_ewma_update(&ewma, 99, 1, &score), TPW_ERR_INVALID_ARGUMENT);
    assert_err(quant_ewma_update(&ewma, 200, NAN, &score), TPW_ERR_INVALID_ARGUMENT);
    assert_err(quant_ewma_update(&ewma, 200, INFINITY, &score), TPW_ERR_INVALID_ARGUMENT);
    assert_err(quant_ewma_update(&ewma, 200, QUANT_SAMPLE_ABS_MAX * 10, &score),
               TPW_ERR_INVALID_ARGUMENT);
    assert_memory_equal(&before, &ewma, sizeof(ewma));
    /* The extremes that are accepted still give finite scores. */
    assert_err(quant_ewma_update(&ewma, 200, QUANT_SAMPLE_ABS_MAX, &score), TPW_OK);
    assert_err(quant_ewma_update(&ewma, 300, -QUANT_SAMPLE_ABS_MAX, &score), TPW_OK);
    assert_true(isfinite(score.z) && isfinite(ewma.variance));
}

/* Intervals of a quiet market, with a buy burst at `burst_index`. */
static struct quant_interval quiet_interval(size_t index, size_t burst_index)
{
    bool burst = index == burst_index;
    return (struct quant_interval){
        .timestamp_us = (int64_t)index * 1000000,
        .order_flow_imbalance = 5 * wobble(index) + (burst ? 400 : 0),
        .spread_bps = 10 + 0.5 * wobble(index + 7),
        .trades_count = 20 + 3 * wobble(index + 3) + (burst ? 200 : 0),
        .mid = 100 * (1 + 1e-4 * wobble(index + 11)) * (index >= burst_index ? 1.01 : 1),
    };
}

static void test_detector_intervals(void **state)
{
    (void)state;
    struct quant_ewma_config configs[QUANT_SERIES_COUNT];
    for (size_t series = 0; series < QUANT_SERIES_COUNT; series++) {
        configs[series] = config;
    }
    struct quant_anomaly_detector detector;
    assert_err(quant_anomaly_init(&detector, configs), TPW_OK);
    const size_t burst_index = 100;
    struct quant_anomaly_report report;
    for (size_t index = 0; index < 150; index++) {
        struct quant_interval interval = quiet_interval(index, burst_index);
        assert_err(quant_anomaly_update(&detector, &interval, &report), TPW_OK);
        if (index == 0) {
            assert_false(report.scores[QUANT_SERIES_MID_RETURN_BPS].warm);
        }
        if (index == burst_index) {
            assert_true(report.scores[QUANT_SERIES_ORDER_FLOW_IMBALANCE].flagged);
            assert_true(report.scores[QUANT_SERIES_TRADES].flagged);
            assert_true(report.scores[QUANT_SERIES_MID_RETURN_BPS].flagged); /* the 1 % jump */
            assert_false(report.scores[QUANT_SERIES_SPREAD_BPS].flagged);
            assert_int_equal(report.flagged_count, 3);
        } else if (index < burst_index) {
            assert_int_equal(report.flagged_count, 0);
        }
    }
    /* A refused interval changes nothing. */
    struct quant_anomaly_detector before = detector;
    struct quant_interval interval = quiet_interval(200, burst_index);
    interval.mid = 0;
    assert_err(quant_anomaly_update(&detector, &interval, &report), TPW_ERR_INVALID_ARGUMENT);
    interval = quiet_interval(10, burst_index); /* earlier than the last */
    assert_err(quant_anomaly_update(&detector, &interval, &report), TPW_ERR_INVALID_ARGUMENT);
    assert_memory_equal(&before, &detector, sizeof(detector));
    configs[2].alpha = -1;
    assert_err(quant_anomaly_init(&detector, configs), TPW_ERR_INVALID_ARGUMENT);
    assert_string_equal(quant_series_name(QUANT_SERIES_TRADES), "trades");
    assert_string_equal(quant_series_name(QUANT_SERIES_COUNT), "unknown");
}

static void test_deterministic(void **state)
{
    (void)state;
    struct tpw_prng prng;
    uint64_t seed = tpw_test_seed("test_quant_anomaly", 6);
    double first[500];
    for (int run = 0; run < 2; run++) {
        tpw_prng_seed(&prng, seed);
        struct quant_ewma ewma;
        assert_err(quant_ewma_init(&ewma, &config), TPW_OK);
        for (size_t index = 0; index < 500; index++) {
            double value = (double)tpw_prng_below(&prng, 1000);
            struct quant_ewma_score score;
            assert_err(quant_ewma_update(&ewma, (int64_t)index, value, &score), TPW_OK);
            if (run == 0) {
                first[index] = score.z;
            } else {
                assert_memory_equal(&first[index], &score.z, sizeof(double));
            }
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_steady_never_flags),
        cmocka_unit_test(test_burst_flagged_at_its_sample),
        cmocka_unit_test(test_no_flags_during_warmup),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_detector_intervals),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
