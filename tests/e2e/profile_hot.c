/* Two hot functions in known proportions for test_profile.sh: per round,
 * caller() runs hot_three_quarters, which does three times the work of
 * hot_one_quarter (the same loop body), so a CPU profile must show them at
 * 75% / 25%, each under caller under main. The test builds it with and
 * without frame pointers. The local in memory gives each its own frame
 * from its first instruction when built with them: GCC gives a leaf that
 * needs no stack no frame even with -fno-omit-frame-pointer, and
 * frame-pointer unwinding would then skip its caller. */
#include <stdint.h>

volatile uint64_t sink;
volatile uint64_t rounds;

#define SPIN(n)                                    \
  volatile uint64_t acc = 0;                       \
  for (uint64_t i = 0; i < (n); ++i) acc += i * 7; \
  sink = acc

__attribute__((noinline)) void hot_three_quarters(void) { SPIN(3000000); }
__attribute__((noinline)) void hot_one_quarter(void) { SPIN(1000000); }

/* Work after the calls keeps them calls (not a tail jump that would leave
 * caller() out of the chain). */
__attribute__((noinline)) void caller(void) {
  hot_three_quarters();
  hot_one_quarter();
  rounds = rounds + 1;
}

int main(void) {
  for (;;) caller();
}
