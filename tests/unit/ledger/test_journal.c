/*
 * The journal (src/ledger/journal.h): round trips across segments, reopening, the
 * torn-tail rule at every kind of cut point, each kind of corruption with the precise
 * message it must produce, format versions, fault injection on the write path (short
 * writes, ENOSPC, fdatasync failure, a failed segment roll), appends split into start
 * and finish around the caller's own work, and journal_verify.
 *
 * Every test works in its own mkdtemp directory under /tmp, removed afterwards.
 * Payloads come from a seeded generator keyed by sequence, so replay can check every
 * byte without keeping copies. Damage is made by editing the files directly; where a
 * record or header must stay CRC-valid, its checksum is recomputed with ledger__crc32c.
 */
#define _GNU_SOURCE /* pwritev, DT_DIR, O_DIRECT */

#include "tpw_test.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <sodium.h>

#include "tpwallet/prng.h"

#include "crc32c.h"
#include "journal.h"
#include "log.h"
#include "journal_format.h"

#define LEDGER_ID TPW_U128(0x0123456789abcdefu, 0xfedcba9876543210u)
#define PATH_SIZE 256
#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define FIRST_SEGMENT "00000000000000000001.tpj"
#define TIMESTAMP_BASE UINT64_C(1764063000000000000)

static uint64_t suite_seed;

/* ------------------------------------------------------------------------------------
 * Fixture: a temporary root holding one or more journal directories
 * ------------------------------------------------------------------------------------ */

struct fixture {
    char root[PATH_SIZE];
    char dir[PATH_SIZE]; /* root/journal, created by journal_create() in setup */
};

static void path_join(char *out, const char *a, const char *b)
{
    int length = snprintf(out, PATH_SIZE, "%s/%s", a, b);
    assert_true(length > 0 && length < PATH_SIZE);
}

static void segment_path(char *out, const char *dir, uint64_t first_sequence)
{
    char name[JOURNAL_SEGMENT_NAME_SIZE];
    journal__segment_name(name, first_sequence);
    path_join(out, dir, name);
}

static int setup(void **state)
{
    struct fixture *fixture = calloc(1, sizeof(*fixture));
    assert_non_null(fixture);
    memcpy(fixture->root, "/tmp/tpw-journal-XXXXXX", sizeof("/tmp/tpw-journal-XXXXXX"));
    assert_non_null(mkdtemp(fixture->root));
    path_join(fixture->dir, fixture->root, "journal");
    struct tpw_error_detail detail = {0};
    assert_err(journal_create(fixture->dir, LEDGER_ID, &detail), TPW_OK);
    *state = fixture;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fixture = *state;
    tpw_log_set_stream(NULL);
    (void)tpw_test_tree_remove(fixture->root);
    free(fixture);
    return 0;
}

/* The log lines written between start and expect (the torn-tail warning). */
struct log_capture {
    FILE *stream;
    char *data;
    size_t size;
};

static void log_capture_start(struct log_capture *capture)
{
    *capture = (struct log_capture){0};
    capture->stream = open_memstream(&capture->data, &capture->size);
    assert_non_null(capture->stream);
    tpw_log_set_stream(capture->stream);
}

/* Ends the capture; the captured text must contain `needle`. */
static void log_capture_expect(struct log_capture *capture, const char *needle)
{
    if (capture->stream != NULL) {
        tpw_log_set_stream(NULL);
        (void)fclose(capture->stream);
        capture->stream = NULL;
    }
    if (capture->data == NULL || strstr(capture->data, needle) == NULL) {
        fail_msg("log \"%s\" lacks \"%s\"", capture->data ? capture->data : "", needle);
    }
}

static void log_capture_free(struct log_capture *capture)
{
    free(capture->data);
    capture->data = NULL;
}

/* ------------------------------------------------------------------------------------
 * Records: generated from (seed, sequence), checked on replay
 * ------------------------------------------------------------------------------------ */

struct gen {
    size_t min_bytes;
    size_t max_bytes;
};

struct expected {
    uint16_t type;
    uint64_t timestamp;
    uint32_t item_count;
    size_t payload_bytes;
};

/* Fills `payload` (gen.max_bytes) with record `sequence`'s bytes. */
static struct expected expected_make(struct gen gen, uint64_t sequence, uint8_t *payload)
{
    struct tpw_prng prng;
    tpw_prng_seed(&prng, suite_seed ^ (sequence * UINT64_C(0x9E3779B97F4A7C15)));
    struct expected e = {
        .type = (uint16_t)(JOURNAL_RECORD_ASSETS + sequence % 3),
        .timestamp = TIMESTAMP_BASE + sequence * 1000,
        .payload_bytes =
            gen.min_bytes + (size_t)tpw_prng_below(&prng, gen.max_bytes - gen.min_bytes + 1),
    };
    e.item_count = (uint32_t)(e.payload_bytes / 16);
    for (size_t index = 0; index < e.payload_bytes; index += 8) {
        uint64_t word = tpw_prng_next(&prng);
        size_t take = e.payload_bytes - index < 8 ? e.payload_bytes - index : 8;
        memcpy(payload + index, &word, take);
    }
    return e;
}

static enum tpw_err append_one(struct journal *journal, struct gen gen, uint8_t *scratch,
                               struct tpw_error_detail *detail)
{
    uint64_t sequence = journal_last_sequence(journal) + 1;
    struct expected e = expected_make(gen, sequence, scratch);
    return journal_append(journal, e.type, e.timestamp, e.item_count, scratch, e.payload_bytes,
                          detail);
}

static void append_many(struct journal *journal, struct gen gen, uint64_t count)
{
    uint8_t *scratch = malloc(gen.max_bytes + 8);
    assert_non_null(scratch);
    for (uint64_t index = 0; index < count; index++) {
        struct tpw_error_detail detail = {0};
        uint64_t before = journal_last_sequence(journal);
        assert_err(append_one(journal, gen, scratch, &detail), TPW_OK);
        assert_int_equal(journal_last_sequence(journal), before + 1);
    }
    free(scratch);
}

struct collect {
    struct gen gen;
    uint64_t after; /* the resume point: records start after it */
    uint64_t records;
    uint64_t fail_at; /* return TPW_ERR_INTERNAL at this sequence; 0 = never */
    uint8_t *scratch;
};

static enum tpw_err collect_apply(void *ctx, const struct journal_record *record,
                                  struct tpw_error_detail *detail)
{
    struct collect *collect = ctx;
    if (record->sequence == collect->fail_at) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "apply stopped at %" PRIu64,
                             record->sequence);
    }
    assert_int_equal(record->sequence, collect->after + collect->records + 1);
    assert_non_null(record->hash);
    struct expected e = expected_make(collect->gen, record->sequence, collect->scratch);
    assert_int_equal(record->type, e.type);
    assert_int_equal(record->timestamp, e.timestamp);
    assert_int_equal(record->item_count, e.item_count);
    assert_int_equal(record->payload_bytes, e.payload_bytes);
    if (e.payload_bytes > 0) {
        assert_memory_equal(record->payload, collect->scratch, e.payload_bytes);
    }
    collect->records++;
    return TPW_OK;
}

struct open_args {
    uint64_t segment_size_bytes;
    bool read_only;
    const struct journal_io *io;
    const struct journal_resume *resume;
};

/* Opens `dir` replaying into a fresh collector; returns what journal_open returned and
 * how many records were applied. */
static enum tpw_err open_collect(const char *dir, struct gen gen, struct open_args args,
                                 struct journal **out, uint64_t *records,
                                 struct tpw_error_detail *detail)
{
    struct collect collect = {.gen = gen, .after = args.resume ? args.resume->sequence : 0};
    collect.scratch = malloc(gen.max_bytes + 8);
    assert_non_null(collect.scratch);
    struct journal_options options = {
        .dir = dir,
        .segment_size_bytes = args.segment_size_bytes,
        .read_only = args.read_only,
        .io = args.io,
        .resume = args.resume,
    };
    enum tpw_err err = journal_open(&options, collect_apply, &collect, out, detail);
    free(collect.scratch);
    *records = collect.records;
    return err;
}

/* Opens, expecting success and a journal of exactly `records` records, all applied (or,
 * resuming, those after the resume point). */
static struct journal *open_expect(const char *dir, struct gen gen, struct open_args args,
                                   uint64_t records)
{
    struct journal *journal = NULL;
    uint64_t applied = 0;
    struct tpw_error_detail detail = {0};
    enum tpw_err err = open_collect(dir, gen, args, &journal, &applied, &detail);
    if (err != TPW_OK) {
        print_error("journal_open: %s\n", detail.message);
    }
    assert_err(err, TPW_OK);
    assert_non_null(journal);
    assert_int_equal(applied, records - (args.resume ? args.resume->sequence : 0));
    assert_int_equal(journal_last_sequence(journal), records);
    assert_u128_equal(journal_ledger_id(journal), LEDGER_ID);
    return journal;
}

/* Opens (and verifies), expecting `code` with every one of `needles` in the message,
 * which must be the same from journal_open and journal_verify. */
static void open_expect_error(const char *dir, enum tpw_err code, const char *const *needles,
                              size_t needles_count)
{
    struct journal *journal = NULL;
    struct tpw_error_detail detail = {0};
    struct journal_options options = {.dir = dir};
    assert_err(journal_open(&options, NULL, NULL, &journal, &detail), code);
    assert_null(journal);
    print_message("expected error: %s\n", detail.message);
    for (size_t index = 0; index < needles_count; index++) {
        if (strstr(detail.message, needles[index]) == NULL) {
            fail_msg("message \"%s\" lacks \"%s\"", detail.message, needles[index]);
        }
    }
    struct journal_verify_report report;
    struct tpw_error_detail verify_detail = {0};
    assert_err(journal_verify(dir, &report, &verify_detail), code);
    assert_string_equal(verify_detail.message, detail.message);
    assert_int_equal(verify_detail.offset_bytes, detail.offset_bytes);
}

/* ------------------------------------------------------------------------------------
 * File surgery
 * ------------------------------------------------------------------------------------ */

static uint64_t file_size(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return (uint64_t)st.st_size;
}

static void file_read_at(const char *path, uint64_t offset, void *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pread(fd, buf, len, (off_t)offset), (ssize_t)len);
    (void)close(fd);
}

static void file_write_at(const char *path, uint64_t offset, const void *buf, size_t len)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, buf, len, (off_t)offset), (ssize_t)len);
    (void)close(fd);
}

static void file_truncate(const char *path, uint64_t size)
{
    assert_int_equal(truncate(path, (off_t)size), 0);
}

static void file_flip_bit(const char *path, uint64_t offset, unsigned bit)
{
    uint8_t byte = 0;
    file_read_at(path, offset, &byte, 1);
    byte ^= (uint8_t)(1u << bit);
    file_write_at(path, offset, &byte, 1);
}

