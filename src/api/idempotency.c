/*
 * Idempotency-Key: the first response of a POST is kept for 24 h and replayed to a
 * retry with the same key; the same key with other parameters is a 422, and a retry
 * while the first is still running a 409. Keys are scoped by API key: two clients
 * cannot collide.
 *
 * What is kept follows Stripe: only requests that reached the ledger (went through the
 * group committer) and did not fail on our side (5xx). A request refused before it
 * ran — bad JSON, a missing field — keeps nothing, so the client may fix it and retry
 * under the same key.
 *
 * Durability: the committer appends the group's records to DATA/idempotency.jsonl with
 * one write and one fdatasync after the ledger's own sync and before it releases the
 * replies, so an acknowledged response can be replayed after a crash. A crash between
 * the two syncs loses only records of unacknowledged replies; a retry then runs again
 * and the ledger answers from its ids (exists → 200). At start-up the log is read,
 * records older than the window dropped, and the file rewritten with the rest.
 *
 * The log is compacted the same way while the server runs: when it has grown to twice
 * what the last rewrite wrote (and at least the compaction threshold), the committer
 * writes the live records to DATA/idempotency.jsonl.tmp, syncs it, renames it over the
 * log and appends to it from then on. Only the committer appends, so nothing is written
 * to the old file meanwhile; a crash leaves the old log or the new one, both whole.
 * Request threads wait on the lock while the records are serialised (about a
 * microsecond each).
 *
 * Memory is bounded: at most `max_entries` records; past that the oldest finished ones
 * are dropped first (docs/api.md states the guarantee: 24 h or the newest
 * API_IDEM_MAX_ENTRIES keys, whichever is fewer).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "api_int.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

#define IDEM_FILE "idempotency.jsonl"
#define IDEM_BUCKETS_MIN 1024u
#define IDEM_READ_CHUNK (1u << 20)

enum entry_state { ENTRY_RUNNING, ENTRY_DONE };

struct api_idem_entry {
    uint64_t scope; /* the API key's id */
    char key[API_IDEM_KEY_MAX + 1];
    uint8_t fingerprint[API_IDEM_FINGERPRINT_SIZE];
    uint64_t created_ns; /* wall clock */
    enum entry_state state;
    unsigned status;
    char *body;
    size_t length;
    struct api_idem_entry *chain; /* the bucket's list */
    struct api_idem_entry *newer; /* creation order */
    struct api_idem_entry *older;
};

struct api_idempotency {
    pthread_mutex_t lock;
    struct api_idem_entry **buckets;
    size_t bucket_count; /* a power of two */
    size_t count;
    size_t max_entries;
    uint64_t window_ns;
    struct api_idem_entry *oldest;
    struct api_idem_entry *newest;
    int log_fd;
    char path[API_KEYFILE_PATH_SIZE];
    char dir[API_KEYFILE_PATH_SIZE];
    uint64_t log_bytes;        /* the log's size */
    uint64_t compact_at_bytes; /* the next compaction's trigger */
    uint64_t compact_min_bytes;
    /* The committer's pending log lines (only its thread touches them). */
    char *pending;
    size_t pending_length;
    size_t pending_capacity;
};

static uint64_t wall_now_ns(void)
{
    struct tpw_clock clock = tpw_clock_system();
    return tpw_clock_now_ns(&clock);
}

static size_t bucket_of(const struct api_idempotency *idem, uint64_t scope, const char *key)
{
    uint64_t hash = 0;
    TPW_ASSERT(crypto_shorthash_KEYBYTES == 16);
    static const unsigned char hash_key[16] = "tpwallet-idemkey";
    char buffer[sizeof scope + API_IDEM_KEY_MAX + 1];
    size_t length = strlen(key);
    TPW_ASSERT(length <= API_IDEM_KEY_MAX);
    memcpy(buffer, &scope, sizeof scope);
    memcpy(buffer + sizeof scope, key, length + 1);
    (void)crypto_shorthash((unsigned char *)&hash, (const unsigned char *)buffer,
                           sizeof scope + length, hash_key);
    return (size_t)hash & (idem->bucket_count - 1);
}

