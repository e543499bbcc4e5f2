#include "core/sched_slice.h"

#include <gtest/gtest.h>
#include <sched.h>

#include <thread>

namespace loupe {
namespace {

// In a thread of its own, so the test runner's threads keep their slice.
template <typename F>
void in_thread(F f) {
  std::thread(f).join();
}

TEST(SchedSlice, SetsTheCallingThreadsSliceAndItsThreadsInheritIt) {
  in_thread([] {
    // Kernels before 6.12 report no slice for SCHED_OTHER.
    if (thread_slice_ns() == 0) GTEST_SKIP() << "no custom slices on this kernel";
    ASSERT_TRUE(set_thread_slice(std::chrono::milliseconds(20)));
    EXPECT_EQ(thread_slice_ns(), 20'000'000u);
    uint64_t child = 0;
    std::thread([&] { child = thread_slice_ns(); }).join();
    EXPECT_EQ(child, 20'000'000u);
  });
}

TEST(SchedSlice, LeavesAThreadOfAnotherPolicyAlone) {
  in_thread([] {
    sched_param none{};
    ASSERT_EQ(sched_setscheduler(0, SCHED_BATCH, &none), 0);
    EXPECT_FALSE(set_thread_slice(std::chrono::milliseconds(20)));
    EXPECT_EQ(sched_getscheduler(0), SCHED_BATCH);
  });
}

}  // namespace
}  // namespace loupe
