/*
 * The ledger facade: the data directory, its lock, recovery by replay, and the write
 * path — stamp a batch's time, hand its commands to the journal (one write and one
 * fdatasync, on the journal's worker thread), apply them to the state machine
 * meanwhile, wait for the fdatasync, and only then return TPW_OK.
 *
 * Journal and apply at once: the journal holds commands, not results, so the record
 * does not wait for the state machine, and applying is deterministic and needs nothing
 * from the disk. The price is the failure path: when the write or fsync fails, memory
 * already holds a batch that is not durable. The handle then refuses every further
 * command and every query (TPW_ERR_LEDGER_FAILED), so nothing that is not on disk can
 * be observed; after a failed fsync the page cache can no longer be trusted either,
 * and a reopen recovers from what is really on disk. Data directory layout:
 * DATA/journal/ (segments), DATA/index/ (the LMDB checkpoint store) and DATA/LOCK
 * (flock'd by the one writer).
 *
 * Opening loads the last checkpoint from the store and replays only the journal after
 * it. Between batches the checkpointer (checkpoint.c) freezes and stores what changed,
 * so memory holds the hot state and at most two windows of recent changes.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checkpoint.h"
#include "journal.h"
#include "ledger_int.h"
#include "store.h"
#include "tpw_assert.h"

#include "banned.h"

struct ledger {
    struct ledger__state state;
    /* Replay copies each record's payload here: records hold 128-bit fields, and a
     * payload inside the journal's read buffer need not be 16-byte aligned. */
    struct ledger_transfer *scratch;
    /* Results of replayed batches; the journal holds commands, not results. */
    enum ledger_transfer_result *scratch_results;
    struct journal *journal;
    struct store *store; /* NULL only for a read-only open of a ledger without one */
    struct ledger__checkpointer checkpointer;
    struct tpw_clock clock;
    int lock_fd;
    bool read_only;
    bool failed;
};

static enum tpw_err data_path(const char *data_dir, const char *name, char *path,
                              struct tpw_error_detail *detail)
{
    int n = snprintf(path, LEDGER_PATH_MAX, "%s/%s", data_dir, name);
    if (n < 0 || n >= LEDGER_PATH_MAX) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "data directory path too long");
    }
    return TPW_OK;
}

static bool path_exists(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0;
}

enum tpw_err ledger_init(const char *data_dir, struct tpw_error_detail *detail)
{
    char journal_dir[LEDGER_PATH_MAX];
    enum tpw_err err = data_path(data_dir, "journal", journal_dir, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (sodium_init() < 0) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libsodium failed to initialize");
    }
    if (mkdir(data_dir, 0750) != 0 && errno != EEXIST) {
        return tpw_error_set(detail, TPW_ERR_IO, 0, "cannot create \"%s\": %s", data_dir,
                             strerror(errno));
    }
    if (path_exists(journal_dir)) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_EXISTS, 0, "\"%s\" already holds a ledger",
                             data_dir);
    }
    tpw_u128 ledger_id = 0;
    randombytes_buf(&ledger_id, sizeof ledger_id);
    return journal_create(journal_dir, ledger_id, detail);
}

static enum tpw_err lock_data_dir(struct ledger *ledger, const char *data_dir,
                                  struct tpw_error_detail *detail)
{
    char path[LEDGER_PATH_MAX];
    enum tpw_err err = data_path(data_dir, "LOCK", path, detail);
    if (err != TPW_OK) {
        return err;
    }
    ledger->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (ledger->lock_fd < 0) {
        return tpw_error_set(detail, TPW_ERR_IO, 0, "cannot open \"%s\": %s", path,
                             strerror(errno));
    }
    if (flock(ledger->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_LOCKED, 0, "\"%s\" is open in another process",
                             data_dir);
    }
    return TPW_OK;
}

/* Replays one journal record into the state (journal_apply_fn). */
static enum tpw_err replay_record(void *ctx, const struct journal_record *record,
                                  struct tpw_error_detail *detail);

