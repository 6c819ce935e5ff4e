/*
 * The ledger: event-sourced, double-entry, multi-asset accounts and transfers.
 *
 * Accounts and transfers are fixed 128-byte records with 128-bit ids and amounts, in
 * the model TigerBeetle made known: every transfer debits one account and credits
 * another of the same asset, balances are four counters (debits and credits, pending
 * and posted), and a batch of commands returns one result code per command. The
 * journal on disk is the source of truth; a batch is acknowledged (these functions
 * return TPW_OK) only after the journal record holding it is written and
 * fdatasync'd. docs/ledger.md is the user's guide: semantics, result codes and their
 * precedence, guarantees and what is not guaranteed.
 *
 * Threading: a `ledger` handle is used by one thread at a time.
 */
#ifndef TPWALLET_LEDGER_H
#define TPWALLET_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tpwallet/clock.h"
#include "tpwallet/error.h"
#include "tpwallet/u128.h"

/* A batch holds at most this many commands: 8189 transfers of 128 bytes and the
 * journal record header fit in one mebibyte. */
#define LEDGER_BATCH_MAX 8189

/* 0 and 2^128-1 are never valid ids (2^128-1 stays free as a sentinel). */
#define LEDGER_ID_MAX TPW_U128_MAX

/* ------------------------------------------------------------------------------------
 * Assets
 *
 * Records carry a 32-bit asset number, not the code: a ledger keeps its own table of
 * the assets it has seen (code and exponent), numbered 1, 2, … in the order they were
 * defined, and that table is journaled like everything else. The journal therefore
 * describes itself: replaying it never depends on the asset configuration of the day.
 * ------------------------------------------------------------------------------------ */

struct ledger_asset {
    uint32_t number;  /* 1.. in order of definition */
    uint8_t exponent; /* minor unit = 10^-exponent */
    char code[9];     /* "USD", NUL-terminated, 2..8 characters */
};

/* ------------------------------------------------------------------------------------
 * Accounts
 * ------------------------------------------------------------------------------------ */

enum ledger_account_flag {
    /* The account is created together with the next one in the batch: all or none. */
    LEDGER_ACCOUNT_LINKED = 1u << 0,
    /* debits_pending + debits_posted ≤ credits_posted + overdraft_limit. */
    LEDGER_ACCOUNT_DEBITS_MUST_NOT_EXCEED_CREDITS = 1u << 1,
    /* credits_pending + credits_posted ≤ debits_posted. */
    LEDGER_ACCOUNT_CREDITS_MUST_NOT_EXCEED_DEBITS = 1u << 2,
    /* Stored for TigerBeetle compatibility; every account's history is kept anyway, so
     * balances as of a time work with or without it. */
    LEDGER_ACCOUNT_HISTORY = 1u << 3,
    /* No new transfers; set and cleared by closing transfers (pending, then voided). */
    LEDGER_ACCOUNT_CLOSED = 1u << 4,
};
#define LEDGER_ACCOUNT_FLAGS_ALL 0x1fu

/* What an account is for. The ledger treats every kind alike; the kind tells the
 * operators, the API and the dashboard how to present it. */
enum ledger_account_kind {
    LEDGER_KIND_USER = 1,        /* a customer's wallet in one asset */
    LEDGER_KIND_SUB_ACCOUNT = 2, /* a customer's earmarked sub-account (savings, basket) */
    LEDGER_KIND_FX_POOL = 3,     /* the house's conversion pool in one asset */
    LEDGER_KIND_FEES = 4,        /* fee income */
    LEDGER_KIND_SETTLEMENT = 5,  /* nostro / settlement with a bank or venue */
    LEDGER_KIND_SUSPENSE = 6,    /* unreconciled money waiting for a decision */
    LEDGER_KIND_EXTERNAL = 7,    /* the outside world: deposits come from it */
    LEDGER_KIND_EQUITY = 8,      /* the house's own capital */
};
#define LEDGER_KIND_MAX 8

