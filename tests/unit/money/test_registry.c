/*
 * The asset registry: the built-in ISO 4217 list and configured assets, lookups and
 * their three errors, all-or-nothing loading with every data-file error, N.A. codes
 * made money by configuration, capacity, ordering and pointer stability.
 */
#include "tpw_test.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tpwallet/money.h"

static int setup(void **state)
{
    money_registry *registry = money_registry_create();
    if (registry == NULL || money_registry_load_builtin(registry, NULL) != TPW_OK) {
        return -1;
    }
    *state = registry;
    return 0;
}

static int teardown(void **state)
{
    money_registry_destroy(*state);
    return 0;
}

static const struct money_asset *find(const money_registry *registry, const char *code)
{
    const struct money_asset *asset = NULL;
    assert_err(money_registry_find(registry, code, &asset, NULL), TPW_OK);
    return asset;
}

static void test_builtin_exponents(void **state)
{
    static const struct {
        const char *code;
        unsigned exponent;
        uint16_t numeric;
    } expected[] = {
        {"USD", 2, 840}, {"EUR", 2, 978}, {"JPY", 0, 392}, {"KRW", 0, 410}, {"ISK", 0, 352},
        {"BHD", 3, 48},  {"KWD", 3, 414}, {"CLF", 4, 990}, {"UYW", 4, 927}, {"XCG", 2, 532},
        {"BTC", 8, 0},   {"ETH", 18, 0},  {"USDT", 6, 0},  {"USDC", 6, 0},  {"SOL", 9, 0},
    };
    for (size_t index = 0; index < sizeof(expected) / sizeof(expected[0]); index++) {
        const struct money_asset *asset = find(*state, expected[index].code);
        print_message("%s\n", expected[index].code);
        assert_int_equal(asset->exponent, expected[index].exponent);
        assert_int_equal(asset->iso_numeric, expected[index].numeric);
        assert_true(asset->is_money);
        assert_int_equal(asset->kind, expected[index].numeric != 0 ? MONEY_ASSET_ISO4217
                                                                   : MONEY_ASSET_CONFIGURED);
    }
    /* 178 ISO codes (13 without a minor unit) and 5 configured assets. */
    assert_int_equal(money_registry_count(*state), 183);
}

static void test_find_errors(void **state)
{
    static const struct {
        const char *code;
        enum tpw_err err;
    } cases[] = {
        {"XAU", TPW_ERR_ASSET_NOT_MONEY},      {"XDR", TPW_ERR_ASSET_NOT_MONEY},
        {"XXX", TPW_ERR_ASSET_NOT_MONEY},      {"ZZZ", TPW_ERR_ASSET_UNKNOWN},
        {"BGN", TPW_ERR_ASSET_UNKNOWN},        {"usd", TPW_ERR_ASSET_CODE_INVALID},
        {"U", TPW_ERR_ASSET_CODE_INVALID},     {"", TPW_ERR_ASSET_CODE_INVALID},
        {"1INCH", TPW_ERR_ASSET_CODE_INVALID}, {"TOOLONGCODE", TPW_ERR_ASSET_CODE_INVALID},
        {"US D", TPW_ERR_ASSET_CODE_INVALID},
    };
    for (size_t index = 0; index < sizeof(cases) / sizeof(cases[0]); index++) {
        const struct money_asset *asset = NULL;
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        print_message("'%s'\n", cases[index].code);
        assert_err(money_registry_find(*state, cases[index].code, &asset, &detail),
                   cases[index].err);
        assert_null(asset);
        assert_true(strlen(detail.message) > 0);
    }
}

static void test_sorted_listing(void **state)
{
    size_t count = money_registry_count(*state);
    for (size_t index = 1; index < count; index++) {
        assert_true(strcmp(money_registry_at(*state, index - 1)->code,
                           money_registry_at(*state, index)->code) < 0);
    }
}

