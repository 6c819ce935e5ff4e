/*
 * The API key file DATA/apikeys.jsonl: creating and revoking keys (the CLI's side) and
 * reading the file's lines (shared with the server's key store, keystore.c).
 *
 * Writers take an exclusive flock, append one line with one write() and fsync before
 * they report success. A crash can leave a torn last line, never acknowledged: readers
 * stop at the last newline, and the next writer cuts the torn tail off first, so an
 * append never glues onto half a line.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "api_int.h"
#include "jsonl.h"
#include "tpw_assert.h"

#include "banned.h"

#define KEY_PREFIX "tpwk_"
#define KEY_ID_HEX 16
#define KEYFILE_MODE 0600
#define KEYFILE_LINE_MAX 1024
#define KEYFILE_NAME "apikeys.jsonl"

static const char *const role_names[] = {
    [API_ROLE_ADMIN] = "admin",
    [API_ROLE_OPERATOR] = "operator",
    [API_ROLE_AUDITOR] = "auditor",
    [API_ROLE_USER] = "user",
};

const char *api_role_name(enum api_role role)
{
    if (role < API_ROLE_ADMIN || role > API_ROLE_USER) {
        return NULL;
    }
    return role_names[role];
}

bool api_role_parse(const char *name, enum api_role *out)
{
    for (enum api_role role = API_ROLE_ADMIN; role <= API_ROLE_USER; role++) {
        if (name != NULL && strcmp(name, role_names[role]) == 0) {
            *out = role;
            return true;
        }
    }
    return false;
}

bool api_key_id_parse(const char *text, uint64_t *out)
{
    if (text == NULL || strlen(text) != KEY_ID_HEX) {
        return false;
    }
    uint64_t id = 0;
    for (size_t i = 0; i < KEY_ID_HEX; i++) {
        char c = text[i];
        unsigned digit = 0;
        if (c >= '0' && c <= '9') {
            digit = (unsigned)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            digit = (unsigned)(c - 'a' + 10);
        } else {
            return false;
        }
        id = id << 4 | digit;
    }
    *out = id;
    return true;
}

void api_key_id_format(uint64_t id, char out[API_KEY_ID_TEXT_SIZE])
{
    (void)snprintf(out, API_KEY_ID_TEXT_SIZE, "%016llx", (unsigned long long)id);
}

bool api_key_text_split(const char *text, size_t length, uint64_t *id, uint8_t secret[32])
{
    size_t prefix = sizeof KEY_PREFIX - 1;
    if (length != API_KEY_TEXT_SIZE - 1 || memcmp(text, KEY_PREFIX, prefix) != 0 ||
        text[prefix + KEY_ID_HEX] != '_') {
        return false;
    }
    char id_text[KEY_ID_HEX + 1];
    memcpy(id_text, text + prefix, KEY_ID_HEX);
    id_text[KEY_ID_HEX] = '\0';
    if (!api_key_id_parse(id_text, id)) {
        return false;
    }
    const char *encoded = text + prefix + KEY_ID_HEX + 1;
    size_t decoded = 0;
    return sodium_base642bin(secret, 32, encoded, length - (size_t)(encoded - text), NULL, &decoded,
                             NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) == 0 &&
           decoded == 32;
}

void api_key_secret_hash(const uint8_t secret[32], uint8_t hash[API_KEY_HASH_SIZE])
{
    TPW_ASSERT(crypto_generichash(hash, API_KEY_HASH_SIZE, secret, 32, NULL, 0) == 0);
}

json_t *api_key_json(const struct api_key_info *info)
{
    char id[API_KEY_ID_TEXT_SIZE];
    api_key_id_format(info->id, id);
    json_t *object =
        json_pack("{s:s,s:s,s:s,s:o,s:s,s:I,s:I,s:I,s:o}", "object", "api_key", "id", id, "role",
                  api_role_name(info->role), "owner",
                  info->owner != 0 ? api_id_json(info->owner, API_OWNER_PREFIX) : json_null(),
                  "name", info->name, "rate_per_s", (json_int_t)info->rate_per_s, "burst",
                  (json_int_t)info->burst, "created", (json_int_t)info->created_ns, "revoked",
                  info->revoked_ns != 0 ? json_integer((json_int_t)info->revoked_ns) : json_null());
    return object;
}

/* ---- reading -------------------------------------------------------------------- */

