/*
 * `tpwallet serve`: the HTTP API on a data directory. Settings come from a config file,
 * then the environment (TPWALLET_*), then flags — each later source wins — so a
 * deployment can keep a file and override one value for one run.
 *
 * The signals that stop the server (SIGTERM, SIGINT) are blocked before any server
 * thread starts, so every thread inherits the mask and only sigwait() here sees them:
 * the stop then runs on this thread, in order — stop accepting, drain, final sync.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "log.h"
#include "ledger_cli.h"
#include "tpwallet/api.h"

#include "banned.h"

const char cmd_serve_usage[] =
    "usage: tpwallet serve --data DIR [--listen HOST:PORT] [--threads N]\n"
    "                      [--body-limit-bytes N] [--timeout-s N] [--request-timeout-s N]\n"
    "                      [--access-log]\n"
    "                      [--events-ring-capacity N] [--events-streams-max N]\n"
    "                      [--events-catchups-max N] [--events-keepalive-s N]\n"
    "                      [--fx-manual-ttl-s N] [--fx-quote-ttl-s N]\n"
    "                      [--fx-exposure-limits CODE=MINOR,...] [--fx-fees FILE]\n"
    "                      [--fx-ecb-url URL] [--fx-ecb-poll-s N] [--fx-static-rates FILE]\n"
    "                      [--fx-history-sample-s N] [--fx-history-window-s N]\n"
    "                      [--markets FILE] [--web-root DIR]\n"
    "                      [--config FILE]\n"
    "Serves the HTTP API (docs/api.md) on 127.0.0.1:8080 by default; port 0 picks a free\n"
    "one. Prints {\"event\":\"listening\",\"url\":…} when ready; SIGTERM or SIGINT stops it\n"
    "gracefully. Settings: FILE (key = value lines: data, listen, threads,\n"
    "body_limit_bytes, timeout_s, request_timeout_s, access_log, assets,\n"
    "events_ring_capacity, events_streams_max, events_catchups_max, events_keepalive_s,\n"
    "fx_manual_ttl_s, fx_quote_ttl_s, fx_exposure_limits, fx_fees, fx_ecb_url,\n"
    "fx_ecb_poll_s, fx_static_rates, fx_history_sample_s, fx_history_window_s, markets,\n"
    "web_root)\n"
    "< TPWALLET_<KEY> < flags.\n";

enum setting {
    S_DATA,
    S_LISTEN,
    S_THREADS,
    S_BODY_LIMIT,
    S_TIMEOUT,
    S_REQUEST_TIMEOUT,
    S_ACCESS_LOG,
    S_ASSETS,
    S_EVENTS_RING,
    S_EVENTS_STREAMS,
    S_EVENTS_CATCHUPS,
    S_EVENTS_KEEPALIVE,
    S_FX_MANUAL_TTL,
    S_FX_QUOTE_TTL,
    S_FX_EXPOSURE_LIMITS,
    S_FX_FEES,
    S_FX_ECB_URL,
    S_FX_ECB_POLL,
    S_FX_STATIC_RATES,
    S_FX_HISTORY_SAMPLE,
    S_FX_HISTORY_WINDOW,
    S_MARKETS,
    S_WEB_ROOT,
    S_COUNT
};

static const char *const setting_keys[S_COUNT] = {"data",
                                                  "listen",
                                                  "threads",
                                                  "body_limit_bytes",
                                                  "timeout_s",
                                                  "request_timeout_s",
                                                  "access_log",
                                                  "assets",
                                                  "events_ring_capacity",
                                                  "events_streams_max",
                                                  "events_catchups_max",
                                                  "events_keepalive_s",
                                                  "fx_manual_ttl_s",
                                                  "fx_quote_ttl_s",
                                                  "fx_exposure_limits",
                                                  "fx_fees",
                                                  "fx_ecb_url",
                                                  "fx_ecb_poll_s",
                                                  "fx_static_rates",
                                                  "fx_history_sample_s",
                                                  "fx_history_window_s",
                                                  "markets",
                                                  "web_root"};
static const char *const setting_env[S_COUNT] = {"TPWALLET_DATA",
                                                 "TPWALLET_LISTEN",
                                                 "TPWALLET_THREADS",
                                                 "TPWALLET_BODY_LIMIT_BYTES",
                                                 "TPWALLET_TIMEOUT_S",
                                                 "TPWALLET_REQUEST_TIMEOUT_S",
                                                 "TPWALLET_ACCESS_LOG",
                                                 "TPWALLET_ASSETS",
                                                 "TPWALLET_EVENTS_RING_CAPACITY",
                                                 "TPWALLET_EVENTS_STREAMS_MAX",
                                                 "TPWALLET_EVENTS_CATCHUPS_MAX",
                                                 "TPWALLET_EVENTS_KEEPALIVE_S",
                                                 "TPWALLET_FX_MANUAL_TTL_S",
                                                 "TPWALLET_FX_QUOTE_TTL_S",
                                                 "TPWALLET_FX_EXPOSURE_LIMITS",
                                                 "TPWALLET_FX_FEES",
                                                 "TPWALLET_FX_ECB_URL",
                                                 "TPWALLET_FX_ECB_POLL_S",
                                                 "TPWALLET_FX_STATIC_RATES",
                                                 "TPWALLET_FX_HISTORY_SAMPLE_S",
                                                 "TPWALLET_FX_HISTORY_WINDOW_S",
                                                 "TPWALLET_MARKETS",
                                                 "TPWALLET_WEB_ROOT"};

/* Values from the file live here (copies); the others point into argv or environ. */
struct settings {
    const char *value[S_COUNT];
    char file_values[S_COUNT][512];
};