static struct api_idem_entry **find_slot(struct api_idempotency *idem, uint64_t scope,
                                         const char *key)
{
    struct api_idem_entry **slot = &idem->buckets[bucket_of(idem, scope, key)];
    while (*slot != NULL && ((*slot)->scope != scope || strcmp((*slot)->key, key) != 0)) {
        slot = &(*slot)->chain;
    }
    return slot;
}

static void entry_unlink(struct api_idempotency *idem, struct api_idem_entry *entry)
{
    struct api_idem_entry **slot = find_slot(idem, entry->scope, entry->key);
    TPW_ASSERT(*slot == entry);
    *slot = entry->chain;
    if (entry->older != NULL) {
        entry->older->newer = entry->newer;
    } else {
        idem->oldest = entry->newer;
    }
    if (entry->newer != NULL) {
        entry->newer->older = entry->older;
    } else {
        idem->newest = entry->older;
    }
    idem->count--;
    free(entry->body);
    free(entry);
}

static void entry_link(struct api_idempotency *idem, struct api_idem_entry *entry)
{
    struct api_idem_entry **slot = find_slot(idem, entry->scope, entry->key);
    TPW_ASSERT(*slot == NULL);
    *slot = entry;
    entry->older = idem->newest;
    entry->newer = NULL;
    if (idem->newest != NULL) {
        idem->newest->newer = entry;
    } else {
        idem->oldest = entry;
    }
    idem->newest = entry;
    idem->count++;
}

/* Drops expired records and, over the bound, the oldest finished ones. Running
 * entries are never dropped: their requests hold them. */
static void evict(struct api_idempotency *idem, uint64_t now_ns)
{
    struct api_idem_entry *entry = idem->oldest;
    while (entry != NULL) {
        struct api_idem_entry *newer = entry->newer;
        bool expired = entry->created_ns + idem->window_ns <= now_ns;
        bool over = idem->count >= idem->max_entries;
        if (!expired && !over) {
            return;
        }
        if (entry->state == ENTRY_DONE) {
            entry_unlink(idem, entry);
        }
        entry = newer;
    }
}

void api_idem_fingerprint(const char *method, const char *path, const char *body,
                          size_t body_length, uint8_t out[API_IDEM_FINGERPRINT_SIZE])
{
    crypto_generichash_state state;
    TPW_ASSERT(crypto_generichash_init(&state, NULL, 0, API_IDEM_FINGERPRINT_SIZE) == 0);
    /* Each part with its NUL, so no two (method, path, body) triples hash alike. */
    (void)crypto_generichash_update(&state, (const unsigned char *)method, strlen(method) + 1);
    (void)crypto_generichash_update(&state, (const unsigned char *)path, strlen(path) + 1);
    if (body_length > 0) {
        (void)crypto_generichash_update(&state, (const unsigned char *)body, body_length);
    }
    TPW_ASSERT(crypto_generichash_final(&state, out, API_IDEM_FINGERPRINT_SIZE) == 0);
}

bool api_idem_key_valid(const char *key)
{
    size_t length = strlen(key);
    for (size_t i = 0; i < length; i++) {
        if (key[i] < 0x21 || key[i] > 0x7e) {
            return false; /* visible ASCII only: it is echoed in logs */
        }
    }
    return length >= 1 && length <= API_IDEM_KEY_MAX;
}

