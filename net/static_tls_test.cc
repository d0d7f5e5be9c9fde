#include "net/static_tls.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>
#include <thread>
#include <vector>

namespace rsockd::net {
namespace {

constexpr size_t kPage = 4096;
constexpr size_t kPages = 16;

// Zero-initialised, so it lives in the test binary's .tbss and glibc clears
// it (making it resident) in every new thread.
alignas(kPage) thread_local char big[kPages * kPage];

// Whether each page of `big` is resident in this thread.
std::vector<bool> Resident() {
  std::vector<unsigned char> vec(kPages);
  EXPECT_EQ(mincore(big, sizeof(big), vec.data()), 0);
  std::vector<bool> resident;
  for (unsigned char page : vec) resident.push_back(page & 1);
  return resident;
}

// Runs `body` on a new thread, as the first thing it does.
template <typename Body>
void OnNewThread(Body body) {
  std::thread thread(body);
  thread.join();
}

TEST(ReleaseZeroStaticTlsTest, ReleasesTheZeroPagesOfANewThread) {
  ASSERT_EQ(static_cast<size_t>(sysconf(_SC_PAGESIZE)), kPage);
  OnNewThread([] {
    ASSERT_EQ(Resident(), std::vector<bool>(kPages, true))
        << "glibc no longer clears .tbss eagerly; this file's premise changed";
    EXPECT_GE(ReleaseZeroStaticTls(), sizeof(big));
    EXPECT_EQ(Resident(), std::vector<bool>(kPages, false));
    // Released memory still reads as zeros and can be written.
    for (size_t i = 0; i < sizeof(big); i += 512) EXPECT_EQ(big[i], 0);
    big[3 * kPage] = 'x';
    EXPECT_EQ(big[3 * kPage], 'x');
  });
}

TEST(ReleaseZeroStaticTlsTest, KeepsPagesThatHoldData) {
  OnNewThread([] {
    big[2 * kPage + 100] = 'a';
    big[kPages * kPage - 1] = 'z';
    ReleaseZeroStaticTls();
    std::vector<bool> expected(kPages, false);
    expected[2] = true;
    expected[kPages - 1] = true;
    EXPECT_EQ(Resident(), expected);
    EXPECT_EQ(big[2 * kPage + 100], 'a');
    EXPECT_EQ(big[kPages * kPage - 1], 'z');
  });
}

TEST(ReleaseZeroStaticTlsTest, KeepsDataAcrossRepeatedCalls) {
  OnNewThread([] {
    ReleaseZeroStaticTls();
    big[0] = 'q';
    // The other pages are no longer resident, so another call reads them back
    // in as zeros and releases them again; the data survives either way.
    ReleaseZeroStaticTls();
    EXPECT_EQ(big[0], 'q');
    std::vector<bool> expected(kPages, false);
    expected[0] = true;
    EXPECT_EQ(Resident(), expected);
  });
}

}  // namespace
}  // namespace rsockd::net
