/*
 * API keys: who may call the HTTP API and what they may do.
 *
 * A key is "tpwk_<id>_<secret>": a 64-bit id in 16 hex digits, which is not secret and
 * names the key in lists and logs, and 32 random bytes in unpadded base64url, shown
 * once when the key is created and never stored. The key file DATA/apikeys.jsonl
 * (mode 0600) holds, per key, its role, owner, rate limit and the BLAKE2b-256 hash of
 * the secret. The secret is 256 random bits, so a fast hash is as safe as a slow one
 * would be for a password, and checking a request costs one BLAKE2b of 32 bytes.
 *
 * The file is append-only: one JSON line per change ("create", "revoke"), each
 * appended with one write and fsync'd before the command reports success; a running
 * server picks changes up within a second. docs/api.md ("Authentication") is the
 * user's guide and docs/formats/apikeys.md the file format.
 */
#ifndef TPWALLET_APIKEY_H
#define TPWALLET_APIKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "tpwallet/error.h"
#include "tpwallet/u128.h"

/* What a key may do (docs/api.md has the matrix). */
enum api_role {
    API_ROLE_ADMIN = 1,    /* everything */
    API_ROLE_OPERATOR = 2, /* every resource, reads and writes; not key management */
    API_ROLE_AUDITOR = 3,  /* reads everything, writes nothing */
    API_ROLE_USER = 4,     /* only its owner's accounts and their transfers */
};

/* "admin", "operator", "auditor", "user"; NULL outside the list. */
const char *api_role_name(enum api_role role);
/* The role named `name`; false when there is none. */
bool api_role_parse(const char *name, enum api_role *out /* out */);

/* "tpwk_" + 16 hex digits + "_" + 43 base64url characters, and the NUL. */
#define API_KEY_TEXT_SIZE 66
#define API_KEY_NAME_MAX 64
/* A user key's default rate limit; other roles are unlimited unless given one. */
#define API_KEY_USER_RATE_PER_S 100u
#define API_KEY_USER_BURST 200u

struct api_key_info {
    uint64_t id;
    enum api_role role;
    tpw_u128 owner; /* user keys: the owner whose accounts it sees; 0 otherwise */
    char name[API_KEY_NAME_MAX + 1];
    uint32_t rate_per_s; /* requests per second; 0 = unlimited */
    uint32_t burst;      /* the bucket's size: requests allowed at once */
    uint64_t created_ns; /* wall clock */
    uint64_t revoked_ns; /* 0 while the key works */
};

struct api_key_spec {
    enum api_role role;
    tpw_u128 owner;   /* required for (and only for) user keys */
    const char *name; /* a label for people; NULL = "" */
    /* rate_set false: the role's default. rate_per_s 0 = unlimited; burst 0 = the rate. */
    bool rate_set;
    uint32_t rate_per_s;
    uint32_t burst;
};

/*
 * Creates a key in `data_dir`'s key file (creating the file): fills *out and writes
 * the key's text, the only time it exists, to `key_text`. Errors: TPW_ERR_API_KEY_INVALID
 * (detail->param: "role", "owner", "name", "burst"), TPW_ERR_API_KEYFILE_CORRUPT,
 * TPW_ERR_IO, TPW_ERR_NOMEM.
 */
TPW_MUST_CHECK enum tpw_err api_key_create(const char *data_dir, const struct api_key_spec *spec,
                                           struct api_key_info *out /* out */,
                                           char key_text[API_KEY_TEXT_SIZE],
                                           struct tpw_error_detail *detail);

/* Revokes key `id` and fills *out with it as revoked: TPW_ERR_API_KEY_NOT_FOUND (none,
 * or already revoked), TPW_ERR_API_KEYFILE_CORRUPT, TPW_ERR_IO. */
TPW_MUST_CHECK enum tpw_err api_key_revoke(const char *data_dir, uint64_t id,
                                           struct api_key_info *out /* out */,
                                           struct tpw_error_detail *detail);

/* Every key ever created, revoked ones included, in creation order; the caller frees
 * *out with free(). No key file is an empty list. */
TPW_MUST_CHECK enum tpw_err api_key_list(const char *data_dir, struct api_key_info **out /* out */,
                                         size_t *count /* out */, struct tpw_error_detail *detail);

/* {"object":"api_key","id","role","owner" (text form or null),"name","rate_per_s",
 * "burst","created","revoked" (ns, or null)}; never the secret. NULL on OOM. */
json_t *api_key_json(const struct api_key_info *info);

/* Parses a key id in its 16-hex-digit form (as lists print it). */
bool api_key_id_parse(const char *text, uint64_t *out /* out */);

#endif /* TPWALLET_APIKEY_H */