static enum tpw_err file_line(struct settings *settings, char *line, unsigned number,
                              struct tpw_error_detail *detail)
{
    char *key = NULL;
    char *value = NULL;
    if (!api_settings_line(line, &key, &value)) {
        return TPW_OK;
    }
    if (key == NULL) {
        return tpw_error_set(detail, TPW_ERR_USAGE, number, "line %u: expected key = value",
                             number);
    }
    for (size_t i = 0; i < S_COUNT; i++) {
        if (strcmp(key, setting_keys[i]) == 0 && strlen(value) < sizeof settings->file_values[i]) {
            memcpy(settings->file_values[i], value, strlen(value) + 1);
            settings->value[i] = settings->file_values[i];
            return TPW_OK;
        }
    }
    return tpw_error_set(detail, TPW_ERR_USAGE, number, "line %u: unknown setting \"%s\"", number,
                         key);
}

static enum tpw_err settings_file(struct settings *settings, const char *path,
                                  struct tpw_error_detail *detail)
{
    FILE *file = fopen(path, "r");
    tpw_error_set_param(detail, "config");
    if (file == NULL) {
        return tpw_error_set(detail, TPW_ERR_NOT_FOUND, 0, "cannot open %s", path);
    }
    char line[1024];
    unsigned number = 0;
    enum tpw_err err = TPW_OK;
    while (err == TPW_OK && fgets(line, sizeof line, file) != NULL) {
        err = file_line(settings, line, ++number, detail);
    }
    (void)fclose(file);
    return err;
}

static void settings_env(struct settings *settings)
{
    for (size_t i = 0; i < S_COUNT; i++) {
        const char *value = getenv(setting_env[i]);
        if (value != NULL && value[0] != '\0') {
            settings->value[i] = value;
        }
    }
}

static bool number_setting(const char *text, uint64_t max, uint64_t *out)
{
    return text == NULL || lcli_u64(text, max, out);
}

/* "HOST:PORT" → options; false when malformed. */
static bool listen_setting(char *text, struct api_server_options *options)
{
    char *colon = strrchr(text, ':');
    uint64_t port = 0;
    if (colon == NULL || !lcli_u64(colon + 1, 65535, &port)) {
        return false;
    }
    *colon = '\0';
    options->listen_host = text;
    options->port = (uint16_t)port;
    return true;
}

