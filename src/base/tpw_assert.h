/*
 * Three tiers of checks (docs/internals/base.md):
 *   TPW_ASSERT(x)       invariants that protect money; on in every build type, because
 *                       a crash is better than a corrupt ledger.
 *   TPW_DEBUG_ASSERT(x) expensive checks; compiled only when NDEBUG is not defined.
 * Never use either to validate input: input errors are returned as enum tpw_err.
 */
#ifndef TPW_ASSERT_H
#define TPW_ASSERT_H

_Noreturn void tpw__assert_fail(const char *expression, const char *file, int line);

#define TPW_ASSERT(x) ((x) ? (void)0 : tpw__assert_fail(#x, __FILE__, __LINE__))

#ifdef NDEBUG
/* Not evaluated, but still compiled: the expression cannot rot in release builds. */
#define TPW_DEBUG_ASSERT(x) ((void)sizeof(x))
#else
#define TPW_DEBUG_ASSERT(x) TPW_ASSERT(x)
#endif

#endif /* TPW_ASSERT_H */
