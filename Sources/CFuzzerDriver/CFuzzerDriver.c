// Declarations only: the definition comes from libFuzzer when the harness is built with
// `-sanitize=fuzzer` (scripts/fuzz).
#include "CFuzzerDriver.h"
