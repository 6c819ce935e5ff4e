/*
 * The dashboard's files (the `web_root` setting, docs/web.md): Vite's build
 * output — index.html and the hashed files of assets/ — read into memory once at start
 * and served from there by name, so a request never touches the file system: no path
 * is ever joined from request input, a file replaced under a running server cannot be
 * half-served, and each reply is sent without a copy.
 *
 * Only what a single-page app needs: GET / (index.html, never cached: it names the
 * current assets) and GET /assets/NAME (cached for good: a new build has new names).
 * The app routes with the URL's fragment (#/markets), so no other path needs the page.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api_int.h"
#include "file.h"
#include "tpw_assert.h"

#include "banned.h"

/* Bounds on what a web root may hold: a Vite build of the dashboard is ~1-3 MB. */
#define WEB_FILE_MAX_BYTES (16u << 20)
#define WEB_TOTAL_MAX_BYTES (64u << 20)
#define WEB_FILES_MAX 1024u
#define WEB_NAME_MAX 128u

struct web_file {
    char name[WEB_NAME_MAX];
    const char *content_type; /* a constant */
    char *data;
    size_t length;
};

struct api_web {
    struct web_file index;
    struct web_file *assets; /* sorted by name, for bsearch */
    size_t assets_count;
    size_t total_bytes;
};

static const struct {
    const char *extension;
    const char *content_type;
} content_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json"},
    {".map", "application/json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".ico", "image/x-icon"},
    {".woff2", "font/woff2"},
    {".woff", "font/woff"},
    {".txt", "text/plain; charset=utf-8"},
};

static const char *content_type_of(const char *name)
{
    const char *dot = strrchr(name, '.');
    for (size_t i = 0; dot != NULL && i < sizeof content_types / sizeof content_types[0]; i++) {
        if (strcmp(dot, content_types[i].extension) == 0) {
            return content_types[i].content_type;
        }
    }
    return "application/octet-stream";
}

/* The names a build writes: letters, digits, '.', '-', '_', not starting with '.'. The
 * same rule refuses a request's name before any lookup. */
static bool name_valid(const char *name)
{
    size_t length = strlen(name);
    if (length == 0 || length >= WEB_NAME_MAX || name[0] == '.') {
        return false;
    }
    return strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") ==
           length;
}

static enum tpw_err invalid(struct tpw_error_detail *detail, const char *root, const char *why)
{
    (void)tpw_error_set(detail, TPW_ERR_WEB_ROOT_INVALID, 0, "web_root %s: %s", root, why);
    tpw_error_set_param(detail, "web_root");
    return TPW_ERR_WEB_ROOT_INVALID;
}

static enum tpw_err file_load(struct api_web *web, const char *path, const char *name,
                              struct web_file *out, struct tpw_error_detail *detail)
{
    enum tpw_err err = tpw_file_read(path, WEB_FILE_MAX_BYTES, TPW_ERR_WEB_ROOT_INVALID, &out->data,
                                     &out->length, detail);
    if (err != TPW_OK) {
        return err;
    }
    web->total_bytes += out->length;
    memcpy(out->name, name, strlen(name) + 1);
    out->content_type = content_type_of(name);
    return TPW_OK;
}

static int file_compare(const void *a, const void *b)
{
    return strcmp(((const struct web_file *)a)->name, ((const struct web_file *)b)->name);
}