enum api_idem_begin api_idem_begin(struct api_idempotency *idem, uint64_t scope, const char *key,
                                   const uint8_t fingerprint[API_IDEM_FINGERPRINT_SIZE],
                                   struct api_idem_entry **entry, struct api_reply *replay)
{
    uint64_t now_ns = wall_now_ns();
    enum api_idem_begin result = API_IDEM_NEW;
    TPW_ASSERT(pthread_mutex_lock(&idem->lock) == 0);
    evict(idem, now_ns);
    struct api_idem_entry *found = *find_slot(idem, scope, key);
    if (found != NULL && found->state == ENTRY_RUNNING) {
        result = API_IDEM_IN_USE;
    } else if (found != NULL &&
               sodium_memcmp(found->fingerprint, fingerprint, API_IDEM_FINGERPRINT_SIZE) != 0) {
        result = API_IDEM_MISMATCH;
    } else if (found != NULL) {
        char *body = malloc(found->length + 1);
        result = body != NULL ? API_IDEM_REPLAY : API_IDEM_NOMEM;
        if (body != NULL) {
            memcpy(body, found->body, found->length + 1);
            replay->status = found->status;
            replay->body = body;
            replay->length = found->length;
        }
    } else {
        struct api_idem_entry *created = calloc(1, sizeof *created);
        result = created != NULL ? API_IDEM_NEW : API_IDEM_NOMEM;
        if (created != NULL) {
            created->scope = scope;
            memcpy(created->key, key, strlen(key) + 1);
            memcpy(created->fingerprint, fingerprint, API_IDEM_FINGERPRINT_SIZE);
            created->created_ns = now_ns;
            created->state = ENTRY_RUNNING;
            entry_link(idem, created);
            *entry = created;
        }
    }
    TPW_ASSERT(pthread_mutex_unlock(&idem->lock) == 0);
    return result;
}

void api_idem_abandon(struct api_idempotency *idem, struct api_idem_entry *entry)
{
    TPW_ASSERT(pthread_mutex_lock(&idem->lock) == 0);
    TPW_ASSERT(entry->state == ENTRY_RUNNING);
    entry_unlink(idem, entry);
    TPW_ASSERT(pthread_mutex_unlock(&idem->lock) == 0);
}

/* ---- the log ------------------------------------------------------------------- */

static json_t *record_json(const struct api_idem_entry *entry, const char *body, size_t length)
{
    char scope[API_KEY_ID_TEXT_SIZE];
    char fingerprint[API_IDEM_FINGERPRINT_SIZE * 2 + 1];
    api_key_id_format(entry->scope, scope);
    (void)sodium_bin2hex(fingerprint, sizeof fingerprint, entry->fingerprint,
                         API_IDEM_FINGERPRINT_SIZE);
    return json_pack("{s:s,s:s,s:s,s:I,s:i,s:s%}", "scope", scope, "key", entry->key, "fingerprint",
                     fingerprint, "created_ns", (json_int_t)entry->created_ns, "status",
                     (int)entry->status, "body", body, length);
}

static bool pending_append(struct api_idempotency *idem, const char *text)
{
    size_t length = strlen(text);
    if (idem->pending_length + length + 1 > idem->pending_capacity) {
        size_t capacity = idem->pending_capacity == 0 ? 4096 : idem->pending_capacity;
        while (capacity < idem->pending_length + length + 1) {
            capacity *= 2;
        }
        char *grown = realloc(idem->pending, capacity);
        if (grown == NULL) {
            return false;
        }
        idem->pending = grown;
        idem->pending_capacity = capacity;
    }
    memcpy(idem->pending + idem->pending_length, text, length);
    idem->pending[idem->pending_length + length] = '\n';
    idem->pending_length += length + 1;
    return true;
}

/* Queues the record of a write's reply; false when it cannot be kept. */
static bool record_queue(struct api_idempotency *idem, struct api_idem_entry *entry,
                         const struct api_reply *reply)
{
    entry->status = reply->status;
    json_t *record = record_json(entry, reply->body, reply->length);
    char *text = record != NULL ? json_dumps(record, JSON_COMPACT) : NULL;
    json_decref(record);
    bool queued = text != NULL && pending_append(idem, text);
    free(text);
    return queued;
}

static bool pending_flush(struct api_idempotency *idem)
{
    size_t done = 0;
    while (done < idem->pending_length) {
        ssize_t wrote = write(idem->log_fd, idem->pending + done, idem->pending_length - done);
        if (wrote < 0 && errno == EINTR) {
            continue;
        }
        if (wrote <= 0) {
            return false;
        }
        done += (size_t)wrote;
    }
    return fdatasync(idem->log_fd) == 0;
}

