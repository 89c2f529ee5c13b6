// The SSE4.2 CRC32 instruction computes exactly CRC-32C (polynomial 0x1EDC6F41, reflected), eight
// bytes per instruction: the journal checksums every block it writes and reads. Compiled for the
// baseline x86-64 target; only these functions use SSE4.2, and callers check for it at run time.
#include "stackd_crc32c.h"

#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <nmmintrin.h>

int stackd_crc32c_hardware_available(void) {
    unsigned int a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    return (c & bit_SSE4_2) != 0;
}

__attribute__((target("sse4.2")))
uint32_t stackd_crc32c_hardware_update(uint32_t crc, const void *data, size_t length) {
    const unsigned char *p = (const unsigned char *)data;
    uint64_t c = crc;
    while (length >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = _mm_crc32_u64(c, word);
        p += 8;
        length -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (length > 0) {
        c32 = _mm_crc32_u8(c32, *p);
        p += 1;
        length -= 1;
    }
    return c32;
}
#else
int stackd_crc32c_hardware_available(void) { return 0; }
uint32_t stackd_crc32c_hardware_update(uint32_t crc, const void *data, size_t length) {
    (void)data; (void)length;
    return crc;
}
#endif
