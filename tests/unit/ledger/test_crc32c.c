/*
 * CRC32C (src/ledger/crc32c.h): the standard check value, the RFC 3720 (iSCSI) test
 * vectors, chaining across pieces, and agreement of the portable slicing-by-8 code,
 * the SSE4.2 code (when the CPU has it) and a bit-at-a-time reference written here, on
 * seeded random data of random lengths and alignments.
 */
#include "tpw_test.h"

#include <stdbool.h>
#include <string.h>

#include "tpwallet/prng.h"

#include "crc32c.h"

#define COUNT(array) (sizeof(array) / sizeof((array)[0]))
#define RANDOM_BYTES_MAX 4096
#define ALIGN_SLACK 16

/* The definition itself, one bit at a time: the oracle for the fast versions. */
static uint32_t crc32c_bitwise(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t index = 0; index < len; index++) {
        crc ^= data[index];
        for (int bit = 0; bit < 8; bit++) {
            crc = (crc >> 1) ^ ((crc & 1u) != 0 ? 0x82F63B78u : 0u);
        }
    }
    return ~crc;
}

struct vector {
    const char *name;
    uint8_t data[48];
    size_t len;
    uint32_t expected;
};

static void vectors_make(struct vector *vectors, size_t count)
{
    assert_int_equal(count, 6);
    vectors[0] = (struct vector){.name = "123456789", .len = 9, .expected = 0xE3069283u};
    memcpy(vectors[0].data, "123456789", 9);
    /* RFC 3720, appendix B.4. */
    vectors[1] = (struct vector){.name = "32 zeros", .len = 32, .expected = 0x8A9136AAu};
    vectors[2] = (struct vector){.name = "32 x 0xFF", .len = 32, .expected = 0x62A8AB43u};
    memset(vectors[2].data, 0xFF, 32);
    vectors[3] = (struct vector){.name = "0..31", .len = 32, .expected = 0x46DD794Eu};
    vectors[4] = (struct vector){.name = "31..0", .len = 32, .expected = 0x113FDB5Cu};
    for (uint8_t index = 0; index < 32; index++) {
        vectors[3].data[index] = index;
        vectors[4].data[index] = (uint8_t)(31 - index);
    }
    /* The iSCSI SCSI Read (10) command PDU. */
    static const uint8_t pdu[48] = {
        0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
        0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    };
    vectors[5] = (struct vector){.name = "read pdu", .len = 48, .expected = 0xD9963A56u};
    memcpy(vectors[5].data, pdu, sizeof(pdu));
}

static void test_vectors(void **state)
{
    (void)state;
    struct vector vectors[6];
    vectors_make(vectors, COUNT(vectors));
    uint8_t buf[48 + ALIGN_SLACK];
    for (size_t index = 0; index < COUNT(vectors); index++) {
        const struct vector *v = &vectors[index];
        print_message("vector %s\n", v->name);
        /* At every alignment, so the byte-wise head and tail loops are covered too. */
        for (size_t shift = 0; shift < 8; shift++) {
            memcpy(buf + shift, v->data, v->len);
            assert_int_equal(ledger__crc32c(0, buf + shift, v->len), v->expected);
            assert_int_equal(ledger__crc32c_portable(0, buf + shift, v->len), v->expected);
            if (ledger__crc32c_hardware_available()) {
                assert_int_equal(ledger__crc32c_hardware(0, buf + shift, v->len), v->expected);
            }
        }
        assert_int_equal(crc32c_bitwise(v->data, v->len), v->expected);
    }
}

static void test_empty_and_chaining(void **state)
{
    (void)state;
    assert_int_equal(ledger__crc32c(0, NULL, 0), 0);
    assert_int_equal(ledger__crc32c_portable(0, NULL, 0), 0);
    /* Feeding nothing leaves any checksum as it was. */
    assert_int_equal(ledger__crc32c(0xE3069283u, NULL, 0), 0xE3069283u);
    const char *text = "123456789";
    for (size_t split = 0; split <= 9; split++) {
        uint32_t crc = ledger__crc32c(0, text, split);
        crc = ledger__crc32c(crc, text + split, 9 - split);
        assert_int_equal(crc, 0xE3069283u);
        uint32_t portable = ledger__crc32c_portable(0, text, split);
        portable = ledger__crc32c_portable(portable, text + split, 9 - split);
        assert_int_equal(portable, 0xE3069283u);
    }
}

static void test_random_agreement(void **state)
{
    (void)state;
    struct tpw_prng prng;
    tpw_prng_seed(&prng, tpw_test_seed("test_crc32c", 20260101));
    static uint8_t buf[RANDOM_BYTES_MAX + ALIGN_SLACK];
    for (size_t index = 0; index < sizeof(buf); index++) {
        buf[index] = (uint8_t)tpw_prng_next(&prng);
    }
    bool hardware = ledger__crc32c_hardware_available();
    print_message("sse4.2 crc32: %s\n", hardware ? "available" : "not available");
    for (int round = 0; round < 3000; round++) {
        size_t offset = (size_t)tpw_prng_below(&prng, ALIGN_SLACK);
        size_t len = (size_t)tpw_prng_below(&prng, RANDOM_BYTES_MAX + 1);
        uint32_t expected = crc32c_bitwise(buf + offset, len);
        assert_int_equal(ledger__crc32c_portable(0, buf + offset, len), expected);
        assert_int_equal(ledger__crc32c(0, buf + offset, len), expected);
        if (hardware) {
            assert_int_equal(ledger__crc32c_hardware(0, buf + offset, len), expected);
        }
        /* Chained over a random split point, in both implementations. */
        size_t split = len == 0 ? 0 : (size_t)tpw_prng_below(&prng, len + 1);
        uint32_t chained = ledger__crc32c_portable(0, buf + offset, split);
        chained = ledger__crc32c_portable(chained, buf + offset + split, len - split);
        assert_int_equal(chained, expected);
        if (hardware) {
            chained = ledger__crc32c_hardware(0, buf + offset, split);
            chained = ledger__crc32c_hardware(chained, buf + offset + split, len - split);
            assert_int_equal(chained, expected);
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),
        cmocka_unit_test(test_empty_and_chaining),
        cmocka_unit_test(test_random_agreement),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