enum tpw_err ledger__journal_dir(const char *data_dir, char journal_dir[LEDGER_PATH_MAX],
                                 struct tpw_error_detail *detail)
{
    enum tpw_err err = data_path(data_dir, "journal", journal_dir, detail);
    if (err == TPW_OK && !path_exists(journal_dir)) {
        err = tpw_error_set(detail, TPW_ERR_LEDGER_NOT_FOUND, 0,
                            "no ledger in \"%s\" (create one with `tpwallet init`)", data_dir);
    }
    return err;
}

/* A handle with its state and replay buffers; NULL when out of memory. */
static struct ledger *ledger_alloc(const struct ledger_options *options)
{
    struct ledger *ledger = calloc(1, sizeof *ledger);
    if (ledger == NULL) {
        return NULL;
    }
    ledger->lock_fd = -1;
    ledger->clock = options->clock;
    ledger->read_only = options->read_only;
    uint64_t seed = 0;
    randombytes_buf(&seed, sizeof seed);
    enum tpw_err err = ledger__state_init(&ledger->state, seed);
    ledger->scratch = aligned_alloc(16, LEDGER_BATCH_MAX * sizeof *ledger->scratch);
    ledger->scratch_results = calloc(LEDGER_BATCH_MAX, sizeof *ledger->scratch_results);
    if (err != TPW_OK || ledger->scratch == NULL || ledger->scratch_results == NULL) {
        ledger_close(ledger);
        return NULL;
    }
    return ledger;
}

/* ---- loading the last checkpoint ---------------------------------------------------------- */

static enum tpw_err load_asset(void *ctx, const struct ledger_asset *asset)
{
    struct ledger__state *state = ctx;
    if (asset->number != state->asset_count + 1 || state->asset_count == LEDGER_ASSETS_MAX) {
        return TPW_ERR_STORE_CORRUPT;
    }
    state->assets[state->asset_count++] = *asset;
    return TPW_OK;
}

static enum tpw_err load_account(void *ctx, const struct ledger_account *account)
{
    return ledger__state_load_account(ctx, account);
}

static enum tpw_err load_pending(void *ctx, const struct ledger_transfer *transfer,
                                 const struct ledger__transfer_meta *meta)
{
    if (meta->state != LEDGER_PENDING_PENDING) {
        return TPW_ERR_STORE_CORRUPT;
    }
    return ledger__state_carry(ctx, transfer, meta);
}

static enum tpw_err load_checkpoint(struct ledger *ledger, struct store_meta *meta,
                                    struct tpw_error_detail *detail)
{
    struct ledger__state *state = &ledger->state;
    enum tpw_err err = store_meta_get(ledger->store, meta, detail);
    if (err == TPW_OK) {
        err = store_load(ledger->store, load_asset, load_account, load_pending, state, detail);
        if (err != TPW_OK && detail->code != err) {
            err = tpw_error_set(detail, err, 0, "loading the checkpoint at sequence %llu: %s",
                                (unsigned long long)meta->sequence, tpw_strerror(err));
        }
    }
    if (err == TPW_OK && state->pending_count != meta->pending) {
        err = tpw_error_set(detail, TPW_ERR_STORE_CORRUPT, 0,
                            "the checkpoint lists %llu pending transfers but holds %llu",
                            (unsigned long long)meta->pending,
                            (unsigned long long)state->pending_count);
    }
    if (err == TPW_OK) {
        state->last_timestamp = meta->last_timestamp;
        state->transfer_total = meta->transfers;
        state->failure_total = meta->failures;
        err = store_reader_begin(ledger->store, &state->stored, detail);
    }
    return err;
}