/* Offsets of the records in a segment file, by following the length fields. */
static size_t record_offsets(const char *path, uint64_t *offsets, size_t max)
{
    uint64_t size = file_size(path);
    uint64_t offset = JOURNAL_SEGMENT_DATA_OFFSET;
    size_t count = 0;
    while (offset + JOURNAL_RECORD_HEADER_BYTES <= size && count < max) {
        uint8_t header[JOURNAL_RECORD_HEADER_BYTES];
        file_read_at(path, offset, header, sizeof(header));
        offsets[count++] = offset;
        offset += journal__align(bytes_le32_load(header + JOURNAL_REC_LENGTH));
    }
    return count;
}

static uint32_t record_length_at(const char *path, uint64_t offset)
{
    uint8_t header[JOURNAL_RECORD_HEADER_BYTES];
    file_read_at(path, offset, header, sizeof(header));
    return bytes_le32_load(header + JOURNAL_REC_LENGTH);
}

/* Recomputes the CRC of the record at `offset`, making an edit look intentional. */
static void record_fix_crc(const char *path, uint64_t offset)
{
    uint32_t length = record_length_at(path, offset);
    uint8_t *record = malloc(length);
    assert_non_null(record);
    file_read_at(path, offset, record, length);
    uint8_t crc[4];
    bytes_le32_store(
        crc, ledger__crc32c(0, record + JOURNAL_REC_LENGTH, length - (uint32_t)JOURNAL_REC_LENGTH));
    file_write_at(path, offset + JOURNAL_REC_CRC, crc, sizeof(crc));
    free(record);
}

static void segment_fix_crc(const char *path)
{
    uint8_t header[JOURNAL_SEGMENT_HEADER_BYTES];
    file_read_at(path, 0, header, sizeof(header));
    uint8_t crc[4];
    bytes_le32_store(
        crc, ledger__crc32c(0, header + JOURNAL_SEG_VERSION, sizeof(header) - JOURNAL_SEG_VERSION));
    file_write_at(path, JOURNAL_SEG_CRC, crc, sizeof(crc));
}

/* Both files hold the same bytes. */
static void assert_files_equal(const char *a, const char *b)
{
    uint64_t size = file_size(a);
    assert_int_equal(file_size(b), size);
    uint8_t *left = malloc((size_t)size);
    uint8_t *right = malloc((size_t)size);
    assert_non_null(left);
    assert_non_null(right);
    file_read_at(a, 0, left, (size_t)size);
    file_read_at(b, 0, right, (size_t)size);
    assert_memory_equal(left, right, (size_t)size);
    free(left);
    free(right);
}

static void hash_of(const char *path, uint64_t offset, size_t len, uint8_t out[JOURNAL_HASH_BYTES])
{
    uint8_t *bytes = malloc(len);
    assert_non_null(bytes);
    file_read_at(path, offset, bytes, len);
    assert_int_equal(crypto_generichash(out, JOURNAL_HASH_BYTES, bytes, len, NULL, 0), 0);
    free(bytes);
}

/* The first sequences of the segment files, sorted. */
static size_t segments_of(const char *dir, uint64_t *sequences, size_t max)
{
    int dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    assert_true(dir_fd >= 0);
    uint64_t *list = NULL;
    size_t count = 0;
    struct tpw_error_detail detail = {0};
    assert_err(journal__segments_list(dir_fd, false, &list, &count, &detail), TPW_OK);
    (void)close(dir_fd);
    assert_true(count <= max);
    if (count > 0) {
        memcpy(sequences, list, count * sizeof(list[0]));
    }
    free(list);
    return count;
}

/* Writes a journal of `count` records of fixed-size payloads in one segment. */
static void journal_fill(const char *dir, struct gen gen, uint64_t count,
                         uint64_t segment_size_bytes)
{
    struct open_args args = {.segment_size_bytes = segment_size_bytes};
    struct journal *journal = open_expect(dir, gen, args, 0);
    append_many(journal, gen, count);
    journal_close(journal);
}

/* ------------------------------------------------------------------------------------
 * Creating, opening, round trips
 * ------------------------------------------------------------------------------------ */

static const struct gen gen_small = {0, 3000};
/* 72 + 1001 = 1073 bytes: every record is followed by 463 bytes of padding, to three
 * 512-byte blocks (1536). */
static const struct gen gen_fixed = {1001, 1001};
#define FIXED_LENGTH 1073u
#define FIXED_PADDED 1536u
/* Three gen_fixed records per segment: 9 records in segments 1, 4 and 7. */
#define THREE_PER_SEGMENT (JOURNAL_SEGMENT_DATA_OFFSET + 3 * FIXED_PADDED)

static void test_create_open_empty(void **state)
{
    struct fixture *fixture = *state;
    struct journal *journal = open_expect(fixture->dir, gen_small, (struct open_args){0}, 0);
    assert_int_equal(journal_size_bytes(journal), JOURNAL_SEGMENT_DATA_OFFSET);
    journal_close(journal);

    char path[PATH_SIZE];
    path_join(path, fixture->dir, FIRST_SEGMENT);
    assert_int_equal(file_size(path), JOURNAL_SEGMENT_DATA_OFFSET);
    struct journal_verify_report report;
    struct tpw_error_detail detail = {0};
    assert_err(journal_verify(fixture->dir, &report, &detail), TPW_OK);
    assert_int_equal(report.segments, 1);
    assert_int_equal(report.records, 0);
    assert_int_equal(report.last_sequence, 0);
    assert_int_equal(report.bytes, JOURNAL_SEGMENT_DATA_OFFSET);
    assert_false(report.torn_tail);
    /* With no records the chain ends at the first segment header's hash. */
    uint8_t header_hash[JOURNAL_HASH_BYTES];
    hash_of(path, 0, JOURNAL_SEGMENT_HEADER_BYTES, header_hash);
    assert_memory_equal(report.last_hash, header_hash, JOURNAL_HASH_BYTES);

    /* A second create must not overwrite the journal. */
    assert_err(journal_create(fixture->dir, LEDGER_ID, &detail), TPW_ERR_LEDGER_EXISTS);
    assert_int_equal(file_size(path), JOURNAL_SEGMENT_DATA_OFFSET);
}

static void test_missing_and_empty_dirs(void **state)
{
    struct fixture *fixture = *state;
    char missing[PATH_SIZE];
    path_join(missing, fixture->root, "missing");
    struct journal *journal = NULL;
    uint64_t applied = 0;
    struct tpw_error_detail detail = {0};
    assert_err(open_collect(missing, gen_small, (struct open_args){0}, &journal, &applied, &detail),
               TPW_ERR_NOT_FOUND);
    assert_null(journal);
    struct journal_verify_report report;
    assert_err(journal_verify(missing, &report, &detail), TPW_ERR_NOT_FOUND);

    /* Only the last component is created: a missing parent is an error. */
    char deep[PATH_SIZE];
    path_join(deep, missing, "journal");
    assert_err(journal_create(deep, LEDGER_ID, &detail), TPW_ERR_NOT_FOUND);

    /* An existing directory without segments holds no journal. */
    char empty[PATH_SIZE];
    path_join(empty, fixture->root, "empty");
    assert_int_equal(mkdir(empty, 0700), 0);
    assert_err(open_collect(empty, gen_small, (struct open_args){0}, &journal, &applied, &detail),
               TPW_ERR_NOT_FOUND);
    /* journal_create accepts an existing empty directory. */
    assert_err(journal_create(empty, LEDGER_ID, &detail), TPW_OK);
    journal_close(open_expect(empty, gen_small, (struct open_args){0}, 0));
}

static uint64_t segments_bytes(const char *dir, const uint64_t *sequences, size_t count)
{
    uint64_t total = 0;
    for (size_t index = 0; index < count; index++) {
        char path[PATH_SIZE];
        segment_path(path, dir, sequences[index]);
        total += file_size(path);
    }
    return total;
}

/* Whether files in `dir` can be opened with O_DIRECT (probed with a scratch file). */
static bool direct_supported(const char *dir)
{
    char path[PATH_SIZE];
    path_join(path, dir, "direct-probe");
    int fd = open(path, O_RDWR | O_CREAT | O_DIRECT | O_CLOEXEC, 0600);
    if (fd < 0) {
        return false;
    }
    (void)close(fd);
    assert_int_equal(unlink(path), 0);
    return true;
}

/* Segments are appended with O_DIRECT wherever the file system takes it, the first one
 * and those made by a roll alike, and read back like any other. */
static void test_direct_appends(void **state)
{
    struct fixture *fixture = *state;
    bool expected = direct_supported(fixture->dir);
    print_message("O_DIRECT %s here\n", expected ? "supported" : "not supported");
    struct open_args args = {.segment_size_bytes = THREE_PER_SEGMENT};
    struct journal *journal = open_expect(fixture->dir, gen_fixed, args, 0);
    assert_int_equal(journal->direct, expected);
    append_many(journal, gen_fixed, 7);
    assert_int_equal(journal->segment_first_sequence, 7);
    assert_int_equal(journal->direct, expected);
    journal_close(journal);
    journal = open_expect(fixture->dir, gen_fixed, args, 7);
    assert_int_equal(journal->direct, expected);
    journal_close(journal);
    journal = open_expect(fixture->dir, gen_fixed, (struct open_args){.read_only = true}, 7);
    assert_false(journal->direct);
    assert_null(journal->block);
    journal_close(journal);
}

static void test_round_trip_segments(void **state)
{
    struct fixture *fixture = *state;
    struct open_args args = {.segment_size_bytes = 8192};
    struct journal *journal = open_expect(fixture->dir, gen_small, args, 0);
    append_many(journal, gen_small, 150);
    uint64_t size = journal_size_bytes(journal);
    journal_close(journal);

    uint64_t sequences[200];
    size_t count = segments_of(fixture->dir, sequences, 200);
    print_message("%zu segments\n", count);
    assert_true(count >= 20);
    assert_int_equal(sequences[0], 1);
    assert_int_equal(segments_bytes(fixture->dir, sequences, count), size);
    for (size_t index = 0; index < count; index++) {
        char path[PATH_SIZE];
        segment_path(path, fixture->dir, sequences[index]);
        /* Never past the limit, except a lone record larger than it (not here). */
        assert_true(file_size(path) <= args.segment_size_bytes);
    }

    /* Reopen: every record comes back; the sequence and the size continue. */
    journal = open_expect(fixture->dir, gen_small, args, 150);
    assert_int_equal(journal_size_bytes(journal), size);
    append_many(journal, gen_small, 50);
    journal_close(journal);
    journal = open_expect(fixture->dir, gen_small, args, 200);
    journal_close(journal);

    struct journal_verify_report report;
    struct tpw_error_detail detail = {0};
    assert_err(journal_verify(fixture->dir, &report, &detail), TPW_OK);
    count = segments_of(fixture->dir, sequences, 200);
    assert_int_equal(report.segments, count);
    assert_int_equal(report.records, 200);
    assert_int_equal(report.last_sequence, 200);
    assert_int_equal(report.bytes, segments_bytes(fixture->dir, sequences, count));
    assert_false(report.torn_tail);
}