/* /v1/events's limits (docs/api.md, "Events"); 0 or absent = the server's default. */
static bool events_settings(const struct settings *settings, struct api_server_options *options)
{
    uint64_t ring = 0, streams = 0, catchups = 0, keepalive = 0;
    bool ok = number_setting(settings->value[S_EVENTS_RING], UINT64_C(1) << 24, &ring) &&
              number_setting(settings->value[S_EVENTS_STREAMS], 65536, &streams) &&
              number_setting(settings->value[S_EVENTS_CATCHUPS], 64, &catchups) &&
              number_setting(settings->value[S_EVENTS_KEEPALIVE], 3600, &keepalive);
    options->events_ring_capacity = (unsigned)ring;
    options->events_streams_max = (unsigned)streams;
    options->events_catchups_max = (unsigned)catchups;
    options->events_keepalive_s = (unsigned)keepalive;
    return ok;
}

static bool options_from(struct settings *settings, char *listen,
                         struct api_server_options *options)
{
    uint64_t threads = 0, body = 0, timeout = 0, request_timeout = 0, fx_manual_ttl = 0,
             fx_quote_ttl = 0, fx_ecb_poll = 0, fx_history_sample = 0, fx_history_window = 0;
    options->data_dir = settings->value[S_DATA];
    options->assets_path = settings->value[S_ASSETS];
    const char *log = settings->value[S_ACCESS_LOG];
    options->access_log = log != NULL && strcmp(log, "0") != 0 && strcmp(log, "false") != 0;
    bool ok =
        number_setting(settings->value[S_THREADS], 64, &threads) &&
        number_setting(settings->value[S_BODY_LIMIT], UINT32_MAX, &body) &&
        number_setting(settings->value[S_TIMEOUT], 86400, &timeout) &&
        number_setting(settings->value[S_REQUEST_TIMEOUT], 86400, &request_timeout) &&
        number_setting(settings->value[S_FX_MANUAL_TTL], UINT64_C(31) * 86400u, &fx_manual_ttl) &&
        number_setting(settings->value[S_FX_QUOTE_TTL], 3600, &fx_quote_ttl) &&
        number_setting(settings->value[S_FX_ECB_POLL], 86400, &fx_ecb_poll) &&
        number_setting(settings->value[S_FX_HISTORY_SAMPLE], 3600, &fx_history_sample) &&
        number_setting(settings->value[S_FX_HISTORY_WINDOW], UINT64_C(7) * 86400u,
                       &fx_history_window);
    options->threads = (unsigned)threads;
    options->body_limit_bytes = body;
    options->connection_timeout_s = (unsigned)timeout;
    options->request_timeout_s = (unsigned)request_timeout;
    options->fx_manual_ttl_s = (unsigned)fx_manual_ttl;
    options->fx_quote_ttl_s = (unsigned)fx_quote_ttl;
    options->fx_exposure_limits = settings->value[S_FX_EXPOSURE_LIMITS];
    options->fx_fees_path = settings->value[S_FX_FEES];
    options->fx_ecb_url = settings->value[S_FX_ECB_URL];
    options->fx_ecb_poll_s = (unsigned)fx_ecb_poll;
    options->fx_history_sample_s = (unsigned)fx_history_sample;
    options->fx_history_window_s = (unsigned)fx_history_window;
    options->fx_static_rates_path = settings->value[S_FX_STATIC_RATES];
    options->markets_path = settings->value[S_MARKETS];
    options->web_root = settings->value[S_WEB_ROOT];
    options->port = 8080;
    return ok && events_settings(settings, options) &&
           (settings->value[S_LISTEN] == NULL || listen_setting(listen, options));
}