/* Opens DATA/index; a read-only open of a ledger that has none replays the journal. */
static enum tpw_err open_store(struct ledger *ledger, const struct ledger_options *options,
                               struct store_meta *meta, struct tpw_error_detail *detail)
{
    char index_dir[LEDGER_PATH_MAX];
    enum tpw_err err = data_path(options->data_dir, "index", index_dir, detail);
    if (err == TPW_OK && options->ignore_checkpoint) {
        err = TPW_ERR_NOT_FOUND;
    } else if (err == TPW_OK) {
        err = store_open(index_dir, options->read_only, &ledger->store, detail);
    }
    if (err == TPW_ERR_NOT_FOUND && options->read_only) {
        memset(meta, 0, sizeof *meta);
        return TPW_OK;
    }
    if (err == TPW_OK) {
        err = load_checkpoint(ledger, meta, detail);
    }
    return err;
}

static enum tpw_err open_journal(struct ledger *ledger, const char *journal_dir,
                                 const struct ledger_options *options,
                                 const struct store_meta *meta, struct tpw_error_detail *detail)
{
    struct journal_resume resume = {.sequence = meta->sequence};
    memcpy(resume.hash, meta->chain_hash, sizeof resume.hash);
    struct journal_options journal_options = {
        .dir = journal_dir,
        .segment_size_bytes = options->segment_size_bytes,
        .read_only = options->read_only,
        .resume = &resume,
    };
    return journal_open(&journal_options, replay_record, ledger, &ledger->journal, detail);
}

enum tpw_err ledger_open(const struct ledger_options *options, struct ledger **out,
                         struct tpw_error_detail *detail)
{
    if (sodium_init() < 0) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libsodium failed to initialize");
    }
    /* Before anything else: a missing ledger must not be reported as a lock failure. */
    if (options->ignore_checkpoint && !options->read_only) {
        return tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0,
                             "ignore_checkpoint is for read-only opens");
    }
    char journal_dir[LEDGER_PATH_MAX];
    enum tpw_err err = ledger__journal_dir(options->data_dir, journal_dir, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct ledger *ledger = ledger_alloc(options);
    if (ledger == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory opening the ledger");
    }
    if (!options->read_only) {
        err = lock_data_dir(ledger, options->data_dir, detail);
    }
    struct store_meta meta = {0};
    if (err == TPW_OK) {
        err = open_store(ledger, options, &meta, detail);
    }
    if (err == TPW_OK) {
        err = open_journal(ledger, journal_dir, options, &meta, detail);
    }
    if (err != TPW_OK) {
        ledger_close(ledger);
        return err;
    }
    ledger__checkpointer_init(&ledger->checkpointer, ledger->store, &ledger->state,
                              options->checkpoint_interval, meta.sequence);
    *out = ledger;
    return TPW_OK;
}

static void journal_point(const struct ledger *ledger, struct ledger__journal_point *point)
{
    point->sequence = journal_last_sequence(ledger->journal);
    journal_last_hash(ledger->journal, point->hash);
}

/* A last checkpoint at close, so the next open replays nothing; skipped after a
 * failure (memory may be ahead of the disk) and when read-only. */
static void close_checkpoint(struct ledger *ledger)
{
    struct ledger__journal_point point;
    journal_point(ledger, &point);
    bool writable = !ledger->read_only && !ledger->failed && ledger->store != NULL;
    bool behind = point.sequence > ledger->checkpointer.sequence;
    struct tpw_error_detail detail;
    memset(&detail, 0, sizeof detail);
    if (ledger__checkpoint_finish(&ledger->checkpointer, &point, writable && behind, &detail) !=
        TPW_OK) {
        /* Nothing is lost: the journal holds every acknowledged batch. */
        (void)fprintf(stderr, "tpwallet: ledger: checkpoint at close failed: %s\n", detail.message);
    }
}

void ledger_close(struct ledger *ledger)
{
    if (ledger == NULL) {
        return;
    }
    if (ledger->journal != NULL && ledger->checkpointer.state != NULL) {
        close_checkpoint(ledger);
    }
    if (ledger->state.stored != NULL) {
        store_reader_end(ledger->state.stored);
        ledger->state.stored = NULL;
    }
    if (ledger->store != NULL) {
        store_close(ledger->store);
    }
    if (ledger->journal != NULL) {
        journal_close(ledger->journal);
    }
    if (ledger->lock_fd >= 0) {
        (void)close(ledger->lock_fd);
    }
    ledger__state_deinit(&ledger->state);
    free(ledger->scratch);
    free(ledger->scratch_results);
    free(ledger);
}

