/*
 * The server's API keys: an open-addressing table by key id, loaded from the key file
 * and kept current by re-reading what was appended (at most once a second, by
 * whichever request thread notices first). Authenticating a request costs one table
 * probe, one BLAKE2b of the 32-byte secret and a constant-time compare; no slow hash.
 * Each thread remembers the last key text it decoded (key_memo), so a client repeating
 * its key skips the base64 decoding and the hash.
 *
 * Rate limits are token buckets per key, in integer micro-tokens: a request takes
 * 1,000,000; the bucket refills at rate_per_s tokens a second up to `burst` tokens.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <sodium.h>

#include "api_int.h"
#include "log.h"
#include "tpw_assert.h"

#include "banned.h"

#define TOKEN_MICRO UINT64_C(1000000)
#define NS_PER_S UINT64_C(1000000000)
#define REFRESH_INTERVAL_NS NS_PER_S
#define SLOTS_INITIAL 64u

struct key_entry {
    struct api_key_record record;
    pthread_mutex_t bucket_lock;
    uint64_t tokens_micro;
    uint64_t refilled_ns;
};

struct api_keystore {
    char *data_dir;
    pthread_rwlock_t lock; /* the table; readers authenticate, the refresher writes */
    struct key_entry **slots;
    size_t slot_count; /* a power of two */
    size_t used;
    uint64_t offset; /* of the key file, read up to here */
    atomic_uint_fast64_t next_refresh_ns;
};

static size_t slot_of(const struct api_keystore *store, uint64_t id)
{
    /* Ids are random: their low bits are as good as a hash. */
    return (size_t)id & (store->slot_count - 1);
}

static struct key_entry *find(const struct api_keystore *store, uint64_t id)
{
    for (size_t i = slot_of(store, id);; i = (i + 1) & (store->slot_count - 1)) {
        struct key_entry *entry = store->slots[i];
        if (entry == NULL || entry->record.info.id == id) {
            return entry;
        }
    }
}

static void slot_put(struct key_entry **slots, size_t slot_count, struct key_entry *entry)
{
    size_t i = (size_t)entry->record.info.id & (slot_count - 1);
    while (slots[i] != NULL) {
        i = (i + 1) & (slot_count - 1);
    }
    slots[i] = entry;
}