/* The hash chain as documented, checked with libsodium directly. */
static void test_chain_layout(void **state)
{
    struct fixture *fixture = *state;
    journal_fill(fixture->dir, gen_fixed, 4, 3 * FIXED_PADDED + JOURNAL_SEGMENT_DATA_OFFSET);
    char first[PATH_SIZE];
    char second[PATH_SIZE];
    segment_path(first, fixture->dir, 1);
    segment_path(second, fixture->dir, 4);
    uint64_t offsets[4];
    assert_int_equal(record_offsets(first, offsets, 4), 3);
    assert_int_equal(offsets[0], JOURNAL_SEGMENT_DATA_OFFSET);
    assert_int_equal(offsets[1], offsets[0] + FIXED_PADDED);

    uint8_t expected[JOURNAL_HASH_BYTES];
    uint8_t stored[JOURNAL_HASH_BYTES];
    hash_of(first, 0, JOURNAL_SEGMENT_HEADER_BYTES, expected);
    file_read_at(first, offsets[0] + JOURNAL_REC_PREV_HASH, stored, sizeof(stored));
    assert_memory_equal(stored, expected, JOURNAL_HASH_BYTES);
    hash_of(first, offsets[0], FIXED_LENGTH, expected);
    file_read_at(first, offsets[1] + JOURNAL_REC_PREV_HASH, stored, sizeof(stored));
    assert_memory_equal(stored, expected, JOURNAL_HASH_BYTES);

    /* The next segment's header and first record both chain to record 3. */
    hash_of(first, offsets[2], FIXED_LENGTH, expected);
    file_read_at(second, JOURNAL_SEG_PREV_HASH, stored, sizeof(stored));
    assert_memory_equal(stored, expected, JOURNAL_HASH_BYTES);
    file_read_at(second, JOURNAL_SEGMENT_DATA_OFFSET + JOURNAL_REC_PREV_HASH, stored,
                 sizeof(stored));
    assert_memory_equal(stored, expected, JOURNAL_HASH_BYTES);
    /* Zero padding after the header and after each record, to a whole block. */
    static const uint8_t zeros[FIXED_PADDED - FIXED_LENGTH];
    uint8_t padding[FIXED_PADDED - FIXED_LENGTH];
    file_read_at(first, offsets[0] + FIXED_LENGTH, padding, sizeof(padding));
    assert_memory_equal(padding, zeros, sizeof(zeros));
    uint8_t header_padding[JOURNAL_SEGMENT_DATA_OFFSET - JOURNAL_SEGMENT_HEADER_BYTES];
    file_read_at(second, JOURNAL_SEGMENT_HEADER_BYTES, header_padding, sizeof(header_padding));
    assert_memory_equal(header_padding, zeros, sizeof(header_padding));

    struct journal_verify_report report;
    struct tpw_error_detail detail = {0};
    assert_err(journal_verify(fixture->dir, &report, &detail), TPW_OK);
    hash_of(second, JOURNAL_SEGMENT_DATA_OFFSET, FIXED_LENGTH, expected);
    assert_memory_equal(report.last_hash, expected, JOURNAL_HASH_BYTES);
    assert_int_equal(report.segments, 2);
}

static void test_largest_records(void **state)
{
    struct fixture *fixture = *state;
    struct gen gen_max = {JOURNAL_PAYLOAD_MAX_BYTES, JOURNAL_PAYLOAD_MAX_BYTES};
    /* Smaller than one record: each record gets a segment of its own. */
    struct open_args args = {.segment_size_bytes = 4096};
    struct journal *journal = open_expect(fixture->dir, gen_max, args, 0);
    append_many(journal, gen_max, 3);

    uint8_t *big = calloc(1, JOURNAL_PAYLOAD_MAX_BYTES + 1);
    assert_non_null(big);
    struct tpw_error_detail detail = {0};
    assert_err(journal_append(journal, JOURNAL_RECORD_TRANSFERS, 1, 1, big,
                              JOURNAL_PAYLOAD_MAX_BYTES + 1, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    assert_err(journal_append(journal, JOURNAL_RECORD_TRANSFERS, 1, 1, NULL, 8, &detail),
               TPW_ERR_INVALID_ARGUMENT);
    free(big);
    /* A rejected argument does not poison the journal. */
    append_many(journal, gen_max, 1);
    journal_close(journal);

    uint64_t sequences[8];
    assert_int_equal(segments_of(fixture->dir, sequences, 8), 4);
    journal_close(open_expect(fixture->dir, gen_max, args, 4));
}

static void test_apply_error_stops_open(void **state)
{
    struct fixture *fixture = *state;
    journal_fill(fixture->dir, gen_small, 5, 0);
    struct collect collect = {.gen = gen_small, .fail_at = 3};
    collect.scratch = malloc(gen_small.max_bytes + 8);
    assert_non_null(collect.scratch);
    struct journal_options options = {.dir = fixture->dir};
    struct journal *journal = NULL;
    struct tpw_error_detail detail = {0};
    assert_err(journal_open(&options, collect_apply, &collect, &journal, &detail),
               TPW_ERR_INTERNAL);
    assert_null(journal);
    assert_int_equal(collect.records, 2);
    assert_string_equal(detail.message, "apply stopped at 3");
    free(collect.scratch);
}

static void test_other_files_ignored(void **state)
{
    struct fixture *fixture = *state;
    journal_fill(fixture->dir, gen_small, 3, 0);
    static const char *const names[] = {"README", "123.tpj", "0000000000000000000a.tpj",
                                        "000000000000000000001.tpj"};
    for (size_t index = 0; index < COUNT(names); index++) {
        char path[PATH_SIZE];
        path_join(path, fixture->dir, names[index]);
        FILE *file = fopen(path, "w");
        assert_non_null(file);
        (void)fclose(file);
    }
    /* A roll interrupted before its rename leaves a .tmp; opening removes it. */
    char tmp[PATH_SIZE];
    path_join(tmp, fixture->dir, "00000000000000000004.tpj.tmp");
    FILE *file = fopen(tmp, "w");
    assert_non_null(file);
    (void)fclose(file);
    journal_close(open_expect(fixture->dir, gen_small, (struct open_args){0}, 3));
    struct stat st;
    assert_int_equal(stat(tmp, &st), -1);
    char readme[PATH_SIZE];
    path_join(readme, fixture->dir, "README");
    assert_int_equal(stat(readme, &st), 0);
}

/* ------------------------------------------------------------------------------------
 * Torn tails
 * ------------------------------------------------------------------------------------ */

/* A fresh journal `root/name` holding `count` gen_fixed records in one segment; `path`
 * receives its segment file and `offsets` its record offsets. */
static void fixed_journal(const struct fixture *fixture, const char *name, uint64_t count,
                          char *dir, char *path, uint64_t *offsets)
{
    path_join(dir, fixture->root, name);
    struct tpw_error_detail detail = {0};
    assert_err(journal_create(dir, LEDGER_ID, &detail), TPW_OK);
    journal_fill(dir, gen_fixed, count, 0);
    path_join(path, dir, FIRST_SEGMENT);
    assert_int_equal(record_offsets(path, offsets, count + 1), count);
    assert_int_equal(file_size(path), offsets[count - 1] + FIXED_PADDED);
}

static void test_torn_tail_cut_points(void **state)
{
    struct fixture *fixture = *state;
    /* Inside the header, at its end, inside the payload, one byte short, and without
     * all of the padding: each is a write cut short. */
    static const uint64_t cuts[] = {
        1, 8, 40, 71, 72, 500, FIXED_LENGTH - 1, FIXED_LENGTH, FIXED_PADDED - 1};
    for (size_t index = 0; index < COUNT(cuts); index++) {
        char name[32];
        (void)snprintf(name, sizeof(name), "cut-%zu", index);
        char dir[PATH_SIZE];
        char path[PATH_SIZE];
        uint64_t offsets[6];
        fixed_journal(fixture, name, 5, dir, path, offsets);
        print_message("cut at last record + %" PRIu64 "\n", cuts[index]);
        file_truncate(path, offsets[4] + cuts[index]);

        struct journal *journal = open_expect(dir, gen_fixed, (struct open_args){0}, 4);
        assert_int_equal(file_size(path), offsets[4]);
        assert_int_equal(journal_size_bytes(journal), offsets[4]);
        append_many(journal, gen_fixed, 2);
        journal_close(journal);
        journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 6));
        assert_int_equal(file_size(path), offsets[4] + 2 * FIXED_PADDED);
    }
}

static void test_torn_tail_garbage(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[6];
    fixed_journal(fixture, "zeros", 5, dir, path, offsets);
    uint64_t end = offsets[4] + FIXED_PADDED;
    /* Zeros (space allocated but never written), then bytes that are not a record. */
    uint8_t tail[4096] = {0};
    file_write_at(path, end, tail, sizeof(tail));
    journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 5));
    assert_int_equal(file_size(path), end);
    memset(tail, 0xA5, sizeof(tail));
    file_write_at(path, end, tail, sizeof(tail));
    journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 5));
    assert_int_equal(file_size(path), end);

    /* A whole valid copy of the last record is not torn: its sequence is wrong. */
    uint8_t copy[FIXED_PADDED];
    file_read_at(path, offsets[4], copy, sizeof(copy));
    file_write_at(path, end, copy, sizeof(copy));
    char where[64];
    (void)snprintf(where, sizeof(where), "offset %" PRIu64 " sequence 6:", end);
    const char *const needles[] = {FIRST_SEGMENT, where, "sequence gap"};
    open_expect_error(dir, TPW_ERR_JOURNAL_CORRUPT, needles, COUNT(needles));
}

