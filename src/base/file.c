/*
 * Whole-file reads of bounded size (file.h): the modules' input files are small and
 * parsed in memory, so each is read in one go into one buffer, never beyond its bound.
 */
#include "file.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

enum tpw_err tpw_file_read(const char *path, size_t size_max, enum tpw_err too_large, char **data,
                           size_t *data_len, struct tpw_error_detail *detail)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) {
        return tpw_error_set(detail, errno == ENOENT ? TPW_ERR_NOT_FOUND : TPW_ERR_IO, 0,
                             "cannot open '%.120s': %s", path, strerror(errno));
    }
    char *buffer = malloc(size_max + 1);
    if (buffer == NULL) {
        (void)fclose(file);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory to read '%.120s'", path);
    }
    size_t length = fread(buffer, 1, size_max + 1, file); /* one more tells it is too large */
    bool failed = ferror(file) != 0;
    (void)fclose(file);
    enum tpw_err err = TPW_OK;
    if (failed) {
        err = tpw_error_set(detail, TPW_ERR_IO, 0, "cannot read '%.120s'", path);
    } else if (length > size_max) {
        err = tpw_error_set(detail, too_large, 0, "'%.120s' is larger than %zu bytes", path,
                            size_max);
    }
    if (err != TPW_OK) {
        free(buffer);
        return err;
    }
    buffer[length] = '\0';
    *data = buffer;
    *data_len = length;
    return TPW_OK;
}