/* ---- replay --------------------------------------------------------------------------- */

static size_t record_item_bytes(uint16_t type)
{
    switch (type) {
    case JOURNAL_RECORD_ASSETS:
        return sizeof(struct ledger__asset_command);
    case JOURNAL_RECORD_ACCOUNTS:
        return sizeof(struct ledger_account);
    case JOURNAL_RECORD_TRANSFERS:
        return sizeof(struct ledger_transfer);
    default:
        return 0;
    }
}

static enum tpw_err replay_check(const struct ledger__state *state,
                                 const struct journal_record *record,
                                 struct tpw_error_detail *detail)
{
    size_t item_bytes = record_item_bytes(record->type);
    size_t count = record->item_count;
    if (item_bytes == 0 || count == 0 || count > LEDGER_BATCH_MAX ||
        record->payload_bytes != count * item_bytes) {
        return tpw_error_set(detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                             "journal sequence %llu: type %u with %zu items of %u bytes is not "
                             "a ledger batch",
                             (unsigned long long)record->sequence, record->type, count,
                             record->payload_bytes);
    }
    if (record->timestamp < state->last_timestamp + count) {
        return tpw_error_set(detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                             "journal sequence %llu: timestamp %llu does not follow %llu",
                             (unsigned long long)record->sequence,
                             (unsigned long long)record->timestamp,
                             (unsigned long long)state->last_timestamp);
    }
    return TPW_OK;
}

static enum tpw_err replay_assets(struct ledger__state *state, const struct journal_record *record,
                                  const struct ledger__asset_command *commands,
                                  struct tpw_error_detail *detail)
{
    uint64_t first = record->timestamp - record->item_count + 1;
    for (uint32_t i = 0; i < record->item_count; i++) {
        uint32_t number = 0;
        enum tpw_err err =
            ledger__state_define_asset(state, &commands[i], first + i, &number, detail);
        if (err != TPW_OK) {
            /* Only valid definitions are journaled, so this is damage or a bug. */
            return tpw_error_set(detail, TPW_ERR_JOURNAL_CORRUPT, 0,
                                 "journal sequence %llu: asset definition %u failed: %s",
                                 (unsigned long long)record->sequence, i, detail->message);
        }
    }
    return TPW_OK;
}

enum tpw_err ledger__record_apply(struct ledger__state *state, const struct journal_record *record,
                                  struct ledger_transfer *scratch,
                                  enum ledger_transfer_result *results,
                                  struct tpw_error_detail *detail)
{
    _Static_assert(sizeof(enum ledger_account_result) == sizeof(enum ledger_transfer_result),
                   "one results buffer serves both kinds of batch");
    enum tpw_err err = replay_check(state, record, detail);
    if (err != TPW_OK) {
        return err;
    }
    memcpy(scratch, record->payload, record->payload_bytes);
    size_t count = record->item_count;
    if (ledger__state_reserve(state, count, count) != TPW_OK) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory replaying the journal");
    }
    switch (record->type) {
    case JOURNAL_RECORD_ASSETS:
        return replay_assets(state, record, (const void *)scratch, detail);
    case JOURNAL_RECORD_ACCOUNTS:
        ledger__state_create_accounts(state, (const void *)scratch, count, record->timestamp,
                                      (void *)results);
        return TPW_OK;
    default:
        ledger__state_create_transfers(state, scratch, count, record->timestamp, results);
        return TPW_OK;
    }
}

static enum tpw_err replay_record(void *ctx, const struct journal_record *record,
                                  struct tpw_error_detail *detail)
{
    struct ledger *ledger = ctx;
    return ledger__record_apply(&ledger->state, record, ledger->scratch, ledger->scratch_results,
                                detail);
}

/* ---- the write path -------------------------------------------------------------------- */

