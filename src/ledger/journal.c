/*
 * The journal's write side: creating a journal, appending records, rolling to a new
 * segment, and closing (journal.h; the byte layout is in journal_format.h and
 * docs/formats/journal.md). Opening and verification are in journal_read.c.
 *
 * Appending is the ledger's hot path (a 1 MiB record per batch), so it allocates
 * nothing: the worker builds the record in one block-aligned buffer kept for the
 * journal's life (header, payload, zero padding to a 512-byte block), computes the
 * CRC32C and the BLAKE2b hash over it there, and hands it to the kernel in one pwritev,
 * followed by one fdatasync. The segment is open with O_DIRECT where the file system
 * allows it, so the kernel writes from that buffer to the disk without copying it into
 * the page cache: on this project's benchmark machine that copy cost more CPU than
 * applying the batch (bench/RESULTS.md). A failed write or sync cuts the segment back
 * to the last acknowledged record and poisons the handle: after a failed fsync the
 * page cache no longer says what is on disk, so only reopening (which reads the disk)
 * may continue.
 *
 * The hashing, writing and syncing (milliseconds per batch, most of it waiting for the
 * disk) run on a worker thread, one per writable journal, so the ledger can apply the
 * batch to memory meanwhile: journal_append_start() checks and rolls on the caller's
 * thread and queues the record, journal_append_finish() waits for it. A mutex and a
 * condition variable hand each record over and back; at most one is in flight.
 *
 * New segments appear atomically: the header is written to "<name>.tmp", made durable,
 * renamed to "<name>", and the directory is fsync'd. Every segment file therefore has
 * a complete header, and a crash mid-roll leaves at most a stray .tmp file, which
 * journal_open() removes.
 */
#define _GNU_SOURCE /* pwritev, O_DIRECT */

#include "journal_format.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sodium.h>

#include "crc32c.h"
#include "tpw_assert.h"

#include "banned.h"

/* Owner-only: the journal holds every balance and transfer of the ledger. */
#define JOURNAL_DIR_MODE 0700
#define JOURNAL_FILE_MODE 0600

/* ------------------------------------------------------------------------------------
 * Helpers shared with journal_read.c (journal_format.h)
 * ------------------------------------------------------------------------------------ */

static ssize_t system_pwritev(void *ctx, int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
    (void)ctx;
    return pwritev(fd, iov, iovcnt, offset);
}

static int system_fdatasync(void *ctx, int fd)
{
    (void)ctx;
    return fdatasync(fd);
}

static int system_ftruncate(void *ctx, int fd, off_t length)
{
    (void)ctx;
    return ftruncate(fd, length);
}

struct journal_io journal__io_resolve(const struct journal_io *io)
{
    if (io != NULL) {
        TPW_ASSERT(io->pwritev != NULL && io->fdatasync != NULL && io->ftruncate != NULL);
        return *io;
    }
    return (struct journal_io){
        .pwritev = system_pwritev,
        .fdatasync = system_fdatasync,
        .ftruncate = system_ftruncate,
        .ctx = NULL,
    };
}

void journal__segment_name(char name[JOURNAL_SEGMENT_NAME_SIZE], uint64_t first_sequence)
{
    int length = snprintf(name, JOURNAL_SEGMENT_NAME_SIZE, "%020" PRIu64 "%s", first_sequence,
                          JOURNAL_SEGMENT_SUFFIX);
    TPW_ASSERT(length == (int)JOURNAL_SEGMENT_NAME_DIGITS + 4);
}

void journal__hash(uint8_t out[JOURNAL_HASH_BYTES], const uint8_t *a, size_t a_len,
                   const uint8_t *b, size_t b_len)
{
    crypto_generichash_state state = {0};
    int rc = crypto_generichash_init(&state, NULL, 0, JOURNAL_HASH_BYTES);
    rc |= crypto_generichash_update(&state, a, a_len);
    if (b_len > 0) {
        rc |= crypto_generichash_update(&state, b, b_len);
    }
    rc |= crypto_generichash_final(&state, out, JOURNAL_HASH_BYTES);
    /* BLAKE2b fails only on invalid lengths, which are constants here. */
    TPW_ASSERT(rc == 0);
}

bool journal__direct_enable(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    return flags >= 0 && fcntl(fd, F_SETFL, flags | O_DIRECT) == 0;
}

