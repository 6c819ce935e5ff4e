/*
 * eurofxref-hist.zip, the ECB's whole history in one download: an archive holding one
 * CSV. libzip reads it from memory; the archive must hold exactly one member named
 * *.csv (anything else in it is ignored), and that member's declared size is checked
 * before anything is inflated, so a small archive cannot expand into gigabytes.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zip.h>

#include "fx_int.h"
#include "tpw_assert.h"

#include "banned.h"

static bool csv_name(const char *name)
{
    size_t length = strlen(name);
    return length > 4 && strcasecmp(name + length - 4, ".csv") == 0;
}

/* The index of the single .csv member. */
static enum tpw_err find_csv(zip_t *archive, zip_uint64_t *index_out,
                             struct tpw_error_detail *detail)
{
    zip_int64_t entries = zip_get_num_entries(archive, 0);
    size_t found = 0;
    for (zip_int64_t index = 0; index < entries; index++) {
        const char *name = zip_get_name(archive, (zip_uint64_t)index, 0);
        if (name != NULL && csv_name(name)) {
            *index_out = (zip_uint64_t)index;
            found++;
        }
    }
    if (found != 1) {
        return tpw_error_set(detail, TPW_ERR_FX_ZIP_INVALID, 0,
                             "the archive holds %zu .csv members, not exactly one", found);
    }
    return TPW_OK;
}

/* Inflates the member into a new buffer of exactly its declared size. */
static enum tpw_err read_member(zip_t *archive, zip_uint64_t index, size_t member_size_max,
                                char **data, size_t *data_len, struct tpw_error_detail *detail)
{
    zip_stat_t stat;
    zip_stat_init(&stat);
    if (zip_stat_index(archive, index, 0, &stat) != 0 || (stat.valid & ZIP_STAT_SIZE) == 0) {
        return tpw_error_set(detail, TPW_ERR_FX_ZIP_INVALID, 0, "the CSV member has no size");
    }
    if (stat.size > member_size_max) {
        return tpw_error_set(detail, TPW_ERR_FX_TOO_LARGE, 0,
                             "the CSV member is %llu bytes (at most %zu)",
                             (unsigned long long)stat.size, member_size_max);
    }
    char *buffer = malloc((size_t)stat.size + 1);
    zip_file_t *member = buffer == NULL ? NULL : zip_fopen_index(archive, index, 0);
    zip_int64_t read = member == NULL ? -1 : zip_fread(member, buffer, stat.size);
    /* One byte more must give end of file: the declared size was the real one. */
    char extra = 0;
    zip_int64_t beyond = member == NULL ? -1 : zip_fread(member, &extra, 1);
    if (member != NULL) {
        (void)zip_fclose(member);
    }
    if (buffer == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "no memory for the CSV member");
    }
    if (read < 0 || (zip_uint64_t)read != stat.size || beyond != 0) {
        free(buffer);
        return tpw_error_set(detail, TPW_ERR_FX_ZIP_INVALID, 0,
                             "the CSV member cannot be inflated (damaged archive)");
    }
    buffer[stat.size] = '\0';
    *data = buffer;
    *data_len = (size_t)stat.size;
    return TPW_OK;
}

enum tpw_err fx__ecb_zip_parse_limited(const char *zip, size_t zip_len, size_t member_size_max,
                                       fx_history **out, struct tpw_error_detail *detail)
{
    *out = NULL;
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t *source = zip_source_buffer_create(zip, zip_len, 0, &error);
    zip_t *archive = source == NULL ? NULL : zip_open_from_source(source, ZIP_RDONLY, &error);
    if (archive == NULL) {
        zip_source_free(source);
        enum tpw_err err = tpw_error_set(detail, TPW_ERR_FX_ZIP_INVALID, 0, "not a zip archive: %s",
                                         zip_error_strerror(&error));
        zip_error_fini(&error);
        return err;
    }
    zip_error_fini(&error);
    zip_uint64_t index = 0;
    char *csv = NULL;
    size_t csv_len = 0;
    enum tpw_err err = find_csv(archive, &index, detail);
    if (err == TPW_OK) {
        err = read_member(archive, index, member_size_max, &csv, &csv_len, detail);
    }
    zip_discard(archive);
    if (err == TPW_OK) {
        err = fx_ecb_csv_parse(csv, csv_len, out, detail);
        free(csv);
    }
    return err;
}

enum tpw_err fx_ecb_zip_parse(const char *zip, size_t zip_len, fx_history **out,
                              struct tpw_error_detail *detail)
{
    return fx__ecb_zip_parse_limited(zip, zip_len, FX_ECB_FILE_SIZE_MAX, out, detail);
}
