#include "common/log.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace tokend::common {
namespace {

// The text Log writes to stderr for one call.
std::string Logged(LogLevel level, absl::string_view message,
                   std::initializer_list<LogField> fields = {}) {
  ::testing::internal::CaptureStderr();
  Log(level, message, fields);
  return ::testing::internal::GetCapturedStderr();
}

// The line without its "ts=<time> " prefix, which changes every run.
std::string WithoutTimestamp(const std::string& line) {
  EXPECT_TRUE(absl::StartsWith(line, "ts=")) << line;
  return line.substr(line.find(' ') + 1);
}

TEST(Log, WritesOneLogfmtLineWithAnIsoUtcTimestamp) {
  const std::string line =
      Logged(LogLevel::kInfo, "serving", {{"api_port", "8443"}, {"ops_port", "9090"}});
  EXPECT_EQ(WithoutTimestamp(line), "level=info msg=serving api_port=8443 ops_port=9090\n");
  // ts=YYYY-MM-DDTHH:MM:SS.mmmZ
  const std::string ts = line.substr(3, line.find(' ') - 3);
  ASSERT_EQ(ts.size(), 24u) << ts;
  EXPECT_EQ(ts[4], '-');
  EXPECT_EQ(ts[10], 'T');
  EXPECT_EQ(ts[19], '.');
  EXPECT_EQ(ts.back(), 'Z');
}

TEST(Log, NamesEachLevel) {
  SetMinLogLevel(LogLevel::kDebug);
  EXPECT_TRUE(absl::StartsWith(WithoutTimestamp(Logged(LogLevel::kDebug, "m")), "level=debug "));
  EXPECT_TRUE(absl::StartsWith(WithoutTimestamp(Logged(LogLevel::kInfo, "m")), "level=info "));
  EXPECT_TRUE(absl::StartsWith(WithoutTimestamp(Logged(LogLevel::kWarning, "m")), "level=warn "));
  EXPECT_TRUE(absl::StartsWith(WithoutTimestamp(Logged(LogLevel::kError, "m")), "level=error "));
  SetMinLogLevel(LogLevel::kInfo);
}

TEST(Log, QuotesValuesThatNeedItAndEscapesQuotesBackslashesAndNewlines) {
  EXPECT_EQ(WithoutTimestamp(Logged(LogLevel::kInfo, "two words",
                                    {{"empty", ""},
                                     {"eq", "a=b"},
                                     {"quote", "say \"hi\""},
                                     {"slash", "a\\b"},
                                     {"newline", "a\nb"}})),
            "level=info msg=\"two words\" empty=\"\" eq=\"a=b\" quote=\"say \\\"hi\\\"\" "
            "slash=\"a\\\\b\" newline=\"a\\nb\"\n");
}

TEST(Log, ReplacesOtherControlCharactersSoNoLineCanBeForged) {
  EXPECT_EQ(WithoutTimestamp(Logged(LogLevel::kInfo, "m", {{"v", "a\rb\tc\x7f"}})),
            "level=info msg=m v=\"a?b?c?\"\n");
}

TEST(Log, DropsLinesBelowTheMinimumLevel) {
  SetMinLogLevel(LogLevel::kWarning);
  EXPECT_EQ(Logged(LogLevel::kInfo, "dropped"), "");
  EXPECT_EQ(Logged(LogLevel::kDebug, "dropped"), "");
  EXPECT_NE(Logged(LogLevel::kWarning, "kept"), "");
  SetMinLogLevel(LogLevel::kInfo);
  EXPECT_EQ(Logged(LogLevel::kDebug, "dropped"), "");
  EXPECT_NE(Logged(LogLevel::kInfo, "kept"), "");
}

}  // namespace
}  // namespace tokend::common
