#ifndef HERALD_CRC32C_H
#define HERALD_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* CRC-32C with the CPU's crc32 instruction (SSE 4.2), which journal recovery and every journal
   write need per record. Returns 1 and stores the result in *out when the CPU has it; returns 0
   (the caller computes it in software) on other CPUs. `crc` is a previous result, or 0. */
int herald_crc32c_hardware(uint32_t crc, const void *data, size_t length, uint32_t *out);

#endif