enum tpw_err journal__errno_code(int error_number)
{
    return error_number == ENOSPC || error_number == EDQUOT ? TPW_ERR_JOURNAL_FULL : TPW_ERR_IO;
}

enum tpw_err journal__crypto_init(struct tpw_error_detail *detail)
{
    /* 0 on the first call, 1 when already done; both fine. Picks the fastest BLAKE2b. */
    if (sodium_init() < 0) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libsodium could not be initialized");
    }
    return TPW_OK;
}

enum tpw_err journal__error(struct tpw_error_detail *detail, enum tpw_err code,
                            uint64_t segment_first_sequence, uint64_t offset_bytes,
                            uint64_t sequence, const char *format, ...)
{
    char reason[TPW_ERROR_MESSAGE_SIZE] = {0};
    va_list args;
    va_start(args, format);
    (void)vsnprintf(reason, sizeof(reason), format, args);
    va_end(args);
    char name[JOURNAL_SEGMENT_NAME_SIZE] = {0};
    journal__segment_name(name, segment_first_sequence);
    return tpw_error_set(detail, code, (size_t)offset_bytes,
                         "journal segment %s offset %" PRIu64 " sequence %" PRIu64 ": %s", name,
                         offset_bytes, sequence, reason);
}

/* ------------------------------------------------------------------------------------
 * Writing
 * ------------------------------------------------------------------------------------ */

/* iov_base is not const, but pwritev only reads through it: dropping const is safe. */
static void *iov_base_const(const void *bytes)
{
    union {
        const void *in;
        void *out;
    } pointer = {.in = bytes};
    return pointer.out;
}

/*
 * Writes the `total_bytes` at `bytes` to `offset`, resuming after a short write, with
 * at most JOURNAL_WRITE_CALLS_MAX calls in all (EINTR included). A write resumes at the
 * last whole block it reached, because O_DIRECT takes only block-aligned offsets; the
 * bytes before it are rewritten unchanged. Returns 0 when all was written, an errno
 * value when a call failed, or -1 when a call wrote nothing or the calls ran out;
 * `*written` says how far it got.
 */
static int write_fully(const struct journal_io *io, int fd, const uint8_t *bytes, uint64_t offset,
                       uint64_t total_bytes, uint64_t *written)
{
    TPW_ASSERT(offset % JOURNAL_BLOCK_BYTES == 0 && total_bytes % JOURNAL_BLOCK_BYTES == 0);
    *written = 0;
    for (int call = 0; call < JOURNAL_WRITE_CALLS_MAX && *written < total_bytes; call++) {
        struct iovec iov = {.iov_base = iov_base_const(bytes + *written),
                            .iov_len = (size_t)(total_bytes - *written)};
        errno = 0;
        ssize_t n = io->pwritev(io->ctx, fd, &iov, 1, (off_t)(offset + *written));
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            return errno != 0 ? errno : EIO;
        }
        if (n == 0) {
            return -1;
        }
        TPW_ASSERT((uint64_t)n <= total_bytes - *written);
        *written += (uint64_t)n;
        if (*written < total_bytes) {
            *written -= *written % JOURNAL_BLOCK_BYTES;
        }
    }
    return *written == total_bytes ? 0 : -1;
}

/* One error message for write_fully()'s three outcomes. */
static enum tpw_err write_error(struct tpw_error_detail *detail, int rc, uint64_t written,
                                uint64_t total_bytes, uint64_t segment_first_sequence,
                                uint64_t offset, uint64_t sequence)
{
    if (rc < 0) {
        return journal__error(detail, TPW_ERR_IO, segment_first_sequence, offset, sequence,
                              "short write (%" PRIu64 " of %" PRIu64 " bytes written)", written,
                              total_bytes);
    }
    return journal__error(detail, journal__errno_code(rc), segment_first_sequence, offset, sequence,
                          "write failed: %s", strerror(rc));
}