/* A load either applies every row or none: a bad last row leaves no trace. */
static void test_configured_all_or_nothing(void **state)
{
    size_t before = money_registry_count(*state);
    const char csv[] = "code,exponent,name\nDOGE,8,Dogecoin\nADA,6,Cardano\nUSD,2,Again\n";
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(money_registry_load_configured(*state, csv, strlen(csv), &detail),
               TPW_ERR_ASSET_DUPLICATE);
    assert_non_null(strstr(detail.message, "line 4"));
    assert_int_equal(detail.offset_bytes,
                     strlen("code,exponent,name\nDOGE,8,Dogecoin\nADA,6,Cardano\n"));
    assert_int_equal(money_registry_count(*state), before);
    const struct money_asset *asset = NULL;
    assert_err(money_registry_find(*state, "DOGE", &asset, NULL), TPW_ERR_ASSET_UNKNOWN);
}

/* Pointers handed out stay valid while later loads insert codes before them. */
static void test_configured_adds_and_pointers_stay(void **state)
{
    const struct money_asset *usd = find(*state, "USD");
    const char csv[] = "# comment\r\n\r\ncode,exponent,name\r\nAAVE,18,Aave\nDOGE,8,Dogecoin\n";
    assert_err(money_registry_load_configured(*state, csv, strlen(csv), NULL), TPW_OK);
    assert_ptr_equal(find(*state, "USD"), usd);
    assert_string_equal(usd->code, "USD");
    assert_int_equal(find(*state, "AAVE")->exponent, 18);
    assert_string_equal(find(*state, "DOGE")->name, "Dogecoin");
}

/* An ISO code without a minor unit becomes money when configured; it keeps its number. */
static void test_configure_na_code(void **state)
{
    const char csv[] = "code,exponent,name\nXAU,3,Gold (troy ounce)\n";
    assert_err(money_registry_load_configured(*state, csv, strlen(csv), NULL), TPW_OK);
    const struct money_asset *xau = find(*state, "XAU");
    assert_int_equal(xau->exponent, 3);
    assert_int_equal(xau->iso_numeric, 959);
    assert_int_equal(xau->kind, MONEY_ASSET_CONFIGURED);
    /* Once money, it cannot be redefined. */
    assert_err(money_registry_load_configured(*state, csv, strlen(csv), NULL),
               TPW_ERR_ASSET_DUPLICATE);
}

/* Classes: ISO money is fiat, ISO codes without a minor unit other, the built-in
 * configured assets as data/assets.csv says, a file without the column other. */
static void test_classes(void **state)
{
    assert_int_equal(find(*state, "USD")->asset_class, MONEY_CLASS_FIAT);
    const struct money_asset *xdr = NULL; /* not money: money_registry_find refuses it */
    for (size_t index = 0; index < money_registry_count(*state); index++) {
        if (strcmp(money_registry_at(*state, index)->code, "XDR") == 0) {
            xdr = money_registry_at(*state, index);
        }
    }
    assert_non_null(xdr);
    assert_int_equal(xdr->asset_class, MONEY_CLASS_OTHER);
    assert_int_equal(find(*state, "BTC")->asset_class, MONEY_CLASS_CRYPTO);
    assert_int_equal(find(*state, "USDT")->asset_class, MONEY_CLASS_STABLECOIN);
    const char classed[] = "code,exponent,name,class\nXAU,3,Gold (troy ounce),commodity\n"
                           "PYUSD,6,PayPal USD,stablecoin\nTOKEN,2,A token,other\n";
    assert_err(money_registry_load_configured(*state, classed, strlen(classed), NULL), TPW_OK);
    assert_int_equal(find(*state, "XAU")->asset_class, MONEY_CLASS_COMMODITY);
    assert_int_equal(find(*state, "PYUSD")->asset_class, MONEY_CLASS_STABLECOIN);
    assert_int_equal(find(*state, "TOKEN")->asset_class, MONEY_CLASS_OTHER);
    const char plain[] = "code,exponent,name\nDOGE,8,Dogecoin\n";
    assert_err(money_registry_load_configured(*state, plain, strlen(plain), NULL), TPW_OK);
    assert_int_equal(find(*state, "DOGE")->asset_class, MONEY_CLASS_OTHER);
    assert_string_equal(money_asset_class_name(MONEY_CLASS_FIAT), "fiat");
    assert_string_equal(money_asset_class_name(MONEY_CLASS_STABLECOIN), "stablecoin");
    assert_string_equal(money_asset_class_name(MONEY_CLASS_CRYPTO), "crypto");
    assert_string_equal(money_asset_class_name(MONEY_CLASS_COMMODITY), "commodity");
    assert_string_equal(money_asset_class_name(MONEY_CLASS_OTHER), "other");
}

