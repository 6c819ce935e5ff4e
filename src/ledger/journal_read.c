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
 *
 * Resuming from a checkpoint (journal_options.resume, sequence S). Recovery is then a
 * checkpoint plus the tail, so the walker skips the segments that end before record
 * S + 1: it reads only the first segment's header (the ledger id) and fstat's the others
 * for their sizes. It starts at the segment holding S + 1, verifies the records before
 * it as usual without applying them, and checks the checkpoint's hash where the chain
 * passes S: at record S, or at the header of a segment starting at S + 1. Damage inside
 * the skipped segments is not seen; that is the price of not reading them, and
 * journal_verify() still reads everything.
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

/* What the next segment header's prev_hash is checked against. */
enum header_link {
    LINK_CHAIN,      /* the previous record's hash (walk->last_hash); zero in the first segment */
    LINK_CHECKPOINT, /* resuming at this segment's first record: the checkpoint's hash */
    LINK_ADOPT,      /* resuming inside this segment: the chain starts from the header's
                      * prev_hash, since the record it names is in a skipped segment */
};

struct walk {
    tpw_u128 ledger_id;
    struct journal_io io;
    journal_apply_fn apply; /* may be NULL (verification) */
    void *ctx;
    uint8_t *buf; /* JOURNAL_READ_BUFFER_BYTES */
    /* The segment being read. */
    uint64_t file_bytes;
    uint64_t buf_offset; /* file offset of buf[0] */
    size_t buf_len;
    uint64_t segment_first_sequence;
    uint64_t segment_end_bytes; /* end of the last good record */
    uint64_t segment_records;
    /* Everything read so far. */
    uint64_t segments;
    uint64_t records;
    uint64_t closed_bytes; /* segments before the current one */
    uint64_t last_sequence;
    /* Resuming (journal_options.resume): records up to resume_sequence are checked but
     * not applied, and record resume_sequence must hash to resume_hash. 0 = not resuming. */
    uint64_t resume_sequence;
    int dir_fd;
    int fd;                /* the segment being read */
    enum header_link link; /* how the next segment header's prev_hash is checked */
    bool read_only;        /* never modify: report a torn tail and stop there */
    bool torn_tail;
    uint8_t last_hash[JOURNAL_HASH_BYTES];
    uint8_t resume_hash[JOURNAL_HASH_BYTES];
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

/* The checkpoint's hash is not where the chain passes its sequence: the state the
 * checkpoint holds is not this journal's. `offset_bytes` is where the hash differs. */
static enum tpw_err resume_mismatch(const struct walk *walk, uint64_t offset_bytes,
                                    struct tpw_error_detail *detail)
{
    char name[JOURNAL_SEGMENT_NAME_SIZE] = {0};
    journal__segment_name(name, walk->segment_first_sequence);
    return tpw_error_set(detail, TPW_ERR_CHECKPOINT_MISMATCH, (size_t)offset_bytes,
                         "the checkpoint at sequence %" PRIu64 " does not match the journal "
                         "(hash differs at %s offset %" PRIu64 ")",
                         walk->resume_sequence, name, offset_bytes);
}

/* The journal stops before the checkpoint's last record: acknowledged records that the
 * checkpoint includes are missing. */
static enum tpw_err resume_short(const struct walk *walk, struct tpw_error_detail *detail)
{
    TPW_ASSERT(walk->last_sequence < walk->resume_sequence);
    return tpw_error_set(detail, TPW_ERR_CHECKPOINT_MISMATCH, 0,
                         "the journal ends at sequence %" PRIu64
                         ", before the checkpoint's sequence %" PRIu64,
                         walk->last_sequence, walk->resume_sequence);
}

/* The header's prev_hash, checked as walk->link says; sets the hash record
 * first_sequence must chain to. */
static enum tpw_err segment_header_link(struct walk *walk, const uint8_t *header, bool is_first,
                                        struct tpw_error_detail *detail)
{
    static const uint8_t no_hash[JOURNAL_HASH_BYTES];
    const uint8_t *prev_hash = header + JOURNAL_SEG_PREV_HASH;
    enum header_link link = walk->link;
    walk->link = LINK_CHAIN;
    if (link == LINK_ADOPT) {
        TPW_ASSERT(!is_first);
        memcpy(walk->last_hash, prev_hash, JOURNAL_HASH_BYTES);
        return TPW_OK;
    }
    if (link == LINK_CHECKPOINT) {
        TPW_ASSERT(walk->last_sequence == walk->resume_sequence);
        if (memcmp(prev_hash, walk->resume_hash, JOURNAL_HASH_BYTES) != 0) {
            return resume_mismatch(walk, JOURNAL_SEG_PREV_HASH, detail);
        }
        memcpy(walk->last_hash, prev_hash, JOURNAL_HASH_BYTES);
        return TPW_OK;
    }
    if (memcmp(prev_hash, is_first ? no_hash : walk->last_hash, JOURNAL_HASH_BYTES) != 0) {
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

/* The header's links to the rest of the journal: name, ledger id, sequence, hash. */
static enum tpw_err segment_header_chain(struct walk *walk, const uint8_t *header, bool is_first,
                                         struct tpw_error_detail *detail)
{
    uint64_t first_sequence = bytes_le64_load(header + JOURNAL_SEG_FIRST_SEQUENCE);
    if (first_sequence != walk->segment_first_sequence) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, JOURNAL_SEG_FIRST_SEQUENCE,
                          "the header's first sequence %" PRIu64 " differs from the file name",
                          first_sequence);
    }
    tpw_u128 ledger_id = bytes_le128_load(header + JOURNAL_SEG_LEDGER_ID);
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
    return segment_header_link(walk, header, is_first, detail);
}

static enum tpw_err segment_header_read(struct walk *walk, bool is_first,
                                        struct tpw_error_detail *detail)
{
    const uint8_t *header = NULL;
    size_t available = 0;
    enum tpw_err err =
        reader_fill(walk, 0, JOURNAL_SEGMENT_DATA_OFFSET, &header, &available, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (available < JOURNAL_SEGMENT_DATA_OFFSET) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                          "incomplete segment header (%zu of %u bytes)", available,
                          JOURNAL_SEGMENT_DATA_OFFSET);
    }
    if (memcmp(header, JOURNAL_SEGMENT_MAGIC, JOURNAL_SEGMENT_MAGIC_BYTES) != 0) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0, "bad segment magic");
    }
    /* The magic, CRC, version and header size fields keep their places in every
     * version, so the version is read before the CRC, whose coverage it decides. */
    uint16_t version = bytes_le16_load(header + JOURNAL_SEG_VERSION);
    if (version != JOURNAL_FORMAT_VERSION) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_VERSION, JOURNAL_SEG_VERSION,
                          "unsupported segment format version %u (this build reads %u)",
                          (unsigned)version, JOURNAL_FORMAT_VERSION);
    }
    uint32_t stored = bytes_le32_load(header + JOURNAL_SEG_CRC);
    uint32_t computed = ledger__crc32c(0, header + JOURNAL_SEG_VERSION,
                                       JOURNAL_SEGMENT_HEADER_BYTES - JOURNAL_SEG_VERSION);
    if (stored != computed) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                          "segment header crc32c mismatch (stored 0x%08" PRIx32
                          ", computed 0x%08" PRIx32 ")",
                          stored, computed);
    }
    if (bytes_le16_load(header + JOURNAL_SEG_HEADER_BYTES) != JOURNAL_SEGMENT_HEADER_BYTES ||
        bytes_le64_load(header + JOURNAL_SEG_RESERVED) != 0 ||
        !bytes_zero(header + JOURNAL_SEGMENT_HEADER_BYTES,
                    JOURNAL_SEGMENT_DATA_OFFSET - JOURNAL_SEGMENT_HEADER_BYTES)) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                          "segment header size, reserved field or padding out of range");
    }
    err = segment_header_chain(walk, header, is_first, detail);
    walk->segment_end_bytes = JOURNAL_SEGMENT_DATA_OFFSET;
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
    uint32_t magic = bytes_le32_load(bytes + JOURNAL_REC_MAGIC);
    if (magic != JOURNAL_RECORD_MAGIC) {
        return frame_damaged(frame, "bad record magic 0x%08" PRIx32, magic);
    }
    uint32_t length = bytes_le32_load(bytes + JOURNAL_REC_LENGTH);
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
    uint32_t stored = bytes_le32_load(bytes + JOURNAL_REC_CRC);
    uint32_t computed =
        ledger__crc32c(0, bytes + JOURNAL_REC_LENGTH, length - (uint32_t)JOURNAL_REC_LENGTH);
    if (stored != computed) {
        return frame_damaged(frame,
                             "crc32c mismatch (stored 0x%08" PRIx32 ", computed 0x%08" PRIx32 ")",
                             stored, computed);
    }
    if (!bytes_zero(bytes + length, (size_t)(padded_bytes - length))) {
        return frame_damaged(frame, "non-zero padding after the record");
    }
    *frame = (struct frame){
        .status = FRAME_GOOD, .bytes = bytes, .length = length, .padded_bytes = padded_bytes};
    return TPW_OK;
}