static enum tpw_err corrupt(struct tpw_error_detail *detail, uint64_t offset, const char *why)
{
    return tpw_error_set(detail, TPW_ERR_API_KEYFILE_CORRUPT, offset,
                         "apikeys.jsonl, line at byte %llu: %s", (unsigned long long)offset, why);
}

static bool json_u64(json_t *object, const char *key, uint64_t *out)
{
    json_t *value = json_object_get(object, key);
    if (!json_is_integer(value) || json_integer_value(value) < 0) {
        return false;
    }
    *out = (uint64_t)json_integer_value(value);
    return true;
}

static bool line_create(json_t *line, struct api_keyfile_line *out)
{
    struct api_key_info *info = &out->record.info;
    const char *role = json_string_value(json_object_get(line, "role"));
    const char *owner = json_string_value(json_object_get(line, "owner"));
    const char *name = json_string_value(json_object_get(line, "name"));
    const char *hash = json_string_value(json_object_get(line, "secret_hash"));
    uint64_t rate = 0;
    uint64_t burst = 0;
    size_t hash_bytes = 0;
    if (!api_role_parse(role, &info->role) || owner == NULL || name == NULL ||
        strlen(name) > API_KEY_NAME_MAX || hash == NULL ||
        tpw_u128_from_dec(owner, strlen(owner), &info->owner) != TPW_OK ||
        !json_u64(line, "rate_per_s", &rate) || rate > UINT32_MAX ||
        !json_u64(line, "burst", &burst) || burst > UINT32_MAX ||
        !json_u64(line, "created_ns", &info->created_ns) ||
        sodium_hex2bin(out->record.secret_hash, API_KEY_HASH_SIZE, hash, strlen(hash), NULL,
                       &hash_bytes, NULL) != 0 ||
        hash_bytes != API_KEY_HASH_SIZE) {
        return false;
    }
    memcpy(info->name, name, strlen(name) + 1);
    info->rate_per_s = (uint32_t)rate;
    info->burst = (uint32_t)burst;
    info->id = out->id;
    return true;
}

/* One line's meaning; false when it is malformed. */
static bool line_parse(const char *text, size_t length, struct api_keyfile_line *out)
{
    memset(out, 0, sizeof *out);
    json_t *line = json_loadb(text, length, JSON_REJECT_DUPLICATES, NULL);
    const char *op = json_string_value(json_object_get(line, "op"));
    bool ok =
        op != NULL && api_key_id_parse(json_string_value(json_object_get(line, "id")), &out->id);
    if (ok && strcmp(op, "create") == 0) {
        out->op = API_KEYFILE_CREATE;
        ok = line_create(line, out);
    } else if (ok && strcmp(op, "revoke") == 0) {
        out->op = API_KEYFILE_REVOKE;
        ok = json_u64(line, "revoked_ns", &out->revoked_ns);
    } else {
        ok = false;
    }
    json_decref(line);
    return ok;
}

struct line_apply {
    api_keyfile_apply *apply;
    void *context;
};

/* One line of the file: parsed, then handed on. */
static enum tpw_err line_apply(void *context, const char *text, size_t length, uint64_t offset,
                               struct tpw_error_detail *detail)
{
    const struct line_apply *to = context;
    struct api_keyfile_line line;
    if (!line_parse(text, length, &line)) {
        return corrupt(detail, offset, "not a valid key record");
    }
    return to->apply(to->context, &line, detail);
}

