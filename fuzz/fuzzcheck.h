#pragma once

#include <cstdio>
#include <cstdlib>

/// An invariant of a fuzz target: when it does not hold, the input is a finding. abort() so
/// that libFuzzer saves the input and the replay test fails on it.
#define FUZZ_CHECK(condition, what)                                                        \
    do {                                                                                   \
        if (!(condition)) {                                                                \
            std::fprintf(stderr, "invariant broken: %s (%s:%d)\n", what, __FILE__, __LINE__); \
            std::abort();                                                                  \
        }                                                                                  \
    } while (false)