/*
 * byte  size  field
 *    0    16  id               not 0, not 2^128-1
 *   16    16  debits_pending   must be 0 when created
 *   32    16  debits_posted    must be 0 when created
 *   48    16  credits_pending  must be 0 when created
 *   64    16  credits_posted   must be 0 when created
 *   80    16  overdraft_limit  how far debits may exceed credits (needs the flag)
 *   96    16  owner            the owning user's id; 0 for house accounts
 *  112     8  timestamp        assigned by the ledger; must be 0 when created
 *  120     4  asset            asset number (see above)
 *  124     2  kind             enum ledger_account_kind
 *  126     2  flags            enum ledger_account_flag
 */
struct ledger_account {
    tpw_u128 id;
    tpw_u128 debits_pending;
    tpw_u128 debits_posted;
    tpw_u128 credits_pending;
    tpw_u128 credits_posted;
    tpw_u128 overdraft_limit;
    tpw_u128 owner;
    uint64_t timestamp;
    uint32_t asset;
    uint16_t kind;
    uint16_t flags;
};

/* ------------------------------------------------------------------------------------
 * Transfers
 * ------------------------------------------------------------------------------------ */

enum ledger_transfer_flag {
    LEDGER_TRANSFER_LINKED = 1u << 0,       /* succeeds or fails with the next one */
    LEDGER_TRANSFER_PENDING = 1u << 1,      /* reserve now, post or void later */
    LEDGER_TRANSFER_POST_PENDING = 1u << 2, /* post pending_id, fully or partly */
    LEDGER_TRANSFER_VOID_PENDING = 1u << 3, /* void pending_id */
    /* Move at most `amount`: as much as the debit (credit) account's limit allows. */
    LEDGER_TRANSFER_BALANCING_DEBIT = 1u << 4,
    LEDGER_TRANSFER_BALANCING_CREDIT = 1u << 5,
    /* A pending transfer that closes its debit (credit) account; voiding reopens it. */
    LEDGER_TRANSFER_CLOSING_DEBIT = 1u << 6,
    LEDGER_TRANSFER_CLOSING_CREDIT = 1u << 7,
};
#define LEDGER_TRANSFER_FLAGS_ALL 0xffu

/*
 * byte  size  field
 *    0    16  id                 not 0, not 2^128-1
 *   16    16  debit_account_id
 *   32    16  credit_account_id
 *   48    16  amount             minor units of `asset`
 *   64    16  pending_id         the pending transfer a post or void refers to
 *   80    16  user_data          the caller's own reference; the ledger stores it
 *   96     8  timestamp          assigned by the ledger; must be 0 when created
 *  104     4  timeout_s          pending transfers: seconds until it expires; 0 = never
 *  108     4  asset              asset number
 *  112     2  code               the caller's reason code (not 0)
 *  114     2  flags              enum ledger_transfer_flag
 *  116    12  reserved           must be zero
 */
struct ledger_transfer {
    tpw_u128 id;
    tpw_u128 debit_account_id;
    tpw_u128 credit_account_id;
    tpw_u128 amount;
    tpw_u128 pending_id;
    tpw_u128 user_data;
    uint64_t timestamp;
    uint32_t timeout_s;
    uint32_t asset;
    uint16_t code;
    uint16_t flags;
    uint8_t reserved[12];
};

/* What became of a pending transfer. Other transfers are always LEDGER_PENDING_NONE. */
enum ledger_pending_state {
    LEDGER_PENDING_NONE = 0,
    LEDGER_PENDING_PENDING = 1,
    LEDGER_PENDING_POSTED = 2,
    LEDGER_PENDING_VOIDED = 3,
    LEDGER_PENDING_EXPIRED = 4,
};
const char *ledger_pending_state_name(enum ledger_pending_state state);

/* ------------------------------------------------------------------------------------
 * Result codes
 *
 * One per command, listed in precedence order: when several apply, the first listed
 * is returned. Numbers are stable (append only); the order of the list is the
 * precedence and is documented in docs/ledger.md. X(NAME, number).
 * ------------------------------------------------------------------------------------ */

