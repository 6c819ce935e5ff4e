/*
 * Reading a whole file of bounded size, the one way the modules read their input
 * files (asset CSVs, ECB files, alert rules): one buffer of at most size_max + 1 bytes,
 * a file larger than size_max refused with the caller's own error code.
 */
#ifndef TPW_FILE_H
#define TPW_FILE_H

#include <stddef.h>

#include "tpwallet/error.h"

/*
 * Reads all of `path` into a new NUL-terminated buffer (*data, freed by the caller with
 * free(); *data_len excludes the NUL). Errors, with a message naming the file:
 * TPW_ERR_NOT_FOUND, TPW_ERR_IO, TPW_ERR_NOMEM, and `too_large` for a file above
 * size_max bytes. *data and *data_len are written only on success.
 */
TPW_MUST_CHECK enum tpw_err tpw_file_read(const char *path, size_t size_max, enum tpw_err too_large,
                                          char **data /* out */, size_t *data_len /* out */,
                                          struct tpw_error_detail *detail);

#endif /* TPW_FILE_H */
