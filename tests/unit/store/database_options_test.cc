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

TEST(EffectiveDsn, KeepsEveryHostOfAMultiHostDsn) {
  DatabaseOptions options;
  options.dsn = "host=pg-a,pg-b port=5432,5433 dbname=tokend target_session_attrs=read-write";
  EXPECT_EQ(*EffectiveDsn(options),
            "host=pg-a,pg-b port=5432,5433 dbname=tokend target_session_attrs=read-write"
            " connect_timeout=5 keepalives_idle=10 keepalives_interval=5 keepalives_count=3"
            " tcp_user_timeout=15000 application_name=tokend");
  options.dsn = "postgresql://tokend@pg-a:5432,pg-b:5433/tokend?target_session_attrs=read-write";
  EXPECT_EQ(*EffectiveDsn(options),
            "postgresql://tokend@pg-a:5432,pg-b:5433/tokend?target_session_attrs=read-write"
            "&connect_timeout=5&keepalives_idle=10&keepalives_interval=5&keepalives_count=3"
            "&tcp_user_timeout=15000&application_name=tokend");
}

TEST(EffectiveDsn, AsksForAWritableServerWhenSeveralAreListedAndTheDsnDoesNotSay) {
  DatabaseOptions options;
  options.dsn = "host=pg-a,pg-b dbname=tokend";
  EXPECT_TRUE(absl::EndsWith(*EffectiveDsn(options),
                             " application_name=tokend target_session_attrs=read-write"))
      << *EffectiveDsn(options);
  options.dsn = "postgresql://pg-a:5432,pg-b:5433/tokend";
  EXPECT_TRUE(absl::EndsWith(*EffectiveDsn(options),
                             "&application_name=tokend&target_session_attrs=read-write"))
      << *EffectiveDsn(options);
  // The operator's choice stands, and one server gets nothing added.
  options.dsn = "host=pg-a,pg-b target_session_attrs=primary";
  EXPECT_FALSE(absl::StrContains(*EffectiveDsn(options), "read-write"));
  options.dsn = "host=pg-a,pg-b target_session_attrs=any";
  EXPECT_FALSE(absl::StrContains(*EffectiveDsn(options), "read-write"));
  options.dsn = "host=pg-a dbname=tokend";
  EXPECT_FALSE(absl::StrContains(*EffectiveDsn(options), "target_session_attrs"));
}

// libpq accepts these when parsing and refuses them only when connecting, as
// "database unavailable": a start-up that could never succeed would look
// like an outage.
TEST(EffectiveDsn, RefusesServerListsLibpqCouldNotConnectWithAndNamesTheProblem) {
  struct Case {
    const char* dsn;
    const char* message;
  };
  const Case cases[] = {
      {"host=pg-a,pg-b port=5432,5433,5434 password=hunter2", "3 ports for 2 hosts"},
      {"postgresql://u:hunter2@pg-a,pg-b/db?port=1,2,3", "3 ports for 2 hosts"},
      {"port=5432,5433 password=hunter2", "2 ports for 1 hosts"},
      {"host=pg-a,pg-b hostaddr=10.0.0.1 password=hunter2", "2 hosts but 1 hostaddr values"},
      {"host=pg-a,pg-b port=5432,70000 password=hunter2", "port that is not 1..65535"},
      {"host=pg-a port=fivefour password=hunter2", "port that is not 1..65535"},
      {"host=pg-a,pg-b password=hunter2 target_session_attrs=writable", "target_session_attrs"},
  };
  for (const Case& c : cases) {
    DatabaseOptions options;
    options.dsn = c.dsn;
    auto dsn = EffectiveDsn(options);
    EXPECT_EQ(dsn.status().code(), absl::StatusCode::kInvalidArgument) << c.dsn;
    EXPECT_TRUE(absl::StrContains(dsn.status().message(), c.message)) << dsn.status();
    EXPECT_TRUE(absl::StartsWith(dsn.status().message(), "database.dsn")) << dsn.status();
    EXPECT_FALSE(absl::StrContains(dsn.status().message(), "hunter2")) << dsn.status();
  }
  // What libpq accepts stays accepted: one port for every host, empty list
  // items (the default), every target_session_attrs of libpq 15.
  for (const char* dsn :
       {"host=pg-a,pg-b port=5432", "host=pg-a,pg-b,pg-c port=5432,,5434",
        "hostaddr=10.0.0.1,10.0.0.2 port=1,65535", "host=a,b hostaddr=10.0.0.1,10.0.0.2",
        "host=pg-a target_session_attrs=any", "host=pg-a target_session_attrs=read-only",
        "host=pg-a target_session_attrs=primary", "host=pg-a target_session_attrs=standby",
        "host=pg-a target_session_attrs=prefer-standby"}) {
    DatabaseOptions options;
    options.dsn = dsn;
    EXPECT_TRUE(EffectiveDsn(options).ok()) << dsn << ": " << EffectiveDsn(options).status();
  }
}

TEST(DatabaseOpen, TriesTheNextHostWhenTheFirstRefuses) {
  DatabaseOptions options;
  // Both on loopback ports where nothing listens: each is refused at once,
  // and the error says the database is unavailable, not that the DSN is bad.
  options.dsn =
      "host=127.0.0.1,127.0.0.1 port=1,2 user=tokend dbname=tokend "
      "target_session_attrs=read-write";
  const absl::Time start = absl::Now();
  auto db = Database::Open(options);
  EXPECT_EQ(db.status().code(), absl::StatusCode::kUnavailable) << db.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
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
