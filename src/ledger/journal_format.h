/*
 * The journal's on-disk layout and the state shared by its writer (journal.c) and its
 * reader (journal_read.c). Private to src/ledger; docs/formats/journal.md is the
 * same description for readers of the files.
 *
 * All integers are little-endian. A journal directory holds segment files named by
 * the sequence of their first record, 20 decimal digits: 00000000000000000001.tpj.
 * Files with other names are ignored. A segment is one header, zero bytes up to offset
 * 512, and then records, each starting and ending (with its padding) at a multiple of
 * 512 bytes (JOURNAL_BLOCK_BYTES).
 *
 * Why 512-byte blocks: the writer appends with O_DIRECT where the file system allows
 * it (no copy into the page cache, which on the ledger's hot path cost more CPU than
 * applying the batch), and O_DIRECT writes whole blocks at aligned offsets. Because a
 * record's last block is its own, an append never rewrites a block that holds an
 * acknowledged record, so a write torn by a crash can only damage the new record.
 *
 * Segment header (JOURNAL_SEGMENT_HEADER_BYTES = 80):
 *
 *   offset size field
 *        0    8 magic           "TPWJSEG" followed by one zero byte
 *        8    4 header_crc32c   CRC32C of bytes 12..79
 *       12    2 format_version  2 (JOURNAL_FORMAT_VERSION)
 *       14    2 header_bytes    80
 *       16   16 ledger_id       the ledger's identity (u128); equal in every segment
 *       32    8 first_sequence  sequence of the segment's first record (= file name)
 *       40   32 prev_hash       hash of the previous segment's last record; zero in
 *                               the ledger's first segment
 *       72    8 reserved        zero
 *       80  432 padding         zero; the first record starts at 512
 *
 * Record (JOURNAL_RECORD_HEADER_BYTES = 72, then the payload, then 0..511 zero bytes
 * of padding up to the next multiple of 512):
 *
 *   offset size field
 *        0    4 magic           0x52575054 ("TPWR" as bytes)
 *        4    4 crc32c          CRC32C of bytes 8..length-1 (header rest and payload)
 *        8    4 length          header + payload bytes, without the padding
 *       12    2 type            enum journal_record_type
 *       14    2 format_version  2
 *       16    8 sequence        1, 2, 3, … across segments
 *       24    8 timestamp       ns since the epoch
 *       32    4 item_count
 *       36    4 reserved        zero
 *       40   32 prev_hash       hash of the previous record
 *       72    … payload         length - 72 bytes, at most JOURNAL_PAYLOAD_MAX_BYTES
 *
 * A record's hash is BLAKE2b-256 (unkeyed) of its `length` bytes: header, including
 * its crc32c field, and payload; the padding is not part of the record. The first
 * record of the ledger chains to the hash of the first segment's 80 header bytes, which
 * ties the chain to the ledger id.
 */
#ifndef LEDGER_JOURNAL_FORMAT_H
#define LEDGER_JOURNAL_FORMAT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "bytes.h"
#include "journal.h"
#include "tpwallet/error.h"
#include "tpwallet/u128.h"

/* 2: records on 512-byte blocks (1 aligned them to 8 bytes). */
#define JOURNAL_FORMAT_VERSION 2u

#define JOURNAL_SEGMENT_MAGIC "TPWJSEG" /* and its terminating NUL: 8 bytes */
#define JOURNAL_SEGMENT_MAGIC_BYTES 8u
#define JOURNAL_SEGMENT_HEADER_BYTES 80u

enum journal_segment_field_offset {
    JOURNAL_SEG_MAGIC = 0,
    JOURNAL_SEG_CRC = 8,
    JOURNAL_SEG_VERSION = 12,
    JOURNAL_SEG_HEADER_BYTES = 14,
    JOURNAL_SEG_LEDGER_ID = 16,
    JOURNAL_SEG_FIRST_SEQUENCE = 32,
    JOURNAL_SEG_PREV_HASH = 40,
    JOURNAL_SEG_RESERVED = 72,
};

#define JOURNAL_RECORD_MAGIC 0x52575054u
#define JOURNAL_RECORD_HEADER_BYTES 72u
/* The unit of every write: the logical block size O_DIRECT requires of offsets,
 * lengths and buffers on the disks this runs on (512 bytes; 4 KiB-sector disks would
 * need 4096, which the format would then have to say). */
