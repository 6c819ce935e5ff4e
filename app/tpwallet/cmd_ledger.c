/*
 * `tpwallet init`, `tpwallet journal verify` and `tpwallet replay`: creating a data
 * directory, checking its journal end to end, and rebuilding the state from the
 * journal alone to print its state hash (the determinism check users can run).
 */
#include <stdio.h>
#include <string.h>

#include "ledger_cli.h"

#include "banned.h"

const char cmd_init_usage[] = "usage: tpwallet init --data DIR\n"
                              "Creates an empty ledger in DIR (created if missing).\n";
const char cmd_journal_usage[] =
    "usage: tpwallet journal verify --data DIR\n"
    "Checks every journal record's framing, CRC32C, sequence and the BLAKE2b hash chain.\n";
const char cmd_replay_usage[] =
    "usage: tpwallet replay --data DIR\n"
    "Rebuilds the state from the journal alone, checks that the last checkpoint plus the\n"
    "journal after it gives the same state, and prints its state hash.\n";

static void hex(const uint8_t *bytes, size_t count, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < count; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * count] = '\0';
}

static bool data_args(struct cli *cli, int argc, char **argv, const char *usage,
                      const char **data_dir, int *status)
{
    const char *data = NULL;
    const struct cli_option options[] = {{"data", &data, NULL}};
    const struct cli_spec spec = {options, 1, 0, 0, usage};
    struct cli_args args;
    if (!cli_command_args(cli, argc, argv, &spec, &args, status)) {
        return false;
    }
    *data_dir = lcli_data_dir(data);
    if (*data_dir == NULL) {
        *status =
            cli_usage_error(cli, usage, "no data directory: pass --data DIR or set TPWALLET_DATA");
        return false;
    }
    return true;
}

int cmd_init(struct cli *cli, int argc, char **argv)
{
    const char *data_dir = NULL;
    int status = 0;
    if (!data_args(cli, argc, argv, cmd_init_usage, &data_dir, &status)) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    enum tpw_err err = ledger_init(data_dir, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    if (cli->json) {
        return cli_print_json_take(cli, json_pack("{s:s,s:b}", "data", data_dir, "created", 1));
    }
    (void)printf("created an empty ledger in %s\n", data_dir);
    return 0;
}

static int journal_verify(struct cli *cli, int argc, char **argv)
{
    const char *data_dir = NULL;
    int status = 0;
    if (!data_args(cli, argc, argv, cmd_journal_usage, &data_dir, &status)) {
        return status;
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger_journal_report report;
    enum tpw_err err = ledger_journal_verify(data_dir, &report, &detail);
    if (err != TPW_OK) {
        return cli_fail(cli, err, &detail);
    }
    char hash[2 * sizeof report.last_hash + 1];
    hex(report.last_hash, sizeof report.last_hash, hash);
    if (cli->json) {
        return cli_print_json_take(cli, json_pack("{s:b,s:I,s:I,s:I,s:I,s:b,s:s}", "ok", 1,
                                                  "segments", (json_int_t)report.segments,
                                                  "records", (json_int_t)report.records,
                                                  "last_sequence", (json_int_t)report.last_sequence,
                                                  "bytes", (json_int_t)report.bytes, "torn_tail",
                                                  report.torn_tail, "last_hash", hash));
    }
    (void)printf("journal ok: %llu records in %llu segments, %llu bytes, last sequence %llu%s\n"
                 "last hash %s\n",
                 (unsigned long long)report.records, (unsigned long long)report.segments,
                 (unsigned long long)report.bytes, (unsigned long long)report.last_sequence,
                 report.torn_tail ? " (torn tail: recovery will truncate it)" : "", hash);
    return 0;
}

int cmd_journal(struct cli *cli, int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "verify") == 0) {
        cli->command = "journal verify";
        return journal_verify(cli, argc - 1, argv + 1);
    }
    if (argc >= 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
        (void)fputs(cmd_journal_usage, stdout);
        return 0;
    }
    return cli_usage_error(cli, cmd_journal_usage,
                           argc < 2 ? "missing sub-command" : "unknown sub-command");
}