static void test_torn_tail_read_only_and_verify(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[6];
    fixed_journal(fixture, "torn", 5, dir, path, offsets);
    file_truncate(path, offsets[4] + 500);
    uint64_t size = file_size(path);

    struct journal_verify_report report;
    struct tpw_error_detail detail = {0};
    assert_err(journal_verify(dir, &report, &detail), TPW_OK);
    assert_true(report.torn_tail);
    assert_int_equal(report.records, 4);
    assert_int_equal(report.last_sequence, 4);
    assert_int_equal(report.segments, 1);
    assert_int_equal(report.bytes, offsets[4]);
    uint8_t expected[JOURNAL_HASH_BYTES];
    hash_of(path, offsets[3], FIXED_LENGTH, expected);
    assert_memory_equal(report.last_hash, expected, JOURNAL_HASH_BYTES);
    assert_int_equal(file_size(path), size);

    struct log_capture capture;
    log_capture_start(&capture);
    struct journal *journal = open_expect(dir, gen_fixed, (struct open_args){.read_only = true}, 4);
    log_capture_expect(&capture, "\"action\":\"kept\"");
    log_capture_free(&capture);
    assert_int_equal(file_size(path), size);
    uint8_t payload[8] = {0};
    assert_err(journal_append(journal, JOURNAL_RECORD_ASSETS, 1, 0, payload, 8, &detail),
               TPW_ERR_LEDGER_READ_ONLY);
    journal_close(journal);
    assert_int_equal(file_size(path), size);

    /* A writable open repairs it, and says so in the log; then verify is clean. */
    log_capture_start(&capture);
    journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 4));
    char expected_line[160];
    (void)snprintf(expected_line, sizeof(expected_line),
                   "\"event\":\"journal.torn_tail\",\"segment\":\"%s\",\"offset\":%" PRIu64
                   ",\"sequence\":5,\"dropped_bytes\":500,",
                   FIRST_SEGMENT, offsets[4]);
    log_capture_expect(&capture, expected_line);
    log_capture_expect(&capture, "\"action\":\"truncated\"");
    log_capture_free(&capture);
    assert_int_equal(file_size(path), offsets[4]);
    assert_err(journal_verify(dir, &report, &detail), TPW_OK);
    assert_false(report.torn_tail);
    assert_int_equal(report.records, 4);
}

/* ------------------------------------------------------------------------------------
 * Corruption inside a segment
 * ------------------------------------------------------------------------------------ */

/* Needles: the segment, "offset <o> sequence <s>:", and `what`. */
static void expect_corrupt_at(const char *dir, const char *segment, uint64_t offset,
                              uint64_t sequence, const char *what)
{
    char where[80];
    (void)snprintf(where, sizeof(where), "offset %" PRIu64 " sequence %" PRIu64 ":", offset,
                   sequence);
    char segment_text[64];
    (void)snprintf(segment_text, sizeof(segment_text), "journal segment %s ", segment);
    const char *const needles[] = {segment_text, where, what};
    open_expect_error(dir, TPW_ERR_JOURNAL_CORRUPT, needles, COUNT(needles));
}

static void test_bit_flip_middle_payload(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[11];
    fixed_journal(fixture, "flip", 10, dir, path, offsets);
    uint64_t size = file_size(path);
    file_flip_bit(path, offsets[4] + JOURNAL_RECORD_HEADER_BYTES + 300, 3);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[4], 5, "crc32c mismatch (stored 0x");
    char follows[64];
    (void)snprintf(follows, sizeof(follows), "a valid record follows at offset %" PRIu64,
                   offsets[5]);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[4], 5, follows);
    assert_int_equal(file_size(path), size); /* not truncated */
}

static void test_bit_flip_length(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[11];
    fixed_journal(fixture, "length", 10, dir, path, offsets);
    uint64_t size = file_size(path);
    /* Length ± 16: the frame still parses, but the CRC covers the wrong bytes. */
    file_flip_bit(path, offsets[4] + JOURNAL_REC_LENGTH, 4);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[4], 5, "crc32c mismatch");
    file_flip_bit(path, offsets[4] + JOURNAL_REC_LENGTH, 4);
    journal_close(open_expect(dir, gen_fixed, (struct open_args){.read_only = true}, 10));
    /* A length far out of bounds. */
    file_flip_bit(path, offsets[4] + JOURNAL_REC_LENGTH + 3, 7);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[4], 5, "out of bounds");
    assert_int_equal(file_size(path), size);
}

static void test_bit_flip_last_record(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[11];
    /* Damage to the last record of the journal cannot be told from a torn write (the
     * write of a record is not atomic), so it is cut off like one. */
    fixed_journal(fixture, "payload", 10, dir, path, offsets);
    file_flip_bit(path, offsets[9] + JOURNAL_RECORD_HEADER_BYTES + 600, 0);
    journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 9));
    assert_int_equal(file_size(path), offsets[9]);

    fixed_journal(fixture, "header", 10, dir, path, offsets);
    file_flip_bit(path, offsets[9] + JOURNAL_REC_SEQUENCE, 1);
    journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 9));
    assert_int_equal(file_size(path), offsets[9]);
}

static void test_hash_chain_broken(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[11];
    fixed_journal(fixture, "chain", 10, dir, path, offsets);
    uint64_t size = file_size(path);
    /* A CRC-valid record that does not chain: written that way, never torn. */
    file_flip_bit(path, offsets[4] + JOURNAL_REC_PREV_HASH + 17, 5);
    record_fix_crc(path, offsets[4]);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[4], 5, "hash chain");
    file_flip_bit(path, offsets[4] + JOURNAL_REC_PREV_HASH + 17, 5);
    record_fix_crc(path, offsets[4]);
    journal_close(open_expect(dir, gen_fixed, (struct open_args){.read_only = true}, 10));

    /* The same on the very last record is corruption too, not a torn tail. */
    file_flip_bit(path, offsets[9] + JOURNAL_REC_PREV_HASH, 0);
    record_fix_crc(path, offsets[9]);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[9], 10, "hash chain");
    assert_int_equal(file_size(path), size);
}

static void test_sequence_and_reserved(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[11];
    fixed_journal(fixture, "sequence", 10, dir, path, offsets);
    uint8_t field[8];
    bytes_le64_store(field, 6);
    file_write_at(path, offsets[4] + JOURNAL_REC_SEQUENCE, field, 8);
    record_fix_crc(path, offsets[4]);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[4], 5, "sequence gap");
    bytes_le64_store(field, 5);
    file_write_at(path, offsets[4] + JOURNAL_REC_SEQUENCE, field, 8);
    record_fix_crc(path, offsets[4]);

    bytes_le32_store(field, 1);
    file_write_at(path, offsets[2] + JOURNAL_REC_RESERVED, field, 4);
    record_fix_crc(path, offsets[2]);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[2], 3, "reserved field");
}

static void test_unknown_versions(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[4];
    fixed_journal(fixture, "version", 3, dir, path, offsets);
    /* A newer version, and format 1 (records on 8-byte boundaries, before O_DIRECT):
     * both are refused as versions, not as damage. */
    uint8_t field[2];
    static const uint16_t versions[] = {JOURNAL_FORMAT_VERSION + 1, 1};
    for (size_t index = 0; index < COUNT(versions); index++) {
        bytes_le16_store(field, versions[index]);
        file_write_at(path, JOURNAL_SEG_VERSION, field, 2);
        segment_fix_crc(path);
        char version[64];
        (void)snprintf(version, sizeof(version), "unsupported segment format version %u",
                       (unsigned)versions[index]);
        const char *const segment_needles[] = {FIRST_SEGMENT, version};
        open_expect_error(dir, TPW_ERR_JOURNAL_VERSION, segment_needles, COUNT(segment_needles));
    }
    bytes_le16_store(field, JOURNAL_FORMAT_VERSION);
    file_write_at(path, JOURNAL_SEG_VERSION, field, 2);
    segment_fix_crc(path);

    bytes_le16_store(field, JOURNAL_FORMAT_VERSION + 1);
    file_write_at(path, offsets[1] + JOURNAL_REC_VERSION, field, 2);
    record_fix_crc(path, offsets[1]);
    char where[64];
    (void)snprintf(where, sizeof(where), "offset %" PRIu64 " sequence 2:", offsets[1]);
    char version[64];
    (void)snprintf(version, sizeof(version), "unsupported record format version %u",
                   JOURNAL_FORMAT_VERSION + 1);
    const char *const record_needles[] = {where, version};
    open_expect_error(dir, TPW_ERR_JOURNAL_VERSION, record_needles, COUNT(record_needles));
}

/* ------------------------------------------------------------------------------------
 * Corruption across segments
 * ------------------------------------------------------------------------------------ */

static void segmented_journal(const struct fixture *fixture, const char *name, char *dir)
{
    path_join(dir, fixture->root, name);
    struct tpw_error_detail detail = {0};
    assert_err(journal_create(dir, LEDGER_ID, &detail), TPW_OK);
    journal_fill(dir, gen_fixed, 9, THREE_PER_SEGMENT);
    uint64_t sequences[4];
    assert_int_equal(segments_of(dir, sequences, 4), 3);
    assert_int_equal(sequences[1], 4);
    assert_int_equal(sequences[2], 7);
}

static void test_damage_in_earlier_segment(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    /* A torn-looking end is corruption anywhere but in the last segment. */
    segmented_journal(fixture, "cut", dir);
    segment_path(path, dir, 4);
    uint64_t offsets[4];
    assert_int_equal(record_offsets(path, offsets, 4), 3);
    file_truncate(path, offsets[2] + 100);
    expect_corrupt_at(dir, "00000000000000000004.tpj", offsets[2], 6, "incomplete record");

    segmented_journal(fixture, "flip", dir);
    segment_path(path, dir, 4);
    file_flip_bit(path, offsets[2] + JOURNAL_RECORD_HEADER_BYTES + 5, 2);
    expect_corrupt_at(dir, "00000000000000000004.tpj", offsets[2], 6, "crc32c mismatch");
}

static void test_sequence_gap_across_segments(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    segmented_journal(fixture, "gap", dir);
    /* Segment 7 renamed to 8 with a header (CRC-valid) that agrees. */
    char from[PATH_SIZE];
    char to[PATH_SIZE];
    segment_path(from, dir, 7);
    segment_path(to, dir, 8);
    assert_int_equal(rename(from, to), 0);
    uint8_t field[8];
    bytes_le64_store(field, 8);
    file_write_at(to, JOURNAL_SEG_FIRST_SEQUENCE, field, 8);
    segment_fix_crc(to);
    expect_corrupt_at(dir, "00000000000000000008.tpj", 0, 7, "sequence gap");

    /* A name that disagrees with its header. */
    bytes_le64_store(field, 7);
    file_write_at(to, JOURNAL_SEG_FIRST_SEQUENCE, field, 8);
    segment_fix_crc(to);
    expect_corrupt_at(dir, "00000000000000000008.tpj", JOURNAL_SEG_FIRST_SEQUENCE, 7,
                      "differs from the file name");
}

static void test_missing_segments(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    segmented_journal(fixture, "middle", dir);
    segment_path(path, dir, 4);
    assert_int_equal(unlink(path), 0);
    expect_corrupt_at(dir, "00000000000000000007.tpj", 0, 4, "sequence gap");

    segmented_journal(fixture, "first", dir);
    segment_path(path, dir, 1);
    assert_int_equal(unlink(path), 0);
    expect_corrupt_at(dir, "00000000000000000004.tpj", 0, 1, "sequence gap");
}