/* The header and its padding: the segment's first block. */
static void segment_header_encode(uint8_t header[JOURNAL_SEGMENT_DATA_OFFSET], tpw_u128 ledger_id,
                                  uint64_t first_sequence,
                                  const uint8_t prev_hash[JOURNAL_HASH_BYTES])
{
    memset(header, 0, JOURNAL_SEGMENT_DATA_OFFSET);
    memcpy(header + JOURNAL_SEG_MAGIC, JOURNAL_SEGMENT_MAGIC, JOURNAL_SEGMENT_MAGIC_BYTES);
    bytes_le16_store(header + JOURNAL_SEG_VERSION, JOURNAL_FORMAT_VERSION);
    bytes_le16_store(header + JOURNAL_SEG_HEADER_BYTES, JOURNAL_SEGMENT_HEADER_BYTES);
    bytes_le128_store(header + JOURNAL_SEG_LEDGER_ID, ledger_id);
    bytes_le64_store(header + JOURNAL_SEG_FIRST_SEQUENCE, first_sequence);
    memcpy(header + JOURNAL_SEG_PREV_HASH, prev_hash, JOURNAL_HASH_BYTES);
    uint32_t crc = ledger__crc32c(0, header + JOURNAL_SEG_VERSION,
                                  JOURNAL_SEGMENT_HEADER_BYTES - JOURNAL_SEG_VERSION);
    bytes_le32_store(header + JOURNAL_SEG_CRC, crc);
}

/* Writes the header block into a fresh "<name>.tmp" and makes it durable; `*fd` is
 * open (without O_DIRECT: the header comes from the stack). */
static enum tpw_err segment_write_tmp(int dir_fd, const struct journal_io *io,
                                      const uint8_t header[JOURNAL_SEGMENT_DATA_OFFSET],
                                      uint64_t first_sequence, const char *tmp_name, int *fd,
                                      struct tpw_error_detail *detail)
{
    *fd = openat(dir_fd, tmp_name, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, JOURNAL_FILE_MODE);
    if (*fd < 0) {
        int error_number = errno;
        return journal__error(detail, journal__errno_code(error_number), first_sequence, 0,
                              first_sequence, "cannot create the segment: %s",
                              strerror(error_number));
    }
    uint64_t written = 0;
    int rc = write_fully(io, *fd, header, 0, JOURNAL_SEGMENT_DATA_OFFSET, &written);
    if (rc != 0) {
        return write_error(detail, rc, written, JOURNAL_SEGMENT_DATA_OFFSET, first_sequence, 0,
                           first_sequence);
    }
    /* fdatasync covers the data and the file size, all a reader needs; the name is made
     * durable by the directory fsync after the rename. */
    if (io->fdatasync(io->ctx, *fd) != 0) {
        int error_number = errno;
        return journal__error(detail, TPW_ERR_JOURNAL_SYNC, first_sequence, 0, first_sequence,
                              "fdatasync of the new segment failed: %s", strerror(error_number));
    }
    return TPW_OK;
}

/*
 * Creates the segment whose first record will be `first_sequence` (see the top of this
 * file for why through a .tmp name) and returns it open for writing in `*fd_out`.
 */
static enum tpw_err segment_create(int dir_fd, const struct journal_io *io, tpw_u128 ledger_id,
                                   uint64_t first_sequence,
                                   const uint8_t prev_hash[JOURNAL_HASH_BYTES], int *fd_out,
                                   struct tpw_error_detail *detail)
{
    uint8_t header[JOURNAL_SEGMENT_DATA_OFFSET] = {0};
    segment_header_encode(header, ledger_id, first_sequence, prev_hash);
    char name[JOURNAL_SEGMENT_NAME_SIZE] = {0};
    char tmp_name[JOURNAL_SEGMENT_NAME_SIZE] = {0};
    journal__segment_name(name, first_sequence);
    int length = snprintf(tmp_name, sizeof(tmp_name), "%s%s", name, JOURNAL_SEGMENT_TMP_SUFFIX);
    TPW_ASSERT(length > 0 && (size_t)length < sizeof(tmp_name));

    int fd = -1;
    enum tpw_err err = segment_write_tmp(dir_fd, io, header, first_sequence, tmp_name, &fd, detail);
    if (err == TPW_OK && renameat(dir_fd, tmp_name, dir_fd, name) != 0) {
        int error_number = errno;
        err = journal__error(detail, journal__errno_code(error_number), first_sequence, 0,
                             first_sequence, "cannot rename the new segment into place: %s",
                             strerror(error_number));
    }
    if (err != TPW_OK) {
        if (fd >= 0) {
            (void)close(fd);
            (void)unlinkat(dir_fd, tmp_name, 0);
        }
        return err;
    }
    if (fsync(dir_fd) != 0) {
        /* The segment is complete under its name; whether the name survives a crash is
         * unknown, and either way the journal reads back correctly. */
        int error_number = errno;
        (void)close(fd);
        return journal__error(detail, TPW_ERR_JOURNAL_SYNC, first_sequence, 0, first_sequence,
                              "fsync of the journal directory failed: %s", strerror(error_number));
    }
    *fd_out = fd;
    return TPW_OK;
}

