/*
 * The journal's read side: listing segments, opening (replay and torn-tail recovery)
 * and verification (journal.h; the layout is in journal_format.h).
 *
 * One walker serves journal_open() and journal_verify(). It reads each segment front to
 * back through a 2 MiB buffer (large reads, never one system call per record) and
 * checks, in order: the segment header (magic, version, CRC, ledger id, first
 * sequence, the hash of the previous segment's last record), then for every record its
 * framing (magic, length bounds, completeness, CRC32C, zero padding) and its contents
 * (version, reserved field, sequence = previous + 1, prev_hash = hash of the previous
 * record).
 *
 * Torn-tail rule. A record whose framing fails may be the remains of a write cut short
 * by a crash, but only at the very end of the journal. So when framing fails in the
 * last segment, the rest of that segment is searched for a record with a valid CRC at
 * any 8-byte boundary (records always start on one); if there is none, the damage is a
 * torn tail: the segment is truncated to the end of the last good record, fdatasync'd
 * and logged (read-only: left alone, and reading stops there). Everything else is
 * TPW_ERR_JOURNAL_CORRUPT: framing damage in an earlier segment or followed by a valid
 * record, and any record whose CRC is right but whose version, sequence or hash chain
 * is wrong (that was written that way; no crash produces it).
 */
#include "journal_format.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "crc32c.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

/* ------------------------------------------------------------------------------------
 * Listing segments
 * ------------------------------------------------------------------------------------ */

/* "<20 digits><suffix>" → the number; false for any other name (or a number > 2^64-1). */
static bool segment_name_parse(const char *name, const char *suffix, uint64_t *first_sequence)
{
    size_t suffix_len = strlen(suffix);
    if (strlen(name) != JOURNAL_SEGMENT_NAME_DIGITS + suffix_len ||
        strcmp(name + JOURNAL_SEGMENT_NAME_DIGITS, suffix) != 0) {
        return false;
    }
    tpw_u128 value = 0;
    if (tpw_u128_from_dec(name, JOURNAL_SEGMENT_NAME_DIGITS, &value) != TPW_OK ||
        value > UINT64_MAX) {
        return false;
    }
    *first_sequence = (uint64_t)value;
    return true;
}

static int sequence_compare(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a;
    uint64_t y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static enum tpw_err list_push(uint64_t **list, size_t *capacity, size_t *count, uint64_t value,
                              struct tpw_error_detail *detail)
{
    if (*count == *capacity) {
        if (*capacity >= JOURNAL_SEGMENTS_MAX) {
            return tpw_error_set(detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                                 "the journal directory holds more than %u segment files",
                                 JOURNAL_SEGMENTS_MAX);
        }
        size_t grown = *capacity == 0 ? 64 : *capacity * 2;
        uint64_t *bigger = realloc(*list, grown * sizeof(**list));
        if (bigger == NULL) {
            return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory listing segments");
        }
        *list = bigger;
        *capacity = grown;
    }
    (*list)[(*count)++] = value;
    return TPW_OK;
}

static enum tpw_err list_read(DIR *dir, int dir_fd, bool remove_tmp, uint64_t **list, size_t *count,
                              struct tpw_error_detail *detail)
{
    static const char tmp_suffix[] = JOURNAL_SEGMENT_SUFFIX JOURNAL_SEGMENT_TMP_SUFFIX;
    size_t capacity = 0;
    for (;;) {
        errno = 0;
        const struct dirent *entry = readdir(dir);
        if (entry == NULL) {
            int error_number = errno;
            if (error_number == 0) {
                return TPW_OK;
            }
            return tpw_error_set(detail, TPW_ERR_IO, 0, "cannot list the journal directory: %s",
                                 strerror(error_number));
        }
        uint64_t sequence = 0;
        if (remove_tmp && segment_name_parse(entry->d_name, tmp_suffix, &sequence)) {
            (void)unlinkat(dir_fd, entry->d_name, 0); /* an interrupted roll's leftover */
            continue;
        }
        if (segment_name_parse(entry->d_name, JOURNAL_SEGMENT_SUFFIX, &sequence)) {
            enum tpw_err err = list_push(list, &capacity, count, sequence, detail);
            if (err != TPW_OK) {
                return err;
            }
        }
    }
}

enum tpw_err journal__segments_list(int dir_fd, bool remove_tmp, uint64_t **sequences,
                                    size_t *count, struct tpw_error_detail *detail)
{
    *sequences = NULL;
    *count = 0;
    /* fdopendir takes ownership of its descriptor; give it a copy. */
    int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 0);
    DIR *dir = fd >= 0 ? fdopendir(fd) : NULL;
    if (dir == NULL) {
        int error_number = errno;
        if (fd >= 0) {
            (void)close(fd);
        }
        return tpw_error_set(detail, TPW_ERR_IO, 0, "cannot list the journal directory: %s",
                             strerror(error_number));
    }
    rewinddir(dir); /* the copy shares its position with dir_fd */
    uint64_t *list = NULL;
    size_t list_count = 0;
    enum tpw_err err = list_read(dir, dir_fd, remove_tmp, &list, &list_count, detail);
    (void)closedir(dir);
    if (err != TPW_OK) {
        free(list);
        return err;
    }
    if (list_count > 0) {
        qsort(list, list_count, sizeof(list[0]), sequence_compare);
    }
    *sequences = list;
    *count = list_count;
    return TPW_OK;
}

