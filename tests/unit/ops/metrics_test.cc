#include "ops/metrics.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::ops {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(Metrics, CountsRpcsByMethodAndCode) {
  Metrics metrics;
  metrics.RecordRpc("Issue", "OK", absl::Milliseconds(2));
  metrics.RecordRpc("Issue", "OK", absl::Milliseconds(3));
  metrics.RecordRpc("Issue", "PERMISSION_DENIED", absl::Microseconds(50));
  metrics.RecordRpc("Introspect", "OK", absl::Microseconds(80));
  std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE tokend_rpc_requests_total counter"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_requests_total{code=\"OK\",method=\"Issue\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_requests_total{code=\"PERMISSION_"
                              "DENIED\",method=\"Issue\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_requests_total{code=\"OK\",method=\"Introspect\"} 1\n"));
}

TEST(Metrics, ObservesLatencyInSecondsPerMethodFrom100MicrosecondsTo5Seconds) {
  Metrics metrics;
  metrics.RecordRpc("Refresh", "OK",
                    absl::Microseconds(50));  // below the first bucket
  metrics.RecordRpc("Refresh", "UNAVAILABLE",
                    absl::Seconds(1));  // code does not split latency
  metrics.RecordRpc("Refresh", "OK",
                    absl::Seconds(30));  // above the last bucket
  std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("# TYPE tokend_rpc_duration_seconds histogram"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_duration_seconds_count{method=\"Refresh\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_duration_seconds_sum{method=\"Refresh\"} 31.00005"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_duration_seconds_bucket{method="
                              "\"Refresh\",le=\"0.0001\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_duration_seconds_bucket{method="
                              "\"Refresh\",le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_duration_seconds_bucket{method="
                              "\"Refresh\",le=\"5\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_duration_seconds_bucket{method="
                              "\"Refresh\",le=\"+Inf\"} 3\n"));
}

TEST(Metrics, CountsMethodsPastTheCardinalityLimitAsOther) {
  Metrics metrics;
  for (int i = 0; i < 100; ++i) {
    metrics.RecordRpc(absl::StrCat("Method", i), "UNIMPLEMENTED", absl::Microseconds(1));
  }
  metrics.RecordRpc("Method0", "UNIMPLEMENTED", absl::Microseconds(1));
  std::string text = metrics.Render();
  EXPECT_THAT(text, HasSubstr("tokend_rpc_requests_total{code=\"UNIMPLEMENTED\","
                              "method=\"Method0\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_requests_total{code=\"UNIMPLEMENTED\","
                              "method=\"Method63\"} 1\n"));
  EXPECT_THAT(text, Not(HasSubstr("method=\"Method64\"")));
  EXPECT_THAT(text, HasSubstr("tokend_rpc_requests_total{code=\"UNIMPLEMENTED\","
                              "method=\"other\"} 36\n"));
}

TEST(Metrics, ReadsGaugesAndCountersWhenScraped) {
  Metrics metrics;
  std::atomic<int> in_use{3};
  std::atomic<int> reuse{0};
  ASSERT_TRUE(metrics
                  .AddGauge("tokend_db_pool_in_use", "Connections in use.",
                            [&] { return static_cast<double>(in_use.load()); })
                  .ok());
  ASSERT_TRUE(metrics
                  .AddCounter("tokend_refresh_reuse_detected_total", "Reused refresh tokens.",
                              [&] { return static_cast<double>(reuse.load()); })
                  .ok());
  std::string before = metrics.Render();
  EXPECT_THAT(before, HasSubstr("# HELP tokend_db_pool_in_use Connections in use.\n"));
  EXPECT_THAT(before, HasSubstr("# TYPE tokend_db_pool_in_use gauge\n"));
  EXPECT_THAT(before, HasSubstr("\ntokend_db_pool_in_use 3\n"));
  EXPECT_THAT(before, HasSubstr("# TYPE tokend_refresh_reuse_detected_total counter\n"));
  EXPECT_THAT(before, HasSubstr("\ntokend_refresh_reuse_detected_total 0\n"));

  in_use = 7;
  reuse = 2;
  std::string after = metrics.Render();
  EXPECT_THAT(after, HasSubstr("\ntokend_db_pool_in_use 7\n"));
  EXPECT_THAT(after, HasSubstr("\ntokend_refresh_reuse_detected_total 2\n"));
}

TEST(Metrics, RejectsInvalidAndDuplicateNames) {
  Metrics metrics;
  auto one = [] { return 1.0; };
  EXPECT_EQ(metrics.AddGauge("bad name", "", one).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.AddGauge("9starts_with_digit", "", one).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(metrics.AddGauge("tokend_no_function", "", nullptr).code(),
            absl::StatusCode::kInvalidArgument);
  ASSERT_TRUE(metrics.AddGauge("tokend_x", "", one).ok());
  EXPECT_EQ(metrics.AddCounter("tokend_x", "", one).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(metrics.AddGauge("tokend_rpc_requests_total", "", one).code(),
            absl::StatusCode::kAlreadyExists);
  EXPECT_THAT(metrics.Render(), Not(HasSubstr("bad name")));
}

TEST(Metrics, ACallbackMayRegisterAnotherValueWithoutDeadlock) {
  Metrics metrics;
  ASSERT_TRUE(metrics
                  .AddGauge("tokend_outer", "",
                            [&] {
                              (void)metrics.AddGauge("tokend_inner", "", [] { return 2.0; });
                              return 1.0;
                            })
                  .ok());
  EXPECT_THAT(metrics.Render(), HasSubstr("\ntokend_outer 1\n"));
  EXPECT_THAT(metrics.Render(), HasSubstr("\ntokend_inner 2\n"));
}

TEST(Metrics, CountsExactlyUnderConcurrentRecording) {
  Metrics metrics;
  constexpr int kThreads = 4;
  constexpr int kCalls = 5000;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics, t] {
      const char* codes[] = {"OK", "UNAUTHENTICATED"};
      for (int i = 0; i < kCalls; ++i) {
        metrics.RecordRpc(t % 2 == 0 ? "Issue" : "Refresh", codes[i % 2], absl::Microseconds(i));
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  std::string text = metrics.Render();
  for (const char* method : {"Issue", "Refresh"}) {
    for (const char* code : {"OK", "UNAUTHENTICATED"}) {
      EXPECT_THAT(text, HasSubstr(absl::StrCat("tokend_rpc_requests_total{code=\"", code,
                                               "\",method=\"", method, "\"} ", kCalls, "\n")));
    }
    EXPECT_THAT(text, HasSubstr(absl::StrCat("tokend_rpc_duration_seconds_count{method=\"", method,
                                             "\"} ", 2 * kCalls, "\n")));
  }
}

}  // namespace
}  // namespace tokend::ops