static enum tpw_err read_error(struct tpw_error_detail *detail, const char *what)
{
    return api_jsonl_io_error(KEYFILE_NAME, what, detail);
}

static enum tpw_err fd_read_lines(int fd, uint64_t *offset, api_keyfile_apply *apply, void *context,
                                  struct tpw_error_detail *detail)
{
    struct line_apply to = {apply, context};
    return api_jsonl_read(fd, KEYFILE_NAME, KEYFILE_LINE_MAX, TPW_ERR_API_KEYFILE_CORRUPT, offset,
                          line_apply, &to, detail);
}

static int keyfile_open(const char *data_dir, int flags, char path[API_KEYFILE_PATH_SIZE])
{
    int length = snprintf(path, API_KEYFILE_PATH_SIZE, "%s/apikeys.jsonl", data_dir);
    if (length < 0 || length >= API_KEYFILE_PATH_SIZE) {
        errno = ENAMETOOLONG;
        return -1;
    }
    return open(path, flags | O_CLOEXEC, KEYFILE_MODE);
}

enum tpw_err api_keyfile_read(const char *data_dir, uint64_t *offset, api_keyfile_apply *apply,
                              void *context, struct tpw_error_detail *detail)
{
    char path[API_KEYFILE_PATH_SIZE];
    int fd = keyfile_open(data_dir, O_RDONLY, path);
    if (fd < 0) {
        return errno == ENOENT ? TPW_OK : read_error(detail, "open failed");
    }
    /* Shared against writers cutting a torn tail off while we read it. */
    enum tpw_err err = flock(fd, LOCK_SH) == 0 ? fd_read_lines(fd, offset, apply, context, detail)
                                               : read_error(detail, "lock failed");
    (void)close(fd);
    return err;
}

/* ---- writing -------------------------------------------------------------------- */

struct key_scan {
    uint64_t id;
    bool found;
    bool revoked;
    struct api_key_info info; /* when found */
};

static enum tpw_err scan_apply(void *context, const struct api_keyfile_line *line,
                               struct tpw_error_detail *detail)
{
    (void)detail;
    struct key_scan *scan = context;
    if (line->id == scan->id && line->op == API_KEYFILE_CREATE && !scan->found) {
        scan->found = true;
        scan->info = line->record.info;
    }
    if (line->id == scan->id && line->op == API_KEYFILE_REVOKE) {
        scan->revoked = true;
    }
    return TPW_OK;
}

/* Opens the file for appending under the exclusive lock, torn tail cut, and checks
 * what is known of key `id` (its lines must be read under the same lock). */
static enum tpw_err writer_open(const char *data_dir, struct key_scan *scan, int *fd_out,
                                struct tpw_error_detail *detail)
{
    char path[API_KEYFILE_PATH_SIZE];
    int fd = keyfile_open(data_dir, O_RDWR | O_CREAT | O_APPEND, path);
    if (fd < 0) {
        return read_error(detail, "open failed");
    }
    enum tpw_err err = flock(fd, LOCK_EX) == 0 ? api_jsonl_tail_repair(fd, KEYFILE_NAME, detail)
                                               : read_error(detail, "lock failed");
    uint64_t offset = 0;
    if (err == TPW_OK) {
        err = fd_read_lines(fd, &offset, scan_apply, scan, detail);
    }
    if (err != TPW_OK) {
        (void)close(fd);
        return err;
    }
    *fd_out = fd;
    return TPW_OK;
}

