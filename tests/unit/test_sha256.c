/* SHA-256 (src/crypto/sha256.c, through the tests' short names) against
 * the FIPS 180-2 examples (Appendix B), the empty message, and the padding
 * boundaries (lengths around 55/56 and 64 bytes, whose digests were
 * computed with Python's hashlib), whole and fed in pieces of every size. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "sha256.h"

static void assert_digest(const uint8_t d[SHA256_DIGEST_LEN], const char *want)
{
    char hex[2 * SHA256_DIGEST_LEN + 1];
    assert_string_equal(sha256_hex(d, hex), want);
}

static void assert_sha256(const void *msg, size_t len, const char *want)
{
    uint8_t d[SHA256_DIGEST_LEN];
    sha256(msg, len, d);
    assert_digest(d, want);
}

/* FIPS 180-2 B.1: one block. */
static void test_fips_abc(void **state)
{
    (void)state;
    assert_sha256("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* FIPS 180-2 B.2: a 448-bit message, so the padding needs a second block. */
static void test_fips_two_blocks(void **state)
{
    (void)state;
    const char *m = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
    assert_int_equal(strlen(m), 56);
    assert_sha256(m, 56, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* FIPS 180-2 B.3: one million 'a', fed in uneven pieces. */
static void test_fips_million_a(void **state)
{
    (void)state;
    static uint8_t a[1000];
    memset(a, 'a', sizeof(a));
    sha256_ctx c;
    sha256_init(&c);
    size_t done = 0, piece = 1;
    while (done < 1000000) {
        size_t n = piece < 1000000 - done ? piece : 1000000 - done;
        sha256_update(&c, a, n);
        done += n;
        piece = piece % 997 + 1;
    }
    uint8_t d[SHA256_DIGEST_LEN];
    sha256_final(&c, d);
    assert_digest(d, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_empty(void **state)
{
    (void)state;
    assert_sha256("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    sha256_ctx c;
    sha256_init(&c);
    sha256_update(&c, NULL, 0);
    uint8_t d[SHA256_DIGEST_LEN];
    sha256_final(&c, d);
    assert_digest(d, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static const struct {
    size_t len;
    const char *hex;
} boundary[] = {
    {55, "e7313d333c272e639f790978283f9eb392e843d0f29b7016828bb1daa4aac70b"},
    {56, "4324d65f3c103567f5589c710bc08f8523f929a9272e3af36fc968e52abc6c27"},
    {57, "35df609437dcfea3279283ab79fd554e2bf78f8f7ae2de532d8ee300b09e8f73"},
    {63, "81c80242132f230c3bd41b3e63bbcff16107339549214a99614ff26664625055"},
    {64, "39e3d7b6b5d075d37d053ad89b24b41bef4f3c29760c84447cab3f3be1882241"},
    {65, "aacca6ff74fdbb296d165a45cecfa04e5127bc008770fbbdd48006f2d2fae95e"},
    {119, "9ce7368e4daf32341631b492e80359dc9f594b48453cd0dd5bf0b19279cc177e"},
    {120, "7836b787757e95e58b3ca5aec90b1b004e8deba1e50e9675af9cabf1a13a04b5"},
    {128, "d2742f1f4ac6bb7ca2b239ee18402ba8b3f9f8e652d2a72973c2b9ba11c08cf6"},
    {200, "2c7e18c942ef065b526a2d4e5546283749cd3ddfb51d8fc71f42717363685f46"},
};

static void pattern(uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + 3);
}

static void test_padding_boundaries(void **state)
{
    (void)state;
    uint8_t p[200];
    pattern(p, sizeof(p));
    for (size_t i = 0; i < sizeof(boundary) / sizeof(boundary[0]); i++)
        assert_sha256(p, boundary[i].len, boundary[i].hex);
}

/* Any split of the input gives the one-call digest. */
static void test_pieces_of_every_size(void **state)
{
    (void)state;
    uint8_t p[200];
    pattern(p, sizeof(p));
    for (size_t piece = 1; piece <= 200; piece++) {
        sha256_ctx c;
        sha256_init(&c);
        for (size_t off = 0; off < 200; off += piece)
            sha256_update(&c, p + off, piece < 200 - off ? piece : 200 - off);
        uint8_t d[SHA256_DIGEST_LEN];
        sha256_final(&c, d);
        assert_digest(d, boundary[9].hex);
    }
}

/* The check can fail: one flipped bit changes the digest. */
static void test_one_bit_changes_digest(void **state)
{
    (void)state;
    uint8_t p[200], a[SHA256_DIGEST_LEN], b[SHA256_DIGEST_LEN];
    pattern(p, sizeof(p));
    sha256(p, sizeof(p), a);
    p[150] ^= 0x10;
    sha256(p, sizeof(p), b);
    assert_memory_not_equal(a, b, SHA256_DIGEST_LEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fips_abc),
        cmocka_unit_test(test_fips_two_blocks),
        cmocka_unit_test(test_fips_million_a),
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_padding_boundaries),
        cmocka_unit_test(test_pieces_of_every_size),
        cmocka_unit_test(test_one_bit_changes_digest),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