/* ------------------------------------------------------------------------------------
 * The walker
 * ------------------------------------------------------------------------------------ */

struct walk {
    int dir_fd;
    bool read_only; /* never modify: report a torn tail and stop there */
    struct journal_io io;
    journal_apply_fn apply; /* may be NULL (verification) */
    void *ctx;
    uint8_t *buf; /* JOURNAL_READ_BUFFER_BYTES */
    /* The segment being read. */
    int fd;
    uint64_t file_bytes;
    uint64_t buf_offset; /* file offset of buf[0] */
    size_t buf_len;
    uint64_t segment_first_sequence;
    uint64_t segment_end_bytes; /* end of the last good record */
    uint64_t segment_records;
    /* Everything read so far. */
    tpw_u128 ledger_id;
    uint64_t segments;
    uint64_t records;
    uint64_t closed_bytes; /* segments before the current one */
    uint64_t last_sequence;
    uint8_t last_hash[JOURNAL_HASH_BYTES];
    bool torn_tail;
};

#define FRAME_REASON_SIZE 128

enum frame_status { FRAME_GOOD, FRAME_END, FRAME_DAMAGED };

/* One record as framed in the buffer. */
struct frame {
    enum frame_status status;
    const uint8_t *bytes; /* FRAME_GOOD: the record, inside walk->buf */
    uint32_t length;
    uint64_t padded_bytes;
    char reason[FRAME_REASON_SIZE]; /* FRAME_DAMAGED: what failed */
};

/* An error about the current segment, at `offset_bytes`, where the next record was
 * expected. */
#define WALK_ERROR(walk, detail, code, offset_bytes, ...)                                          \
    journal__error((detail), (code), (walk)->segment_first_sequence, (offset_bytes),               \
                   (walk)->last_sequence + 1, __VA_ARGS__)

/* Reads from the end of the buffered bytes on, until the buffer or the file is full. */
static enum tpw_err reader_read(struct walk *walk, struct tpw_error_detail *detail)
{
    while (walk->buf_len < JOURNAL_READ_BUFFER_BYTES) {
        uint64_t at = walk->buf_offset + walk->buf_len;
        if (at >= walk->file_bytes) {
            break;
        }
        size_t want = JOURNAL_READ_BUFFER_BYTES - walk->buf_len;
        if (walk->file_bytes - at < want) {
            want = (size_t)(walk->file_bytes - at);
        }
        ssize_t n = pread(walk->fd, walk->buf + walk->buf_len, want, (off_t)at);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            int error_number = errno;
            return WALK_ERROR(walk, detail, TPW_ERR_IO, at, "read failed: %s",
                              strerror(error_number));
        }
        if (n == 0) {
            walk->file_bytes = at; /* shorter than fstat said */
            break;
        }
        walk->buf_len += (size_t)n;
    }
    return TPW_OK;
}

/*
 * Makes the file's bytes from `offset` on available in the buffer, at least `need` of
 * them unless the file ends first: `*bytes` points at `offset` and `*available` says
 * how many bytes follow it there.
 */