#define LEDGER_ACCOUNT_RESULTS(X)                                                                  \
    X(OK, 0)                                                                                       \
    X(LINKED_EVENT_FAILED, 1)                                                                      \
    X(LINKED_EVENT_CHAIN_OPEN, 2)                                                                  \
    X(TIMESTAMP_MUST_BE_ZERO, 3)                                                                   \
    X(RESERVED_FLAG, 4)                                                                            \
    X(ID_MUST_NOT_BE_ZERO, 5)                                                                      \
    X(ID_MUST_NOT_BE_INT_MAX, 6)                                                                   \
    X(EXISTS_WITH_DIFFERENT_FLAGS, 7)                                                              \
    X(EXISTS_WITH_DIFFERENT_ASSET, 8)                                                              \
    X(EXISTS_WITH_DIFFERENT_KIND, 9)                                                               \
    X(EXISTS_WITH_DIFFERENT_OWNER, 10)                                                             \
    X(EXISTS_WITH_DIFFERENT_OVERDRAFT_LIMIT, 11)                                                   \
    X(EXISTS, 12)                                                                                  \
    X(FLAGS_ARE_MUTUALLY_EXCLUSIVE, 13)                                                            \
    X(DEBITS_PENDING_MUST_BE_ZERO, 14)                                                             \
    X(DEBITS_POSTED_MUST_BE_ZERO, 15)                                                              \
    X(CREDITS_PENDING_MUST_BE_ZERO, 16)                                                            \
    X(CREDITS_POSTED_MUST_BE_ZERO, 17)                                                             \
    X(ASSET_MUST_NOT_BE_ZERO, 18)                                                                  \
    X(KIND_INVALID, 19)                                                                            \
    X(OVERDRAFT_LIMIT_REQUIRES_DEBITS_MUST_NOT_EXCEED_CREDITS, 20)                                 \
    X(ASSET_NOT_FOUND, 21)

enum ledger_account_result {
#define LEDGER_X_ENUM(name, number) LEDGER_ACCOUNT_##name = (number),
    LEDGER_ACCOUNT_RESULTS(LEDGER_X_ENUM)
#undef LEDGER_X_ENUM
};

