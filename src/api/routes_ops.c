/*
 * Operations endpoints: /livez (the process answers), /readyz (it can take writes:
 * the ledger has not stopped after a storage failure and the server is not stopping)
 * and /v1/openapi.json (the API's description, docs/openapi.json as built in).
 */
#include "api_int.h"

#include "banned.h"

void api_livez(struct api_request *request, const char *id_text)
{
    (void)id_text;
    api_reply_json(request, 200, json_pack("{s:s}", "status", "ok"));
}

void api_readyz(struct api_request *request, const char *id_text)
{
    (void)id_text;
    struct api_server *server = request->server;
    if (atomic_load(&server->storage_err) != TPW_OK) {
        api_reply_error(request, TPW_ERR_LEDGER_FAILED, NULL);
    } else if (atomic_load(&server->stopping)) {
        api_reply_error(request, TPW_ERR_API_SHUTTING_DOWN, NULL);
    } else {
        api_reply_json(request, 200, json_pack("{s:s}", "status", "ready"));
    }
}

/* docs/openapi.json, embedded by CMake (tpw_embed in src/api/CMakeLists.txt); the
 * array has one NUL past its size. */
extern const unsigned char api_openapi_json[];
extern const size_t api_openapi_json_size;

void api_openapi_get(struct api_request *request, const char *id_text)
{
    (void)id_text;
    api_reply_static(request, 200, api_openapi_json, api_openapi_json_size);
}
