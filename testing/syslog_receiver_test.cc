#include "testing/syslog_receiver.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "absl/strings/string_view.h"
#include "testing/status_matchers.h"

namespace rsockd::testing {
namespace {

using ::testing::ElementsAre;

// Sends one datagram to `path`, as a syslog client would.
void SendTo(const std::string& path, absl::string_view message) {
  const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un address = {};
  address.sun_family = AF_UNIX;
  memcpy(address.sun_path, path.data(), path.size());
  EXPECT_EQ(
      sendto(fd, message.data(), message.size(), 0,
             reinterpret_cast<const sockaddr*>(&address), sizeof(address)),
      static_cast<ssize_t>(message.size()));
  close(fd);
}

TEST(SyslogReceiverTest, ReceivesDatagramsAndFindsTheOneAskedFor) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SyslogReceiver> receiver,
                       SyslogReceiver::Create());
  EXPECT_LT(receiver->path().size(), sizeof(sockaddr_un::sun_path));
  SendTo(receiver->path(), "<30>first");
  SendTo(receiver->path(), "<28>second one");
  ASSERT_OK_AND_ASSIGN(
      std::string message,
      receiver->WaitForMessage({"<28>", "one"}, absl::Seconds(10)));
  EXPECT_EQ(message, "<28>second one");
  EXPECT_THAT(receiver->received(), ElementsAre("<30>first", "<28>second one"));
}

TEST(SyslogReceiverTest, TimesOutWhenNothingArrives) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<SyslogReceiver> receiver,
                       SyslogReceiver::Create());
  EXPECT_THAT(receiver->Receive(absl::Milliseconds(50)),
              StatusIs(absl::StatusCode::kDeadlineExceeded, ::testing::_));
}

TEST(SyslogReceiverTest, RemovesItsSocketWhenDestroyed) {
  std::string path;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<SyslogReceiver> receiver,
                         SyslogReceiver::Create());
    path = receiver->path();
    EXPECT_EQ(access(path.c_str(), F_OK), 0);
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

}  // namespace
}  // namespace rsockd::testing