static enum tpw_err write_allowed(const struct ledger *ledger, size_t count,
                                  struct tpw_error_detail *detail)
{
    if (ledger->failed) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_FAILED, 0,
                             "the ledger stopped after a storage failure; reopen it to recover");
    }
    if (ledger->read_only) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_READ_ONLY, 0, "the ledger is open read-only");
    }
    if (count > LEDGER_BATCH_MAX) {
        return tpw_error_set(detail, TPW_ERR_LEDGER_BATCH_TOO_LARGE, 0,
                             "%zu commands in one batch; the most is %u", count, LEDGER_BATCH_MAX);
    }
    return TPW_OK;
}

/* Checks a batch may be written and lets the checkpointer collect or start a
 * checkpoint first: between batches is the only time the windows may change hands. */
static enum tpw_err write_begin(struct ledger *ledger, size_t count,
                                struct tpw_error_detail *detail)
{
    enum tpw_err err = write_allowed(ledger, count, detail);
    if (err != TPW_OK || ledger->store == NULL) {
        return err;
    }
    struct ledger__journal_point point;
    journal_point(ledger, &point);
    err = ledger__checkpoint_poll(&ledger->checkpointer, &point, detail);
    if (err != TPW_OK) {
        ledger->failed = true; /* the journal is intact; a reopen recovers */
    }
    return err;
}

static uint64_t batch_last_timestamp(const struct ledger *ledger, size_t count)
{
    uint64_t now = tpw_clock_now_ns(&ledger->clock);
    return ledger__batch_first_timestamp(&ledger->state, now, count) + count - 1;
}

/* Makes a batch durable before it is applied; any failure stops the handle for good. */
static enum tpw_err journal_batch(struct ledger *ledger, uint16_t type, uint64_t last_timestamp,
                                  size_t count, const void *payload, size_t payload_bytes,
                                  struct tpw_error_detail *detail)
{
    enum tpw_err err = journal_append(ledger->journal, type, last_timestamp, (uint32_t)count,
                                      payload, payload_bytes, detail);
    if (err != TPW_OK) {
        ledger->failed = true;
    }
    return err;
}

/* Hands a batch to the journal's worker, which hashes, writes and syncs it while the
 * caller applies it; `payload` must stay as it is until journal_batch_finish(). A
 * failure here handed nothing over, and stops the handle as any journal failure does. */
static enum tpw_err journal_batch_start(struct ledger *ledger, uint16_t type,
                                        uint64_t last_timestamp, size_t count, const void *payload,
                                        size_t payload_bytes, struct tpw_error_detail *detail)
{
    enum tpw_err err = journal_append_start(ledger->journal, type, last_timestamp, (uint32_t)count,
                                            payload, payload_bytes, detail);
    if (err != TPW_OK) {
        ledger->failed = true;
    }
    return err;
}

/* Waits for the batch's fdatasync. On failure memory already holds a batch that is
 * not durable: the stopped handle refuses queries too (ledger__read_check), so none of
 * it can be observed before a reopen replays what is on disk. */
static enum tpw_err journal_batch_finish(struct ledger *ledger, struct tpw_error_detail *detail)
{
    enum tpw_err err = journal_append_finish(ledger->journal, detail);
    if (err != TPW_OK) {
        ledger->failed = true;
    }
    return err;
}

enum tpw_err ledger_asset_define(struct ledger *ledger, const char *code, uint8_t exponent,
                                 uint32_t *number, struct tpw_error_detail *detail)
{
    enum tpw_err err = write_begin(ledger, 1, detail);
    if (err == TPW_OK) {
        err = ledger__asset_check(&ledger->state, code, exponent, number, detail);
    }
    if (err != TPW_OK || *number != 0) {
        return err; /* refused, or already defined: nothing to journal */
    }
    struct ledger__asset_command command = {.exponent = exponent};
    memcpy(command.code, code, strlen(code)); /* 2..8 bytes: checked above */
    uint64_t timestamp = batch_last_timestamp(ledger, 1);
    err = journal_batch(ledger, JOURNAL_RECORD_ASSETS, timestamp, 1, &command, sizeof command,
                        detail);
    if (err == TPW_OK) {
        err = ledger__state_define_asset(&ledger->state, &command, timestamp, number, detail);
        TPW_ASSERT(err == TPW_OK); /* checked above */
    }
    return err;
}