struct bad_file {
    const char *csv;
    enum tpw_err err;
};

static const struct bad_file bad_configured[] = {
    {"", TPW_ERR_CSV_SYNTAX},
    {"# only a comment\n", TPW_ERR_CSV_SYNTAX},
    {"code,exp,name\nDOGE,8,Dogecoin\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name\nDOGE,8\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name\nDOGE,8,Doge,coin\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name\nDOGE,8,Doge,coin,x,y\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name\n\"DOGE\",8,Dogecoin\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name\nDOGE,8,\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name\ndoge,8,Dogecoin\n", TPW_ERR_ASSET_CODE_INVALID},
    {"code,exponent,name\nDOGE,19,Dogecoin\n", TPW_ERR_ASSET_EXPONENT_INVALID},
    {"code,exponent,name\nDOGE,-1,Dogecoin\n", TPW_ERR_ASSET_EXPONENT_INVALID},
    {"code,exponent,name\nDOGE,,Dogecoin\n", TPW_ERR_ASSET_EXPONENT_INVALID},
    {"code,exponent,name\nDOGE,N.A.,Dogecoin\n", TPW_ERR_ASSET_EXPONENT_INVALID},
    {"code,exponent,name\nDOGE,8,A\nDOGE,8,B\n", TPW_ERR_ASSET_DUPLICATE},
    {"code,exponent,name\nBTC,8,Bitcoin again\n", TPW_ERR_ASSET_DUPLICATE},
    {"code,exponent,name,class\nDOGE,8,Dogecoin\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name,class\nDOGE,8,Dogecoin,meme\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name,class\nDOGE,8,Dogecoin,fiat\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name,class\nDOGE,8,Dogecoin,\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name,class\nDOGE,8,Dogecoin,Crypto\n", TPW_ERR_CSV_SYNTAX},
    {"code,exponent,name,kind\nDOGE,8,Dogecoin,crypto\n", TPW_ERR_CSV_SYNTAX},
};

static void test_configured_file_errors(void **state)
{
    size_t before = money_registry_count(*state);
    for (size_t index = 0; index < sizeof(bad_configured) / sizeof(bad_configured[0]); index++) {
        const char *csv = bad_configured[index].csv;
        struct tpw_error_detail detail;
        tpw_error_detail_reset(&detail);
        print_message("bad file %zu\n", index);
        assert_err(money_registry_load_configured(*state, csv, strlen(csv), &detail),
                   bad_configured[index].err);
        assert_true(strlen(detail.message) > 0);
        assert_int_equal(money_registry_count(*state), before);
    }
}

static void test_long_line_and_name(void **state)
{
    char csv[512] = "code,exponent,name\nDOGE,8,";
    memset(csv + strlen(csv), 'x', 300);
    assert_err(money_registry_load_configured(*state, csv, strlen(csv), NULL), TPW_ERR_CSV_SYNTAX);
    char name_csv[256] = "code,exponent,name\nDOGE,8,";
    memset(name_csv + strlen(name_csv), 'y', MONEY_ASSET_NAME_SIZE);
    assert_err(money_registry_load_configured(*state, name_csv, strlen(name_csv), NULL),
               TPW_ERR_CSV_SYNTAX);
}