#define LEDGER_TRANSFER_RESULTS(X)                                                                 \
    X(OK, 0)                                                                                       \
    X(LINKED_EVENT_FAILED, 1)                                                                      \
    X(LINKED_EVENT_CHAIN_OPEN, 2)                                                                  \
    X(TIMESTAMP_MUST_BE_ZERO, 3)                                                                   \
    X(RESERVED_FLAG, 4)                                                                            \
    X(RESERVED_FIELD, 5)                                                                           \
    X(ID_MUST_NOT_BE_ZERO, 6)                                                                      \
    X(ID_MUST_NOT_BE_INT_MAX, 7)                                                                   \
    X(EXISTS_WITH_DIFFERENT_FLAGS, 8)                                                              \
    X(EXISTS_WITH_DIFFERENT_PENDING_ID, 9)                                                         \
    X(EXISTS_WITH_DIFFERENT_TIMEOUT, 10)                                                           \
    X(EXISTS_WITH_DIFFERENT_DEBIT_ACCOUNT_ID, 11)                                                  \
    X(EXISTS_WITH_DIFFERENT_CREDIT_ACCOUNT_ID, 12)                                                 \
    X(EXISTS_WITH_DIFFERENT_AMOUNT, 13)                                                            \
    X(EXISTS_WITH_DIFFERENT_USER_DATA, 14)                                                         \
    X(EXISTS_WITH_DIFFERENT_ASSET, 15)                                                             \
    X(EXISTS_WITH_DIFFERENT_CODE, 16)                                                              \
    X(EXISTS, 17)                                                                                  \
    X(ID_ALREADY_FAILED, 18)                                                                       \
    X(FLAGS_ARE_MUTUALLY_EXCLUSIVE, 19)                                                            \
    X(DEBIT_ACCOUNT_ID_MUST_NOT_BE_ZERO, 20)                                                       \
    X(DEBIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX, 21)                                                    \
    X(CREDIT_ACCOUNT_ID_MUST_NOT_BE_ZERO, 22)                                                      \
    X(CREDIT_ACCOUNT_ID_MUST_NOT_BE_INT_MAX, 23)                                                   \
    X(ACCOUNTS_MUST_BE_DIFFERENT, 24)                                                              \
    X(PENDING_ID_MUST_BE_ZERO, 25)                                                                 \
    X(PENDING_ID_MUST_NOT_BE_ZERO, 26)                                                             \
    X(PENDING_ID_MUST_NOT_BE_INT_MAX, 27)                                                          \
    X(PENDING_ID_MUST_BE_DIFFERENT, 28)                                                            \
    X(TIMEOUT_RESERVED_FOR_PENDING_TRANSFER, 29)                                                   \
    X(CLOSING_TRANSFER_MUST_BE_PENDING, 30)                                                        \
    X(AMOUNT_MUST_NOT_BE_ZERO, 31)                                                                 \
    X(ASSET_MUST_NOT_BE_ZERO, 32)                                                                  \
    X(CODE_MUST_NOT_BE_ZERO, 33)                                                                   \
    X(DEBIT_ACCOUNT_NOT_FOUND, 34)                                                                 \
    X(CREDIT_ACCOUNT_NOT_FOUND, 35)                                                                \
    X(ACCOUNTS_MUST_HAVE_THE_SAME_ASSET, 36)                                                       \
    X(TRANSFER_MUST_HAVE_THE_SAME_ASSET_AS_ACCOUNTS, 37)                                           \
    X(PENDING_TRANSFER_NOT_FOUND, 38)                                                              \
    X(PENDING_TRANSFER_NOT_PENDING, 39)                                                            \
    X(PENDING_TRANSFER_HAS_DIFFERENT_DEBIT_ACCOUNT_ID, 40)                                         \
    X(PENDING_TRANSFER_HAS_DIFFERENT_CREDIT_ACCOUNT_ID, 41)                                        \
    X(PENDING_TRANSFER_HAS_DIFFERENT_ASSET, 42)                                                    \
    X(PENDING_TRANSFER_HAS_DIFFERENT_CODE, 43)                                                     \
    X(EXCEEDS_PENDING_TRANSFER_AMOUNT, 44)                                                         \
    X(PENDING_TRANSFER_HAS_DIFFERENT_AMOUNT, 45)                                                   \
    X(PENDING_TRANSFER_ALREADY_POSTED, 46)                                                         \
    X(PENDING_TRANSFER_ALREADY_VOIDED, 47)                                                         \
    X(PENDING_TRANSFER_EXPIRED, 48)                                                                \
    X(DEBIT_ACCOUNT_ALREADY_CLOSED, 49)                                                            \
    X(CREDIT_ACCOUNT_ALREADY_CLOSED, 50)                                                           \
    X(OVERFLOWS_DEBITS_PENDING, 51)                                                                \
    X(OVERFLOWS_CREDITS_PENDING, 52)                                                               \
    X(OVERFLOWS_DEBITS_POSTED, 53)                                                                 \
    X(OVERFLOWS_CREDITS_POSTED, 54)                                                                \
    X(OVERFLOWS_DEBITS, 55)                                                                        \
    X(OVERFLOWS_CREDITS, 56)                                                                       \
    X(OVERFLOWS_TIMEOUT, 57)                                                                       \
    X(EXCEEDS_CREDITS, 58)                                                                         \
    X(EXCEEDS_DEBITS, 59)

enum ledger_transfer_result {
#define LEDGER_X_ENUM(name, number) LEDGER_TRANSFER_##name = (number),
    LEDGER_TRANSFER_RESULTS(LEDGER_X_ENUM)
#undef LEDGER_X_ENUM
};

/* Lowercase names ("exceeds_credits"); NULL for values outside the table. */
const char *ledger_account_result_name(enum ledger_account_result result);
const char *ledger_transfer_result_name(enum ledger_transfer_result result);

/*
 * True for results that depend on the ledger's state rather than on the command alone
 * (from debit_account_not_found on, in precedence order). Such a failure pins the id:
 * every later command with that id gets id_already_failed, so a retry can never flip
 * an outcome that a client may already have acted on.
 */
bool ledger_transfer_result_is_transient(enum ledger_transfer_result result);