static enum tpw_err reader_fill(struct walk *walk, uint64_t offset, size_t need,
                                const uint8_t **bytes, size_t *available,
                                struct tpw_error_detail *detail)
{
    TPW_ASSERT(need <= JOURNAL_READ_BUFFER_BYTES);
    uint64_t buf_end = walk->buf_offset + walk->buf_len;
    bool inside = offset >= walk->buf_offset && offset <= buf_end;
    if (!inside || (offset + need > buf_end && buf_end < walk->file_bytes)) {
        size_t keep = 0;
        if (inside) {
            keep = (size_t)(buf_end - offset);
            memmove(walk->buf, walk->buf + (offset - walk->buf_offset), keep);
        }
        walk->buf_offset = offset;
        walk->buf_len = keep;
        enum tpw_err err = reader_read(walk, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    *bytes = walk->buf + (offset - walk->buf_offset);
    *available = (size_t)(walk->buf_offset + walk->buf_len - offset);
    return TPW_OK;
}

static enum tpw_err segment_open(struct walk *walk, uint64_t first_sequence, bool is_last,
                                 struct tpw_error_detail *detail)
{
    char name[JOURNAL_SEGMENT_NAME_SIZE] = {0};
    journal__segment_name(name, first_sequence);
    walk->segment_first_sequence = first_sequence;
    walk->segment_end_bytes = 0;
    walk->segment_records = 0;
    walk->buf_offset = 0;
    walk->buf_len = 0;
    int flags = (is_last && !walk->read_only ? O_RDWR : O_RDONLY) | O_CLOEXEC;
    walk->fd = openat(walk->dir_fd, name, flags);
    struct stat st = {0};
    if (walk->fd < 0 || fstat(walk->fd, &st) != 0) {
        int error_number = errno;
        return WALK_ERROR(walk, detail, TPW_ERR_IO, 0, "cannot open the segment: %s",
                          strerror(error_number));
    }
    if (!S_ISREG(st.st_mode)) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0, "not a regular file");
    }
    walk->file_bytes = (uint64_t)st.st_size;
    return TPW_OK;
}

/* The header's links to the rest of the journal: name, ledger id, sequence, hash. */
static enum tpw_err segment_header_chain(struct walk *walk, const uint8_t *header, bool is_first,
                                         struct tpw_error_detail *detail)
{
    static const uint8_t no_hash[JOURNAL_HASH_BYTES];
    uint64_t first_sequence = journal__load_u64(header + JOURNAL_SEG_FIRST_SEQUENCE);
    if (first_sequence != walk->segment_first_sequence) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, JOURNAL_SEG_FIRST_SEQUENCE,
                          "the header's first sequence %" PRIu64 " differs from the file name",
                          first_sequence);
    }
    tpw_u128 ledger_id = journal__load_u128(header + JOURNAL_SEG_LEDGER_ID);
    if (is_first) {
        walk->ledger_id = ledger_id;
    } else if (ledger_id != walk->ledger_id) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, JOURNAL_SEG_LEDGER_ID,
                          "foreign segment: ledger id 0x%016" PRIx64 "%016" PRIx64
                          ", expected 0x%016" PRIx64 "%016" PRIx64,
                          (uint64_t)(ledger_id >> 64), (uint64_t)ledger_id,
                          (uint64_t)(walk->ledger_id >> 64), (uint64_t)walk->ledger_id);
    }
    if (first_sequence != walk->last_sequence + 1) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                          "sequence gap: the segment starts at sequence %" PRIu64
                          " (a segment is missing)",
                          first_sequence);
    }
    if (memcmp(header + JOURNAL_SEG_PREV_HASH, is_first ? no_hash : walk->last_hash,
               JOURNAL_HASH_BYTES) != 0) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, JOURNAL_SEG_PREV_HASH,
                          "hash chain broken: the header's prev_hash is not %s",
                          is_first ? "zero in the first segment"
                                   : "the hash of the previous segment's last record");
    }
    if (is_first) {
        /* The ledger's first record chains to its first segment header. */
        journal__hash(walk->last_hash, header, JOURNAL_SEGMENT_HEADER_BYTES, NULL, 0);
    }
    return TPW_OK;
}