enum tpw_err ledger_create_accounts(struct ledger *ledger, const struct ledger_account *accounts,
                                    size_t count, enum ledger_account_result *results,
                                    struct tpw_error_detail *detail)
{
    enum tpw_err err = write_begin(ledger, count, detail);
    if (err != TPW_OK || count == 0) {
        return err;
    }
    if (ledger__state_reserve(&ledger->state, count, 0) != TPW_OK) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for %zu accounts", count);
    }
    uint64_t timestamp = batch_last_timestamp(ledger, count);
    err = journal_batch_start(ledger, JOURNAL_RECORD_ACCOUNTS, timestamp, count, accounts,
                              count * sizeof *accounts, detail);
    if (err != TPW_OK) {
        return err;
    }
    ledger__state_create_accounts(&ledger->state, accounts, count, timestamp, results);
    return journal_batch_finish(ledger, detail);
}

enum tpw_err ledger_create_transfers(struct ledger *ledger, const struct ledger_transfer *transfers,
                                     size_t count, enum ledger_transfer_result *results,
                                     struct tpw_error_detail *detail)
{
    enum tpw_err err = write_begin(ledger, count, detail);
    if (err != TPW_OK || count == 0) {
        return err;
    }
    if (ledger__state_reserve(&ledger->state, 0, count) != TPW_OK) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory for %zu transfers", count);
    }
    uint64_t timestamp = batch_last_timestamp(ledger, count);
    err = journal_batch_start(ledger, JOURNAL_RECORD_TRANSFERS, timestamp, count, transfers,
                              count * sizeof *transfers, detail);
    if (err != TPW_OK) {
        return err;
    }
    ledger__state_create_transfers(&ledger->state, transfers, count, timestamp, results);
    return journal_batch_finish(ledger, detail);
}

/* ---- state ----------------------------------------------------------------------------- */

enum tpw_err ledger_state_hash(const struct ledger *ledger, uint8_t out[LEDGER_STATE_HASH_BYTES])
{
    enum tpw_err err = ledger__read_check(ledger);
    return err != TPW_OK ? err : ledger__state_hash(&ledger->state, out);
}

void ledger_stats_get(const struct ledger *ledger, struct ledger_stats *out)
{
    const struct ledger__state *state = &ledger->state;
    *out = (struct ledger_stats){
        .journal_sequence = journal_last_sequence(ledger->journal),
        .journal_bytes = journal_size_bytes(ledger->journal),
        .last_timestamp = state->last_timestamp,
        .accounts = state->account_count,
        .transfers = state->transfer_total,
        .pending = state->pending_count,
        .failed_ids = state->failure_total,
    };
}

const struct ledger__state *ledger__state_of(const struct ledger *ledger)
{
    return &ledger->state;
}

enum tpw_err ledger__read_check(const struct ledger *ledger)
{
    return ledger->failed ? TPW_ERR_LEDGER_FAILED : TPW_OK;
}

enum tpw_err ledger_journal_verify(const char *data_dir, struct ledger_journal_report *report,
                                   struct tpw_error_detail *detail)
{
    char journal_dir[LEDGER_PATH_MAX];
    enum tpw_err err = ledger__journal_dir(data_dir, journal_dir, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct journal_verify_report raw;
    memset(&raw, 0, sizeof raw);
    err = journal_verify(journal_dir, &raw, detail);
    *report = (struct ledger_journal_report){
        .segments = raw.segments,
        .records = raw.records,
        .last_sequence = raw.last_sequence,
        .bytes = raw.bytes,
        .torn_tail = raw.torn_tail,
    };
    _Static_assert(sizeof report->last_hash == sizeof raw.last_hash, "hash sizes agree");
    memcpy(report->last_hash, raw.last_hash, sizeof raw.last_hash);
    return err;
}