/* ------------------------------------------------------------------------------------
 * Creating
 * ------------------------------------------------------------------------------------ */

/* fsync of the directory holding `dir`, so a newly made `dir` survives a crash. */
static enum tpw_err parent_sync(const char *dir, struct tpw_error_detail *detail)
{
    char parent[PATH_MAX] = {0};
    size_t length = strlen(dir);
    TPW_ASSERT(length > 0 && length < sizeof(parent));
    memcpy(parent, dir, length + 1);
    while (length > 1 && parent[length - 1] == '/') {
        parent[--length] = '\0';
    }
    while (length > 0 && parent[length - 1] != '/') {
        parent[--length] = '\0';
    }
    if (length == 0) {
        memcpy(parent, ".", 2);
    }
    int fd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0 || fsync(fd) != 0) {
        int error_number = errno;
        if (fd >= 0) {
            (void)close(fd);
        }
        return tpw_error_set(detail, TPW_ERR_JOURNAL_SYNC, 0,
                             "fsync of the journal directory's parent failed: %s",
                             strerror(error_number));
    }
    (void)close(fd);
    return TPW_OK;
}

/* Makes `dir` unless it exists; `*created` says whether this call made it. */
static enum tpw_err dir_make(const char *dir, bool *created, struct tpw_error_detail *detail)
{
    *created = false;
    if (mkdir(dir, JOURNAL_DIR_MODE) == 0) {
        *created = true;
        return TPW_OK;
    }
    int error_number = errno;
    if (error_number == EEXIST) {
        return TPW_OK; /* opening it with O_DIRECTORY checks that it is one */
    }
    if (error_number == ENOENT) {
        return tpw_error_set(detail, TPW_ERR_NOT_FOUND, 0,
                             "cannot create the journal directory: its parent does not exist");
    }
    return tpw_error_set(detail, journal__errno_code(error_number), 0,
                         "cannot create the journal directory: %s", strerror(error_number));
}

enum tpw_err journal_create(const char *dir, tpw_u128 ledger_id, struct tpw_error_detail *detail)
{
    if (dir == NULL || dir[0] == '\0' || strlen(dir) >= PATH_MAX) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid journal directory");
    }
    enum tpw_err err = journal__crypto_init(detail);
    bool created = false;
    if (err == TPW_OK) {
        err = dir_make(dir, &created, detail);
    }
    if (err != TPW_OK) {
        return err;
    }
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        int error_number = errno;
        return tpw_error_set(detail, TPW_ERR_IO, 0, "cannot open the journal directory: %s",
                             strerror(error_number));
    }
    uint64_t *sequences = NULL;
    size_t count = 0;
    err = journal__segments_list(dir_fd, true, &sequences, &count, detail);
    free(sequences);
    if (err == TPW_OK && count > 0) {
        err = tpw_error_set(detail, TPW_ERR_LEDGER_EXISTS, 0,
                            "the journal directory already holds %zu segment file(s)", count);
    }
    if (err == TPW_OK) {
        static const uint8_t no_hash[JOURNAL_HASH_BYTES];
        struct journal_io io = journal__io_resolve(NULL);
        int fd = -1;
        err = segment_create(dir_fd, &io, ledger_id, 1, no_hash, &fd, detail);
        if (fd >= 0) {
            (void)close(fd);
        }
    }
    (void)close(dir_fd);
    if (err == TPW_OK && created) {
        err = parent_sync(dir, detail);
    }
    return err;
}

/* ------------------------------------------------------------------------------------
 * Appending
 * ------------------------------------------------------------------------------------ */

