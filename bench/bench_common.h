/*
 * What the benchmarks share: the header line's date and machine, and exact integer
 * rates (no floating point in the numbers they report).
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define BENCH_DATE_SIZE 32

/* Now as "YYYY-MM-DD HH:MM UTC" ("unknown" if the clock cannot be read). */
void bench_date_utc(char out[BENCH_DATE_SIZE]);

/* The machine's architecture as uname reports it, e.g. "x86_64" (or "unknown"); the
 * string is static. */
const char *bench_machine(void);

/* qsort's comparison for uint64_t, ascending (latency samples). */
int bench_compare_u64(const void *left, const void *right);

/* num × scale / den as an integer (128 bits keep it exact); 0 when den is 0. */
uint64_t bench_scaled_div(uint64_t num, uint64_t scale, uint64_t den);

#endif /* BENCH_COMMON_H */
