/*
 * Helpers shared by the benchmarks (bench_common.h).
 */
#include "bench_common.h"

#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "tpwallet/u128.h"

#include "banned.h"

void bench_date_utc(char out[BENCH_DATE_SIZE])
{
    time_t now = time(NULL);
    struct tm tm;
    if (gmtime_r(&now, &tm) == NULL ||
        strftime(out, BENCH_DATE_SIZE, "%Y-%m-%d %H:%M UTC", &tm) == 0) {
        memcpy(out, "unknown", sizeof "unknown");
    }
}

const char *bench_machine(void)
{
    static struct utsname uts;
    return uname(&uts) == 0 ? uts.machine : "unknown";
}

uint64_t bench_scaled_div(uint64_t num, uint64_t scale, uint64_t den)
{
    if (den == 0) {
        return 0;
    }
    return (uint64_t)((tpw_u128)num * scale / den);
}

int bench_compare_u64(const void *left, const void *right)
{
    uint64_t a = *(const uint64_t *)left;
    uint64_t b = *(const uint64_t *)right;
    return (a > b) - (a < b);
}
