#ifndef TOKEND_CLIENT_TOKENCTL_CLI_H_
#define TOKEND_CLIENT_TOKENCTL_CLI_H_

#include <functional>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/token_client.h"
#include "tokend/v1/token_service.pb.h"

namespace tokend::client {

// The command line of tokenctl, as printed by `tokenctl --help`.
extern const char kTokenctlUsage[];

// Exit codes of tokenctl.
inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;  // the RPC or the connection failed
inline constexpr int kExitUsage = 2;  // bad command line

// Looks up an environment variable; std::nullopt when it is unset.
using GetEnvFunction = std::function<std::optional<std::string>(const std::string& name)>;

enum class TokenctlCommand {
  kHelp,
  kIssue,
  kRefresh,
  kIntrospect,
  kRevoke,
  kJwks,
  kHealth,
  kWatch
};

// A parsed command line: the connection and the one request to send (only
// the field matching command is filled in).
struct TokenctlInvocation {
  TokenctlCommand command = TokenctlCommand::kHelp;
  ClientOptions options;
  tokend::v1::IssueRequest issue;
  tokend::v1::RefreshRequest refresh;
  tokend::v1::IntrospectRequest introspect;
  tokend::v1::RevokeRequest revoke;
  std::string health_service;
  tokend::v1::WatchRevocationsRequest watch;
  // watch: how long to stream (--for); unset: until interrupted.
  std::optional<absl::Duration> watch_for;
};

// Parses `[flags] <command> [flags]` (args without the program name). Flags
// are `--name value` or `--name=value`; global flags may appear before or
// after the command; list flags (--audience, --scope) may repeat and take
// comma-separated values. A token flag given as "-" reads the token from in
// (surrounding whitespace removed). --target, --ca, --cert, --key fall back
// to TOKEND_TARGET, TOKEND_CA, TOKEND_CERT, TOKEND_KEY (an empty variable
// counts as unset); --target defaults to 127.0.0.1:8443. --help or -h
// anywhere gives command kHelp. Errors (usage errors): INVALID_ARGUMENT with
// a one-line message naming the flag or argument.
absl::StatusOr<TokenctlInvocation> ParseTokenctlArgs(const std::vector<std::string>& args,
                                                     const GetEnvFunction& get_env,
                                                     std::istream& in);

// Runs tokenctl: parses args, sends the request, prints the response to out
// as one line of JSON with lower_snake_case field names (jwks prints the JWK
// Set JSON itself; health prints {"status":"<name>"}), and returns the exit
// code. Any failure is one line on err, "tokenctl: <CODE>: <message>", and
// kExitError, or kExitUsage for a usage error; health answers other than
// SERVING are kExitError. watch prints each message of the stream as one line
// of JSON as it arrives, and ends with kExitOk when --for passes, or with the
// stream's error.
int RunTokenctl(const std::vector<std::string>& args, const GetEnvFunction& get_env,
                std::istream& in, std::ostream& out, std::ostream& err);

}  // namespace tokend::client

#endif  // TOKEND_CLIENT_TOKENCTL_CLI_H_
