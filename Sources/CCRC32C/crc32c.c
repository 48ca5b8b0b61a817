#include "crc32c.h"
#include <string.h>

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t crc32c_sse42(uint32_t crc, const unsigned char *p, size_t n) {
    uint64_t c = ~crc;
    while (n >= 8) {
        uint64_t word;
        memcpy(&word, p, 8);
        c = __builtin_ia32_crc32di(c, word);
        p += 8;
        n -= 8;
    }
    uint32_t c32 = (uint32_t)c;
    while (n > 0) {
        c32 = __builtin_ia32_crc32qi(c32, *p);
        p++;
        n--;
    }
    return ~c32;
}

int herald_crc32c_hardware(uint32_t crc, const void *data, size_t length, uint32_t *out) {
    static int available = -1;
    if (available < 0) {
        __builtin_cpu_init();
        available = __builtin_cpu_supports("sse4.2") ? 1 : 0;
    }
    if (!available) return 0;
    *out = crc32c_sse42(crc, (const unsigned char *)data, length);
    return 1;
}
#else
int herald_crc32c_hardware(uint32_t crc, const void *data, size_t length, uint32_t *out) {
    (void)crc; (void)data; (void)length; (void)out;
    return 0;
}
#endif