static enum tpw_err segment_header_read(struct walk *walk, bool is_first,
                                        struct tpw_error_detail *detail)
{
    const uint8_t *header = NULL;
    size_t available = 0;
    enum tpw_err err =
        reader_fill(walk, 0, JOURNAL_SEGMENT_HEADER_BYTES, &header, &available, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (available < JOURNAL_SEGMENT_HEADER_BYTES) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                          "incomplete segment header (%zu of %u bytes)", available,
                          JOURNAL_SEGMENT_HEADER_BYTES);
    }
    if (memcmp(header, JOURNAL_SEGMENT_MAGIC, JOURNAL_SEGMENT_MAGIC_BYTES) != 0) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0, "bad segment magic");
    }
    /* The magic, CRC, version and header size fields keep their places in every
     * version, so the version is read before the CRC, whose coverage it decides. */
    uint16_t version = journal__load_u16(header + JOURNAL_SEG_VERSION);
    if (version != JOURNAL_FORMAT_VERSION) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_VERSION, JOURNAL_SEG_VERSION,
                          "unsupported segment format version %u (this build reads %u)",
                          (unsigned)version, JOURNAL_FORMAT_VERSION);
    }
    uint32_t stored = journal__load_u32(header + JOURNAL_SEG_CRC);
    uint32_t computed = ledger__crc32c(0, header + JOURNAL_SEG_VERSION,
                                       JOURNAL_SEGMENT_HEADER_BYTES - JOURNAL_SEG_VERSION);
    if (stored != computed) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                          "segment header crc32c mismatch (stored 0x%08" PRIx32
                          ", computed 0x%08" PRIx32 ")",
                          stored, computed);
    }
    if (journal__load_u16(header + JOURNAL_SEG_HEADER_BYTES) != JOURNAL_SEGMENT_HEADER_BYTES ||
        journal__load_u64(header + JOURNAL_SEG_RESERVED) != 0) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                          "segment header size or reserved field out of range");
    }
    err = segment_header_chain(walk, header, is_first, detail);
    walk->segment_end_bytes = JOURNAL_SEGMENT_HEADER_BYTES;
    return err;
}

__attribute__((format(printf, 2, 3))) static enum tpw_err frame_damaged(struct frame *frame,
                                                                        const char *format, ...)
{
    va_list args;
    va_start(args, format);
    (void)vsnprintf(frame->reason, sizeof(frame->reason), format, args);
    va_end(args);
    frame->status = FRAME_DAMAGED;
    return TPW_OK;
}

/* Frames the record at `offset`: FRAME_GOOD when its framing and CRC hold, FRAME_END
 * at the clean end of the segment, FRAME_DAMAGED (with the reason) otherwise. */
static enum tpw_err record_frame(struct walk *walk, uint64_t offset, struct frame *frame,
                                 struct tpw_error_detail *detail)
{
    const uint8_t *bytes = NULL;
    size_t available = 0;
    enum tpw_err err =
        reader_fill(walk, offset, JOURNAL_RECORD_HEADER_BYTES, &bytes, &available, detail);
    if (err != TPW_OK || available == 0) {
        frame->status = FRAME_END;
        return err;
    }
    if (available < JOURNAL_RECORD_HEADER_BYTES) {
        return frame_damaged(frame, "incomplete record header (%zu of %u bytes)", available,
                             JOURNAL_RECORD_HEADER_BYTES);
    }
    uint32_t magic = journal__load_u32(bytes + JOURNAL_REC_MAGIC);
    if (magic != JOURNAL_RECORD_MAGIC) {
        return frame_damaged(frame, "bad record magic 0x%08" PRIx32, magic);
    }
    uint32_t length = journal__load_u32(bytes + JOURNAL_REC_LENGTH);
    if (length < JOURNAL_RECORD_HEADER_BYTES || length > JOURNAL_RECORD_MAX_BYTES) {
        return frame_damaged(frame, "record length %" PRIu32 " out of bounds (%u..%u)", length,
                             JOURNAL_RECORD_HEADER_BYTES, JOURNAL_RECORD_MAX_BYTES);
    }
    uint64_t padded_bytes = journal__align(length);
    err = reader_fill(walk, offset, (size_t)padded_bytes, &bytes, &available, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (available < padded_bytes) {
        return frame_damaged(frame, "incomplete record (%zu of %" PRIu64 " bytes)", available,
                             padded_bytes);
    }
    uint32_t stored = journal__load_u32(bytes + JOURNAL_REC_CRC);
    uint32_t computed =
        ledger__crc32c(0, bytes + JOURNAL_REC_LENGTH, length - (uint32_t)JOURNAL_REC_LENGTH);
    if (stored != computed) {
        return frame_damaged(frame,
                             "crc32c mismatch (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")",
                             stored, computed);
    }
    for (uint64_t index = length; index < padded_bytes; index++) {
        if (bytes[index] != 0) {
            return frame_damaged(frame, "non-zero padding after the record");
        }
    }
    *frame = (struct frame){
        .status = FRAME_GOOD, .bytes = bytes, .length = length, .padded_bytes = padded_bytes};
    return TPW_OK;
}