#define JOURNAL_BLOCK_BYTES 512u
#define JOURNAL_RECORD_ALIGN_BYTES JOURNAL_BLOCK_BYTES
/* Where a segment's first record starts: the header padded to a whole block. */
#define JOURNAL_SEGMENT_DATA_OFFSET 512u
/* The largest record, header and payload, and its size with padding: one read buffer
 * of twice the padded size holds any record wherever it starts, and the writer stages
 * each record in a buffer of the padded size. */
#define JOURNAL_RECORD_MAX_BYTES (JOURNAL_RECORD_HEADER_BYTES + JOURNAL_PAYLOAD_MAX_BYTES)
#define JOURNAL_RECORD_PADDED_MAX_BYTES (1u << 20)

enum journal_record_field_offset {
    JOURNAL_REC_MAGIC = 0,
    JOURNAL_REC_CRC = 4,
    JOURNAL_REC_LENGTH = 8,
    JOURNAL_REC_TYPE = 12,
    JOURNAL_REC_VERSION = 14,
    JOURNAL_REC_SEQUENCE = 16,
    JOURNAL_REC_TIMESTAMP = 24,
    JOURNAL_REC_ITEM_COUNT = 32,
    JOURNAL_REC_RESERVED = 36,
    JOURNAL_REC_PREV_HASH = 40,
};

/* Opening reads segments through one buffer of this size (large reads, and room for
 * a whole record wherever it starts in the buffer). */
#define JOURNAL_READ_BUFFER_BYTES (2u << 20)
/* A short write is resumed at most this many calls in total before it is an error. */
#define JOURNAL_WRITE_CALLS_MAX 4
/* At most this many segment files (1 Mi × 256 MiB = 256 TiB of journal). */
#define JOURNAL_SEGMENTS_MAX (1u << 20)

/* "00000000000000000001.tpj" plus ".tmp" while a new segment is being written. */
#define JOURNAL_SEGMENT_NAME_DIGITS 20u
#define JOURNAL_SEGMENT_SUFFIX ".tpj"
#define JOURNAL_SEGMENT_TMP_SUFFIX ".tmp"
#define JOURNAL_SEGMENT_NAME_SIZE 32u

_Static_assert(JOURNAL_SEGMENT_DATA_OFFSET % JOURNAL_BLOCK_BYTES == 0 &&
                   JOURNAL_SEGMENT_DATA_OFFSET >= JOURNAL_SEGMENT_HEADER_BYTES,
               "records start on a block after the segment header");
_Static_assert(JOURNAL_RECORD_PADDED_MAX_BYTES % JOURNAL_BLOCK_BYTES == 0 &&
                   JOURNAL_RECORD_PADDED_MAX_BYTES >= JOURNAL_RECORD_MAX_BYTES &&
                   JOURNAL_RECORD_PADDED_MAX_BYTES - JOURNAL_RECORD_MAX_BYTES < JOURNAL_BLOCK_BYTES,
               "the largest record padded to whole blocks");
_Static_assert(2 * JOURNAL_RECORD_PADDED_MAX_BYTES <= JOURNAL_READ_BUFFER_BYTES,
               "the read buffer holds two whole records");
_Static_assert(sizeof(off_t) == 8, "journal offsets need a 64-bit off_t");

/* The record journal_append_start() hands to the worker, and what became of it. */
struct journal_job {
    struct tpw_error_detail detail; /* why it failed, when `result` is not TPW_OK */
    const void *payload;            /* the caller's: unchanged and alive until finish */
    size_t payload_bytes;
    uint64_t timestamp;
    uint32_t item_count;
    enum tpw_err result;
    uint16_t type;
};

/* Where the job stands; changed only with the journal's mutex held. */
enum journal_job_state {
    JOURNAL_JOB_IDLE,   /* nothing handed over: the worker sleeps */
    JOURNAL_JOB_QUEUED, /* handed over by start: the worker writes it */
    JOURNAL_JOB_DONE,   /* written (or failed): finish may take the result */
};

/*
 * An open journal (journal.h). Built by journal_open() in journal_read.c.
 *
 * Between journal_append_start() and journal_append_finish() the worker (journal.c)
 * owns `job` and the fields an append changes — last_sequence, last_hash,
 * segment_end_bytes, segment_records and failed — and the owner thread reads none of
 * them; handing over and back under `mutex` orders the accesses. Everything else is
 * the owner's: the worker only reads io, segment_fd and segment_first_sequence, which
 * change only in a segment roll, before the hand-over.
 */