/* Flag names ("debits_must_not_exceed_credits", "post_pending") for text formats. */
const char *ledger_account_flag_name(enum ledger_account_flag flag);
const char *ledger_transfer_flag_name(enum ledger_transfer_flag flag);
const char *ledger_account_kind_name(enum ledger_account_kind kind);
/* Inverse lookups: TPW_ERR_LEDGER_FLAG_UNKNOWN / TPW_ERR_LEDGER_KIND_UNKNOWN. */
TPW_MUST_CHECK enum tpw_err ledger_account_flag_parse(const char *name, uint16_t *flag /* out */);
TPW_MUST_CHECK enum tpw_err ledger_transfer_flag_parse(const char *name, uint16_t *flag /* out */);
TPW_MUST_CHECK enum tpw_err ledger_account_kind_parse(const char *name, uint16_t *kind /* out */);

/* ------------------------------------------------------------------------------------
 * Opening and closing
 * ------------------------------------------------------------------------------------ */

/* An open ledger. Opaque; not a typedef, so `struct ledger *ledger` reads naturally. */
struct ledger;

struct ledger_options {
    const char *data_dir;   /* created by ledger_init() */
    struct tpw_clock clock; /* stamps batches; tpw_clock_system() in production */
    bool read_only;         /* open for queries and verification only */
    /* Journal segment size before rolling to a new file; 0 = the default (256 MiB). */
    uint64_t segment_size_bytes;
    /* Changes (new transfers, pinned failures, changed accounts) kept in memory before
     * a checkpoint stores them in DATA/index; 0 = the default (1,048,576). Memory holds
     * at most about three times this many (about 200 bytes each). Tests make it small
     * to checkpoint often. */
    uint64_t checkpoint_interval;
    /* Read-only opens only: ignore DATA/index and rebuild the state from the whole
     * journal, in memory (how `tpwallet replay` checks the checkpoints). */
    bool ignore_checkpoint;
};

/* Creates an empty ledger in `data_dir` (the directory may exist but must not hold a
 * ledger: TPW_ERR_LEDGER_EXISTS). */
TPW_MUST_CHECK enum tpw_err ledger_init(const char *data_dir, struct tpw_error_detail *detail);

/*
 * Opens the ledger, recovering its state by replaying the journal. A torn last record
 * (a write cut short by a crash) is truncated; any other damage stops the open with
 * TPW_ERR_JOURNAL_CORRUPT and a message naming the segment, offset and sequence.
 * The data directory is locked: a second writer gets TPW_ERR_LEDGER_LOCKED.
 */
TPW_MUST_CHECK enum tpw_err ledger_open(const struct ledger_options *options,
                                        struct ledger **out /* out */,
                                        struct tpw_error_detail *detail);
void ledger_close(struct ledger *ledger);

/* ------------------------------------------------------------------------------------
 * Commands. Each call is one batch: one journal record, one fdatasync.
 *
 * TPW_OK means the batch was durably journaled and applied; results[i] (which the
 * caller sizes to `count`) says what happened to command i. Any other return means
 * nothing was acknowledged. A batch is applied to memory while its journal record is
 * written and synced, so after a journal write or sync failure memory may hold a batch
 * that is not on disk: the handle then refuses further commands and every query that
 * returns an error code (TPW_ERR_LEDGER_FAILED). Close it and open the ledger again,
 * which recovers from what is really on disk.
 * ------------------------------------------------------------------------------------ */

/* Defines an asset (idempotent for the same code and exponent) and returns its number.
 * Errors: TPW_ERR_ASSET_CODE_INVALID, TPW_ERR_ASSET_EXPONENT_INVALID,
 * TPW_ERR_LEDGER_ASSET_CONFLICT (same code, other exponent), TPW_ERR_LEDGER_ASSETS_FULL. */
TPW_MUST_CHECK enum tpw_err ledger_asset_define(struct ledger *ledger, const char *code,
                                                uint8_t exponent, uint32_t *number /* out */,
                                                struct tpw_error_detail *detail);

TPW_MUST_CHECK enum tpw_err ledger_create_accounts(struct ledger *ledger,
                                                   const struct ledger_account *accounts,
                                                   size_t count,
                                                   enum ledger_account_result *results /* out */,
                                                   struct tpw_error_detail *detail);