/* A framed record's contents: checked, handed to apply, chained. */
static enum tpw_err record_accept(struct walk *walk, const struct frame *frame,
                                  struct tpw_error_detail *detail)
{
    const uint8_t *bytes = frame->bytes;
    uint64_t offset = walk->segment_end_bytes;
    uint16_t version = journal__load_u16(bytes + JOURNAL_REC_VERSION);
    if (version != JOURNAL_FORMAT_VERSION) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_VERSION, offset,
                          "unsupported record format version %u (this build reads %u)",
                          (unsigned)version, JOURNAL_FORMAT_VERSION);
    }
    if (journal__load_u32(bytes + JOURNAL_REC_RESERVED) != 0) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, offset,
                          "the record's reserved field is not zero");
    }
    uint64_t sequence = journal__load_u64(bytes + JOURNAL_REC_SEQUENCE);
    if (sequence != walk->last_sequence + 1) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, offset,
                          "sequence gap: the record holds sequence %" PRIu64, sequence);
    }
    if (memcmp(bytes + JOURNAL_REC_PREV_HASH, walk->last_hash, JOURNAL_HASH_BYTES) != 0) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, offset,
                          "hash chain broken: prev_hash is not the hash of the previous record");
    }
    if (walk->apply != NULL) {
        struct journal_record record = {
            .sequence = sequence,
            .timestamp = journal__load_u64(bytes + JOURNAL_REC_TIMESTAMP),
            .type = journal__load_u16(bytes + JOURNAL_REC_TYPE),
            .item_count = journal__load_u32(bytes + JOURNAL_REC_ITEM_COUNT),
            .payload = bytes + JOURNAL_RECORD_HEADER_BYTES,
            .payload_bytes = frame->length - (uint32_t)JOURNAL_RECORD_HEADER_BYTES,
        };
        enum tpw_err err = walk->apply(walk->ctx, &record, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    journal__hash(walk->last_hash, bytes, frame->length, NULL, 0);
    walk->last_sequence = sequence;
    walk->records++;
    walk->segment_records++;
    walk->segment_end_bytes += frame->padded_bytes;
    return TPW_OK;
}

/* Whether a record with a valid CRC starts at any 8-byte boundary after `offset`. */
static enum tpw_err scan_for_record(struct walk *walk, uint64_t offset, bool *found,
                                    uint64_t *found_offset, struct tpw_error_detail *detail)
{
    *found = false;
    for (uint64_t at = offset + JOURNAL_RECORD_ALIGN_BYTES;
         at + JOURNAL_RECORD_HEADER_BYTES <= walk->file_bytes; at += JOURNAL_RECORD_ALIGN_BYTES) {
        const uint8_t *bytes = NULL;
        size_t available = 0;
        enum tpw_err err =
            reader_fill(walk, at, JOURNAL_RECORD_HEADER_BYTES, &bytes, &available, detail);
        if (err != TPW_OK) {
            return err;
        }
        if (available < JOURNAL_RECORD_HEADER_BYTES ||
            journal__load_u32(bytes + JOURNAL_REC_MAGIC) != JOURNAL_RECORD_MAGIC) {
            continue;
        }
        uint32_t length = journal__load_u32(bytes + JOURNAL_REC_LENGTH);
        if (length < JOURNAL_RECORD_HEADER_BYTES || length > JOURNAL_RECORD_MAX_BYTES ||
            at + length > walk->file_bytes) {
            continue;
        }
        err = reader_fill(walk, at, length, &bytes, &available, detail);
        if (err != TPW_OK) {
            return err;
        }
        if (available >= length &&
            ledger__crc32c(0, bytes + JOURNAL_REC_LENGTH, length - (uint32_t)JOURNAL_REC_LENGTH) ==
                journal__load_u32(bytes + JOURNAL_REC_CRC)) {
            *found = true;
            *found_offset = at;
            return TPW_OK;
        }
    }
    return TPW_OK;
}

/* The damaged record ends the journal: cut it off (or, read-only, stop before it). */
static enum tpw_err torn_tail(struct walk *walk, const struct frame *frame,
                              struct tpw_error_detail *detail)
{
    uint64_t offset = walk->segment_end_bytes;
    char name[JOURNAL_SEGMENT_NAME_SIZE] = {0};
    journal__segment_name(name, walk->segment_first_sequence);
    walk->torn_tail = true;
    TPW_LOGF(TPW_LOG_WARN, "journal.torn_tail", TPW_LOG_STR("segment", name),
             TPW_LOG_U64("offset", offset), TPW_LOG_U64("sequence", walk->last_sequence + 1),
             TPW_LOG_U64("dropped_bytes", walk->file_bytes - offset),
             TPW_LOG_STR("reason", frame->reason),
             TPW_LOG_STR("action", walk->read_only ? "kept" : "truncated"));
    if (walk->read_only) {
        return TPW_OK;
    }
    if (walk->io.ftruncate(walk->io.ctx, walk->fd, (off_t)offset) != 0) {
        int error_number = errno;
        return WALK_ERROR(walk, detail, TPW_ERR_IO, offset, "cannot truncate the torn tail: %s",
                          strerror(error_number));
    }
    if (walk->io.fdatasync(walk->io.ctx, walk->fd) != 0) {
        int error_number = errno;
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_SYNC, offset,
                          "fdatasync after truncating the torn tail failed: %s",
                          strerror(error_number));
    }
    walk->file_bytes = offset;
    return TPW_OK;
}

