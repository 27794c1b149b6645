/* The libFuzzer entry point every fuzz target defines.  Built with -fsanitize=fuzzer,
 * libFuzzer's main() calls it; built with fuzz_main.c, the replay main() calls it once
 * per corpus file, so a committed corpus runs as a regression test under `meson test`. */
#ifndef FT_FUZZ_H
#define FT_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A check that holds whatever the input: when it fails, the input found a bug. */
#define CHECK(cond)                                                                    \
	do {                                                                           \
		if (!(cond)) {                                                         \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
			        #cond);                                                \
			abort();                                                       \
		}                                                                      \
	} while (0)

#endif