static enum tpw_err spec_check(const struct api_key_spec *spec, struct tpw_error_detail *detail)
{
    const char *param = NULL;
    const char *why = NULL;
    if (api_role_name(spec->role) == NULL) {
        param = "role";
        why = "the role is admin, operator, auditor or user";
    } else if ((spec->role == API_ROLE_USER) != (spec->owner != 0)) {
        param = "owner";
        why = "a user key needs an owner, and only a user key has one";
    } else if (spec->name != NULL && strlen(spec->name) > API_KEY_NAME_MAX) {
        param = "name";
        why = "the name is at most 64 bytes";
    } else if (spec->rate_set && spec->rate_per_s == 0 && spec->burst != 0) {
        param = "burst";
        why = "an unlimited key has no burst";
    }
    if (param == NULL) {
        return TPW_OK;
    }
    tpw_error_set_param(detail, param);
    return tpw_error_set(detail, TPW_ERR_API_KEY_INVALID, 0, "%s", why);
}

static void spec_apply(const struct api_key_spec *spec, struct api_key_info *info)
{
    memset(info, 0, sizeof *info);
    randombytes_buf(&info->id, sizeof info->id);
    info->role = spec->role;
    info->owner = spec->owner;
    if (spec->name != NULL) {
        memcpy(info->name, spec->name, strlen(spec->name) + 1);
    }
    if (spec->rate_set) {
        info->rate_per_s = spec->rate_per_s;
        info->burst = spec->burst != 0 ? spec->burst : spec->rate_per_s;
    } else if (spec->role == API_ROLE_USER) {
        info->rate_per_s = API_KEY_USER_RATE_PER_S;
        info->burst = API_KEY_USER_BURST;
    }
    struct tpw_clock clock = tpw_clock_system();
    info->created_ns = tpw_clock_now_ns(&clock);
}

static char *create_line(const struct api_key_info *info, const uint8_t hash[API_KEY_HASH_SIZE])
{
    char id[API_KEY_ID_TEXT_SIZE];
    char owner[TPW_U128_DEC_SIZE];
    char hash_hex[API_KEY_HASH_SIZE * 2 + 1];
    api_key_id_format(info->id, id);
    (void)tpw_u128_to_dec(info->owner, owner, sizeof owner);
    (void)sodium_bin2hex(hash_hex, sizeof hash_hex, hash, API_KEY_HASH_SIZE);
    json_t *line =
        json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:I,s:I,s:s}", "op", "create", "id", id, "role",
                  api_role_name(info->role), "owner", owner, "name", info->name, "rate_per_s",
                  (json_int_t)info->rate_per_s, "burst", (json_int_t)info->burst, "created_ns",
                  (json_int_t)info->created_ns, "secret_hash", hash_hex);
    char *text = api_jsonl_text(line);
    json_decref(line);
    return text;
}