static void file_copy(const char *from, const char *to)
{
    uint64_t size = file_size(from);
    uint8_t *bytes = malloc(size);
    assert_non_null(bytes);
    file_read_at(from, 0, bytes, size);
    file_truncate(to, 0);
    file_write_at(to, 0, bytes, size);
    free(bytes);
}

static void test_foreign_segment(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    segmented_journal(fixture, "ours", dir);
    /* Another ledger with the same shape: its segment 4 fits by name and sequence. */
    char other[PATH_SIZE];
    path_join(other, fixture->root, "theirs");
    struct tpw_error_detail detail = {0};
    assert_err(journal_create(other, LEDGER_ID + 1, &detail), TPW_OK);
    struct journal_options options = {.dir = other, .segment_size_bytes = THREE_PER_SEGMENT};
    struct journal *journal = NULL;
    assert_err(journal_open(&options, NULL, NULL, &journal, &detail), TPW_OK);
    append_many(journal, gen_fixed, 9);
    journal_close(journal);

    char ours[PATH_SIZE];
    char theirs[PATH_SIZE];
    segment_path(ours, dir, 4);
    segment_path(theirs, other, 4);
    file_copy(theirs, ours);
    expect_corrupt_at(dir, "00000000000000000004.tpj", JOURNAL_SEG_LEDGER_ID, 4,
                      "foreign segment: ledger id 0x0123456789abcdeffedcba9876543211, "
                      "expected 0x0123456789abcdeffedcba9876543210");
}

static void test_segment_header_damage(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    segmented_journal(fixture, "prev", dir);
    segment_path(path, dir, 7);
    /* CRC-valid header whose prev_hash does not match segment 4's last record. */
    file_flip_bit(path, JOURNAL_SEG_PREV_HASH + 3, 6);
    segment_fix_crc(path);
    expect_corrupt_at(dir, "00000000000000000007.tpj", JOURNAL_SEG_PREV_HASH, 7, "hash chain");

    /* A damaged header, even the last segment's, is never a torn tail: segments
     * appear whole (written as .tmp, then renamed). */
    segmented_journal(fixture, "crc", dir);
    segment_path(path, dir, 7);
    file_flip_bit(path, JOURNAL_SEG_LEDGER_ID, 0);
    expect_corrupt_at(dir, "00000000000000000007.tpj", 0, 7, "segment header crc32c mismatch");
    file_flip_bit(path, JOURNAL_SEG_LEDGER_ID, 0);
    file_flip_bit(path, JOURNAL_SEG_MAGIC, 0);
    expect_corrupt_at(dir, "00000000000000000007.tpj", 0, 7, "bad segment magic");
    file_flip_bit(path, JOURNAL_SEG_MAGIC, 0);
    file_truncate(path, 50);
    expect_corrupt_at(dir, "00000000000000000007.tpj", 0, 7, "incomplete segment header");
}

/* The ledger's first record chains to the first header: a header (and so a ledger id)
 * swapped under the records breaks the chain at record 1. */
static void test_first_segment_prev_hash(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[4];
    fixed_journal(fixture, "genesis", 3, dir, path, offsets);
    uint8_t field[16];
    bytes_le128_store(field, LEDGER_ID + 7);
    file_write_at(path, JOURNAL_SEG_LEDGER_ID, field, 16);
    segment_fix_crc(path);
    expect_corrupt_at(dir, FIRST_SEGMENT, offsets[0], 1, "hash chain");

    bytes_le128_store(field, LEDGER_ID);
    file_write_at(path, JOURNAL_SEG_LEDGER_ID, field, 16);
    file_flip_bit(path, JOURNAL_SEG_PREV_HASH, 0);
    segment_fix_crc(path);
    expect_corrupt_at(dir, FIRST_SEGMENT, JOURNAL_SEG_PREV_HASH, 1, "prev_hash is not zero");
}

/* ------------------------------------------------------------------------------------
 * Resuming from a checkpoint
 * ------------------------------------------------------------------------------------ */

/* Every record's hash as journal_record.hash reports it during a full replay. */
struct hashes {
    uint64_t count;
    uint8_t hash[16][JOURNAL_HASH_BYTES]; /* [sequence - 1] */
};

static enum tpw_err hashes_apply(void *ctx, const struct journal_record *record,
                                 struct tpw_error_detail *detail)
{
    (void)detail;
    struct hashes *hashes = ctx;
    assert_int_equal(record->sequence, hashes->count + 1);
    assert_true(hashes->count < COUNT(hashes->hash));
    memcpy(hashes->hash[hashes->count], record->hash, JOURNAL_HASH_BYTES);
    hashes->count++;
    return TPW_OK;
}

/* Replays `dir` in full, read-only, into `hashes`. */
static void hashes_read(const char *dir, struct hashes *hashes)
{
    memset(hashes, 0, sizeof(*hashes));
    struct journal_options options = {.dir = dir, .read_only = true};
    struct journal *journal = NULL;
    struct tpw_error_detail detail = {0};
    assert_err(journal_open(&options, hashes_apply, hashes, &journal, &detail), TPW_OK);
    assert_int_equal(journal_last_sequence(journal), hashes->count);
    journal_close(journal);
}

/* What a checkpoint records, and what a resumed open must reproduce exactly. */
struct end_state {
    uint64_t last_sequence;
    uint64_t size_bytes;
    uint8_t last_hash[JOURNAL_HASH_BYTES];
};

static struct end_state end_state_of(const struct journal *journal)
{
    struct end_state end = {
        .last_sequence = journal_last_sequence(journal),
        .size_bytes = journal_size_bytes(journal),
    };
    journal_last_hash(journal, end.last_hash);
    return end;
}

static void end_state_expect(struct end_state actual, struct end_state expected)
{
    assert_int_equal(actual.last_sequence, expected.last_sequence);
    assert_int_equal(actual.size_bytes, expected.size_bytes);
    assert_memory_equal(actual.last_hash, expected.last_hash, JOURNAL_HASH_BYTES);
}

/* Opens `dir` (gen_fixed records 1 … `last`) resuming after record `sequence`, whose
 * hash comes from a full replay: records sequence + 1 … last must be applied in order
 * (open_expect checks each), and sequence, hash and size must equal a full open's.
 * Returns the resumed journal. */
static struct journal *resume_expect(const char *dir, struct open_args args, uint64_t sequence,
                                     uint64_t last)
{
    print_message("resume %s after %" PRIu64 "\n", dir, sequence);
    struct hashes hashes;
    hashes_read(dir, &hashes);
    assert_int_equal(hashes.count, last);
    struct journal *full = open_expect(dir, gen_fixed, (struct open_args){.read_only = true}, last);
    struct end_state expected = end_state_of(full);
    journal_close(full);

    struct journal_resume resume = {.sequence = sequence};
    if (sequence > 0) {
        memcpy(resume.hash, hashes.hash[sequence - 1], JOURNAL_HASH_BYTES);
    }
    args.resume = &resume; /* read during the open only */
    struct journal *journal = open_expect(dir, gen_fixed, args, last);
    end_state_expect(end_state_of(journal), expected);
    return journal;
}

/* Opens `dir` resuming at (`sequence`, `hash`), expecting TPW_ERR_CHECKPOINT_MISMATCH
 * with exactly `message` and nothing applied; returns detail.offset_bytes. */
static size_t resume_expect_error(const char *dir, struct open_args args, uint64_t sequence,
                                  const uint8_t hash[JOURNAL_HASH_BYTES], const char *message)
{
    struct journal_resume resume = {.sequence = sequence};
    memcpy(resume.hash, hash, JOURNAL_HASH_BYTES);
    args.resume = &resume;
    struct journal *journal = NULL;
    uint64_t applied = 0;
    struct tpw_error_detail detail = {0};
    assert_err(open_collect(dir, gen_fixed, args, &journal, &applied, &detail),
               TPW_ERR_CHECKPOINT_MISMATCH);
    print_message("expected error: %s\n", detail.message);
    assert_null(journal);
    assert_int_equal(applied, 0);
    assert_string_equal(detail.message, message);
    return detail.offset_bytes;
}

/* Offset of the `index`th gen_fixed record (0-based) of a segment. */
static uint64_t fixed_offset(uint64_t index)
{
    return JOURNAL_SEGMENT_DATA_OFFSET + index * FIXED_PADDED;
}

static void files_expect_equal(const char *a, const char *b)
{
    uint64_t size = file_size(a);
    assert_int_equal(file_size(b), size);
    uint8_t *bytes_a = malloc(size);
    uint8_t *bytes_b = malloc(size);
    assert_non_null(bytes_a);
    assert_non_null(bytes_b);
    file_read_at(a, 0, bytes_a, size);
    file_read_at(b, 0, bytes_b, size);
    assert_memory_equal(bytes_a, bytes_b, size);
    free(bytes_a);
    free(bytes_b);
}

/* journal_record.hash and journal_last_hash() are the chain hashes as documented. */
static void test_record_hash_and_last_hash(void **state)
{
    struct fixture *fixture = *state;
    char path[PATH_SIZE];
    path_join(path, fixture->dir, FIRST_SEGMENT);
    uint8_t expected[JOURNAL_HASH_BYTES];
    uint8_t last[JOURNAL_HASH_BYTES];
    /* No records: the first header's hash, to which record 1 chains. */
    struct journal *journal = open_expect(fixture->dir, gen_fixed, (struct open_args){0}, 0);
    journal_last_hash(journal, last);
    hash_of(path, 0, JOURNAL_SEGMENT_HEADER_BYTES, expected);
    assert_memory_equal(last, expected, JOURNAL_HASH_BYTES);
    append_many(journal, gen_fixed, 5);
    journal_last_hash(journal, last);
    journal_close(journal);

    struct hashes hashes;
    hashes_read(fixture->dir, &hashes);
    assert_int_equal(hashes.count, 5);
    uint64_t offsets[6];
    assert_int_equal(record_offsets(path, offsets, 6), 5);
    for (size_t index = 0; index < 5; index++) {
        hash_of(path, offsets[index], FIXED_LENGTH, expected);
        assert_memory_equal(hashes.hash[index], expected, JOURNAL_HASH_BYTES);
    }
    /* After appending, after reopening, and as journal_verify reports it. */
    assert_memory_equal(last, hashes.hash[4], JOURNAL_HASH_BYTES);
    journal = open_expect(fixture->dir, gen_fixed, (struct open_args){0}, 5);
    journal_last_hash(journal, last);
    journal_close(journal);
    assert_memory_equal(last, hashes.hash[4], JOURNAL_HASH_BYTES);
    struct journal_verify_report report;
    struct tpw_error_detail detail = {0};
    assert_err(journal_verify(fixture->dir, &report, &detail), TPW_OK);
    assert_memory_equal(report.last_hash, hashes.hash[4], JOURNAL_HASH_BYTES);
}