/* The state hash and stats of the ledger opened read-only, from its checkpoint or
 * (`from_journal`) from the whole journal; 0 or the exit status of a failure. */
struct replay_side {
    uint8_t digest[LEDGER_STATE_HASH_BYTES];
    struct ledger_stats stats;
    uint64_t elapsed_ms;
};

static int replay_open(struct cli *cli, const char *data_dir, bool from_journal,
                       struct replay_side *out)
{
    memset(out, 0, sizeof *out);
    uint64_t start_ns = tpw_clock_monotonic_ns();
    struct ledger_options options = {
        .data_dir = data_dir,
        .clock = tpw_clock_system(),
        .read_only = true,
        .ignore_checkpoint = from_journal,
    };
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    struct ledger *ledger = NULL;
    enum tpw_err err = ledger_open(&options, &ledger, &detail);
    if (err == TPW_OK) {
        err = ledger_state_hash(ledger, out->digest);
        if (err != TPW_OK) {
            (void)tpw_error_set(&detail, err, 0, "computing the state hash failed");
        }
        ledger_stats_get(ledger, &out->stats);
        ledger_close(ledger);
    }
    out->elapsed_ms = (tpw_clock_monotonic_ns() - start_ns) / 1000000u;
    return err == TPW_OK ? 0 : cli_fail(cli, err, &detail);
}

int cmd_replay(struct cli *cli, int argc, char **argv)
{
    const char *data_dir = NULL;
    int status = 0;
    if (!data_args(cli, argc, argv, cmd_replay_usage, &data_dir, &status)) {
        return status;
    }
    struct replay_side full;
    struct replay_side checkpointed;
    status = replay_open(cli, data_dir, true, &full);
    if (status == 0) {
        status = replay_open(cli, data_dir, false, &checkpointed);
    }
    if (status != 0) {
        return status;
    }
    char hash[2 * LEDGER_STATE_HASH_BYTES + 1];
    char stored[2 * LEDGER_STATE_HASH_BYTES + 1];
    hex(full.digest, sizeof full.digest, hash);
    hex(checkpointed.digest, sizeof checkpointed.digest, stored);
    bool match = memcmp(full.digest, checkpointed.digest, sizeof full.digest) == 0;
    if (!match) {
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        (void)tpw_error_set(&detail, TPW_ERR_CHECKPOINT_MISMATCH, 0,
                            "replaying the journal gives state hash %s but the checkpoint and "
                            "its tail give %s",
                            hash, stored);
        return cli_fail(cli, TPW_ERR_CHECKPOINT_MISMATCH, &detail);
    }
    const struct ledger_stats *stats = &full.stats;
    if (cli->json) {
        return cli_print_json_take(
            cli,
            json_pack("{s:s,s:I,s:I,s:I,s:I,s:I,s:I}", "state_hash", hash, "records",
                      (json_int_t)stats->journal_sequence, "accounts", (json_int_t)stats->accounts,
                      "transfers", (json_int_t)stats->transfers, "pending",
                      (json_int_t)stats->pending, "elapsed_ms", (json_int_t)full.elapsed_ms,
                      "checkpoint_elapsed_ms", (json_int_t)checkpointed.elapsed_ms));
    }
    (void)printf("replayed %llu records in %llu ms: %llu accounts, %llu transfers\n"
                 "state hash %s (the checkpoint and its tail agree, opened in %llu ms)\n",
                 (unsigned long long)stats->journal_sequence, (unsigned long long)full.elapsed_ms,
                 (unsigned long long)stats->accounts, (unsigned long long)stats->transfers, hash,
                 (unsigned long long)checkpointed.elapsed_ms);
    return 0;
}