/* Hands a checked record to the caller. */
static enum tpw_err record_apply(struct walk *walk, const struct frame *frame, uint64_t sequence,
                                 const uint8_t hash[JOURNAL_HASH_BYTES],
                                 struct tpw_error_detail *detail)
{
    const uint8_t *bytes = frame->bytes;
    TPW_ASSERT(frame->status == FRAME_GOOD);
    TPW_ASSERT(bytes_le64_load(bytes + JOURNAL_REC_SEQUENCE) == sequence);
    struct journal_record record = {
        .sequence = sequence,
        .timestamp = bytes_le64_load(bytes + JOURNAL_REC_TIMESTAMP),
        .type = bytes_le16_load(bytes + JOURNAL_REC_TYPE),
        .item_count = bytes_le32_load(bytes + JOURNAL_REC_ITEM_COUNT),
        .payload = bytes + JOURNAL_RECORD_HEADER_BYTES,
        .payload_bytes = frame->length - (uint32_t)JOURNAL_RECORD_HEADER_BYTES,
        .hash = hash,
    };
    return walk->apply(walk->ctx, &record, detail);
}

/* A framed record's contents: checked, handed to apply, chained. */
static enum tpw_err record_accept(struct walk *walk, const struct frame *frame,
                                  struct tpw_error_detail *detail)
{
    const uint8_t *bytes = frame->bytes;
    uint64_t offset = walk->segment_end_bytes;
    uint16_t version = bytes_le16_load(bytes + JOURNAL_REC_VERSION);
    if (version != JOURNAL_FORMAT_VERSION) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_VERSION, offset,
                          "unsupported record format version %u (this build reads %u)",
                          (unsigned)version, JOURNAL_FORMAT_VERSION);
    }
    if (bytes_le32_load(bytes + JOURNAL_REC_RESERVED) != 0) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, offset,
                          "the record's reserved field is not zero");
    }
    uint64_t sequence = bytes_le64_load(bytes + JOURNAL_REC_SEQUENCE);
    if (sequence != walk->last_sequence + 1) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, offset,
                          "sequence gap: the record holds sequence %" PRIu64, sequence);
    }
    if (memcmp(bytes + JOURNAL_REC_PREV_HASH, walk->last_hash, JOURNAL_HASH_BYTES) != 0) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, offset,
                          "hash chain broken: prev_hash is not the hash of the previous record");
    }
    uint8_t hash[JOURNAL_HASH_BYTES] = {0};
    journal__hash(hash, bytes, frame->length, NULL, 0);
    if (sequence == walk->resume_sequence &&
        memcmp(hash, walk->resume_hash, JOURNAL_HASH_BYTES) != 0) {
        return resume_mismatch(walk, offset, detail);
    }
    /* The records a checkpoint includes are already in its state. */
    if (walk->apply != NULL && sequence > walk->resume_sequence) {
        enum tpw_err err = record_apply(walk, frame, sequence, hash, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    memcpy(walk->last_hash, hash, JOURNAL_HASH_BYTES);
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
            bytes_le32_load(bytes + JOURNAL_REC_MAGIC) != JOURNAL_RECORD_MAGIC) {
            continue;
        }
        uint32_t length = bytes_le32_load(bytes + JOURNAL_REC_LENGTH);
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
                bytes_le32_load(bytes + JOURNAL_REC_CRC)) {
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
    if (walk->last_sequence < walk->resume_sequence) {
        /* The checkpoint includes this record, so it was acknowledged (fdatasync'd): its
         * damage is not a write cut short by a crash. Keep the bytes for inspection. */
        return resume_short(walk, detail);
    }
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

/* `resume` may be NULL; sequence 0 means the same: read everything. */
static void walk_init(struct walk *walk, bool read_only, const struct journal_io *io,
                      const struct journal_resume *resume, journal_apply_fn apply, void *ctx)
{
    *walk = (struct walk){
        .dir_fd = -1,
        .read_only = read_only,
        .io = journal__io_resolve(io),
        .apply = apply,
        .ctx = ctx,
        .fd = -1,
        .link = LINK_CHAIN,
    };
    if (resume != NULL) {
        walk->resume_sequence = resume->sequence;
        memcpy(walk->resume_hash, resume->hash, JOURNAL_HASH_BYTES);
    }
}

/* Counts a segment that is not read: its size from fstatat, with the checks that need
 * no reading (a regular file, room for a header). */
static enum tpw_err segment_skip(struct walk *walk, uint64_t first_sequence,
                                 struct tpw_error_detail *detail)
{
    char name[JOURNAL_SEGMENT_NAME_SIZE] = {0};
    journal__segment_name(name, first_sequence);
    /* For the messages: this segment, and the sequence it should start with. */
    walk->segment_first_sequence = first_sequence;
    walk->last_sequence = first_sequence - 1;
    struct stat st = {0};
    if (fstatat(walk->dir_fd, name, &st, 0) != 0) {
        int error_number = errno;
        return WALK_ERROR(walk, detail, TPW_ERR_IO, 0, "cannot stat the segment: %s",
                          strerror(error_number));
    }
    if (!S_ISREG(st.st_mode)) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0, "not a regular file");
    }
    if ((uint64_t)st.st_size < JOURNAL_SEGMENT_DATA_OFFSET) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                          "incomplete segment header (%" PRIu64 " of %u bytes)",
                          (uint64_t)st.st_size, JOURNAL_SEGMENT_DATA_OFFSET);
    }
    walk->segments++;
    walk->closed_bytes += (uint64_t)st.st_size;
    return TPW_OK;
}

