#ifndef TOKEND_TESTS_INTEGRATION_API_MANAGED_KEYS_UTIL_H_
#define TOKEND_TESTS_INTEGRATION_API_MANAGED_KEYS_UTIL_H_

// Shared by the managed-keys integration tests: configurations on fresh
// databases, KEK files, `tokend keys` runs, and reading the JWK Set and the
// metrics of a running replica.

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {

inline constexpr char kJwksPath[] = "/.well-known/jwks.json";

// A fresh database name (letters, digits and '_' only).
std::string FreshDatabaseName();

// A new KEK file (base64 of 32 random bytes) in the bed's directory.
std::string NewKekFile();

struct Schedule {
  std::string rotate_every;
  std::string publish_ahead;
};

// A managed-keys configuration of keys of `alg` on database `dsn`: one
// caller (the URI caller) that may do everything, with tokens of at most
// 2 s and no leeway, so that the retain time fits a schedule of seconds.
TokendConfig ManagedConfig(const std::string& dsn, const std::vector<std::string>& kek_files,
                           const Schedule& schedule, const std::string& alg = "ES256");

// Makes a fresh database, sets config.dsn to it, writes the configuration,
// runs `tokend migrate` with it and returns the configuration's path; the
// database's name in *database when given. Failures fail the test.
std::string MigratedConfig(TokendConfig& config, std::string* database = nullptr);

// The JWK Set from the ops port / over gRPC; an empty object when it cannot
// be had.
Json JwksOnOpsPort(const TokendServer& server);
Json JwksOverGrpc(client::TokenClient& c);
bool HasKid(const Json& set, const std::string& kid);
// The JWK of `kid` in `set` (null when absent).
Json JwkOf(const Json& set, const std::string& kid);
// The kid in a compact JWS's header ("" when it has none or is no JWS).
std::string KidOf(absl::string_view token);

// `tokend keys <args> --config <path>` as it ran.
absl::StatusOr<CommandResult> RunKeys(const std::vector<std::string>& args,
                                      const std::string& config_path);
// The same, its JSON output; INTERNAL with stderr when it fails.
absl::StatusOr<Json> Keys(const std::vector<std::string>& args, const std::string& config_path);
// The kid listed in state "signing" ("" when none).
std::string SignerKid(const Json& listed);

// The value of the unlabelled series `name` on `server`'s /metrics, or
// nullopt when the page or the series is missing.
std::optional<double> Metric(const TokendServer& server, absl::string_view name);

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_INTEGRATION_API_MANAGED_KEYS_UTIL_H_
