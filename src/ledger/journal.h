/*
 * The journal: the ledger's source of truth on disk (internal to src/ledger).
 *
 * A journal is a directory of segment files holding records in sequence order. Each
 * record is one batch of commands: framed with its length, type, sequence, timestamp
 * and item count, protected by a CRC32C, and chained to the record before it by that
 * record's BLAKE2b-256 hash. Appending is one write and one fdatasync; a record is
 * acknowledged only after both succeed. The byte layout is documented in journal_format.h
 * and docs/formats/journal.md.
 *
 * Threads. A journal belongs to the thread that opened it. A writable journal owns one
 * worker thread (started by the first append, joined by journal_close()) that encodes,
 * hashes, writes and syncs each record, so the owner can apply a batch to memory while
 * the disk works: journal_append_start() hands the record over, journal_append_finish()
 * waits for it. Start and finish strictly alternate, so at most one append is in flight
 * and the worker and the owner never run the journal's code at the same time; the
 * injected journal_io functions may therefore run on either thread but never on two at
 * once. Between a start and its finish the owner must not read what the worker changes:
 * journal_last_sequence(), journal_last_hash() and journal_size_bytes() (they assert
 * this), nor append again.
 */
#ifndef LEDGER_JOURNAL_H
#define LEDGER_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "tpwallet/error.h"
#include "tpwallet/u128.h"

#define JOURNAL_HASH_BYTES 32
/* A record's payload is at most one full batch of 128-byte items. */
#define JOURNAL_PAYLOAD_MAX_BYTES (8189u * 128u)
#define JOURNAL_SEGMENT_SIZE_DEFAULT (256ull << 20)

enum journal_record_type {
    JOURNAL_RECORD_ASSETS = 1,    /* items: struct ledger__asset_command (16 bytes) */
    JOURNAL_RECORD_ACCOUNTS = 2,  /* items: struct ledger_account (128 bytes) */
    JOURNAL_RECORD_TRANSFERS = 3, /* items: struct ledger_transfer (128 bytes) */
};

/* A record as read back. `payload` points into the journal's read buffer and stays
 * valid only during the callback it is passed to. */
struct journal_record {
    uint64_t sequence;  /* 1, 2, 3, … with no gaps across segments */
    uint64_t timestamp; /* the batch's timestamp (ns since the epoch) */
    uint16_t type;      /* enum journal_record_type */
    uint32_t item_count;
    const uint8_t *payload;
    uint32_t payload_bytes;
    /* This record's chain hash (what the next record carries as prev_hash), so a caller
     * can check a sequence's hash while replaying; valid only during the callback. */
    const uint8_t *hash;
};

/*
 * File operations the journal performs on its write path, replaceable so tests can
 * inject short writes, ENOSPC and fsync failures. NULL in journal_options means the
 * real system calls. Each returns what the system call would (and sets errno).
 */
struct journal_io {
    ssize_t (*pwritev)(void *ctx, int fd, const struct iovec *iov, int iovcnt, off_t offset);
    int (*fdatasync)(void *ctx, int fd);
    int (*ftruncate)(void *ctx, int fd, off_t length);
    void *ctx;
};

/*
 * Where a checkpoint left off: the last record it includes and that record's chain hash
 * (journal_last_sequence() and journal_last_hash() when it was taken). Opening from it
 * replays only the records after `sequence`.
 */
struct journal_resume {
    uint64_t sequence; /* 0: the checkpoint includes no record; read from the first */
    uint8_t hash[JOURNAL_HASH_BYTES];
};

struct journal_options {
    const char *dir;             /* the journal directory (DATA/journal) */
    uint64_t segment_size_bytes; /* 0 = JOURNAL_SEGMENT_SIZE_DEFAULT */
    bool read_only;              /* never write: a torn tail is reported, not truncated */
    const struct journal_io *io; /* NULL = the real system calls */
    /* NULL (or sequence 0): read and apply every record. Read during journal_open()
     * only; the caller keeps ownership. */
    const struct journal_resume *resume;
};

/* Called for every record in order while opening. A non-OK return stops the open and
 * is returned by journal_open(). */
typedef enum tpw_err (*journal_apply_fn)(void *ctx, const struct journal_record *record,
                                         struct tpw_error_detail *detail);

struct journal;

/* Creates an empty journal in `dir` (created if missing) for a new ledger whose
 * identity is `ledger_id`, and makes it durable (files and directory fsync'd). */
TPW_MUST_CHECK enum tpw_err journal_create(const char *dir, tpw_u128 ledger_id,
                                           struct tpw_error_detail *detail);

/*
 * Opens the journal, reads every record from the first segment on, verifying framing,
 * CRC32C, the hash chain and the sequence, and calls `apply` for each. A torn tail —
 * an incomplete or unreadable last record with nothing valid after it — is truncated
 * (fsync'd) and logged. Any other damage returns TPW_ERR_JOURNAL_CORRUPT with
 * detail->message naming the segment file, byte offset and sequence.
 *
 * With options->resume at sequence S > 0, segments that end before record S + 1 are
 * not read (only listed and sized; the first segment's header is still read, for the
 * ledger id), records before S + 1 in the segment holding it are verified but not
 * applied, and `apply` sees S + 1, S + 2, … The hash of record S (or the prev_hash of a
 * segment starting at S + 1) must equal resume->hash, and the journal must reach S;
 * otherwise TPW_ERR_CHECKPOINT_MISMATCH. A damaged record the checkpoint includes is
 * never truncated as a torn tail: it was acknowledged. Damage in the skipped segments
 * goes unnoticed here; journal_verify() is the end-to-end check.
 */
