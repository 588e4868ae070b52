#include "tests/integration/api/managed_keys_util.h"

#include <atomic>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace tokend::testing {
namespace {

// One caller that may do everything, with tokens of at most 2 s: the
// retain time (longest lifetime + leeway) must fit the short schedule.
std::string ShortLivedCallers() {
  return absl::StrCat("callers:\n  - id: ", "\"", test::kClientUri, "\"",
                      "\n    rpcs: [Issue, Refresh, Introspect, Revoke, GetJwks]\n"
                      "    issue_for_others: true\n"
                      "    audiences: [\"api://orders\"]\n"
                      "    max_ttl: 2s\n");
}

}  // namespace

std::string FreshDatabaseName() {
  static std::atomic<int> n{0};
  return absl::StrCat("managed_keys_", ++n);
}

std::string NewKekFile() {
  static std::atomic<int> n{0};
  std::string bytes(32, '\0');
  std::ifstream("/dev/urandom", std::ios::binary).read(bytes.data(), 32);
  const std::string path = absl::StrCat(Bed().dir(), "/kek-", ++n, ".b64");
  EXPECT_TRUE(WriteTextFile(path, absl::Base64Escape(bytes) + "\n").ok());
  return path;
}

TokendConfig ManagedConfig(const std::string& dsn, const std::vector<std::string>& kek_files,
                           const Schedule& schedule, const std::string& alg) {
  TokendConfig config = Bed().Config();
  config.signing_keys.clear();
  config.dsn = dsn;
  config.access_ttl = "2s";
  config.leeway = "0s";
  config.callers_yaml = ShortLivedCallers();
  std::string keks;
  for (const std::string& f : kek_files)
    absl::StrAppend(&keks, keks.empty() ? "" : ", ", "\"", f, "\"");
  config.extra_yaml = absl::StrCat(
      "keys:\n  managed: true\n  alg: ", alg, "\n  rotate_every: ", schedule.rotate_every,
      "\n  publish_ahead: ", schedule.publish_ahead,
      "\n  allow_short_publish_ahead: true\n  kek_files: [", keks, "]\n");
  return config;
}

std::string MigratedConfig(TokendConfig& config, std::string* database) {
  const std::string name = FreshDatabaseName();
  if (database != nullptr) *database = name;
  absl::StatusOr<std::string> dsn = Cluster().CreateDatabase(name);
  EXPECT_TRUE(dsn.ok()) << dsn.status();
  config.dsn = *dsn;
  absl::StatusOr<std::string> path = Bed().WriteConfig(config);
  EXPECT_TRUE(path.ok()) << path.status();
  absl::StatusOr<CommandResult> migrated = RunTokend({"migrate", "--config", *path});
  EXPECT_TRUE(migrated.ok() && migrated->exit_code == 0)
      << (migrated.ok() ? migrated->stderr_text : migrated.status().ToString());
  return *path;
}

Json JwksOnOpsPort(const TokendServer& server) {
  absl::StatusOr<HttpResponse> r = HttpGet(server.ops_port(), kJwksPath, absl::Seconds(5));
  if (!r.ok() || r->status != 200) return Json::object();
  return Json::parse(r->body, nullptr, false);
}

Json JwksOverGrpc(client::TokenClient& c) {
  absl::StatusOr<v1::GetJwksResponse> jwks = c.GetJwks(v1::GetJwksRequest());
  if (!jwks.ok()) return Json::object();
  return Json::parse(jwks->jwks_json(), nullptr, false);
}

Json JwkOf(const Json& set, const std::string& kid) {
  if (!set.is_object() || !set.contains("keys")) return Json();
  for (const Json& key : set["keys"]) {
    if (key.value("kid", "") == kid) return key;
  }
  return Json();
}

bool HasKid(const Json& set, const std::string& kid) { return !JwkOf(set, kid).is_null(); }

std::string KidOf(absl::string_view token) {
  absl::StatusOr<DecodedJws> jws = DecodeJws(token);
  return jws.ok() ? jws->header.value("kid", "") : "";
}

absl::StatusOr<CommandResult> RunKeys(const std::vector<std::string>& args,
                                      const std::string& config_path) {
  std::vector<std::string> argv = {"keys"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--config");
  argv.push_back(config_path);
  return RunTokend(argv);
}

absl::StatusOr<Json> Keys(const std::vector<std::string>& args, const std::string& config_path) {
  absl::StatusOr<CommandResult> r = RunKeys(args, config_path);
  if (!r.ok()) return r.status();
  if (r->exit_code != 0) return absl::InternalError(r->stderr_text);
  Json out = Json::parse(r->stdout_text, nullptr, false);
  if (out.is_discarded()) return absl::InternalError("not JSON: " + r->stdout_text);
  return out;
}

std::string SignerKid(const Json& listed) {
  for (const Json& key : listed["keys"]) {
    if (key["state"] == "signing") return key["kid"];
  }
  return "";
}

std::optional<double> Metric(const TokendServer& server, absl::string_view name) {
  absl::StatusOr<HttpResponse> page = HttpGet(server.ops_port(), "/metrics", absl::Seconds(5));
  if (!page.ok() || page->status != 200) return std::nullopt;
  for (absl::string_view line : absl::StrSplit(page->body, '\n')) {
    std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
    double value = 0;
    if (fields.size() == 2 && fields[0] == name && absl::SimpleAtod(fields[1], &value)) {
      return value;
    }
  }
  return std::nullopt;
}

}  // namespace tokend::testing