static enum tpw_err segment_roll(struct journal *journal, struct tpw_error_detail *detail)
{
    uint64_t first_sequence = journal->last_sequence + 1;
    int fd = -1;
    enum tpw_err err = segment_create(journal->dir_fd, &journal->io, journal->ledger_id,
                                      first_sequence, journal->last_hash, &fd, detail);
    if (err != TPW_OK) {
        return err;
    }
    (void)close(journal->segment_fd);
    journal->segment_fd = fd;
    journal->direct = journal__direct_enable(fd);
    journal->closed_bytes += journal->segment_end_bytes;
    journal->segment_first_sequence = first_sequence;
    journal->segment_end_bytes = JOURNAL_SEGMENT_DATA_OFFSET;
    journal->segment_records = 0;
    return TPW_OK;
}

/* Builds the record in the journal's block buffer: header, payload, zero padding. */
static void record_stage(const struct journal *journal, const struct journal_job *job,
                         uint64_t padded_bytes)
{
    uint8_t *header = journal->block;
    uint8_t *payload = header + JOURNAL_RECORD_HEADER_BYTES;
    uint64_t record_bytes = JOURNAL_RECORD_HEADER_BYTES + job->payload_bytes;
    TPW_ASSERT(padded_bytes <= JOURNAL_RECORD_PADDED_MAX_BYTES);
    if (job->payload_bytes > 0) {
        memcpy(payload, job->payload, job->payload_bytes);
    }
    memset(header + record_bytes, 0, padded_bytes - record_bytes);
    bytes_le32_store(header + JOURNAL_REC_MAGIC, JOURNAL_RECORD_MAGIC);
    bytes_le32_store(header + JOURNAL_REC_LENGTH, (uint32_t)record_bytes);
    bytes_le16_store(header + JOURNAL_REC_TYPE, job->type);
    bytes_le16_store(header + JOURNAL_REC_VERSION, JOURNAL_FORMAT_VERSION);
    bytes_le64_store(header + JOURNAL_REC_SEQUENCE, journal->last_sequence + 1);
    bytes_le64_store(header + JOURNAL_REC_TIMESTAMP, job->timestamp);
    bytes_le32_store(header + JOURNAL_REC_ITEM_COUNT, job->item_count);
    bytes_le32_store(header + JOURNAL_REC_RESERVED, 0);
    memcpy(header + JOURNAL_REC_PREV_HASH, journal->last_hash, JOURNAL_HASH_BYTES);
    uint32_t crc =
        ledger__crc32c(0, header + JOURNAL_REC_LENGTH, (size_t)record_bytes - JOURNAL_REC_LENGTH);
    bytes_le32_store(header + JOURNAL_REC_CRC, crc);
}

/*
 * A write or sync failed: cut the segment back to the last acknowledged record (best
 * effort: the file may hold part of the failed record) and refuse later appends.
 */
static enum tpw_err append_failed(struct journal *journal, enum tpw_err err)
{
    journal->failed = true;
    if (journal->io.ftruncate(journal->io.ctx, journal->segment_fd,
                              (off_t)journal->segment_end_bytes) == 0) {
        (void)journal->io.fdatasync(journal->io.ctx, journal->segment_fd);
    }
    return err;
}

static enum tpw_err append_check(const struct journal *journal, const void *payload,
                                 size_t payload_bytes, struct tpw_error_detail *detail)
{
    if (journal->read_only) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_READ_ONLY, 0, "the journal is open read-only");
    }
    if (journal->failed) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_FAILED, 0,
                             "the journal stopped after a storage failure; reopen it to recover");
    }
    if (payload_bytes > (size_t)JOURNAL_PAYLOAD_MAX_BYTES ||
        (payload == NULL && payload_bytes > 0)) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "journal record payload of %zu bytes (at most %u)", payload_bytes,
                             JOURNAL_PAYLOAD_MAX_BYTES);
    }
    TPW_ASSERT(journal->last_sequence < UINT64_MAX);
    return TPW_OK;
}

/*
 * The part of an append that overlaps the caller's work: encodes the header of the
 * record journal_append_start() prepared, hashes it, writes it and syncs it, then
 * advances the journal past it. Runs on the worker, or in finish when there is none.
 */
static enum tpw_err append_write(struct journal *journal, const struct journal_job *job,
                                 struct tpw_error_detail *detail)
{
    uint64_t record_bytes = JOURNAL_RECORD_HEADER_BYTES + job->payload_bytes;
    uint64_t padded_bytes = journal__align(record_bytes);
    record_stage(journal, job, padded_bytes);
    uint8_t hash[JOURNAL_HASH_BYTES] = {0};
    journal__hash(hash, journal->block, (size_t)record_bytes, NULL, 0);

