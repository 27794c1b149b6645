/* The libFuzzer entry point every fuzz target defines.  Built with -fsanitize=fuzzer,
 * libFuzzer's main() calls it; built with fuzz_main.c, the replay main() calls it once
 * per corpus file, so a committed corpus runs as a regression test under `meson test`. */
#ifndef FT_FUZZ_H
#define FT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