/* Inside a segment: only the tail is applied, and the journal carries on exactly as one
 * opened in full does, down to the bytes it appends. */
static void test_resume_mid_segment(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    char twin_dir[PATH_SIZE];
    char twin_path[PATH_SIZE];
    uint64_t offsets[11];
    fixed_journal(fixture, "mid", 10, dir, path, offsets);
    fixed_journal(fixture, "twin", 10, twin_dir, twin_path, offsets);
    files_expect_equal(path, twin_path);

    struct journal *journal = resume_expect(dir, (struct open_args){0}, 6, 10);
    struct journal *twin = open_expect(twin_dir, gen_fixed, (struct open_args){0}, 10);
    append_many(journal, gen_fixed, 3);
    append_many(twin, gen_fixed, 3);
    end_state_expect(end_state_of(journal), end_state_of(twin));
    journal_close(journal);
    journal_close(twin);
    files_expect_equal(path, twin_path);
    journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 13));

    /* The first record, the ledger's start (sequence 0 reads everything), the last. */
    journal_close(resume_expect(dir, (struct open_args){0}, 1, 13));
    journal_close(resume_expect(dir, (struct open_args){0}, 0, 13));
    journal_close(resume_expect(dir, (struct open_args){.read_only = true}, 12, 13));
}

/* Segments starting at S + 1: the earlier ones are skipped, and the header's prev_hash
 * is where the checkpoint's hash is checked. */
static void test_resume_segment_boundary(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    segmented_journal(fixture, "boundary", dir);
    struct open_args args = {.segment_size_bytes = THREE_PER_SEGMENT};
    journal_close(resume_expect(dir, args, 3, 9));
    journal_close(resume_expect(dir, args, 6, 9));
    /* Inside segment 4 (segment 1 skipped), and inside the last one. */
    journal_close(resume_expect(dir, args, 5, 9));
    journal_close(resume_expect(dir, args, 8, 9));

    struct journal *journal = resume_expect(dir, args, 6, 9);
    append_many(journal, gen_fixed, 4); /* segment 7 is full: 10 … 12 and 13 roll */
    journal_close(journal);
    uint64_t sequences[8];
    assert_int_equal(segments_of(dir, sequences, 8), 5);
    assert_int_equal(sequences[3], 10);
    assert_int_equal(sequences[4], 13);
    journal_close(resume_expect(dir, args, 12, 13));
    journal_close(resume_expect(dir, args, 9, 13));
}

/* At the last record nothing is applied; appending carries on, also when the segment
 * that starts at S + 1 holds no record yet. */
static void test_resume_last_record(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    segmented_journal(fixture, "last", dir);
    struct open_args args = {.segment_size_bytes = THREE_PER_SEGMENT};
    struct journal *journal = resume_expect(dir, args, 9, 9);
    append_many(journal, gen_fixed, 1);
    journal_close(journal);
    uint64_t sequences[8];
    assert_int_equal(segments_of(dir, sequences, 8), 4);
    assert_int_equal(sequences[3], 10);

    /* Record 10 torn off by a full open: segment 10 is a bare header after record 9. */
    segment_path(path, dir, 10);
    file_truncate(path, JOURNAL_SEGMENT_DATA_OFFSET + 100);
    journal_close(open_expect(dir, gen_fixed, args, 9));
    assert_int_equal(file_size(path), JOURNAL_SEGMENT_DATA_OFFSET);
    journal = resume_expect(dir, args, 9, 9);
    append_many(journal, gen_fixed, 2);
    journal_close(journal);
    assert_int_equal(segments_of(dir, sequences, 8), 4);
    journal_close(open_expect(dir, gen_fixed, args, 11));
}

static void test_resume_hash_mismatch(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    segmented_journal(fixture, "mismatch", dir);
    struct hashes hashes;
    hashes_read(dir, &hashes);
    struct open_args args = {0};
    char message[TPW_ERROR_MESSAGE_SIZE];
    /* In the middle of a segment: record 5's hash. */
    (void)snprintf(message, sizeof(message),
                   "the checkpoint at sequence 5 does not match the journal (hash differs at "
                   "00000000000000000004.tpj offset %" PRIu64 ")",
                   fixed_offset(1));
    assert_int_equal(resume_expect_error(dir, args, 5, hashes.hash[3], message), fixed_offset(1));
    /* At a boundary: segment 7's prev_hash stands for record 6. */
    assert_int_equal(resume_expect_error(dir, args, 6, hashes.hash[4],
                                         "the checkpoint at sequence 6 does not match the journal "
                                         "(hash differs at 00000000000000000007.tpj offset 40)"),
                     JOURNAL_SEG_PREV_HASH);
    /* In the first segment, and at the last record. */
    (void)snprintf(message, sizeof(message),
                   "the checkpoint at sequence 2 does not match the journal (hash differs at "
                   "00000000000000000001.tpj offset %" PRIu64 ")",
                   fixed_offset(1));
    (void)resume_expect_error(dir, args, 2, hashes.hash[2], message);
    (void)snprintf(message, sizeof(message),
                   "the checkpoint at sequence 9 does not match the journal (hash differs at "
                   "00000000000000000007.tpj offset %" PRIu64 ")",
                   fixed_offset(2));
    args.read_only = true;
    (void)resume_expect_error(dir, args, 9, hashes.hash[7], message);
    /* Nothing was changed: the right hashes open. */
    journal_close(resume_expect(dir, (struct open_args){0}, 5, 9));
    journal_close(resume_expect(dir, (struct open_args){0}, 6, 9));
}

/* A journal that stops before the checkpoint has lost acknowledged records. */
static void test_resume_beyond_end(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    segmented_journal(fixture, "beyond", dir);
    struct hashes hashes;
    hashes_read(dir, &hashes);
    (void)resume_expect_error(
        dir, (struct open_args){0}, 10, hashes.hash[8],
        "the journal ends at sequence 9, before the checkpoint's sequence 10");
    (void)resume_expect_error(dir, (struct open_args){.read_only = true}, 1000, hashes.hash[8],
                              "the journal ends at sequence 9, before the checkpoint's "
                              "sequence 1000");
    /* Cut at a record boundary (clean framing: no torn tail), then a segment lost. */
    segment_path(path, dir, 7);
    file_truncate(path, fixed_offset(1));
    (void)resume_expect_error(dir, (struct open_args){0}, 8, hashes.hash[7],
                              "the journal ends at sequence 7, before the checkpoint's sequence 8");
    assert_int_equal(unlink(path), 0);
    (void)resume_expect_error(dir, (struct open_args){0}, 7, hashes.hash[6],
                              "the journal ends at sequence 6, before the checkpoint's sequence 7");
}

/*
 * Skipped segments are not read, so damage inside them goes unnoticed by a resumed open
 * and is reported by journal_verify. That is the intended trade-off: recovery reads only
 * the tail, and `tpwallet journal verify` is the end-to-end check. What needs no reading
 * is still checked: the first segment's header and every segment file's type and size.
 */
static void test_resume_skips_segments(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    segmented_journal(fixture, "skipped", dir);
    struct hashes hashes;
    hashes_read(dir, &hashes);
    struct journal_resume resume = {.sequence = 6};
    memcpy(resume.hash, hashes.hash[5], JOURNAL_HASH_BYTES);
    struct open_args args = {.resume = &resume};
    segment_path(path, dir, 4);
    file_flip_bit(path, fixed_offset(1) + JOURNAL_RECORD_HEADER_BYTES + 10, 1);
    struct journal *journal = open_expect(dir, gen_fixed, args, 9);
    uint64_t sequences[4];
    assert_int_equal(segments_of(dir, sequences, 4), 3);
    assert_int_equal(journal_size_bytes(journal), segments_bytes(dir, sequences, 3));
    journal_close(journal);
    expect_corrupt_at(dir, "00000000000000000004.tpj", fixed_offset(1), 5, "crc32c mismatch");
    /* Resuming inside the damaged segment reads it, and says the same. */
    resume.sequence = 4;
    memcpy(resume.hash, hashes.hash[3], JOURNAL_HASH_BYTES);
    struct journal_options options = {.dir = dir, .resume = &resume};
    struct tpw_error_detail detail = {0};
    assert_err(journal_open(&options, NULL, NULL, &journal, &detail), TPW_ERR_JOURNAL_CORRUPT);
    char expected[128];
    (void)snprintf(expected, sizeof(expected),
                   "journal segment 00000000000000000004.tpj offset %" PRIu64
                   " sequence 5: crc32c mismatch",
                   fixed_offset(1));
    assert_non_null(strstr(detail.message, expected));
    /* Even a missing middle segment: the gap is only seen by reading segment 1's records. */
    assert_int_equal(unlink(path), 0);
    resume.sequence = 6;
    memcpy(resume.hash, hashes.hash[5], JOURNAL_HASH_BYTES);
    journal_close(open_expect(dir, gen_fixed, args, 9));
    expect_corrupt_at(dir, "00000000000000000007.tpj", 0, 4, "sequence gap");

    /* Checked without reading records: segment 1's header, the files' type and size. */
    segmented_journal(fixture, "header", dir);
    segment_path(path, dir, 1);
    file_flip_bit(path, JOURNAL_SEG_LEDGER_ID, 0);
    assert_err(journal_open(&options, NULL, NULL, &journal, &detail), TPW_ERR_JOURNAL_CORRUPT);
    assert_non_null(strstr(detail.message, "journal segment 00000000000000000001.tpj offset 0 "
                                           "sequence 1: segment header crc32c mismatch"));
    segmented_journal(fixture, "short", dir);
    segment_path(path, dir, 4);
    file_truncate(path, 50);
    assert_err(journal_open(&options, NULL, NULL, &journal, &detail), TPW_ERR_JOURNAL_CORRUPT);
    assert_string_equal(detail.message, "journal segment 00000000000000000004.tpj offset 0 "
                                        "sequence 4: incomplete segment header (50 of 512 bytes)");
    assert_int_equal(unlink(path), 0);
    assert_int_equal(mkdir(path, 0700), 0);
    assert_err(journal_open(&options, NULL, NULL, &journal, &detail), TPW_ERR_JOURNAL_CORRUPT);
    assert_string_equal(detail.message, "journal segment 00000000000000000004.tpj offset 0 "
                                        "sequence 4: not a regular file");
}

/* After the resume point the torn-tail rule is unchanged. A damaged last record that the
 * checkpoint includes is not torn: it was acknowledged, so it is a mismatch, and the
 * bytes stay for inspection. */
