/*
 * Internals shared by the files of the portfolio module: the CSV field helpers of the
 * price loader (prices.c), which the multi-asset table loader (panel.c) reuses so both
 * read dates, numbers and lines by the same rules, and the dense linear algebra and
 * quadratic-programming solver behind the optimisers (linalg.c, qp.c).
 */
#ifndef PORTFOLIO_INT_H
#define PORTFOLIO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/error.h"
#include "tpwallet/portfolio.h"

/* A field or line: a span of the file's text, not NUL-terminated. */
struct field {
    const char *text;
    size_t len;
};

/* The file, walked one line at a time. */
struct cursor {
    const char *text;
    size_t size_bytes;
    size_t pos;
    size_t line;       /* 1-based number of the current line */
    size_t line_start; /* its byte offset */
};

/* "line N: what 'field'" at the cursor's line (field may be NULL). */
enum tpw_err portfolio__line_error(struct tpw_error_detail *detail, enum tpw_err code,
                                   const struct cursor *cursor, const char *what,
                                   const struct field *field);
/* The next line without its end of line; *have is false at the end of the text. */
enum tpw_err portfolio__next_line(struct cursor *cursor, struct field *line, bool *have,
                                  struct tpw_error_detail *detail);
struct field portfolio__trim(struct field field);
/* Splits at commas into trimmed fields; false when there are more than `max`. */
bool portfolio__split_fields(struct field line, struct field *fields, size_t max, size_t *count);
/* Case-insensitive comparison with a lower-case name. */
bool portfolio__field_is(struct field field, const char *name);
/* "YYYY-MM-DD" (optionally with a time of day) or unix seconds → day number. */
bool portfolio__parse_day(struct field field, int32_t *day);
/* A finite decimal number; no inf, nan or hexadecimal. */
bool portfolio__parse_number(struct field field, double *value);
/* The whole file into a malloc'd buffer (the caller frees *text); at most
 * PORTFOLIO_FILE_BYTES_MAX bytes. */
enum tpw_err portfolio__read_file(const char *path, char **text, size_t *size_bytes,
                                  struct tpw_error_detail *detail);
/* Returns `err`; when it is an error, prefixes detail's message with the file's name
 * (a command reads several files, so a line number alone does not say which). */
enum tpw_err portfolio__file_error(const char *path, enum tpw_err err,
                                   struct tpw_error_detail *detail);

/* ------------------------------------------------------------------------------------
 * The quadratic-programming solver (qp.c)
 * ------------------------------------------------------------------------------------ */

/* Equality constraints of one problem: the budget, a target return, a turnover row. */
#define PORTFOLIO_QP_EQUALITIES_MAX 4
/* Variables: the assets, plus one artificial per equality in the feasibility phase. */
#define PORTFOLIO_QP_VARIABLES_MAX (PORTFOLIO_OPT_ASSETS_MAX + PORTFOLIO_QP_EQUALITIES_MAX)

/*
 * minimise ½xᵀPx + qᵀx + Σ_i c_i |x_i − k_i|  subject to  Ax = b,  lower ≤ x ≤ upper.
 * P (n × n, row-major) must be positive definite; bounds may be ±INFINITY; the kink
 * terms (piecewise-linear costs, the L1 transaction cost) are optional (NULL).
 */
struct qp_problem {
    size_t n;
    size_t m;
    const double *P;
    const double *q;
    const double *A; /* m × n, row-major */
    const double *b;
    const double *lower;
    const double *upper;
    const double *kink;      /* n or NULL */
    const double *kink_cost; /* n or NULL; each ≥ 0 */
};

struct qp_solution {
    double x[PORTFOLIO_QP_VARIABLES_MAX];
    double lambda[PORTFOLIO_QP_EQUALITIES_MAX]; /* multipliers: Px + q + c·s = Aᵀλ + ν */
    size_t iterations;
};

/*
 * Solves exactly (to rounding) by a primal active-set method after an elastic
 * feasibility phase (docs/portfolio.md). Errors: TPW_ERR_OPT_INFEASIBLE,
 * TPW_ERR_OPT_CONSTRAINTS_DEPENDENT, TPW_ERR_OPT_NOT_CONVERGED, TPW_ERR_NOMEM,
 * TPW_ERR_OPT_INPUT_INVALID (sizes, reversed bounds).
 */
enum tpw_err portfolio__qp_solve(const struct qp_problem *problem, struct qp_solution *out,
                                 struct tpw_error_detail *detail);

/* Cholesky test of an n × n row-major matrix: true when symmetric positive definite. */
bool portfolio__is_positive_definite(size_t n, const double *matrix);

#endif /* PORTFOLIO_INT_H */
