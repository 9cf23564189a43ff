// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected as 0x82F63B78).
// SSE4.2's crc32 instruction computes exactly this CRC; older CPUs fall back to a
// slicing-by-8 table. The choice is made once, at first use.
#include "crc32c.h"
#include <pthread.h>
#include <string.h>

static uint32_t table[8][256];
static pthread_once_t setup_once = PTHREAD_ONCE_INIT;
static int hardware;

static void build_table(void) {
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[0][n] = c;
    }
    for (uint32_t n = 0; n < 256; n++) {
        for (int s = 1; s < 8; s++) table[s][n] = (table[s - 1][n] >> 8) ^ table[0][table[s - 1][n] & 0xff];
    }
}

static uint32_t crc32c_table(uint32_t crc, const unsigned char *p, size_t n) {
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        word ^= crc;
        crc = table[7][word & 0xff] ^ table[6][(word >> 8) & 0xff] ^ table[5][(word >> 16) & 0xff] ^
              table[4][(word >> 24) & 0xff] ^ table[3][(word >> 32) & 0xff] ^ table[2][(word >> 40) & 0xff] ^
              table[1][(word >> 48) & 0xff] ^ table[0][word >> 56];
        p += 8;
        n -= 8;
    }
    while (n--) crc = (crc >> 8) ^ table[0][(crc ^ *p++) & 0xff];
    return crc;
}

#if defined(__x86_64__)
#include <nmmintrin.h>

__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t n) {
    uint64_t c = crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n--) c32 = _mm_crc32_u8(c32, *p++);
    return c32;
}

static int has_sse42(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("sse4.2");
}
#else
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t n) { return crc32c_table(crc, p, n); }
static int has_sse42(void) { return 0; }
#endif

static void setup(void) {
    build_table();
    hardware = has_sse42();
}

int syncd_crc32c_is_hardware(void) {
    pthread_once(&setup_once, setup);
    return hardware;
}

uint32_t syncd_crc32c_update(uint32_t crc, const void *bytes, size_t length) {
    uint32_t c = ~crc;
    c = syncd_crc32c_is_hardware() ? crc32c_sse42(c, bytes, length) : crc32c_table(c, bytes, length);
    return ~c;
}