static void test_resume_torn_tail(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[6];
    fixed_journal(fixture, "after", 5, dir, path, offsets);
    file_truncate(path, offsets[4] + 500);
    struct log_capture capture;
    log_capture_start(&capture);
    journal_close(resume_expect(dir, (struct open_args){0}, 3, 4));
    log_capture_expect(&capture, "\"action\":\"truncated\"");
    log_capture_free(&capture);
    assert_int_equal(file_size(path), offsets[4]);

    fixed_journal(fixture, "included", 5, dir, path, offsets);
    struct hashes hashes;
    hashes_read(dir, &hashes);
    file_truncate(path, offsets[4] + 500);
    static const char message[] =
        "the journal ends at sequence 4, before the checkpoint's sequence 5";
    (void)resume_expect_error(dir, (struct open_args){0}, 5, hashes.hash[4], message);
    assert_int_equal(file_size(path), offsets[4] + 500);
    (void)resume_expect_error(dir, (struct open_args){.read_only = true}, 5, hashes.hash[4],
                              message);
    assert_int_equal(file_size(path), offsets[4] + 500);
}

/* ------------------------------------------------------------------------------------
 * Fault injection on the write path
 * ------------------------------------------------------------------------------------ */

enum write_fault {
    WRITE_PASS,
    WRITE_SHORT_ALWAYS,     /* every call writes half of what it is asked */
    WRITE_SHORT_ONCE,       /* the next call writes half, later ones all */
    WRITE_HALF_THEN_ENOSPC, /* half, then ENOSPC */
    WRITE_ENOSPC,
};

/* The journal starts its worker with pthread_create, which this test wraps (the link
 * has -Wl,--wrap=pthread_create) so that a test can make it fail, as it does when a
 * process is out of threads. */
static bool g_refuse_threads;
int __real_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg);
int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg);
int __wrap_pthread_create(pthread_t *thread, const pthread_attr_t *attr, void *(*start)(void *),
                          void *arg)
{
    if (g_refuse_threads) {
        return EAGAIN;
    }
    return __real_pthread_create(thread, attr, start, arg);
}

/* The journal turns O_DIRECT on with fcntl(F_GETFL) and fcntl(F_SETFL, flags), which
 * this test wraps (the link has -Wl,--wrap=fcntl) so that a test can refuse it, as
 * tmpfs before Linux 6.6 and some network file systems do. The journal's other call is
 * F_DUPFD_CLOEXEC; every command it uses takes an int, except F_GETFL. */
static bool g_refuse_direct;
int __real_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...);
int __wrap_fcntl(int fd, int cmd, ...)
{
    if (cmd == F_GETFL) {
        return __real_fcntl(fd, cmd);
    }
    va_list args;
    va_start(args, cmd);
    int value = va_arg(args, int);
    va_end(args);
    if (g_refuse_direct && cmd == F_SETFL && (value & O_DIRECT) != 0) {
        errno = EINVAL;
        return -1;
    }
    return __real_fcntl(fd, cmd, value);
}

struct fault {
    pthread_t pwritev_thread; /* which thread made the last call */
    pthread_t fdatasync_thread;
    enum write_fault write;
    int fdatasync_errno; /* the next fdatasync fails with this; 0 = none */
    int pwritev_calls;
    int fdatasync_calls;
    int ftruncate_calls;
    off_t truncated_to;
};

/* Writes the first `bytes` of `iov` for real, rounded down to whole blocks: segments
 * are open with O_DIRECT, which writes nothing else (and a disk's partial O_DIRECT
 * write is whole blocks too). */
static ssize_t write_prefix(int fd, const struct iovec *iov, int iovcnt, off_t offset, size_t bytes)
{
    bytes -= bytes % JOURNAL_BLOCK_BYTES;
    struct iovec part[8];
    int count = 0;
    for (int index = 0; index < iovcnt && index < 8 && bytes > 0; index++) {
        part[count] = iov[index];
        if (part[count].iov_len > bytes) {
            part[count].iov_len = bytes;
        }
        bytes -= part[count].iov_len;
        count++;
    }
    return count == 0 ? 0 : pwritev(fd, part, count, offset);
}

static ssize_t fault_pwritev(void *ctx, int fd, const struct iovec *iov, int iovcnt, off_t offset)
{
    struct fault *fault = ctx;
    fault->pwritev_calls++;
    fault->pwritev_thread = pthread_self();
    size_t total = 0;
    for (int index = 0; index < iovcnt; index++) {
        total += iov[index].iov_len;
    }
    switch (fault->write) {
    case WRITE_PASS:
        break;
    case WRITE_SHORT_ALWAYS:
        return write_prefix(fd, iov, iovcnt, offset, total / 2);
    case WRITE_SHORT_ONCE:
        fault->write = WRITE_PASS;
        return write_prefix(fd, iov, iovcnt, offset, total / 2);
    case WRITE_HALF_THEN_ENOSPC:
        fault->write = WRITE_ENOSPC;
        return write_prefix(fd, iov, iovcnt, offset, total / 2);
    case WRITE_ENOSPC:
        errno = ENOSPC;
        return -1;
    }
    return pwritev(fd, iov, iovcnt, offset);
}

static int fault_fdatasync(void *ctx, int fd)
{
    struct fault *fault = ctx;
    fault->fdatasync_calls++;
    fault->fdatasync_thread = pthread_self();
    if (fault->fdatasync_errno != 0) {
        errno = fault->fdatasync_errno;
        fault->fdatasync_errno = 0;
        return -1;
    }
    return fdatasync(fd);
}

static int fault_ftruncate(void *ctx, int fd, off_t length)
{
    struct fault *fault = ctx;
    fault->ftruncate_calls++;
    fault->truncated_to = length;
    return ftruncate(fd, length);
}

/* append_one() in two halves: the worker writes while this thread could work. Start
 * only checks (the record goes to the worker), so a write or sync failure shows in
 * finish. */
static enum tpw_err append_one_split(struct journal *journal, struct gen gen, uint8_t *scratch,
                                     struct tpw_error_detail *detail)
{
    uint64_t sequence = journal_last_sequence(journal) + 1;
    struct expected e = expected_make(gen, sequence, scratch);
    enum tpw_err err = journal_append_start(journal, e.type, e.timestamp, e.item_count, scratch,
                                            e.payload_bytes, detail);
    return err != TPW_OK ? err : journal_append_finish(journal, detail);
}

typedef enum tpw_err (*append_fn)(struct journal *journal, struct gen gen, uint8_t *scratch,
                                  struct tpw_error_detail *detail);

/* Three good appends, then one under `write`/`sync_errno` that must fail with
 * `expected` and a message containing `reason`, which is copied to `message`;
 * afterwards the file holds exactly the three, the handle is poisoned, and a reopened
 * journal carries on. `append` is append_one or append_one_split. */
static void fault_scenario(const struct fixture *fixture, const char *name, enum write_fault write,
                           int sync_errno, enum tpw_err expected, const char *reason,
                           append_fn append, char message[TPW_ERROR_MESSAGE_SIZE])
{
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[4];
    fixed_journal(fixture, name, 3, dir, path, offsets);
    print_message("fault scenario %s\n", name);
    struct fault fault = {0};
    struct journal_io io = {fault_pwritev, fault_fdatasync, fault_ftruncate, &fault};
    struct journal *journal = open_expect(dir, gen_fixed, (struct open_args){.io = &io}, 3);
    uint64_t acknowledged = journal_size_bytes(journal);
    assert_int_equal(file_size(path), acknowledged);

    fault.write = write;
    fault.fdatasync_errno = sync_errno;
    uint8_t *scratch = malloc(gen_fixed.max_bytes);
    assert_non_null(scratch);
    struct tpw_error_detail detail = {0};
    assert_err(append(journal, gen_fixed, scratch, &detail), expected);
    print_message("error: %s\n", detail.message);
    assert_non_null(strstr(detail.message, "sequence 4:"));
    assert_non_null(strstr(detail.message, reason));
    memcpy(message, detail.message, TPW_ERROR_MESSAGE_SIZE);
    /* Cut back to the acknowledged end, and nothing else is accepted, either way. */
    assert_int_equal(fault.ftruncate_calls, 1);
    assert_int_equal(fault.truncated_to, (off_t)acknowledged);
    assert_int_equal(file_size(path), acknowledged);
    assert_int_equal(journal_last_sequence(journal), 3);
    fault.write = WRITE_PASS;
    assert_err(append_one(journal, gen_fixed, scratch, &detail), TPW_ERR_LEDGER_FAILED);
    assert_err(append_one_split(journal, gen_fixed, scratch, &detail), TPW_ERR_LEDGER_FAILED);
    assert_int_equal(file_size(path), acknowledged);
    journal_close(journal);
    free(scratch);

    journal = open_expect(dir, gen_fixed, (struct open_args){0}, 3);
    append_many(journal, gen_fixed, 1);
    journal_close(journal);
    journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 4));
}

/* Each fault once through journal_append() and once through start and finish: the
 * same error and, the journals being alike, the very same message. */
static void test_fault_write_and_sync(void **state)
{
    struct fixture *fixture = *state;
    static const struct {
        const char *name;
        const char *split_name;
        enum write_fault write;
        int sync_errno;
        enum tpw_err expected;
        const char *reason;
    } cases[] = {
        {"short", "short-split", WRITE_SHORT_ALWAYS, 0, TPW_ERR_IO,
         "short write (1024 of 1536 bytes written)"},
        {"enospc", "enospc-split", WRITE_ENOSPC, 0, TPW_ERR_JOURNAL_FULL,
         "write failed: No space left on device"},
        {"half-enospc", "half-enospc-split", WRITE_HALF_THEN_ENOSPC, 0, TPW_ERR_JOURNAL_FULL,
         "write failed: No space left on device"},
        {"fdatasync", "fdatasync-split", WRITE_PASS, EIO, TPW_ERR_JOURNAL_SYNC,
         "fdatasync failed: Input/output error"},
    };
    for (size_t index = 0; index < COUNT(cases); index++) {
        char whole[TPW_ERROR_MESSAGE_SIZE];
        char split[TPW_ERROR_MESSAGE_SIZE];
        fault_scenario(fixture, cases[index].name, cases[index].write, cases[index].sync_errno,
                       cases[index].expected, cases[index].reason, append_one, whole);
        fault_scenario(fixture, cases[index].split_name, cases[index].write,
                       cases[index].sync_errno, cases[index].expected, cases[index].reason,
                       append_one_split, split);
        assert_string_equal(whole, split);
    }
}

/* Start and finish around other work, across segment rolls and mixed with whole
 * appends: the records read back byte for byte, and the write and the sync ran on
 * the journal's worker, not on this thread. */