TPW_MUST_CHECK enum tpw_err ledger_create_transfers(struct ledger *ledger,
                                                    const struct ledger_transfer *transfers,
                                                    size_t count,
                                                    enum ledger_transfer_result *results /* out */,
                                                    struct tpw_error_detail *detail);

/* ------------------------------------------------------------------------------------
 * Queries (never journaled, never blocked by the journal). On a handle stopped by a
 * storage failure, every query returning enum tpw_err returns TPW_ERR_LEDGER_FAILED;
 * the counts and the account list cannot refuse, and may then include the failed batch.
 * ------------------------------------------------------------------------------------ */

/* Assets by number or code: TPW_ERR_LEDGER_ASSET_NOT_FOUND. */
TPW_MUST_CHECK enum tpw_err ledger_asset_get(const struct ledger *ledger, uint32_t number,
                                             struct ledger_asset *out /* out */);
TPW_MUST_CHECK enum tpw_err ledger_asset_find(const struct ledger *ledger, const char *code,
                                              struct ledger_asset *out /* out */);
size_t ledger_asset_count(const struct ledger *ledger);

/* The account now: TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND. */
TPW_MUST_CHECK enum tpw_err ledger_account_get(const struct ledger *ledger, tpw_u128 id,
                                               struct ledger_account *out /* out */);

/* Accounts in creation order, starting after the one created at `after_timestamp`
 * (0 = from the first). Returns how many were written to `out` (≤ `capacity`). */
size_t ledger_account_list(const struct ledger *ledger, uint64_t after_timestamp,
                           struct ledger_account *out /* out */, size_t capacity);
size_t ledger_account_count(const struct ledger *ledger);

/* A transfer by id, with the state of a pending one: TPW_ERR_LEDGER_TRANSFER_NOT_FOUND. */
TPW_MUST_CHECK enum tpw_err ledger_transfer_get(const struct ledger *ledger, tpw_u128 id,
                                                struct ledger_transfer *out /* out */,
                                                enum ledger_pending_state *state /* out */);

/* Balances of an account as they stood at the end of `timestamp` (ns since the epoch). */
struct ledger_balance {
    uint64_t timestamp; /* the last event that touched them (a transfer of the account,
                         * even of amount 0, or an expiry's release); 0 = none yet */
    tpw_u128 debits_pending;
    tpw_u128 debits_posted;
    tpw_u128 credits_pending;
    tpw_u128 credits_posted;
};
TPW_MUST_CHECK enum tpw_err ledger_balance_as_of(const struct ledger *ledger, tpw_u128 account_id,
                                                 uint64_t timestamp,
                                                 struct ledger_balance *out /* out */);

/*
 * An account's transfers by timestamp: those with timestamp > `after_timestamp`
 * (ascending) or < `before_timestamp` when `descending` (0 = no bound). Writes at most
 * `capacity` to `out`, sets *count, and *has_more when more follow. Pagination passes
 * the last returned timestamp back. TPW_ERR_LEDGER_ACCOUNT_NOT_FOUND.
 */
struct ledger_history_query {
    tpw_u128 account_id;
    uint64_t after_timestamp;
    uint64_t before_timestamp;
    bool descending;
};
TPW_MUST_CHECK enum tpw_err ledger_account_transfers(const struct ledger *ledger,
                                                     const struct ledger_history_query *query,
                                                     struct ledger_transfer *out /* out */,
                                                     size_t capacity, size_t *count /* out */,
                                                     bool *has_more /* out */);

/* ------------------------------------------------------------------------------------
 * State
 * ------------------------------------------------------------------------------------ */

#define LEDGER_STATE_HASH_BYTES 32

/* A BLAKE2b-256 digest of the whole state (assets, accounts with their balances,
 * transfers with their pending states, pinned failures, the last timestamp), in a
 * canonical order: equal states give equal hashes, whatever order built them.
 * TPW_ERR_LEDGER_FAILED on a stopped handle. */
TPW_MUST_CHECK enum tpw_err ledger_state_hash(const struct ledger *ledger,
                                              uint8_t out[LEDGER_STATE_HASH_BYTES] /* out */);