/* Whether a segment starting at `first_sequence` starts at or before record
 * `sequence` + 1 (written so that it cannot overflow). */
static bool segment_starts_by(uint64_t first_sequence, uint64_t sequence)
{
    return first_sequence <= sequence || first_sequence - sequence == 1;
}

/*
 * Resuming: skips the segments before the one holding record resume_sequence + 1 and
 * returns that one's index in `*start`. The first segment's header is still read: it
 * holds the ledger id, and checking it (sequence 1, zero prev_hash) catches a lost first
 * segment. The others are only sized (segment_skip).
 */
static enum tpw_err walk_skip(struct walk *walk, const uint64_t *sequences, size_t count,
                              size_t *start, struct tpw_error_detail *detail)
{
    TPW_ASSERT(count > 0);
    TPW_ASSERT(walk->resume_sequence > 0);
    size_t index = 0;
    while (index + 1 < count && segment_starts_by(sequences[index + 1], walk->resume_sequence)) {
        index++;
    }
    *start = index;
    if (index == 0) {
        return TPW_OK; /* the first segment is read in full anyway */
    }
    enum tpw_err err = segment_open(walk, sequences[0], false, detail);
    if (err == TPW_OK) {
        err = segment_header_read(walk, true, detail);
    }
    if (walk->fd >= 0) {
        (void)close(walk->fd);
        walk->fd = -1;
    }
    if (err != TPW_OK) {
        return err;
    }
    walk->segments++;
    walk->closed_bytes += walk->file_bytes;
    for (size_t skipped = 1; skipped < index; skipped++) {
        err = segment_skip(walk, sequences[skipped], detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    /* Sorted, distinct names and a first header at sequence 1: this one starts later. */
    TPW_ASSERT(sequences[index] > 1);
    walk->last_sequence = sequences[index] - 1;
    walk->link = walk->last_sequence == walk->resume_sequence ? LINK_CHECKPOINT : LINK_ADOPT;
    return TPW_OK;
}

/* Walks the journal in `dir`, from the first segment or, resuming, from the one holding
 * the checkpoint's next record. On success walk->fd is the last segment. */
static enum tpw_err walk_run(struct walk *walk, const char *dir, struct tpw_error_detail *detail)
{
    uint64_t *sequences = NULL;
    size_t count = 0;
    size_t start = 0;
    enum tpw_err err = walk_start(walk, dir, &sequences, &count, detail);
    if (err == TPW_OK && walk->resume_sequence > 0) {
        err = walk_skip(walk, sequences, count, &start, detail);
    }
    for (size_t index = start; err == TPW_OK && index < count; index++) {
        err = walk_segment(walk, sequences[index], index == 0, index + 1 == count, detail);
    }
    free(sequences);
    if (err == TPW_OK && walk->last_sequence < walk->resume_sequence) {
        err = resume_short(walk, detail);
    }
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
    journal->direct = !options->read_only && journal__direct_enable(journal->segment_fd);
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

/* A zeroed handle; a writable one gets its block buffer (journal_format.h). */
static struct journal *journal_alloc(bool writable)
{
    struct journal *journal = calloc(1, sizeof(*journal));
    void *block = NULL;
    if (journal == NULL || !writable) {
        return journal;
    }
    if (posix_memalign(&block, JOURNAL_BLOCK_BYTES, JOURNAL_RECORD_PADDED_MAX_BYTES) != 0) {
        free(journal);
        return NULL;
    }
    journal->block = block;
    return journal;
}

enum tpw_err journal_open(const struct journal_options *options, journal_apply_fn apply, void *ctx,
                          struct journal **out, struct tpw_error_detail *detail)
{
    if (options == NULL || out == NULL) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "invalid journal options");
    }
    *out = NULL;
    struct walk walk = {0};
    walk_init(&walk, options->read_only, options->io, options->resume, apply, ctx);
    enum tpw_err err = walk_run(&walk, options->dir, detail);
    if (err == TPW_OK) {
        TPW_ASSERT(walk.fd >= 0);
        struct journal *journal = journal_alloc(!options->read_only);
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
    walk_init(&walk, true, NULL, NULL, NULL, NULL);
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

/* ------------------------------------------------------------------------------------
 * Following a growing journal (journal_tail_*)
 *
 * A tail is the walker kept between calls, with the same segment and record checks and
 * three differences. It reads what is complete now and comes back later for more: at
 * the end of the buffered bytes it looks up the segment's size again (a refresh) before
 * it concludes anything. A damaged last record is "not yet" rather than a torn tail to
 * cut off, since the writer may be writing it at this moment. And every refresh checks
 * that the last record returned is still there, its header byte for byte: the writer
 * cuts a segment back only after a failed write or fdatasync, so a record that vanished
 * was never acknowledged, and whatever the caller built on it is wrong.
 * ------------------------------------------------------------------------------------ */

struct journal_tail {
    struct walk walk;
    struct journal_record record; /* the last one returned; its payload is in walk.buf */
    uint8_t hash[JOURNAL_HASH_BYTES];
    /* The last returned record's header as read, and its offset in the current segment
     * (0: none returned from this segment yet; records start at 512 or later). */
    uint8_t last_header[JOURNAL_RECORD_HEADER_BYTES];
    uint64_t last_offset;
    bool captured; /* the walker handed over the record it just accepted */
};

/* The walker's apply callback: keeps the record for journal_tail_next()'s caller. The
 * hash is the walker's local copy, so it is copied too. */
static enum tpw_err tail_capture(void *ctx, const struct journal_record *record,
                                 struct tpw_error_detail *detail)
{
    (void)detail;
    struct journal_tail *tail = ctx;
    TPW_ASSERT(!tail->captured);
    TPW_ASSERT(record->sequence == tail->walk.last_sequence + 1);
    tail->record = *record;
    memcpy(tail->hash, record->hash, JOURNAL_HASH_BYTES);
    tail->record.hash = tail->hash;
    tail->captured = true;
    return TPW_OK;
}

static enum tpw_err tail_retracted(const struct walk *walk, uint64_t offset_bytes,
                                   struct tpw_error_detail *detail)
{
    return journal__error(detail, TPW_ERR_LEDGER_EVENTS_RETRACTED, walk->segment_first_sequence,
                          offset_bytes, walk->last_sequence,
                          "record %" PRIu64 " was read, then cut off by the writer (its write "
                          "or fdatasync failed: it was never acknowledged)",
                          walk->last_sequence);
}

/* Whether the last record returned from this segment still has the header it had. */
static enum tpw_err tail_last_check(const struct journal_tail *tail,
                                    struct tpw_error_detail *detail)
{
    const struct walk *walk = &tail->walk;
    uint8_t header[JOURNAL_RECORD_HEADER_BYTES];
    ssize_t n = -1;
    do {
        n = pread(walk->fd, header, sizeof header, (off_t)tail->last_offset);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
        int error_number = errno;
        return WALK_ERROR(walk, detail, TPW_ERR_IO, tail->last_offset, "read failed: %s",
                          strerror(error_number));
    }
    if ((size_t)n != sizeof header || memcmp(header, tail->last_header, sizeof header) != 0) {
        return tail_retracted(walk, tail->last_offset, detail);
    }
    return TPW_OK;
}

/* Looks up the segment's size again and forgets the buffered bytes after the last good
 * record: they may have been read while the writer was writing them. */
static enum tpw_err tail_refresh(struct journal_tail *tail, struct tpw_error_detail *detail)
{
    struct walk *walk = &tail->walk;
    struct stat st = {0};
    if (fstat(walk->fd, &st) != 0) {
        int error_number = errno;
        return WALK_ERROR(walk, detail, TPW_ERR_IO, walk->segment_end_bytes,
                          "cannot stat the segment: %s", strerror(error_number));
    }
    uint64_t size = (uint64_t)st.st_size;
    if (size < walk->segment_end_bytes) {
        return tail_retracted(walk, size, detail);
    }
    if (tail->last_offset != 0) {
        enum tpw_err err = tail_last_check(tail, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    walk->file_bytes = size;
    walk->buf_offset = walk->segment_end_bytes;
    walk->buf_len = 0;
    return TPW_OK;
}

/* Whether the segment that would start with the next record exists: the writer rolled. */
static enum tpw_err tail_next_segment(const struct walk *walk, bool *exists,
                                      struct tpw_error_detail *detail)
{
    char name[JOURNAL_SEGMENT_NAME_SIZE] = {0};
    journal__segment_name(name, walk->last_sequence + 1);
    struct stat st = {0};
    *exists = fstatat(walk->dir_fd, name, &st, 0) == 0;
    if (!*exists && errno != ENOENT) {
        int error_number = errno;
        return WALK_ERROR(walk, detail, TPW_ERR_IO, 0, "cannot stat the next segment: %s",
                          strerror(error_number));
    }
    return TPW_OK;
}

/* Moves on to the next segment, checking its header against the chain. */
static enum tpw_err tail_roll(struct journal_tail *tail, struct tpw_error_detail *detail)
{
    struct walk *walk = &tail->walk;
    TPW_ASSERT(walk->fd >= 0);
    TPW_ASSERT(walk->segment_first_sequence <= walk->last_sequence);
    (void)close(walk->fd);
    walk->fd = -1;
    walk->closed_bytes += walk->segment_end_bytes;
    tail->last_offset = 0;
    enum tpw_err err = segment_open(walk, walk->last_sequence + 1, false, detail);
    if (err == TPW_OK) {
        err = segment_header_read(walk, false, detail);
    }
    if (err == TPW_OK) {
        walk->segments++;
    }
    return err;
}

/* At the end of what the current segment holds now (`frame` is FRAME_END or
 * FRAME_DAMAGED): a roll to the next segment (*rolled), damage, or the end for now. */
static enum tpw_err tail_end(struct journal_tail *tail, const struct frame *frame, bool *rolled,
                             struct tpw_error_detail *detail)
{
    struct walk *walk = &tail->walk;
    *rolled = false;
    bool exists = false;
    /* The writer rolls only away from a segment that holds a record, so an empty segment
     * is the last one (and the next one's name would be its own). */
    if (walk->segment_first_sequence <= walk->last_sequence) {
        enum tpw_err err = tail_next_segment(walk, &exists, detail);
        if (err != TPW_OK) {
            return err;
        }
    }
    if (exists && frame->status == FRAME_DAMAGED) {
        return WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, walk->segment_end_bytes, "%s",
                          frame->reason);
    }
    if (exists) {
        *rolled = true;
        return tail_roll(tail, detail);
    }
    if (frame->status == FRAME_END) {
        return TPW_OK;
    }
    bool found = false;
    uint64_t found_offset = 0;
    enum tpw_err err =
        scan_for_record(walk, walk->segment_end_bytes, &found, &found_offset, detail);
    if (err == TPW_OK && found) {
        err = WALK_ERROR(walk, detail, TPW_ERR_JOURNAL_CORRUPT, walk->segment_end_bytes,
                         "%s; a valid record follows at offset %" PRIu64, frame->reason,
                         found_offset);
    }
    return err; /* TPW_OK: an append in progress, or a torn tail: not yet */
}

static enum tpw_err tail_accept(struct journal_tail *tail, const struct frame *frame,
                                struct journal_record *record, struct tpw_error_detail *detail)
{
    struct walk *walk = &tail->walk;
    uint64_t offset = walk->segment_end_bytes;
    tail->captured = false;
    enum tpw_err err = record_accept(walk, frame, detail);
    if (err != TPW_OK) {
        return err;
    }
    TPW_ASSERT(tail->captured);
    TPW_ASSERT(tail->record.sequence == walk->last_sequence);
    memcpy(tail->last_header, frame->bytes, JOURNAL_RECORD_HEADER_BYTES);
    tail->last_offset = offset;
    *record = tail->record;
    return TPW_OK;
}

enum tpw_err journal_tail_next(struct journal_tail *tail, struct journal_record *record,
                               bool *found, struct tpw_error_detail *detail)
{
    *found = false;
    struct walk *walk = &tail->walk;
    bool refreshed = false;
    for (;;) {
        struct frame frame = {.status = FRAME_END};
        enum tpw_err err = record_frame(walk, walk->segment_end_bytes, &frame, detail);
        if (err != TPW_OK) {
            return err;
        }
        if (frame.status == FRAME_GOOD) {
            err = tail_accept(tail, &frame, record, detail);
            *found = err == TPW_OK;
            return err;
        }
        if (!refreshed) {
            err = tail_refresh(tail, detail);
            if (err != TPW_OK) {
                return err;
            }
            refreshed = true;
            continue;
        }
        bool rolled = false;
        err = tail_end(tail, &frame, &rolled, detail);
        if (err != TPW_OK || !rolled) {
            return err;
        }
        refreshed = false; /* a new segment: its size was just read */
    }
}

enum tpw_err journal_tail_open(const char *dir, struct journal_tail **out,
                               struct tpw_error_detail *detail)
{
    *out = NULL;
    struct journal_tail *tail = calloc(1, sizeof *tail);
    if (tail == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory following the journal");
    }
    struct walk *walk = &tail->walk;
    walk_init(walk, true, NULL, NULL, tail_capture, tail);
    uint64_t *sequences = NULL;
    size_t count = 0;
    enum tpw_err err = walk_start(walk, dir, &sequences, &count, detail);
    if (err == TPW_OK) {
        /* Segments are never deleted, so the journal starts at sequence 1; a first
         * file with another name is a missing segment (the header check says so). */
        TPW_ASSERT(count > 0 && sequences != NULL); /* walk_start refuses an empty list */
        err = segment_open(walk, sequences[0], true, detail);
    }
    if (err == TPW_OK) {
        err = segment_header_read(walk, true, detail);
    }
    free(sequences);
    if (err != TPW_OK) {
        journal_tail_close(tail);
        return err;
    }
    walk->segments++;
    *out = tail;
    return TPW_OK;
}

uint64_t journal_tail_sequence(const struct journal_tail *tail)
{
    return tail->walk.last_sequence;
}

void journal_tail_close(struct journal_tail *tail)
{
    if (tail == NULL) {
        return;
    }
    walk_end(&tail->walk);
    free(tail);
}