/* Makes a finished entry replayable (the reply's body is copied). */
static void entry_finish(struct api_idempotency *idem, struct api_idem_entry *entry,
                         const struct api_reply *reply)
{
    char *body = malloc(reply->length + 1);
    TPW_ASSERT(pthread_mutex_lock(&idem->lock) == 0);
    if (body == NULL) {
        entry_unlink(idem, entry);
    } else {
        memcpy(body, reply->body, reply->length);
        body[reply->length] = '\0';
        entry->body = body;
        entry->length = reply->length;
        entry->status = reply->status;
        entry->state = ENTRY_DONE;
    }
    TPW_ASSERT(pthread_mutex_unlock(&idem->lock) == 0);
}

/* ---- the log: its rewrite (at start-up and when it has grown) ----------------------- */

static enum tpw_err io_error(struct tpw_error_detail *detail, const char *path, const char *what)
{
    int error_number = errno;
    return tpw_error_set(detail, TPW_ERR_IO, 0, "%s: %s: %s", path, what, strerror(error_number));
}

/* Serialises the live records (finished, within the window) into `pending`. */
static bool live_records(struct api_idempotency *idem)
{
    uint64_t now_ns = wall_now_ns();
    idem->pending_length = 0;
    bool ok = true;
    TPW_ASSERT(pthread_mutex_lock(&idem->lock) == 0);
    for (struct api_idem_entry *e = idem->oldest; ok && e != NULL; e = e->newer) {
        if (e->state == ENTRY_DONE && e->created_ns + idem->window_ns > now_ns) {
            struct api_reply reply = {.status = e->status, .body = e->body, .length = e->length};
            ok = record_queue(idem, e, &reply);
        }
    }
    TPW_ASSERT(pthread_mutex_unlock(&idem->lock) == 0);
    return ok;
}

/* Writes the live records to LOG.tmp, syncs it and renames it over the log (the
 * directory synced after), then appends to it: the log holds one window's records. On
 * failure the log and log_fd are as they were. */