TPW_MUST_CHECK enum tpw_err journal_open(const struct journal_options *options,
                                         journal_apply_fn apply, void *ctx,
                                         struct journal **out /* out */,
                                         struct tpw_error_detail *detail);

/*
 * Appends one record (sequence = last + 1) with one write and one fdatasync, rolling
 * to a new segment first when this one is full. On TPW_OK the record is durable. On
 * any failure (TPW_ERR_JOURNAL_FULL for ENOSPC, TPW_ERR_JOURNAL_SYNC for a failed
 * fdatasync, TPW_ERR_IO otherwise) the journal tries to cut the file back to the
 * last acknowledged record and then refuses every later append (TPW_ERR_LEDGER_FAILED):
 * after a failed fsync the page cache can no longer be trusted. The same as
 * journal_append_start() followed by journal_append_finish().
 */
TPW_MUST_CHECK enum tpw_err journal_append(struct journal *journal, uint16_t type,
                                           uint64_t timestamp, uint32_t item_count,
                                           const void *payload, size_t payload_bytes,
                                           struct tpw_error_detail *detail);

/*
 * The first half of journal_append(): checks the append and rolls to a new segment
 * when needed, on the calling thread, then hands the record to the journal's worker
 * and returns without waiting. `payload` must stay unchanged and alive until
 * journal_append_finish(). An error here (TPW_ERR_LEDGER_READ_ONLY,
 * TPW_ERR_LEDGER_FAILED, TPW_ERR_INVALID_ARGUMENT, or a failed roll, which poisons the
 * journal) means nothing was handed over: do not call finish. If the worker thread
 * cannot be started, finish does the work itself instead.
 */
TPW_MUST_CHECK enum tpw_err journal_append_start(struct journal *journal, uint16_t type,
                                                 uint64_t timestamp, uint32_t item_count,
                                                 const void *payload, size_t payload_bytes,
                                                 struct tpw_error_detail *detail);

/*
 * The second half: waits until the record handed over by a successful
 * journal_append_start() is written and synced, and returns what journal_append()
 * would have: TPW_OK when the record is durable, else TPW_ERR_JOURNAL_FULL,
 * TPW_ERR_JOURNAL_SYNC or TPW_ERR_IO with the same messages, after which every
 * append is refused (TPW_ERR_LEDGER_FAILED).
 */
TPW_MUST_CHECK enum tpw_err journal_append_finish(struct journal *journal,
                                                  struct tpw_error_detail *detail);

uint64_t journal_last_sequence(const struct journal *journal);
/* Copies the last record's chain hash into `out` (with no records, the first segment
 * header's hash, to which record 1 chains): with journal_last_sequence(), what a
 * checkpoint stores to resume from (struct journal_resume). */
void journal_last_hash(const struct journal *journal, uint8_t out[JOURNAL_HASH_BYTES] /* out */);
uint64_t journal_size_bytes(const struct journal *journal); /* all segments */
tpw_u128 journal_ledger_id(const struct journal *journal);
/* Stops and joins the worker. An append in flight must be finished first. */
void journal_close(struct journal *journal);

struct journal_verify_report {
    uint64_t segments;
    uint64_t records;
    uint64_t last_sequence;
    uint64_t bytes;
    bool torn_tail; /* the last record is incomplete (a crash mid-write) */
    uint8_t last_hash[JOURNAL_HASH_BYTES];
};

/* Checks framing, checksums, sequence and the hash chain end to end without changing
 * anything. TPW_ERR_JOURNAL_CORRUPT as for journal_open(); a torn tail is reported in
 * the report, not as an error. */
TPW_MUST_CHECK enum tpw_err journal_verify(const char *dir,
                                           struct journal_verify_report *report /* out */,
                                           struct tpw_error_detail *detail);

/*
 * Following a journal that a writer — a handle in this process or another — may be
 * appending to. A tail reads the segment files directly, read-only, and takes no lock,
 * so it never disturbs the writer: it changes nothing (no truncation, no removal of a
 * roll's leftover), logs nothing, and reads through the page cache.
 *
 * Records come in order from sequence 1 with every check journal_open() makes (segment
 * headers, framing, CRC32C, sequence, the hash chain across segments). At the end of
 * what is complete, journal_tail_next() reports no record (*found = false); calling it
 * again later continues with whatever has been appended since, across segment rolls.
 * An incomplete or unreadable last record is an append in progress (or a torn tail that
 * the writer's next open cuts off): "not yet", never an error, unless a valid record
 * follows it or a later segment exists (TPW_ERR_JOURNAL_CORRUPT, as for journal_open()).
 * A segment cut back below a record already returned — the writer's recovery after a
 * failed write or fdatasync, so that record was never acknowledged — is
 * TPW_ERR_LEDGER_EVENTS_RETRACTED. A tail belongs to one thread at a time.
 */
struct journal_tail;

/* Opens the journal in `dir` for following: lists its segments (TPW_ERR_NOT_FOUND when
 * there are none) and checks the first one's header; reads no record yet. */
TPW_MUST_CHECK enum tpw_err journal_tail_open(const char *dir, struct journal_tail **out /* out */,
                                              struct tpw_error_detail *detail);

/* The next complete record in `*record`, valid (payload and hash) until the next call or
 * journal_tail_close(); or *found = false at the end for now. After an error the tail
 * must only be closed. */
TPW_MUST_CHECK enum tpw_err journal_tail_next(struct journal_tail *tail,
                                              struct journal_record *record /* out */,
                                              bool *found /* out */,
                                              struct tpw_error_detail *detail);

/* The sequence of the last record returned (0 before the first). */
uint64_t journal_tail_sequence(const struct journal_tail *tail);
void journal_tail_close(struct journal_tail *tail);

#endif /* LEDGER_JOURNAL_H */
