#include "net/service_names.h"

#include <gtest/gtest.h>
#include <netdb.h>
#include <netinet/in.h>

namespace rsockd::net {
namespace {

TEST(ServiceNameTest, NamesWellKnownPorts) {
  EXPECT_EQ(ServiceName(23), "telnet");
  EXPECT_EQ(ServiceName(21), "ftp");
  EXPECT_EQ(ServiceName(80), "http");
}

TEST(ServiceNameTest, AgreesWithGetservbyport) {
  for (uint16_t port : {22, 25, 110, 443, 1080, 3306}) {
    const servent* entry = getservbyport(htons(port), "tcp");
    EXPECT_EQ(ServiceName(port), entry ? entry->s_name : std::to_string(port))
        << port;
  }
}

TEST(ServiceNameTest, FallsBackToTheNumber) {
  EXPECT_EQ(ServiceName(0), "0");
  EXPECT_EQ(ServiceName(65000), "65000");
}

}  // namespace
}  // namespace rsockd::net
