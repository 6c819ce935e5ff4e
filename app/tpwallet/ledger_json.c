/*
 * JSON import lines → ledger records: the shared parser (include/tpwallet/api_json.h)
 * plus the CLI's own step, mapping the asset code to the ledger's number and defining
 * the asset from the registry when the ledger does not have it yet.
 */
#include "ledger_cli.h"

#include "banned.h"

static enum tpw_err resolve_asset(struct cli *cli, struct ledger *ledger, const char *code,
                                  uint32_t *number, struct tpw_error_detail *detail)
{
    if (code[0] == '\0') {
        return TPW_OK;
    }
    struct ledger_asset asset = {0};
    enum tpw_err err = lcli_asset(cli, ledger, code, true, &asset, detail);
    *number = asset.number;
    return err;
}

enum tpw_err lcli_account_from_json(struct cli *cli, struct ledger *ledger, json_t *object,
                                    struct ledger_account *out, struct tpw_error_detail *detail)
{
    char code[API_ASSET_CODE_SIZE];
    enum tpw_err err = api_account_parse(object, out, code, detail);
    return err != TPW_OK ? err : resolve_asset(cli, ledger, code, &out->asset, detail);
}

enum tpw_err lcli_transfer_from_json(struct cli *cli, struct ledger *ledger, json_t *object,
                                     struct ledger_transfer *out, struct tpw_error_detail *detail)
{
    char code[API_ASSET_CODE_SIZE];
    enum tpw_err err = api_transfer_parse(object, out, code, detail);
    return err != TPW_OK ? err : resolve_asset(cli, ledger, code, &out->asset, detail);
}