static int run(struct cli *cli, const struct api_server_options *options)
{
    /* Access lines are info-level log lines: asking for them raises the level to info
     * (before any server thread exists, as the log requires). */
    if (options->access_log && tpw_log_get_level() > TPW_LOG_INFO) {
        tpw_log_set_level(TPW_LOG_INFO);
    }
    sigset_t stop_signals;
    (void)sigemptyset(&stop_signals);
    (void)sigaddset(&stop_signals, SIGTERM);
    (void)sigaddset(&stop_signals, SIGINT);
    (void)pthread_sigmask(SIG_BLOCK, &stop_signals, NULL);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct api_server *server = NULL;
    enum tpw_err err = api_server_start(options, &server, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    (void)printf("{\"event\":\"listening\",\"url\":\"http://%s:%u\"}\n",
                 options->listen_host != NULL ? options->listen_host : "127.0.0.1",
                 (unsigned)api_server_port(server));
    (void)fflush(stdout);
    int signal_number = 0;
    (void)sigwait(&stop_signals, &signal_number);
    err = api_server_stop(server, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    (void)printf("{\"event\":\"stopped\",\"signal\":%d}\n", signal_number);
    return 0;
}

int cmd_serve(struct cli *cli, int argc, char **argv)
{
    struct settings settings = {0};
    const char *flags[S_COUNT] = {0};
    const char *config = NULL;
    bool access_log = false;
    const struct cli_option options[] = {{"data", &flags[S_DATA], NULL},
                                         {"listen", &flags[S_LISTEN], NULL},
                                         {"threads", &flags[S_THREADS], NULL},
                                         {"body-limit-bytes", &flags[S_BODY_LIMIT], NULL},
                                         {"timeout-s", &flags[S_TIMEOUT], NULL},
                                         {"request-timeout-s", &flags[S_REQUEST_TIMEOUT], NULL},
                                         {"events-ring-capacity", &flags[S_EVENTS_RING], NULL},
                                         {"events-streams-max", &flags[S_EVENTS_STREAMS], NULL},
                                         {"events-catchups-max", &flags[S_EVENTS_CATCHUPS], NULL},
                                         {"events-keepalive-s", &flags[S_EVENTS_KEEPALIVE], NULL},
                                         {"fx-manual-ttl-s", &flags[S_FX_MANUAL_TTL], NULL},
                                         {"fx-quote-ttl-s", &flags[S_FX_QUOTE_TTL], NULL},
                                         {"fx-exposure-limits", &flags[S_FX_EXPOSURE_LIMITS], NULL},
                                         {"fx-fees", &flags[S_FX_FEES], NULL},
                                         {"fx-ecb-url", &flags[S_FX_ECB_URL], NULL},
                                         {"fx-ecb-poll-s", &flags[S_FX_ECB_POLL], NULL},
                                         {"fx-static-rates", &flags[S_FX_STATIC_RATES], NULL},
                                         {"fx-history-sample-s", &flags[S_FX_HISTORY_SAMPLE], NULL},
                                         {"fx-history-window-s", &flags[S_FX_HISTORY_WINDOW], NULL},
                                         {"markets", &flags[S_MARKETS], NULL},
                                         {"web-root", &flags[S_WEB_ROOT], NULL},
                                         {"access-log", NULL, &access_log},
                                         {"config", &config, NULL}};
    const struct cli_spec spec = {options, sizeof options / sizeof options[0], 0, 0,
                                  cmd_serve_usage};
    struct cli_args args;
    int status = 0;
    if (!cli_command_args(cli, argc, argv, &spec, &args, &status)) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    if (config != NULL && settings_file(&settings, config, &detail) != TPW_OK) {
        return cli_fail(cli, detail.code, &detail);
    }
    settings_env(&settings);
    for (size_t i = 0; i < S_COUNT; i++) {
        settings.value[i] = flags[i] != NULL ? flags[i] : settings.value[i];
    }
    settings.value[S_ACCESS_LOG] = access_log ? "1" : settings.value[S_ACCESS_LOG];
    char listen[128] = "";
    if (settings.value[S_LISTEN] != NULL) {
        (void)snprintf(listen, sizeof listen, "%s", settings.value[S_LISTEN]);
    }
    struct api_server_options server_options = {0};
    if (!options_from(&settings, listen, &server_options)) {
        return cli_usage_error(cli, cmd_serve_usage,
                               "a setting is not a number in range or "
                               "--listen is not HOST:PORT");
    }
    if (server_options.data_dir == NULL) {
        return cli_usage_error(cli, cmd_serve_usage,
                               "no data directory: pass --data DIR or set TPWALLET_DATA");
    }
    return run(cli, &server_options);
}
