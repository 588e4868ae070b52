// The keys section: managed keys and its rules, file-key reloading.

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "config/config.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace tokend::config {
namespace {

using ::testing::HasSubstr;

// A valid managed-keys file; callers' max_ttl 30m, access_ttl 15m, leeway 5s.
constexpr char kManaged[] = R"yaml(listen: "127.0.0.1:8443"
tls:
  cert_file: tls.crt
  key_file: tls.key
  client_ca_file: ca.crt
database:
  dsn: "postgresql://tokend@db/tokend"
issuer: "https://issuer.test"
keys:
  managed: true
  alg: ES384
  rotate_every: 240h
  publish_ahead: 10m
  kek_files: [kek-new, kek-old]
callers:
  - id: "spiffe://test/a"
    max_ttl: 30m
)yaml";

std::string Edit(absl::string_view from, absl::string_view to) {
  EXPECT_TRUE(absl::StrContains(kManaged, from)) << "test bug: no \"" << from << "\"";
  return absl::StrReplaceAll(kManaged, {{from, to}});
}

std::string ErrorOf(const std::string& yaml) {
  absl::StatusOr<Config> config = ParseConfig(yaml);
  if (config.ok()) return "<ok>";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(config.status().message());
}

TEST(KeysConfig, ReadsManagedKeysAndDerivesTheRetainTime) {
  absl::StatusOr<Config> config = ParseConfig(kManaged);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_TRUE(config->keys.managed);
  EXPECT_EQ(config->keys.alg, "ES384");
  EXPECT_EQ(config->keys.rotate_every, absl::Hours(240));
  EXPECT_EQ(config->keys.publish_ahead, absl::Minutes(10));
  EXPECT_THAT(config->keys.kek_files, ::testing::ElementsAre("kek-new", "kek-old"));
  EXPECT_TRUE(config->signing_keys.empty());
  // The longest access lifetime (the caller's 30m, over access_ttl's 15m) plus leeway.
  EXPECT_EQ(config->keys.retain_after, absl::Minutes(30) + absl::Seconds(5));
  std::vector<NamedFile> files = FilesNamedBy(*config);
  EXPECT_TRUE(std::any_of(files.begin(), files.end(), [](const NamedFile& f) {
    return f.key_path == "keys.kek_files[1]" && *f.path == "kek-old";
  }));
}

TEST(KeysConfig, ManagedKeysAndSigningKeysAreExclusive) {
  EXPECT_THAT(ErrorOf(absl::StrCat(kManaged, "signing_keys:\n  - file: k.pem\n    alg: ES256\n")),
              HasSubstr("signing_keys: not with keys.managed: true"));
  EXPECT_THAT(ErrorOf(Edit("  managed: true\n", "  managed: false\n")),
              HasSubstr("keys.alg: only with keys.managed: true"));
}

TEST(KeysConfig, RefusesASchedulePublishedTooLateOrWithTooManyKeys) {
  EXPECT_THAT(ErrorOf(Edit("publish_ahead: 10m", "publish_ahead: 4m")),
              HasSubstr("keys.publish_ahead: must be at least 5m5s"));
  EXPECT_EQ(
      ErrorOf(Edit("publish_ahead: 10m", "publish_ahead: 4m\n  allow_short_publish_ahead: true")),
      "<ok>");
  EXPECT_THAT(ErrorOf(Edit("rotate_every: 240h", "rotate_every: 10m")),
              HasSubstr("keys.rotate_every: must be longer than keys.publish_ahead"));
  // (30m5s + 10m) / 2 = 20m2.5s: a shorter period could publish four keys.
  EXPECT_THAT(ErrorOf(Edit("rotate_every: 240h", "rotate_every: 20m")),
              HasSubstr("at most three keys are published"));
  EXPECT_EQ(ErrorOf(Edit("rotate_every: 240h", "rotate_every: 21m")), "<ok>");
}

TEST(KeysConfig, RefusesManagedKeysWithoutAKekOrWithAnUnknownAlg) {
  EXPECT_THAT(ErrorOf(Edit("  kek_files: [kek-new, kek-old]\n", "")),
              HasSubstr("keys.kek_files: at least one key-encryption key file is required"));
  EXPECT_THAT(ErrorOf(Edit("alg: ES384", "alg: HS256")),
              HasSubstr("keys.alg: unsupported algorithm"));
}

TEST(KeysConfig, FileKeysTakeOnlyTheReloadInterval) {
  const std::string files = absl::StrReplaceAll(
      kManaged, {{"keys:\n  managed: true\n  alg: ES384\n  rotate_every: 240h\n  publish_ahead: "
                  "10m\n  kek_files: [kek-new, kek-old]\n",
                  "keys:\n  file_reload_interval: 2s\nsigning_keys:\n  - file: k.pem\n    alg: "
                  "ES256\n"}});
  absl::StatusOr<Config> config = ParseConfig(files);
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_FALSE(config->keys.managed);
  EXPECT_EQ(config->keys.file_reload_interval, absl::Seconds(2));
  EXPECT_THAT(
      ErrorOf(Edit("  publish_ahead: 10m\n", "  publish_ahead: 10m\n  file_reload_interval: 1s\n")),
      HasSubstr("keys.file_reload_interval: only for signing_keys files"));
}

}  // namespace
}  // namespace tokend::config