static void key_text_make(uint64_t id, const uint8_t secret[32], char out[API_KEY_TEXT_SIZE])
{
    char id_text[API_KEY_ID_TEXT_SIZE];
    api_key_id_format(id, id_text);
    char encoded[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
    (void)sodium_bin2base64(encoded, sizeof encoded, secret, 32,
                            sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    (void)snprintf(out, API_KEY_TEXT_SIZE, KEY_PREFIX "%s_%s", id_text, encoded);
    TPW_ASSERT(strlen(out) == API_KEY_TEXT_SIZE - 1);
}

/* Appends `line` (taken) under the writer lock once `check` accepts what the file
 * says about key `id`. */
static enum tpw_err locked_append(const char *data_dir, char *line, struct key_scan *scan,
                                  enum tpw_err (*check)(const struct key_scan *scan,
                                                        struct tpw_error_detail *detail),
                                  struct tpw_error_detail *detail)
{
    if (line == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
    }
    int fd = -1;
    enum tpw_err err = writer_open(data_dir, scan, &fd, detail);
    if (err == TPW_OK) {
        err = check(scan, detail);
        if (err == TPW_OK) {
            err = api_jsonl_append(fd, data_dir, KEYFILE_NAME, line, detail);
        }
        (void)close(fd);
    }
    free(line);
    return err;
}

static enum tpw_err check_new(const struct key_scan *scan, struct tpw_error_detail *detail)
{
    /* 64 random bits: a collision is a 2^-64 event, but it must not alias two keys. */
    return scan->found ? tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "key id collision; retry")
                       : TPW_OK;
}

static enum tpw_err check_live(const struct key_scan *scan, struct tpw_error_detail *detail)
{
    if (scan->found && !scan->revoked) {
        return TPW_OK;
    }
    tpw_error_set_param(detail, "id");
    return tpw_error_set(detail, TPW_ERR_API_KEY_NOT_FOUND, 0,
                         scan->found ? "the key is already revoked" : "no such API key");
}

enum tpw_err api_key_create(const char *data_dir, const struct api_key_spec *spec,
                            struct api_key_info *out, char key_text[API_KEY_TEXT_SIZE],
                            struct tpw_error_detail *detail)
{
    enum tpw_err err = spec_check(spec, detail);
    if (err != TPW_OK) {
        return err;
    }
    if (sodium_init() < 0) {
        return tpw_error_set(detail, TPW_ERR_INTERNAL, 0, "libsodium failed to initialise");
    }
    uint8_t secret[32];
    uint8_t hash[API_KEY_HASH_SIZE];
    randombytes_buf(secret, sizeof secret);
    api_key_secret_hash(secret, hash);
    spec_apply(spec, out);
    struct key_scan scan = {.id = out->id};
    err = locked_append(data_dir, create_line(out, hash), &scan, check_new, detail);
    if (err == TPW_OK) {
        key_text_make(out->id, secret, key_text);
    }
    sodium_memzero(secret, sizeof secret);
    return err;
}

enum tpw_err api_key_revoke(const char *data_dir, uint64_t id, struct api_key_info *out,
                            struct tpw_error_detail *detail)
{
    char id_text[API_KEY_ID_TEXT_SIZE];
    api_key_id_format(id, id_text);
    struct tpw_clock clock = tpw_clock_system();
    uint64_t now_ns = tpw_clock_now_ns(&clock);
    json_t *line =
        json_pack("{s:s,s:s,s:I}", "op", "revoke", "id", id_text, "revoked_ns", (json_int_t)now_ns);
    char *text = api_jsonl_text(line);
    json_decref(line);
    struct key_scan scan = {.id = id};
    enum tpw_err err = locked_append(data_dir, text, &scan, check_live, detail);
    if (err == TPW_OK) {
        *out = scan.info;
        out->revoked_ns = now_ns;
    }
    return err;
}

struct key_list {
    struct api_key_info *keys;
    size_t count;
    size_t capacity;
};

static enum tpw_err list_apply(void *context, const struct api_keyfile_line *line,
                               struct tpw_error_detail *detail)
{
    struct key_list *list = context;
    if (line->op == API_KEYFILE_REVOKE) {
        for (size_t i = 0; i < list->count; i++) {
            if (list->keys[i].id == line->id) {
                list->keys[i].revoked_ns = line->revoked_ns;
            }
        }
        return TPW_OK;
    }
    if (list->count == list->capacity) {
        size_t capacity = list->capacity == 0 ? 16 : list->capacity * 2;
        struct api_key_info *grown = realloc(list->keys, capacity * sizeof *grown);
        if (grown == NULL) {
            return tpw_error_set(detail, TPW_ERR_NOMEM, 0, "out of memory");
        }
        list->keys = grown;
        list->capacity = capacity;
    }
    list->keys[list->count++] = line->record.info;
    return TPW_OK;
}

enum tpw_err api_key_list(const char *data_dir, struct api_key_info **out, size_t *count,
                          struct tpw_error_detail *detail)
{
    struct key_list list = {0};
    uint64_t offset = 0;
    enum tpw_err err = api_keyfile_read(data_dir, &offset, list_apply, &list, detail);
    if (err != TPW_OK) {
        free(list.keys);
        list.keys = NULL;
        list.count = 0;
    }
    *out = list.keys;
    *count = list.count;
    return err;
}
