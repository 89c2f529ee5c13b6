#ifndef STACKD_CRC32C_H
#define STACKD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// 1 when this CPU has the SSE4.2 CRC32 instruction (x86-64), else 0.
int stackd_crc32c_hardware_available(void);

/// CRC-32C (Castagnoli) update with the SSE4.2 CRC32 instruction: `crc` is the running value
/// before the usual final inversion (start with 0xFFFFFFFF, invert at the end). Call only when
/// `stackd_crc32c_hardware_available()` returned 1.
uint32_t stackd_crc32c_hardware_update(uint32_t crc, const void *data, size_t length);

#endif