static enum tpw_err rewrite(struct api_idempotency *idem, struct tpw_error_detail *detail)
{
    char tmp[API_KEYFILE_PATH_SIZE + 8];
    (void)snprintf(tmp, sizeof tmp, "%s.tmp", idem->path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0) {
        return io_error(detail, tmp, "open failed");
    }
    int saved_fd = idem->log_fd;
    idem->log_fd = fd;
    bool ok = live_records(idem) && pending_flush(idem) && fsync(fd) == 0;
    uint64_t written_bytes = idem->pending_length;
    idem->log_fd = saved_fd;
    idem->pending_length = 0;
    if (!ok || rename(tmp, idem->path) != 0) {
        enum tpw_err err = io_error(detail, tmp, "rewrite failed");
        (void)close(fd);
        (void)unlink(tmp);
        return err;
    }
    /* Renamed: the file is the log now, whatever follows. */
    if (idem->log_fd >= 0) {
        (void)close(idem->log_fd);
    }
    idem->log_fd = fd;
    idem->log_bytes = written_bytes;
    idem->compact_at_bytes =
        2 * written_bytes > idem->compact_min_bytes ? 2 * written_bytes : idem->compact_min_bytes;
    int dir_fd = open(idem->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool synced = dir_fd >= 0 && fsync(dir_fd) == 0;
    if (dir_fd >= 0) {
        (void)close(dir_fd);
    }
    return synced ? TPW_OK : io_error(detail, idem->dir, "directory fsync failed");
}

/* After a group's records: compacts the log once it has grown enough. A failure is
 * logged and leaves the log growing; the next attempt waits for it to double again. */
static void maybe_compact(struct api_idempotency *idem)
{
    if (idem->log_bytes < idem->compact_at_bytes) {
        return;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    uint64_t before_bytes = idem->log_bytes;
    if (rewrite(idem, &detail) != TPW_OK) {
        TPW_LOGF(TPW_LOG_ERROR, "idempotency.compact_failed", TPW_LOG_STR("error", detail.message));
        idem->compact_at_bytes = 2 * before_bytes;
        return;
    }
    TPW_LOGF(TPW_LOG_INFO, "idempotency.compacted", TPW_LOG_U64("before_bytes", before_bytes),
             TPW_LOG_U64("after_bytes", idem->log_bytes));
}

void api_idem_record_writes(struct api_idempotency *idem, struct api_write **writes, size_t count)
{
    idem->pending_length = 0;
    bool any = false;
    for (size_t i = 0; i < count; i++) {
        struct api_request *request = api_request_of(writes[i]);
        struct api_idem_entry *entry = request->idem;
        if (entry == NULL) {
            continue;
        }
        if (request->reply.status >= 500 || !record_queue(idem, entry, &request->reply)) {
            api_idem_abandon(idem, entry);
            request->idem = NULL;
            continue;
        }
        any = true;
    }
    bool durable = !any || pending_flush(idem);
    if (durable) {
        idem->log_bytes += idem->pending_length;
    }
    if (!durable) {
        TPW_LOGF(TPW_LOG_ERROR, "idempotency.log_failed", TPW_LOG_STR("path", idem->path),
                 TPW_LOG_STR("error", strerror(errno)));
    }
    for (size_t i = 0; i < count; i++) {
        struct api_request *request = api_request_of(writes[i]);
        if (request->idem == NULL) {
            continue;
        }
        /* Not durable: not kept either, so a retry runs again rather than replaying a
         * record a crash would have lost. */
        if (durable) {
            entry_finish(idem, request->idem, &request->reply);
        } else {
            api_idem_abandon(idem, request->idem);
        }
        request->idem = NULL;
    }
    if (any && durable) {
        maybe_compact(idem);
    }
}

/* ---- start-up: load, drop the expired, rewrite --------------------------------------- */

static bool record_parse(const char *text, size_t length, struct api_idem_entry *out)
{
    json_t *record = json_loadb(text, length, 0, NULL);
    const char *scope = json_string_value(json_object_get(record, "scope"));
    const char *key = json_string_value(json_object_get(record, "key"));
    const char *fingerprint = json_string_value(json_object_get(record, "fingerprint"));
    json_t *created = json_object_get(record, "created_ns");
    json_t *status = json_object_get(record, "status");
    json_t *body = json_object_get(record, "body");
    size_t bytes = 0;
    bool ok = scope != NULL && api_key_id_parse(scope, &out->scope) && key != NULL &&
              api_idem_key_valid(key) && fingerprint != NULL &&
              sodium_hex2bin(out->fingerprint, API_IDEM_FINGERPRINT_SIZE, fingerprint,
                             strlen(fingerprint), NULL, &bytes, NULL) == 0 &&
              bytes == API_IDEM_FINGERPRINT_SIZE && json_is_integer(created) &&
              json_integer_value(created) > 0 && json_is_integer(status) &&
              json_integer_value(status) >= 200 && json_integer_value(status) < 500 &&
              json_is_string(body);
    if (ok) {
        memcpy(out->key, key, strlen(key) + 1);
        out->created_ns = (uint64_t)json_integer_value(created);
        out->status = (unsigned)json_integer_value(status);
        out->length = json_string_length(body);
        out->body = malloc(out->length + 1);
        ok = out->body != NULL;
        if (ok) {
            memcpy(out->body, json_string_value(body), out->length + 1);
        }
    }
    json_decref(record);
    return ok;
}

/* One line of the log into the table (a bad line is logged and skipped: the log is a
 * cache of replies, never the ledger's truth). */
static void load_line(struct api_idempotency *idem, const char *text, size_t length,
                      uint64_t now_ns)
{
    struct api_idem_entry parsed = {0};
    if (!record_parse(text, length, &parsed)) {
        TPW_LOGF(TPW_LOG_WARN, "idempotency.bad_record", TPW_LOG_STR("path", idem->path));
        free(parsed.body);
        return;
    }
    if (parsed.created_ns + idem->window_ns <= now_ns ||
        *find_slot(idem, parsed.scope, parsed.key) != NULL) {
        free(parsed.body);
        return;
    }
    struct api_idem_entry *entry = malloc(sizeof *entry);
    if (entry == NULL) {
        free(parsed.body);
        return;
    }
    *entry = parsed;
    entry->state = ENTRY_DONE;
    evict(idem, now_ns);
    entry_link(idem, entry);
}

/* Reads the log's complete lines (a torn last line, never acknowledged, is dropped). */
static enum tpw_err load(struct api_idempotency *idem, struct tpw_error_detail *detail)
{
    int fd = open(idem->path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return errno == ENOENT ? TPW_OK : io_error(detail, idem->path, "open failed");
    }
    char *buffer = malloc(IDEM_READ_CHUNK);
    size_t held = 0;
    uint64_t now_ns = wall_now_ns();
    enum tpw_err err = buffer != NULL ? TPW_OK : TPW_ERR_NOMEM;
    while (err == TPW_OK) {
        ssize_t got = read(fd, buffer + held, IDEM_READ_CHUNK - held);
        if (got < 0 && errno == EINTR) {
            continue;
        }
        if (got < 0) {
            err = io_error(detail, idem->path, "read failed");
        }
        if (got <= 0) {
            break;
        }
        held += (size_t)got;
        size_t start = 0;
        char *newline = NULL;
        while ((newline = memchr(buffer + start, '\n', held - start)) != NULL) {
            load_line(idem, buffer + start, (size_t)(newline - (buffer + start)), now_ns);
            start = (size_t)(newline - buffer) + 1;
        }
        if (start == 0 && held == IDEM_READ_CHUNK) {
            TPW_LOGF(TPW_LOG_WARN, "idempotency.bad_record", TPW_LOG_STR("path", idem->path));
            held = 0; /* a line longer than any record: skip it */
            continue;
        }
        memmove(buffer, buffer + start, held - start);
        held -= start;
    }
    free(buffer);
    (void)close(fd);
    return err == TPW_ERR_NOMEM ? tpw_error_set(detail, err, 0, "out of memory") : err;
}

enum tpw_err api_idem_open(const char *data_dir, size_t max_entries, uint64_t window_ns,
                           uint64_t compact_min_bytes, struct api_idempotency **out,
                           struct tpw_error_detail *detail)
{
    *out = NULL;
    struct api_idempotency *idem = calloc(1, sizeof *idem);
    if (idem == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    idem->log_fd = -1;
    idem->max_entries = max_entries;
    idem->window_ns = window_ns;
    idem->compact_min_bytes = compact_min_bytes;
    idem->bucket_count = IDEM_BUCKETS_MIN;
    while (idem->bucket_count < max_entries) {
        idem->bucket_count *= 2;
    }
    idem->buckets = calloc(idem->bucket_count, sizeof(struct api_idem_entry *));
    TPW_ASSERT(pthread_mutex_init(&idem->lock, NULL) == 0);
    int length = snprintf(idem->path, sizeof idem->path, "%s/" IDEM_FILE, data_dir);
    int dir_length = snprintf(idem->dir, sizeof idem->dir, "%s", data_dir);
    enum tpw_err err = TPW_OK;
    if (idem->buckets == NULL) {
        err = tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    } else if (length < 0 || (size_t)length >= sizeof idem->path || dir_length < 0 ||
               (size_t)dir_length >= sizeof idem->dir) {
        err = tpw_error_set(detail, TPW_ERR_INVALID_ARGUMENT, 0, "data directory path too long");
    }
    if (err == TPW_OK) {
        err = load(idem, detail);
    }
    if (err == TPW_OK) {
        err = rewrite(idem, detail);
    }
    if (err != TPW_OK) {
        api_idem_close(idem);
        return err;
    }
    *out = idem;
    return TPW_OK;
}

size_t api_idem_entries_count(struct api_idempotency *idem)
{
    TPW_ASSERT(pthread_mutex_lock(&idem->lock) == 0);
    size_t count = idem->count;
    TPW_ASSERT(pthread_mutex_unlock(&idem->lock) == 0);
    return count;
}

void api_idem_close(struct api_idempotency *idem)
{
    if (idem == NULL) {
        return;
    }
    struct api_idem_entry *entry = idem->oldest;
    while (entry != NULL) {
        struct api_idem_entry *newer = entry->newer;
        free(entry->body);
        free(entry);
        entry = newer;
    }
    if (idem->log_fd >= 0) {
        (void)close(idem->log_fd);
    }
    free(idem->buckets);
    free(idem->pending);
    (void)pthread_mutex_destroy(&idem->lock);
    free(idem);
}