    uint64_t offset = journal->segment_end_bytes;
    uint64_t sequence = journal->last_sequence + 1;
    uint64_t written = 0;
    int rc = write_fully(&journal->io, journal->segment_fd, journal->block, offset, padded_bytes,
                         &written);
    if (rc != 0) {
        return append_failed(journal,
                             write_error(detail, rc, written, padded_bytes,
                                         journal->segment_first_sequence, offset, sequence));
    }
    if (journal->io.fdatasync(journal->io.ctx, journal->segment_fd) != 0) {
        int error_number = errno;
        return append_failed(journal,
                             journal__error(detail, TPW_ERR_JOURNAL_SYNC,
                                            journal->segment_first_sequence, offset, sequence,
                                            "fdatasync failed: %s", strerror(error_number)));
    }
    journal->last_sequence = sequence;
    memcpy(journal->last_hash, hash, JOURNAL_HASH_BYTES);
    journal->segment_end_bytes += padded_bytes;
    journal->segment_records++;
    return TPW_OK;
}

/* The pthread calls below fail only on misuse (an uninitialized or foreign mutex). */
static void journal_lock(struct journal *journal)
{
    int rc = pthread_mutex_lock(&journal->mutex);
    TPW_ASSERT(rc == 0);
}

static void journal_unlock(struct journal *journal)
{
    int rc = pthread_mutex_unlock(&journal->mutex);
    TPW_ASSERT(rc == 0);
}

/* Wakes whichever side waits for job_state or worker_stop to change. One condition
 * variable serves both: the owner waits only while a job is queued, the worker only
 * while none is, so a broadcast never wakes the wrong one for long. */
static void job_wake(struct journal *journal)
{
    int rc = pthread_cond_broadcast(&journal->cond);
    TPW_ASSERT(rc == 0);
}

static void job_state_wait(struct journal *journal)
{
    int rc = pthread_cond_wait(&journal->cond, &journal->mutex);
    TPW_ASSERT(rc == 0);
}

/* The worker: writes each queued job and reports it done, until journal_close()
 * asks it to stop (never with a job queued: close requires the finish first). */
static void *worker_main(void *arg)
{
    struct journal *journal = arg;
    journal_lock(journal);
    for (;;) {
        while (journal->job_state != JOURNAL_JOB_QUEUED && !journal->worker_stop) {
            job_state_wait(journal);
        }
        if (journal->job_state != JOURNAL_JOB_QUEUED) {
            break;
        }
        /* Unlocked while writing: the owner touches neither the job nor the fields an
         * append changes until it sees JOURNAL_JOB_DONE. */
        journal_unlock(journal);
        enum tpw_err err = append_write(journal, &journal->job, &journal->job.detail);
        journal_lock(journal);
        journal->job.result = err;
        journal->job_state = JOURNAL_JOB_DONE;
        job_wake(journal);
    }
    journal_unlock(journal);
    return NULL;
}

/* Starts the worker (with its mutex and condition variable); false when the system
 * refuses, and the caller then writes inline. */
static bool worker_start(struct journal *journal)
{
    if (pthread_mutex_init(&journal->mutex, NULL) != 0) {
        return false;
    }
    if (pthread_cond_init(&journal->cond, NULL) != 0) {
        (void)pthread_mutex_destroy(&journal->mutex);
        return false;
    }
    journal->job_state = JOURNAL_JOB_IDLE;
    journal->worker_stop = false;
    if (pthread_create(&journal->worker, NULL, worker_main, journal) != 0) {
        (void)pthread_cond_destroy(&journal->cond);
        (void)pthread_mutex_destroy(&journal->mutex);
        return false;
    }
    (void)pthread_setname_np(journal->worker, "tpw-journal"); /* for top, perf, gdb */
    journal->worker_running = true;
    return true;
}

/* Asks the idle worker to exit and joins it. */
static void worker_stop(struct journal *journal)
{
    journal_lock(journal);
    journal->worker_stop = true;
    job_wake(journal);
    journal_unlock(journal);
    int rc = pthread_join(journal->worker, NULL);
    TPW_ASSERT(rc == 0);
    (void)pthread_cond_destroy(&journal->cond);
    (void)pthread_mutex_destroy(&journal->mutex);
    journal->worker_running = false;
}