struct ledger_stats {
    uint64_t journal_sequence; /* last record applied */
    uint64_t journal_bytes;    /* across all segments */
    uint64_t last_timestamp;   /* of the last command */
    uint64_t accounts;
    uint64_t transfers;
    uint64_t pending;    /* pending transfers not yet posted, voided or expired */
    uint64_t failed_ids; /* ids pinned by transient failures */
};
/* On a handle stopped by a storage failure the journal fields still say what is
 * durable, but the other counts may include the batch that failed. */
void ledger_stats_get(const struct ledger *ledger, struct ledger_stats *out /* out */);

/* ------------------------------------------------------------------------------------
 * Verification
 * ------------------------------------------------------------------------------------ */

struct ledger_journal_report {
    uint64_t segments;
    uint64_t records;
    uint64_t last_sequence;
    uint64_t bytes;
    bool torn_tail; /* the last record is incomplete: a crash cut its write short */
    uint8_t last_hash[32];
};

/*
 * Checks the journal in `data_dir` end to end — framing, CRC32C, sequence and the
 * BLAKE2b hash chain — without changing anything and without opening the ledger (it
 * may be open in another process). TPW_ERR_JOURNAL_CORRUPT names the segment, byte
 * offset and sequence of the first damage; a torn tail is reported, not an error.
 */
TPW_MUST_CHECK enum tpw_err ledger_journal_verify(const char *data_dir,
                                                  struct ledger_journal_report *report /* out */,
                                                  struct tpw_error_detail *detail);

/* ------------------------------------------------------------------------------------
 * Events
 *
 * The ledger's history as a stream of state changes, read from the journal: assets
 * defined, accounts created, transfers applied, pending transfers expired. A cursor
 * opens on a data directory, not on a handle: it reads the segment files directly and
 * read-only, takes no lock and never opens DATA/index, so it runs beside a writer in this
 * process or another without disturbing it, and it can be polled for what the writer
 * appends. docs/ledger.md ("Events") has the semantics and the costs.
 *
 * The journal holds commands, not results, so the cursor replays every record from the
 * first through the same deterministic state machine as recovery, in a private state in
 * memory, and reports what that replay did: only commands whose result was `ok` are
 * events (rejected commands, `exists`, and every command of a linked chain that rolled
 * back are not). Opening costs a replay of the history up to the id resumed after, and
 * the cursor's memory grows with the ledger's accounts and transfers, as a read-only
 * ledger_open without a checkpoint does.
 * ------------------------------------------------------------------------------------ */

/*
 * An event's id: the journal record (one batch) and the event's position in it.
 * Positions count the pending transfers the record's expiry sweep released first
 * (0 … e−1, in release order), then the record's commands (command i at e + i); a
 * rejected command leaves its position unused. Ids are therefore strictly increasing
 * in (sequence, index) order across the whole history, though not contiguous, and the
 * same journal always gives the same ids. {0, 0} is the start: every event is after it.
 */
struct ledger_event_id {
    uint64_t sequence; /* 1.. (the record); 0 only in the start id */
    uint64_t index;
};

/* The text form "<sequence>-<index>" in decimal ("17-3", the start "0-0"): at most 20
 * digits, a hyphen, 20 digits and the NUL. */
#define LEDGER_EVENT_ID_TEXT_SIZE 42

/* Parses the text form: decimal digits without signs, spaces or leading zeros, each
 * part at most 2^64−1. TPW_ERR_LEDGER_EVENT_ID_INVALID (detail->offset_bytes: where). */
TPW_MUST_CHECK enum tpw_err ledger_event_id_parse(const char *text, size_t length,
                                                  struct ledger_event_id *out /* out */,
                                                  struct tpw_error_detail *detail);
/* Writes the text form and its NUL; returns its length (without the NUL). */
size_t ledger_event_id_format(struct ledger_event_id id, char out[LEDGER_EVENT_ID_TEXT_SIZE]);
/* −1, 0 or 1 as `a` comes before, equals or follows `b`. */
int ledger_event_id_compare(struct ledger_event_id a, struct ledger_event_id b);