static void test_iso_file_errors(void **state)
{
    (void)state;
    static const struct bad_file bad_iso[] = {
        {"code,numeric,minor_unit,name\nUSDX,840,2,Dollar\n", TPW_ERR_CSV_SYNTAX},
        {"code,numeric,minor_unit,name\nUSD,84,2,Dollar\n", TPW_ERR_CSV_SYNTAX},
        {"code,numeric,minor_unit,name\nUSD,8a0,2,Dollar\n", TPW_ERR_CSV_SYNTAX},
        {"code,numeric,minor_unit,name\nUSD,840,NA,Dollar\n", TPW_ERR_ASSET_EXPONENT_INVALID},
        {"code,numeric,minor_unit,name\nUSD,840,2,Dollar\nUSD,840,2,Dollar\n",
         TPW_ERR_ASSET_DUPLICATE},
    };
    money_registry *registry = money_registry_create();
    assert_non_null(registry);
    for (size_t index = 0; index < sizeof(bad_iso) / sizeof(bad_iso[0]); index++) {
        print_message("bad ISO file %zu\n", index);
        assert_err(money_registry_load_iso4217(registry, bad_iso[index].csv,
                                               strlen(bad_iso[index].csv), NULL),
                   bad_iso[index].err);
        assert_int_equal(money_registry_count(registry), 0);
    }
    /* Loading the ISO list twice defines every code twice. */
    const char ok[] = "code,numeric,minor_unit,name\nUSD,840,2,US Dollar\n";
    assert_err(money_registry_load_iso4217(registry, ok, strlen(ok), NULL), TPW_OK);
    assert_err(money_registry_load_iso4217(registry, ok, strlen(ok), NULL),
               TPW_ERR_ASSET_DUPLICATE);
    money_registry_destroy(registry);
}

/* Codes "AA000".."AA999" etc.: enough rows to pass the registry's capacity. */
static void test_registry_full(void **state)
{
    (void)state;
    money_registry *registry = money_registry_create();
    assert_non_null(registry);
    size_t size = 32 + 2000 * 16;
    char *csv = malloc(size);
    assert_non_null(csv);
    size_t length = (size_t)snprintf(csv, size, "code,exponent,name\n");
    for (unsigned index = 0; index < 1100; index++) {
        length += (size_t)snprintf(csv + length, size - length, "AB%04u,2,Test\n", index);
    }
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(money_registry_load_configured(registry, csv, length, &detail),
               TPW_ERR_ASSET_REGISTRY_FULL);
    assert_int_equal(money_registry_count(registry), 0);
    free(csv);
    money_registry_destroy(registry);
}

static void test_configured_file(void **state)
{
    char path[] = "/tmp/tpw-assets-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char csv[] = "code,exponent,name\nDOGE,8,Dogecoin\n";
    assert_int_equal(write(fd, csv, strlen(csv)), (ssize_t)strlen(csv));
    assert_int_equal(close(fd), 0);
    assert_err(money_registry_load_configured_file(*state, path, NULL), TPW_OK);
    assert_int_equal(find(*state, "DOGE")->exponent, 8);
    assert_int_equal(unlink(path), 0);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    assert_err(money_registry_load_configured_file(*state, path, &detail), TPW_ERR_NOT_FOUND);
    assert_non_null(strstr(detail.message, path));
    assert_err(money_registry_load_configured_file(*state, "/", &detail), TPW_ERR_IO);
}

/* A file past the 1 MiB bound is refused whole, not read in part. */
static void test_configured_file_too_large(void **state)
{
    char path[] = "/tmp/tpw-assets-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *file = fdopen(fd, "w");
    assert_non_null(file);
    assert_true(fputs("code,exponent,name\n", file) >= 0);
    static const char padding[] = "# padding to push the file past the size limit\n";
    for (size_t written = 0; written <= ((size_t)1 << 20); written += sizeof(padding) - 1) {
        assert_true(fputs(padding, file) >= 0);
    }
    assert_int_equal(fclose(file), 0);
    struct tpw_error_detail detail;
    tpw_error_detail_reset(&detail);
    size_t before = money_registry_count(*state);
    assert_err(money_registry_load_configured_file(*state, path, &detail), TPW_ERR_CSV_SYNTAX);
    assert_non_null(strstr(detail.message, "larger than"));
    assert_int_equal(money_registry_count(*state), before);
    assert_int_equal(unlink(path), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_builtin_exponents, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sorted_listing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_all_or_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_adds_and_pointers_stay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configure_na_code, setup, teardown),
        cmocka_unit_test_setup_teardown(test_classes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_file_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_long_line_and_name, setup, teardown),
        cmocka_unit_test(test_iso_file_errors),
        cmocka_unit_test(test_registry_full),
        cmocka_unit_test_setup_teardown(test_configured_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_configured_file_too_large, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
