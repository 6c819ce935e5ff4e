/*
 * Views of the error table in include/tpwallet/error.h, plus the error detail helpers.
 *
 * The table is expanded once into a static array of rows; every accessor is a lookup
 * in that array, so an error's name, message, HTTP status, API code and exit status
 * come from one line of the table and cannot disagree.
 */
#include "tpwallet/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tpw_assert.h"

#include "banned.h"

struct err_row {
    enum tpw_err err;
    int http_status;
    int exit_status;
    const char *name;
    const char *api_type;
    const char *api_code;
    const char *message;
};

static const struct err_row err_rows[] = {
#define TPW_X_ROW(name, number, http, exit, type, code, message)                                   \
    {TPW_ERR_##name, (http), (exit), "TPW_ERR_" #name, (type), (code), (message)},
    TPW_ERROR_TABLE(TPW_X_ROW)
#undef TPW_X_ROW
};

static const struct err_row err_row_unknown = {
    .err = TPW_ERR_INTERNAL,
    .http_status = 500,
    .exit_status = 70,
    .name = "TPW_ERR_UNKNOWN",
    .api_type = "api_error",
    .api_code = "unknown_error",
    .message = "unknown error",
};

static const struct err_row *err_row_find(enum tpw_err err)
{
    for (size_t index = 0; index < sizeof(err_rows) / sizeof(err_rows[0]); index++) {
        if (err_rows[index].err == err) {
            return &err_rows[index];
        }
    }
    return &err_row_unknown;
}

const char *tpw_err_name(enum tpw_err err)
{
    return err_row_find(err)->name;
}

const char *tpw_strerror(enum tpw_err err)
{
    return err_row_find(err)->message;
}

const char *tpw_err_api_code(enum tpw_err err)
{
    return err_row_find(err)->api_code;
}

const char *tpw_err_api_type(enum tpw_err err)
{
    return err_row_find(err)->api_type;
}

int tpw_err_http_status(enum tpw_err err)
{
    return err_row_find(err)->http_status;
}

int tpw_err_exit_status(enum tpw_err err)
{
    return err_row_find(err)->exit_status;
}

size_t tpw_err_count(void)
{
    return sizeof(err_rows) / sizeof(err_rows[0]);
}

enum tpw_err tpw_err_at(size_t index)
{
    TPW_ASSERT(index < tpw_err_count());
    return err_rows[index].err;
}

void tpw_error_detail_reset(struct tpw_error_detail *detail)
{
    if (detail == NULL) {
        return;
    }
    /* The fields, not all ~270 bytes: parsers reset a detail per batch item. */
    detail->code = TPW_OK;
    detail->offset_bytes = 0;
    detail->param[0] = '\0';
    detail->message[0] = '\0';
}

enum tpw_err tpw_error_set(struct tpw_error_detail *detail, enum tpw_err code, size_t offset_bytes,
                           const char *format, ...)
{
    TPW_ASSERT(code != TPW_OK);
    if (detail == NULL) {
        return code;
    }
    detail->code = code;
    detail->offset_bytes = offset_bytes;
    va_list args;
    va_start(args, format);
    (void)vsnprintf(detail->message, sizeof(detail->message), format, args);
    va_end(args);
    return code;
}

void tpw_error_set_param(struct tpw_error_detail *detail, const char *param)
{
    if (detail == NULL) {
        return;
    }
    /* No printf: parsers name the field before every check, on the hot path too. */
    size_t length = param != NULL ? strnlen(param, sizeof(detail->param) - 1) : 0;
    if (length > 0) {
        memcpy(detail->param, param, length);
    }
    detail->param[length] = '\0';
}