/* Keeps the table at most half full. */
static enum tpw_err grow(struct api_keystore *store, struct tpw_error_detail *detail)
{
    if (store->slots != NULL && (store->used + 1) * 2 <= store->slot_count) {
        return TPW_OK;
    }
    size_t slot_count = store->slots == NULL ? SLOTS_INITIAL : store->slot_count * 2;
    struct key_entry **slots = calloc(slot_count, sizeof(struct key_entry *));
    if (slots == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    for (size_t i = 0; store->slots != NULL && i < store->slot_count; i++) {
        if (store->slots[i] != NULL) {
            slot_put(slots, slot_count, store->slots[i]);
        }
    }
    free(store->slots);
    store->slots = slots;
    store->slot_count = slot_count;
    return TPW_OK;
}

static enum tpw_err key_add(struct api_keystore *store, const struct api_key_record *record,
                            struct tpw_error_detail *detail)
{
    enum tpw_err err = grow(store, detail);
    if (err != TPW_OK) {
        return err;
    }
    struct key_entry *entry = calloc(1, sizeof *entry);
    if (entry == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    entry->record = *record;
    TPW_ASSERT(pthread_mutex_init(&entry->bucket_lock, NULL) == 0);
    entry->tokens_micro = (uint64_t)record->info.burst * TOKEN_MICRO;
    entry->refilled_ns = tpw_clock_monotonic_ns();
    slot_put(store->slots, store->slot_count, entry);
    store->used++;
    return TPW_OK;
}

static enum tpw_err store_apply(void *context, const struct api_keyfile_line *line,
                                struct tpw_error_detail *detail)
{
    struct api_keystore *store = context;
    struct key_entry *entry = store->slots != NULL ? find(store, line->id) : NULL;
    if (line->op == API_KEYFILE_REVOKE) {
        if (entry != NULL) {
            entry->record.info.revoked_ns = line->revoked_ns;
        }
        return TPW_OK;
    }
    return entry != NULL ? TPW_OK : key_add(store, &line->record, detail);
}

enum tpw_err api_keystore_open(const char *data_dir, struct api_keystore **out,
                               struct tpw_error_detail *detail)
{
    *out = NULL;
    struct api_keystore *store = calloc(1, sizeof *store);
    char *dir = strdup(data_dir);
    if (store == NULL || dir == NULL) {
        free(store);
        free(dir);
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    store->data_dir = dir;
    TPW_ASSERT(pthread_rwlock_init(&store->lock, NULL) == 0);
    enum tpw_err err = grow(store, detail);
    if (err == TPW_OK) {
        err = api_keyfile_read(store->data_dir, &store->offset, store_apply, store, detail);
    }
    if (err != TPW_OK) {
        api_keystore_close(store);
        return err;
    }
    atomic_store(&store->next_refresh_ns, tpw_clock_monotonic_ns() + REFRESH_INTERVAL_NS);
    *out = store;
    return TPW_OK;
}

void api_keystore_close(struct api_keystore *store)
{
    if (store == NULL) {
        return;
    }
    for (size_t i = 0; i < store->slot_count; i++) {
        if (store->slots[i] != NULL) {
            (void)pthread_mutex_destroy(&store->slots[i]->bucket_lock);
            free(store->slots[i]);
        }
    }
    free(store->slots);
    (void)pthread_rwlock_destroy(&store->lock);
    free(store->data_dir);
    free(store);
}

size_t api_keystore_live_count(struct api_keystore *store)
{
    size_t live = 0;
    TPW_ASSERT(pthread_rwlock_rdlock(&store->lock) == 0);
    for (size_t i = 0; i < store->slot_count; i++) {
        live += store->slots[i] != NULL && store->slots[i]->record.info.revoked_ns == 0;
    }
    TPW_ASSERT(pthread_rwlock_unlock(&store->lock) == 0);
    return live;
}

/* Reads what was appended to the key file since the last look. A failure keeps the
 * keys as they were (the server must not lose its keys to a bad line) and is logged;
 * the next refresh tries again. */
static void refresh(struct api_keystore *store)
{
    char path[API_KEYFILE_PATH_SIZE];
    (void)snprintf(path, sizeof path, "%s/apikeys.jsonl", store->data_dir);
    struct stat st;
    if (stat(path, &st) != 0) {
        return; /* no key file yet */
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = TPW_OK;
    TPW_ASSERT(pthread_rwlock_wrlock(&store->lock) == 0);
    /* Unchanged unless it grew: a torn tail being cut shrinks it, never below offset. */
    if ((uint64_t)st.st_size > store->offset) {
        err = api_keyfile_read(store->data_dir, &store->offset, store_apply, store, &detail);
    }
    TPW_ASSERT(pthread_rwlock_unlock(&store->lock) == 0);
    if (err != TPW_OK) {
        TPW_LOGF(TPW_LOG_WARN, "apikeys.refresh_failed", TPW_LOG_STR("error", tpw_err_name(err)),
                 TPW_LOG_STR("message", detail.message));
    }
}

static void maybe_refresh(struct api_keystore *store, uint64_t now_ns)
{
    uint_fast64_t due = atomic_load(&store->next_refresh_ns);
    if (now_ns >= due && atomic_compare_exchange_strong(&store->next_refresh_ns, &due,
                                                        now_ns + REFRESH_INTERVAL_NS)) {
        refresh(store);
    }
}

/* Takes one token; false with the whole seconds until one is there. */
static bool bucket_take(struct key_entry *entry, uint64_t now_ns, unsigned *retry_after_s)
{
    uint64_t rate = entry->record.info.rate_per_s;
    if (rate == 0) {
        return true;
    }
    uint64_t capacity = (uint64_t)entry->record.info.burst * TOKEN_MICRO;
    TPW_ASSERT(pthread_mutex_lock(&entry->bucket_lock) == 0);
    uint64_t elapsed_ns = now_ns > entry->refilled_ns ? now_ns - entry->refilled_ns : 0;
    /* micro-tokens = ns × tokens/s × 10^6 / 10^9; 128 bits so no elapsed time overflows. */
    tpw_u128 refill = (tpw_u128)elapsed_ns * rate / 1000u;
    tpw_u128 tokens = refill + entry->tokens_micro;
    entry->tokens_micro = tokens > capacity ? capacity : (uint64_t)tokens;
    entry->refilled_ns = now_ns > entry->refilled_ns ? now_ns : entry->refilled_ns;
    bool taken = entry->tokens_micro >= TOKEN_MICRO;
    if (taken) {
        entry->tokens_micro -= TOKEN_MICRO;
    } else {
        uint64_t missing = TOKEN_MICRO - entry->tokens_micro;
        uint64_t wait_ns = (missing * 1000u + rate - 1) / rate;
        *retry_after_s = (unsigned)((wait_ns + NS_PER_S - 1) / NS_PER_S);
    }
    TPW_ASSERT(pthread_mutex_unlock(&entry->bucket_lock) == 0);
    return taken;
}

/* The key text of "Bearer <key>" (the scheme is case-insensitive, RFC 7235). */
static const char *bearer_token(const char *authorization)
{
    static const char scheme[] = "Bearer ";
    if (authorization == NULL || strncasecmp(authorization, scheme, sizeof scheme - 1) != 0) {
        return NULL;
    }
    const char *token = authorization + sizeof scheme - 1;
    while (*token == ' ') {
        token++;
    }
    return token;
}

/* A key text and what it decodes to. Decoding and hashing are functions of the text
 * alone, so an exact repeat may reuse them; whether the key exists, is revoked or has
 * tokens left is still decided on every request. The text is as secret as the header
 * it came from, and is compared in constant time like the hash. */
struct key_memo {
    char text[API_KEY_TEXT_SIZE];
    uint64_t id;
    uint8_t hash[API_KEY_HASH_SIZE];
    bool valid;
};

static _Thread_local struct key_memo key_memo;

/* The key id and the secret's hash of a key text; false when it is not a key's form. */
static bool token_digest(const char *token, uint64_t *id, uint8_t hash[API_KEY_HASH_SIZE])
{
    size_t length = strnlen(token, API_KEY_TEXT_SIZE);
    struct key_memo *memo = &key_memo;
    if (memo->valid && length == API_KEY_TEXT_SIZE - 1 &&
        sodium_memcmp(memo->text, token, length) == 0) {
        *id = memo->id;
        memcpy(hash, memo->hash, API_KEY_HASH_SIZE);
        return true;
    }
    uint8_t secret[32];
    if (!api_key_text_split(token, length, id, secret)) {
        return false;
    }
    api_key_secret_hash(secret, hash);
    sodium_memzero(secret, sizeof secret);
    TPW_ASSERT(length == API_KEY_TEXT_SIZE - 1); /* the only length that splits */
    memcpy(memo->text, token, length);
    memo->text[length] = '\0';
    memo->id = *id;
    memcpy(memo->hash, hash, API_KEY_HASH_SIZE);
    memo->valid = true;
    return true;
}

enum tpw_err api_keystore_authenticate(struct api_keystore *store, const char *authorization,
                                       uint64_t now_ns, struct api_principal *principal,
                                       unsigned *retry_after_s)
{
    maybe_refresh(store, now_ns);
    const char *token = bearer_token(authorization);
    uint64_t id = 0;
    uint8_t hash[API_KEY_HASH_SIZE];
    if (token == NULL || !token_digest(token, &id, hash)) {
        return TPW_ERR_API_UNAUTHENTICATED;
    }
    enum tpw_err err = TPW_ERR_API_UNAUTHENTICATED;
    TPW_ASSERT(pthread_rwlock_rdlock(&store->lock) == 0);
    struct key_entry *entry = find(store, id);
    if (entry != NULL && entry->record.info.revoked_ns == 0 &&
        sodium_memcmp(hash, entry->record.secret_hash, sizeof hash) == 0) {
        principal->key_id = id;
        principal->role = entry->record.info.role;
        principal->owner = entry->record.info.owner;
        err = bucket_take(entry, now_ns, retry_after_s) ? TPW_OK : TPW_ERR_API_RATE_LIMITED;
    }
    TPW_ASSERT(pthread_rwlock_unlock(&store->lock) == 0);
    return err;
}