enum tpw_err journal_append_start(struct journal *journal, uint16_t type, uint64_t timestamp,
                                  uint32_t item_count, const void *payload, size_t payload_bytes,
                                  struct tpw_error_detail *detail)
{
    TPW_ASSERT(journal != NULL);
    TPW_ASSERT(!journal->append_open); /* start and finish alternate */
    enum tpw_err err = append_check(journal, payload, payload_bytes, detail);
    if (err != TPW_OK) {
        return err;
    }
    uint64_t padded_bytes = journal__align(JOURNAL_RECORD_HEADER_BYTES + payload_bytes);
    if (journal->segment_records > 0 &&
        journal->segment_end_bytes + padded_bytes > journal->segment_size_bytes) {
        err = segment_roll(journal, detail);
        if (err != TPW_OK) {
            journal->failed = true;
            return err;
        }
    }
    journal->job = (struct journal_job){
        .payload = payload,
        .payload_bytes = payload_bytes,
        .timestamp = timestamp,
        .item_count = item_count,
        .type = type,
    };
    journal->append_open = true;
    /* Started on first use rather than at open: read-only journals and tools that
     * only read never need a thread. */
    if (journal->worker_running || worker_start(journal)) {
        journal_lock(journal);
        TPW_ASSERT(journal->job_state == JOURNAL_JOB_IDLE);
        journal->job_state = JOURNAL_JOB_QUEUED;
        job_wake(journal);
        journal_unlock(journal);
    }
    return TPW_OK;
}

enum tpw_err journal_append_finish(struct journal *journal, struct tpw_error_detail *detail)
{
    TPW_ASSERT(journal != NULL);
    TPW_ASSERT(journal->append_open);
    if (!journal->worker_running) { /* it could not be started: write here */
        journal->job.result = append_write(journal, &journal->job, &journal->job.detail);
    } else {
        journal_lock(journal);
        while (journal->job_state != JOURNAL_JOB_DONE) {
            job_state_wait(journal);
        }
        journal->job_state = JOURNAL_JOB_IDLE;
        journal_unlock(journal);
    }
    journal->append_open = false;
    const struct journal_job *job = &journal->job;
    if (job->result != TPW_OK) {
        return tpw_error_set(detail, job->result, job->detail.offset_bytes, "%s",
                             job->detail.message);
    }
    return TPW_OK;
}

enum tpw_err journal_append(struct journal *journal, uint16_t type, uint64_t timestamp,
                            uint32_t item_count, const void *payload, size_t payload_bytes,
                            struct tpw_error_detail *detail)
{
    enum tpw_err err =
        journal_append_start(journal, type, timestamp, item_count, payload, payload_bytes, detail);
    return err != TPW_OK ? err : journal_append_finish(journal, detail);
}

/* ------------------------------------------------------------------------------------
 * Accessors and closing
 * ------------------------------------------------------------------------------------ */

/* These read what the worker changes during an append: never between start and
 * finish (journal.h). */

uint64_t journal_last_sequence(const struct journal *journal)
{
    TPW_ASSERT(!journal->append_open);
    return journal->last_sequence;
}

void journal_last_hash(const struct journal *journal, uint8_t out[JOURNAL_HASH_BYTES])
{
    TPW_ASSERT(journal != NULL);
    TPW_ASSERT(out != NULL);
    TPW_ASSERT(!journal->append_open);
    memcpy(out, journal->last_hash, JOURNAL_HASH_BYTES);
}

uint64_t journal_size_bytes(const struct journal *journal)
{
    TPW_ASSERT(!journal->append_open);
    return journal->closed_bytes + journal->segment_end_bytes;
}

tpw_u128 journal_ledger_id(const struct journal *journal)
{
    return journal->ledger_id;
}

void journal_close(struct journal *journal)
{
    if (journal == NULL) {
        return;
    }
    TPW_ASSERT(!journal->append_open); /* the worker may still be using the payload */
    if (journal->worker_running) {
        worker_stop(journal);
    }
    if (journal->segment_fd >= 0) {
        (void)close(journal->segment_fd);
    }
    if (journal->dir_fd >= 0) {
        (void)close(journal->dir_fd);
    }
    free(journal->block);
    free(journal);
}
