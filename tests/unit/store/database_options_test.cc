// Database option handling of the PostgreSQL store; needs no server.

#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "store/postgres/database.h"

namespace tokend::store::postgres {
namespace {

TEST(EffectiveDsn, AppendsConnectTimeoutToKeyValueDsn) {
  DatabaseOptions options;
  options.dsn = "host=db.example.org dbname=tokend";
  options.connect_timeout = absl::Milliseconds(3500);
  auto dsn = EffectiveDsn(options);
  ASSERT_TRUE(dsn.ok()) << dsn.status();
  EXPECT_EQ(*dsn,
            "host=db.example.org dbname=tokend connect_timeout=4"
            " keepalives_idle=10 keepalives_interval=5 keepalives_count=3 tcp_user_timeout=15000 "
            "application_name=tokend");
}

TEST(EffectiveDsn, AppendsConnectTimeoutToUriDsn) {
  DatabaseOptions options;
  options.dsn = "postgresql://tokend@127.0.0.1:5432/tokend";
  EXPECT_EQ(*EffectiveDsn(options),
            "postgresql://tokend@127.0.0.1:5432/tokend?connect_timeout=5"
            "&keepalives_idle=10&keepalives_interval=5&keepalives_count=3&tcp_user_timeout=15000&"
            "application_name=tokend");
  options.dsn = "postgresql://tokend@127.0.0.1/tokend?sslmode=require";
  EXPECT_EQ(*EffectiveDsn(options),
            "postgresql://tokend@127.0.0.1/tokend?sslmode=require&connect_timeout=5"
            "&keepalives_idle=10&keepalives_interval=5&keepalives_count=3&tcp_user_timeout=15000&"
            "application_name=tokend");
}

TEST(EffectiveDsn, RoundsUpToLibpqsTwoSecondMinimum) {
  DatabaseOptions options;
  options.dsn = "host=h";
  options.connect_timeout = absl::Milliseconds(100);
  EXPECT_TRUE(absl::StartsWith(*EffectiveDsn(options), "host=h connect_timeout=2 "));
}

TEST(EffectiveDsn, KeepsAConnectTimeoutTheDsnAlreadyHas) {
  DatabaseOptions options;
  options.dsn = "host=h connect_timeout=10 application_name=mine tcp_user_timeout=0";
  EXPECT_EQ(*EffectiveDsn(options),
            "host=h connect_timeout=10 application_name=mine"
            " tcp_user_timeout=0 keepalives_idle=10 keepalives_interval=5 keepalives_count=3");
  options.dsn = "postgresql://h/db?connect_timeout=7";
  EXPECT_TRUE(absl::StartsWith(*EffectiveDsn(options),
                               "postgresql://h/db?connect_timeout=7&keepalives_idle=10&"));
}

TEST(DatabaseOpen, RejectsInvalidOptionsWithoutRepeatingTheDsn) {
  DatabaseOptions options;
  options.dsn = "";
  EXPECT_EQ(Database::Open(options).status().code(), absl::StatusCode::kInvalidArgument);

  options.dsn = "host=h password=hunter2 nonsense_key=1";
  auto bad = Database::Open(options);
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(std::string(bad.status().message()).find("hunter2"), std::string::npos);

  options.dsn = "host=h";
  options.pool_size = 0;
  EXPECT_EQ(Database::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
  options.pool_size = 8;
  options.connect_timeout = absl::ZeroDuration();
  EXPECT_EQ(Database::Open(options).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(DatabaseOpen, IsUnavailablePromptlyWhenNothingListens) {
  DatabaseOptions options;
  // Port 1 on loopback: the connection is refused at once.
  options.dsn = "host=127.0.0.1 port=1 user=tokend dbname=tokend password=hunter2";
  const absl::Time start = absl::Now();
  auto db = Database::Open(options);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(std::string(db.status().message()).find("hunter2"), std::string::npos);
}

}  // namespace
}  // namespace tokend::store::postgres