static enum tpw_err record_damaged(struct walk *walk, bool is_last, const struct frame *frame,
                                   struct tpw_error_detail *detail)
{
    uint64_t offset = walk->segment_end_bytes;
    if (!is_last) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, offset, "%s", frame->reason);
    }
    bool found = false;
    uint64_t found_offset = 0;
    enum tpw_err err = scan_for_record(walk, offset, &found, &found_offset, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (found) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, offset,
                          "%s; a valid record follows at offset %" PRIu64, frame->reason,
                          found_offset);
    }
    return torn_tail(walk, frame, detail);
}

static enum tpw_err walk_records(struct walk *walk, bool is_last, struct tpw_error_detail *detail)
{
    for (;;) {
        struct frame frame = {.status = FRAME_END};
        enum tpw_err err = record_frame(walk, walk->segment_end_bytes, &frame, detail);
        if (err != TPW_OK || frame.status == FRAME_END) {
            return err;
        }
        if (frame.status == FRAME_DAMAGED) {
            return record_damaged(walk, is_last, &frame, detail);
        }
        err = record_accept(walk, &frame, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
}

/* Reads one segment; the last one stays open (walk->fd) for appending. */
static enum tpw_err walk_segment(struct walk *walk, uint64_t first_sequence, bool is_first,
                                 bool is_last, struct tpw_error_detail *detail)
{
    enum tpw_err err = segment_open(walk, first_sequence, is_last, detail);
    if (err == TPW_OK) {
        err = segment_header_read(walk, is_first, detail);
    }
    if (err == TPW_OK) {
        err = walk_records(walk, is_last, detail);
    }
    if (err == TPW_OK) {
        walk->segments++;
    }
    if (err != TPW_OK || !is_last) {
        if (walk->fd >= 0) {
            (void)close(walk->fd);
        }
        walk->fd = -1;
    }
    if (err == TPW_OK && !is_last) {
        walk->closed_bytes += walk->segment_end_bytes;
    }
    return err;
}

static enum tpw_err walk_start(struct walk *walk, const char *dir, uint64_t **sequences,
                               size_t *count, struct tpw_error_detail *detail)
{
    if (dir == NULL || dir[0] == '\0') {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid journal directory");
    }
    enum tpw_err err = journal__crypto_init(detail);
    if (err != TPW_OK) {
        return err;
    }
    walk->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (walk->dir_fd < 0) {
        int error_number = errno;
        if (error_number == ENOENT) {
            return tpw_error_set(detail, TPW_ERR_NOT_FOUND, 0,
                                 "the journal directory does not exist");
        }
        return tpw_error_set(detail, TPW_ERR_IO, 0, "cannot open the journal directory: %s",
                             strerror(error_number));
    }
    err = journal__segments_list(walk->dir_fd, !walk->read_only, sequences, count, detail);
    if (err == TPW_OK && *count == 0) {
        err = tpw_error_set(detail, TPW_ERR_NOT_FOUND, 0,
                            "the journal directory holds no segment files");
    }
    if (err == TPW_OK) {
        walk->buf = malloc(JOURNAL_READ_BUFFER_BYTES);
        if (walk->buf == NULL) {
            err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for the read buffer");
        }
    }
    return err;
}

static void walk_init(struct walk *walk, bool read_only, const struct journal_io *io,
                      journal_apply_fn apply, void *ctx)
{
    *walk = (struct walk){
        .dir_fd = -1,
        .read_only = read_only,
        .io = journal__io_resolve(io),
        .apply = apply,
        .ctx = ctx,
        .fd = -1,
    };
}

/* Walks the whole journal in `dir`. On success walk->fd is the last segment. */
static enum tpw_err walk_run(struct walk *walk, const char *dir, struct tpw_error_detail *detail)
{
    uint64_t *sequences = NULL;
    size_t count = 0;
    enum tpw_err err = walk_start(walk, dir, &sequences, &count, detail);
    for (size_t index = 0; err == TPW_OK && index < count; index++) {
        err = walk_segment(walk, sequences[index], index == 0, index + 1 == count, detail);
    }
    free(sequences);
    return err;
}

static void walk_end(struct walk *walk)
{
    free(walk->buf);
    if (walk->fd >= 0) {
        (void)close(walk->fd);
    }
    if (walk->dir_fd >= 0) {
        (void)close(walk->dir_fd);
    }
}

/* ------------------------------------------------------------------------------------
 * Opening and verifying
 * ------------------------------------------------------------------------------------ */

static void journal_from_walk(struct journal *journal, struct walk *walk,
                              const struct journal_options *options)
{
    journal->io = walk->io;
    journal->dir_fd = walk->dir_fd;
    journal->segment_fd = walk->fd;
    walk->dir_fd = -1;
    walk->fd = -1;
    journal->read_only = options->read_only;
    journal->failed = false;
    journal->ledger_id = walk->ledger_id;
    journal->segment_size_bytes = options->segment_size_bytes != 0 ? options->segment_size_bytes
                                                                   : JOURNAL_SEGMENT_SIZE_DEFAULT;
    journal->segment_first_sequence = walk->segment_first_sequence;
    journal->segment_end_bytes = walk->segment_end_bytes;
    journal->segment_records = walk->segment_records;
    journal->closed_bytes = walk->closed_bytes;
    journal->last_sequence = walk->last_sequence;
    memcpy(journal->last_hash, walk->last_hash, JOURNAL_HASH_BYTES);
}

enum tpw_err journal_open(const struct journal_options *options, journal_apply_fn apply, void *ctx,
                          struct journal **out, struct tpw_error_detail *detail)
{
    if (options == NULL || out == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid journal options");
    }
    *out = NULL;
    struct walk walk = {0};
    walk_init(&walk, options->read_only, options->io, apply, ctx);
    enum tpw_err err = walk_run(&walk, options->dir, detail);
    if (err == TPW_OK) {
        TPW_ASSERT(walk.fd >= 0);
        struct journal *journal = calloc(1, sizeof(*journal));
        if (journal == NULL) {
            err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory opening the journal");
        } else {
            journal_from_walk(journal, &walk, options);
            *out = journal;
        }
    }
    walk_end(&walk);
    return err;
}

enum tpw_err journal_verify(const char *dir, struct journal_verify_report *report,
                            struct tpw_error_detail *detail)
{
    if (report == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "no verify report");
    }
    memset(report, 0, sizeof(*report));
    struct walk walk = {0};
    walk_init(&walk, true, NULL, NULL, NULL);
    enum tpw_err err = walk_run(&walk, dir, detail);
    /* On an error these describe what was verified before it. */
    report->segments = walk.segments;
    report->records = walk.records;
    report->last_sequence = walk.last_sequence;
    report->bytes = walk.closed_bytes + walk.segment_end_bytes;
    report->torn_tail = walk.torn_tail;
    memcpy(report->last_hash, walk.last_hash, JOURNAL_HASH_BYTES);
    walk_end(&walk);
    return err;
}