static void test_append_start_finish(void **state)
{
    struct fixture *fixture = *state;
    struct fault fault = {0};
    struct journal_io io = {fault_pwritev, fault_fdatasync, fault_ftruncate, &fault};
    struct open_args args = {.segment_size_bytes = THREE_PER_SEGMENT, .io = &io};
    struct journal *journal = open_expect(fixture->dir, gen_fixed, args, 0);
    uint8_t *scratch = malloc(gen_fixed.max_bytes);
    assert_non_null(scratch);
    for (uint64_t sequence = 1; sequence <= 10; sequence++) {
        struct expected e = expected_make(gen_fixed, sequence, scratch);
        struct tpw_error_detail detail = {0};
        assert_err(journal_append_start(journal, e.type, e.timestamp, e.item_count, scratch,
                                        e.payload_bytes, &detail),
                   TPW_OK);
        /* This thread's own work would go here; the payload must stay as it is. */
        assert_err(journal_append_finish(journal, &detail), TPW_OK);
        assert_int_equal(journal_last_sequence(journal), sequence);
        assert_false(pthread_equal(fault.pwritev_thread, pthread_self()));
        assert_false(pthread_equal(fault.fdatasync_thread, pthread_self()));
        if (sequence % 4 == 0) {
            append_many(journal, gen_fixed, 1);
            sequence++;
        }
    }
    free(scratch);
    assert_int_equal(fault.fdatasync_calls, 10 + 3); /* the records and three new segments */
    uint64_t size = journal_size_bytes(journal);
    journal_close(journal);

    args.io = NULL;
    journal = open_expect(fixture->dir, gen_fixed, args, 10);
    assert_int_equal(journal_size_bytes(journal), size);
    journal_close(journal);
    uint64_t sequences[8];
    assert_int_equal(segments_of(fixture->dir, sequences, 8), 4);
    struct journal_verify_report report;
    struct tpw_error_detail detail = {0};
    assert_err(journal_verify(fixture->dir, &report, &detail), TPW_OK);
    assert_int_equal(report.records, 10);
}

/* Without a worker thread (pthread_create refused) the journal writes and syncs on the
 * calling thread: the same records, and a failure reported the same way. */
static void test_append_without_a_worker(void **state)
{
    struct fixture *fixture = *state;
    g_refuse_threads = true;
    struct fault fault = {0};
    struct journal_io io = {fault_pwritev, fault_fdatasync, fault_ftruncate, &fault};
    struct open_args args = {.segment_size_bytes = THREE_PER_SEGMENT, .io = &io};
    struct journal *journal = open_expect(fixture->dir, gen_fixed, args, 0);
    uint8_t *scratch = malloc(gen_fixed.max_bytes);
    assert_non_null(scratch);
    struct tpw_error_detail detail = {0};
    for (uint64_t sequence = 1; sequence <= 7; sequence++) {
        assert_err(append_one_split(journal, gen_fixed, scratch, &detail), TPW_OK);
        assert_true(pthread_equal(fault.pwritev_thread, pthread_self()));
        assert_true(pthread_equal(fault.fdatasync_thread, pthread_self()));
    }
    fault.fdatasync_errno = EIO;
    assert_err(append_one_split(journal, gen_fixed, scratch, &detail), TPW_ERR_JOURNAL_SYNC);
    assert_non_null(strstr(detail.message, "sequence 8:"));
    assert_non_null(strstr(detail.message, "fdatasync failed: Input/output error"));
    assert_err(append_one(journal, gen_fixed, scratch, &detail), TPW_ERR_LEDGER_FAILED);
    free(scratch);
    journal_close(journal);
    g_refuse_threads = false;

    args.io = NULL;
    journal_close(open_expect(fixture->dir, gen_fixed, args, 7));
    struct journal_verify_report report;
    assert_err(journal_verify(fixture->dir, &report, &detail), TPW_OK);
    assert_int_equal(report.records, 7);
}

/* Where the file system refuses O_DIRECT, the journal writes the same blocks through
 * the page cache: the same files, byte for byte, as with O_DIRECT. */
static void test_appends_without_direct(void **state)
{
    struct fixture *fixture = *state;
    char direct_dir[PATH_SIZE];
    char buffered_dir[PATH_SIZE];
    path_join(direct_dir, fixture->root, "direct");
    path_join(buffered_dir, fixture->root, "buffered");
    struct tpw_error_detail detail = {0};
    struct open_args args = {.segment_size_bytes = THREE_PER_SEGMENT};
    const char *dirs[] = {direct_dir, buffered_dir};
    for (size_t index = 0; index < COUNT(dirs); index++) {
        g_refuse_direct = index == 1;
        assert_err(journal_create(dirs[index], LEDGER_ID, &detail), TPW_OK);
        struct journal *journal = open_expect(dirs[index], gen_fixed, args, 0);
        if (g_refuse_direct) {
            assert_false(journal->direct);
        }
        append_many(journal, gen_fixed, 7);
        assert_true(!g_refuse_direct || !journal->direct); /* after the rolls too */
        journal_close(journal);
    }
    g_refuse_direct = false;
    uint64_t sequences[4];
    assert_int_equal(segments_of(buffered_dir, sequences, 4), 3);
    for (size_t index = 0; index < 3; index++) {
        char direct_path[PATH_SIZE];
        char buffered_path[PATH_SIZE];
        segment_path(direct_path, direct_dir, sequences[index]);
        segment_path(buffered_path, buffered_dir, sequences[index]);
        assert_files_equal(direct_path, buffered_path);
    }
    journal_close(open_expect(buffered_dir, gen_fixed, args, 7));
}

static void test_fault_short_write_resumed(void **state)
{
    struct fixture *fixture = *state;
    char dir[PATH_SIZE];
    char path[PATH_SIZE];
    uint64_t offsets[4];
    fixed_journal(fixture, "resume", 3, dir, path, offsets);
    struct fault fault = {0};
    struct journal_io io = {fault_pwritev, fault_fdatasync, fault_ftruncate, &fault};
    struct journal *journal = open_expect(dir, gen_fixed, (struct open_args){.io = &io}, 3);
    fault.write = WRITE_SHORT_ONCE;
    append_many(journal, gen_fixed, 1);
    assert_int_equal(fault.pwritev_calls, 2); /* the rest was written by a second call */
    assert_int_equal(fault.fdatasync_calls, 1);
    assert_int_equal(fault.ftruncate_calls, 0);
    journal_close(journal);
    journal_close(open_expect(dir, gen_fixed, (struct open_args){0}, 4));
}

/* A failure while creating the next segment: nothing half-made stays behind. Split
 * into start and finish, the roll fails in start, which then hands nothing over. */
static void roll_scenario(const struct fixture *fixture, const char *name, enum write_fault write,
                          int sync_errno, enum tpw_err expected, append_fn append)
{
    char dir[PATH_SIZE];
    path_join(dir, fixture->root, name);
    struct tpw_error_detail detail = {0};
    assert_err(journal_create(dir, LEDGER_ID, &detail), TPW_OK);
    struct fault fault = {0};
    struct journal_io io = {fault_pwritev, fault_fdatasync, fault_ftruncate, &fault};
    struct open_args args = {.segment_size_bytes = THREE_PER_SEGMENT, .io = &io};
    struct journal *journal = open_expect(dir, gen_fixed, args, 0);
    append_many(journal, gen_fixed, 3);
    fault.write = write;
    fault.fdatasync_errno = sync_errno;
    uint8_t *scratch = malloc(gen_fixed.max_bytes);
    assert_non_null(scratch);
    assert_err(append(journal, gen_fixed, scratch, &detail), expected);
    print_message("roll error: %s\n", detail.message);
    assert_non_null(strstr(detail.message, "00000000000000000004.tpj offset 0 sequence 4:"));
    fault.write = WRITE_PASS;
    assert_err(append_one(journal, gen_fixed, scratch, &detail), TPW_ERR_LEDGER_FAILED);
    free(scratch);
    journal_close(journal);

    uint64_t sequences[4];
    assert_int_equal(segments_of(dir, sequences, 4), 1);
    char tmp[PATH_SIZE];
    path_join(tmp, dir, "00000000000000000004.tpj.tmp");
    struct stat st;
    assert_int_equal(stat(tmp, &st), -1);
    args.io = NULL;
    journal = open_expect(dir, gen_fixed, args, 3);
    append_many(journal, gen_fixed, 4);
    journal_close(journal);
    journal_close(open_expect(dir, gen_fixed, args, 7));
    assert_int_equal(segments_of(dir, sequences, 4), 3);
}

static void test_fault_segment_roll(void **state)
{
    struct fixture *fixture = *state;
    roll_scenario(fixture, "roll-enospc", WRITE_ENOSPC, 0, TPW_ERR_JOURNAL_FULL, append_one);
    roll_scenario(fixture, "roll-short", WRITE_SHORT_ALWAYS, 0, TPW_ERR_IO, append_one);
    roll_scenario(fixture, "roll-sync", WRITE_PASS, EIO, TPW_ERR_JOURNAL_SYNC, append_one);
    roll_scenario(fixture, "roll-sync-split", WRITE_PASS, EIO, TPW_ERR_JOURNAL_SYNC,
                  append_one_split);
}

/* ------------------------------------------------------------------------------------ */

int main(void)
{
    suite_seed = tpw_test_seed("test_journal", 20261124);
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(test_create_open_empty),
        T(test_missing_and_empty_dirs),
        T(test_direct_appends),
        T(test_round_trip_segments),
        T(test_chain_layout),
        T(test_largest_records),
        T(test_apply_error_stops_open),
        T(test_other_files_ignored),
        T(test_torn_tail_cut_points),
        T(test_torn_tail_garbage),
        T(test_torn_tail_read_only_and_verify),
        T(test_bit_flip_middle_payload),
        T(test_bit_flip_length),
        T(test_bit_flip_last_record),
        T(test_hash_chain_broken),
        T(test_sequence_and_reserved),
        T(test_unknown_versions),
        T(test_damage_in_earlier_segment),
        T(test_sequence_gap_across_segments),
        T(test_missing_segments),
        T(test_foreign_segment),
        T(test_segment_header_damage),
        T(test_first_segment_prev_hash),
        T(test_fault_write_and_sync),
        T(test_append_start_finish),
        T(test_append_without_a_worker),
        T(test_appends_without_direct),
        T(test_fault_short_write_resumed),
        T(test_fault_segment_roll),
        T(test_record_hash_and_last_hash),
        T(test_resume_mid_segment),
        T(test_resume_segment_boundary),
        T(test_resume_last_record),
        T(test_resume_hash_mismatch),
        T(test_resume_beyond_end),
        T(test_resume_skips_segments),
        T(test_resume_torn_tail),
    };
#undef T
    return cmocka_run_group_tests(tests, NULL, NULL);
}
