#ifndef SYNCD_CRC32C_H
#define SYNCD_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/// Extends a CRC32C (Castagnoli, reflected, as S3's x-amz-checksum-crc32c) over `length` bytes.
/// Start with crc = 0; feed the returned value back in to continue over more bytes.
uint32_t syncd_crc32c_update(uint32_t crc, const void *bytes, size_t length);

/// 1 when the SSE4.2 CRC32 instruction is used, 0 when the portable table is.
int syncd_crc32c_is_hardware(void);

#endif