/* Every regular file of ROOT/assets (none is fine: a build may inline everything). */
static enum tpw_err assets_load(struct api_web *web, const char *root,
                                struct tpw_error_detail *detail)
{
    char dir_path[4096];
    if (snprintf(dir_path, sizeof dir_path, "%s/assets", root) >= (int)sizeof dir_path) {
        return invalid(detail, root, "path too long");
    }
    DIR *dir = opendir(dir_path);
    if (dir == NULL) {
        return errno == ENOENT ? TPW_OK : invalid(detail, root, "assets/ cannot be read");
    }
    web->assets = calloc(WEB_FILES_MAX, sizeof web->assets[0]);
    enum tpw_err err = web->assets != NULL ? TPW_OK : TPW_ERR_NOMEM;
    for (struct dirent *entry = NULL; err == TPW_OK && (entry = readdir(dir)) != NULL;) {
        char path[sizeof dir_path + sizeof entry->d_name + 1];
        (void)snprintf(path, sizeof path, "%s/%s", dir_path, entry->d_name);
        struct stat status;
        if (!name_valid(entry->d_name) || stat(path, &status) != 0 || !S_ISREG(status.st_mode)) {
            continue; /* ".", "..", subdirectories, editor droppings: not served */
        }
        if (web->assets_count == WEB_FILES_MAX) {
            err = invalid(detail, root, "more than 1024 files in assets/");
            break;
        }
        err = file_load(web, path, entry->d_name, &web->assets[web->assets_count], detail);
        web->assets_count += err == TPW_OK ? 1 : 0;
        if (err == TPW_OK && web->total_bytes > WEB_TOTAL_MAX_BYTES) {
            err = invalid(detail, root, "more than 64 MiB of files");
        }
    }
    (void)closedir(dir);
    if (err == TPW_OK) {
        qsort(web->assets, web->assets_count, sizeof web->assets[0], file_compare);
    }
    return err;
}

enum tpw_err api_web_load(const char *root, struct api_web **out, struct tpw_error_detail *detail)
{
    *out = NULL;
    if (root == NULL) {
        return TPW_OK;
    }
    struct api_web *web = calloc(1, sizeof *web);
    if (web == NULL) {
        return TPW_ERR_NOMEM;
    }
    char path[4096];
    enum tpw_err err = TPW_OK;
    if (snprintf(path, sizeof path, "%s/index.html", root) >= (int)sizeof path) {
        err = invalid(detail, root, "path too long");
    } else {
        err = file_load(web, path, "index.html", &web->index, detail);
        if (err == TPW_ERR_NOT_FOUND) {
            err = invalid(detail, root, "no index.html (build the dashboard: make web)");
        }
    }
    if (err == TPW_OK) {
        err = assets_load(web, root, detail);
    }
    if (err != TPW_OK) {
        api_web_free(web);
        return err;
    }
    *out = web;
    return TPW_OK;
}

void api_web_free(struct api_web *web)
{
    if (web == NULL) {
        return;
    }
    free(web->index.data);
    for (size_t i = 0; i < web->assets_count; i++) {
        free(web->assets[i].data);
    }
    free(web->assets);
    free(web);
}

static void reply_file(struct api_request *request, const struct web_file *file,
                       const char *cache_control)
{
    api_reply_static(request, 200, (const unsigned char *)file->data, file->length);
    request->reply.content_type = file->content_type;
    request->reply.cache_control = cache_control;
    request->reply.web_page = true;
}

void api_web_index(struct api_request *request, const char *param)
{
    (void)param;
    const struct api_web *web = request->server->web;
    if (web == NULL) {
        api_reply_error(request, TPW_ERR_API_ROUTE_UNKNOWN, NULL);
        return;
    }
    reply_file(request, &web->index, "no-cache");
}

void api_web_asset(struct api_request *request, const char *name)
{
    const struct api_web *web = request->server->web;
    TPW_ASSERT(name != NULL);
    struct web_file key = {0};
    const struct web_file *file = NULL;
    if (web != NULL && name_valid(name)) {
        memcpy(key.name, name, strlen(name) + 1);
        file = web->assets_count > 0 ? bsearch(&key, web->assets, web->assets_count,
                                               sizeof web->assets[0], file_compare)
                                     : NULL;
    }
    if (file == NULL) {
        api_reply_error(request, TPW_ERR_API_ROUTE_UNKNOWN, NULL);
        return;
    }
    reply_file(request, file, "public, max-age=31536000, immutable");
}