enum ledger_event_kind {
    LEDGER_EVENT_ASSET_DEFINED = 1,    /* `asset` */
    LEDGER_EVENT_ACCOUNT_CREATED = 2,  /* `account`: the record as stored (balances 0) */
    LEDGER_EVENT_TRANSFER_APPLIED = 3, /* `transfer`: the record as stored, balances after */
    LEDGER_EVENT_PENDING_EXPIRED = 4,  /* `transfer`: the pending transfer released */
};
/* "asset_defined", "account_created", "transfer_applied", "pending_expired"; NULL for
 * values outside the list. */
const char *ledger_event_kind_name(enum ledger_event_kind kind);

struct ledger_event {
    struct ledger_event_id id;
    /* When it happened (ns): the command's timestamp; for an expiry, the time of the
     * release (the first timestamp of the batch before which the sweep ran). */
    uint64_t timestamp;
    enum ledger_event_kind kind;
    union {
        struct ledger_asset asset;
        struct ledger_account account;
        /* The stored record: a post's or void's inherited fields filled in, a balancing
         * transfer's amount as moved, the ledger's timestamp. */
        struct ledger_transfer transfer;
    };
    /* Transfers and expiries: the balances of the transfer's debit and credit accounts
     * right after this event (their timestamp is the event's). Zero otherwise. */
    struct ledger_balance debit_balance;
    struct ledger_balance credit_balance;
};

/* A cursor over the events of one data directory. Opaque; used by one thread at a time. */
struct ledger_events;

/*
 * Opens a cursor that returns the events after `after` (NULL or {0, 0}: all of them),
 * replaying the journal up to `after`'s record first. Errors: TPW_ERR_LEDGER_NOT_FOUND
 * (no ledger in `data_dir`), TPW_ERR_LEDGER_EVENT_ID_FUTURE (its record is beyond the
 * journal's complete end), TPW_ERR_LEDGER_EVENT_ID_UNKNOWN (its index is past the last
 * position of its record, or {0, k > 0}), TPW_ERR_JOURNAL_CORRUPT and
 * TPW_ERR_JOURNAL_VERSION as for ledger_journal_verify(), TPW_ERR_NOMEM, TPW_ERR_IO.
 * The caller owns *out and closes it with ledger_events_close().
 */
TPW_MUST_CHECK enum tpw_err ledger_events_open(const char *data_dir,
                                               const struct ledger_event_id *after,
                                               struct ledger_events **out /* out */,
                                               struct tpw_error_detail *detail);

/*
 * The next event in `*event` with *found = true, or *found = false when the cursor is
 * at the end of the complete records for now: call again later (polling) to get what
 * has been appended since, across segment rolls. A last record still being written (or
 * torn by a crash, which the writer's next open cuts off) is "not yet", never an error.
 * Errors: TPW_ERR_JOURNAL_CORRUPT, TPW_ERR_JOURNAL_VERSION, TPW_ERR_NOMEM, TPW_ERR_IO,
 * and TPW_ERR_LEDGER_EVENTS_RETRACTED when the writer cut off a record whose events were
 * already returned (its write or fdatasync failed, so it was never acknowledged). An
 * error stops the cursor: every later call returns it again; open a new cursor.
 */
TPW_MUST_CHECK enum tpw_err ledger_events_next(struct ledger_events *cursor,
                                               struct ledger_event *event /* out */,
                                               bool *found /* out */,
                                               struct tpw_error_detail *detail);

/* An asset as the cursor's replay knows it (every asset defined up to the last event
 * returned), to show amounts and codes: TPW_ERR_LEDGER_ASSET_NOT_FOUND. */
TPW_MUST_CHECK enum tpw_err ledger_events_asset_get(const struct ledger_events *cursor,
                                                    uint32_t number,
                                                    struct ledger_asset *out /* out */);

/* The last journal record the cursor has read (0 before the first). */
uint64_t ledger_events_sequence(const struct ledger_events *cursor);

/* Frees the cursor and its replayed state; NULL is ignored. */
void ledger_events_close(struct ledger_events *cursor);

#endif /* TPWALLET_LEDGER_H */