struct journal {
    tpw_u128 ledger_id;
    struct journal_io io; /* every member set: the system calls unless injected */
    struct journal_job job;
    pthread_mutex_t mutex; /* guards job_state and worker_stop */
    pthread_cond_t cond;   /* broadcast whenever job_state or worker_stop changes */
    pthread_t worker;
    uint64_t segment_size_bytes;
    uint64_t segment_first_sequence;
    uint64_t segment_end_bytes; /* end of the last acknowledged record = file size */
    /* Writable journals: JOURNAL_RECORD_PADDED_MAX_BYTES, aligned to a block. The
     * worker builds each record here (header, payload, zero padding) and writes it
     * with one call, as O_DIRECT requires; NULL when read-only. */
    uint8_t *block;
    uint64_t segment_records;
    uint64_t closed_bytes; /* all earlier segments */
    uint64_t last_sequence;
    enum journal_job_state job_state;
    int dir_fd;
    int segment_fd; /* the last segment: appends go here */
    bool read_only;
    bool direct;         /* segment_fd has O_DIRECT (the file system allows it) */
    bool failed;         /* a write or sync failed: appends refuse (TPW_ERR_LEDGER_FAILED) */
    bool worker_running; /* the owner's: the worker thread exists (mutex and cond too);
                          * false after a start: finish writes the record itself */
    bool worker_stop;    /* journal_close() asks the worker to exit */
    bool append_open;    /* the owner's: a start awaits its finish */
    uint8_t last_hash[JOURNAL_HASH_BYTES];
};

static inline uint64_t journal__align(uint64_t length)
{
    return (length + JOURNAL_RECORD_ALIGN_BYTES - 1) & ~(uint64_t)(JOURNAL_RECORD_ALIGN_BYTES - 1);
}

/* Shared by journal.c and journal_read.c (defined in journal.c). */

/* `name` receives "<20 digits>.tpj" for `first_sequence`. */
void journal__segment_name(char name[JOURNAL_SEGMENT_NAME_SIZE], uint64_t first_sequence);

/* The system calls, or the injected ones (`io` may be NULL). */
struct journal_io journal__io_resolve(const struct journal_io *io);

/* BLAKE2b-256 of `a` followed by `b` (`b` may be NULL when `b_len` is 0). */
void journal__hash(uint8_t out[JOURNAL_HASH_BYTES], const uint8_t *a, size_t a_len,
                   const uint8_t *b, size_t b_len);

/* TPW_ERR_JOURNAL_FULL for ENOSPC and EDQUOT, TPW_ERR_IO for any other errno. */
enum tpw_err journal__errno_code(int error_number);

/* Sets `detail` to "journal segment <name> offset <o> sequence <s>: <reason>" and
 * returns `code`; <name> is the segment whose first record is `segment_first_sequence`. */
enum tpw_err journal__error(struct tpw_error_detail *detail, enum tpw_err code,
                            uint64_t segment_first_sequence, uint64_t offset_bytes,
                            uint64_t sequence, const char *format, ...)
    __attribute__((format(printf, 6, 7)));

/* Turns on O_DIRECT for appends to `fd` where the file system supports it; whether it
 * did. Without it the same block writes go through the page cache. */
bool journal__direct_enable(int fd);

/* libsodium's one-time set-up; TPW_ERR_INTERNAL when it fails. */
TPW_MUST_CHECK enum tpw_err journal__crypto_init(struct tpw_error_detail *detail);

/* Defined in journal_read.c. */

/*
 * The first sequences of the segment files in the directory `dir_fd`, sorted, in
 * `*sequences` (malloc'd, the caller frees; NULL when `*count` is 0). Other files are
 * ignored; stray "<segment>.tmp" files of an interrupted roll are removed when
 * `remove_tmp`.
 */
TPW_MUST_CHECK enum tpw_err journal__segments_list(int dir_fd, bool remove_tmp,
                                                   uint64_t **sequences /* out */,
                                                   size_t *count /* out */,
                                                   struct tpw_error_detail *detail);

#endif /* LEDGER_JOURNAL_FORMAT_H */
