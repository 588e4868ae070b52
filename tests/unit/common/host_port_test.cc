#include "common/host_port.h"

#include "gtest/gtest.h"

namespace tokend::common {
namespace {

TEST(HostPort, SplitsIpv4NamesAndBracketedIpv6) {
  absl::StatusOr<HostPort> v4 = ParseHostPort("127.0.0.1:8443");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 8443);
  EXPECT_FALSE(v4->ipv6);

  absl::StatusOr<HostPort> name = ParseHostPort("tokend.example-1.svc:0");
  ASSERT_TRUE(name.ok()) << name.status();
  EXPECT_EQ(name->host, "tokend.example-1.svc");
  EXPECT_EQ(name->port, 0);

  absl::StatusOr<HostPort> v6 = ParseHostPort("[::]:9090");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::");
  EXPECT_EQ(v6->port, 9090);
  EXPECT_TRUE(v6->ipv6);
}

TEST(HostPort, SaysWhatIsWrongWithoutRepeatingTheText) {
  const struct {
    const char* text;
    const char* why;
  } cases[] = {
      {"9090", "not host:port"},
      {"host:", "port must be 0..65535"},
      {"host:65536", "port must be 0..65535"},
      {"host:-1", "port must be 0..65535"},
      {":80", "host is empty; use 0.0.0.0 or [::] for every address"},
      {"[::1:80", "bad [ipv6] address"},
      {"[]:80", "bad [ipv6] address"},
      {"[not-an-address]:80", "bad [ipv6] address"},
      {"::1:80", "write ipv6 addresses in brackets, e.g. [::1]:9090"},
      {"bad_host:80", "bad host"},
      {"300.1.1.1:80", "bad ipv4 address"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<HostPort> parsed = ParseHostPort(c.text);
    ASSERT_FALSE(parsed.ok()) << c.text;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_EQ(parsed.status().message(), c.why) << c.text;
  }
}

}  // namespace
}  // namespace tokend::common
