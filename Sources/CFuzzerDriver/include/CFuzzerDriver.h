#ifndef LOGOUTD_C_FUZZER_DRIVER_H
#define LOGOUTD_C_FUZZER_DRIVER_H

#include <stddef.h>
#include <stdint.h>

/// libFuzzer's driver, linked by `-sanitize=fuzzer`: SwiftPM gives an executable its own `main`,
/// so the harness calls the driver itself instead of using libFuzzer's `main`.
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
