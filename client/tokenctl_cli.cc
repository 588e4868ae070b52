#include "client/tokenctl_cli.h"

#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <istream>
#include <iterator>
#include <map>
#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/verifier.h"

namespace tokend::client {

const char kTokenctlUsage[] =
    R"(usage: tokenctl [global flags] <command> [command flags]

Global flags (also accepted after the command):
  --target ADDR         server address (env TOKEND_TARGET; default 127.0.0.1:8443)
  --ca FILE             PEM CA bundle that signs the server certificate (env TOKEND_CA)
  --cert FILE           PEM client certificate (env TOKEND_CERT)
  --key FILE            PEM client private key (env TOKEND_KEY)
  --server-name NAME    name the server certificate must carry, if not the target host
  --timeout DURATION    deadline of the call, e.g. 5s, 500ms (default 5s)

Commands:
  issue       --audience A[,B] [--subject S] [--scope X[,Y]] [--ttl 10m]
              [--claims '{"k":"v"}'] [--refresh [--idempotency-key K]]
  refresh     --token TOKEN|- [--scope X[,Y]]
  introspect  --token TOKEN|- [--hint access|refresh]
  revoke      (--token TOKEN|- | --subject S) [--hint access|refresh]
  jwks        print the JWK Set
  health      [--service NAME]   grpc.health.v1 Check
  watch       [--from EPOCH:SEQUENCE] [--for DURATION]
              stream revocations (WatchRevocations): one JSON line per
              message (snapshot parts, revocations, heartbeats); each
              revocation names a token_id, refresh_family_id, subject or
              signing_key_id; --from resumes after a position seen before;
              runs until interrupted or for DURATION (--timeout does not
              apply)
  verify      --token TOKEN|- --audience A[,B] [--issuer I] [--wait 15s]
              verify an access token locally, as a service using the C++
              verifier library does: the JWK Set, then a WatchRevocations
              stream until the revocation view is current (at most --wait;
              needs GetJwks and WatchRevocations in the caller's policy).
              Prints {"result":"active"|"inactive"|"unknown", ...} with the
              claims Introspect gives when active, else a "reason"; exit 0
              for active or inactive, 1 for unknown. Without --issuer, the
              token's own iss is expected (the keys are tokend's own)

--audience and --scope repeat and take comma-separated lists. A token given
as "-" is read from standard input. Output is one line of JSON on stdout.
Errors: one line "tokenctl: <CODE>: <message>" on stderr; exit 1, or 2 for a
usage error.
)";

namespace {

namespace v1 = ::tokend::v1;
using Command = TokenctlCommand;

enum class Arity { kValue, kBool };

struct FlagSpec {
  Arity arity;
  bool repeatable;
  std::vector<Command> commands;  // empty: a global flag, valid everywhere
};

const std::map<std::string, FlagSpec>& Flags() {
  static const auto* const flags = new std::map<std::string, FlagSpec>{
      {"target", {Arity::kValue, false, {}}},
      {"ca", {Arity::kValue, false, {}}},
      {"cert", {Arity::kValue, false, {}}},
      {"key", {Arity::kValue, false, {}}},
      {"server-name", {Arity::kValue, false, {}}},
      {"timeout", {Arity::kValue, false, {}}},
      {"subject", {Arity::kValue, false, {Command::kIssue, Command::kRevoke}}},
      {"audience", {Arity::kValue, true, {Command::kIssue, Command::kVerify}}},
      {"issuer", {Arity::kValue, false, {Command::kVerify}}},
      {"wait", {Arity::kValue, false, {Command::kVerify}}},
      {"scope", {Arity::kValue, true, {Command::kIssue, Command::kRefresh}}},
      {"ttl", {Arity::kValue, false, {Command::kIssue}}},
      {"claims", {Arity::kValue, false, {Command::kIssue}}},
      {"refresh", {Arity::kBool, false, {Command::kIssue}}},
      {"idempotency-key", {Arity::kValue, false, {Command::kIssue}}},
      {"token",
       {Arity::kValue,
        false,
        {Command::kRefresh, Command::kIntrospect, Command::kRevoke, Command::kVerify}}},
      {"hint", {Arity::kValue, false, {Command::kIntrospect, Command::kRevoke}}},
      {"service", {Arity::kValue, false, {Command::kHealth}}},
      {"from", {Arity::kValue, false, {Command::kWatch}}},
      {"for", {Arity::kValue, false, {Command::kWatch}}},
  };
  return *flags;
}

const std::map<std::string, Command>& Commands() {
  static const auto* const commands = new std::map<std::string, Command>{
      {"issue", Command::kIssue},
      {"refresh", Command::kRefresh},
      {"introspect", Command::kIntrospect},
      {"revoke", Command::kRevoke},
      {"jwks", Command::kJwks},
      {"health", Command::kHealth},
      {"watch", Command::kWatch},
      {"verify", Command::kVerify},
  };
  return *commands;
}

absl::Status Usage(absl::string_view message) { return absl::InvalidArgumentError(message); }

// The raw command line: the command name and each flag's values in order.
struct RawArgs {
  std::string command;
  std::map<std::string, std::vector<std::string>> values;
  bool help = false;
};

absl::StatusOr<RawArgs> Tokenize(const std::vector<std::string>& args) {
  RawArgs raw;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "-h" || arg == "--help") {
      raw.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "--")) {
      if (absl::StartsWith(arg, "-") && arg != "-") {
        return Usage(absl::StrCat("unknown flag ", arg));
      }
      if (!raw.command.empty()) {
        return Usage(absl::StrCat("unexpected argument \"", arg, "\""));
      }
      raw.command = arg;
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    auto spec = Flags().find(name);
    if (spec == Flags().end()) {
      return Usage(absl::StrCat("unknown flag --", name));
    }
    if (spec->second.arity == Arity::kBool) {
      if (!value.has_value() || *value == "true") {
        value = "true";
      } else if (*value != "false") {
        return Usage(absl::StrCat("--", name, " takes no value, or true|false"));
      }
    } else if (!value.has_value()) {
      if (i + 1 >= args.size()) {
        return Usage(absl::StrCat("--", name, " needs a value"));
      }
      value = args[++i];
    }
    std::vector<std::string>& values = raw.values[name];
    if (!values.empty() && !spec->second.repeatable) {
      return Usage(absl::StrCat("--", name, " given more than once"));
    }
    values.push_back(*std::move(value));
  }
  return raw;
}

// Reads a token: "-" means standard input, trimmed of surrounding whitespace.
absl::StatusOr<std::string> ReadToken(const std::string& value, std::istream& in) {
  if (value != "-") return value;
  std::string token{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  absl::StripAsciiWhitespace(&token);
  if (token.empty()) return Usage("--token -: nothing on standard input");
  return token;
}

absl::StatusOr<v1::TokenType> ParseHint(const std::string& value) {
  if (value == "access") return v1::TOKEN_TYPE_ACCESS_TOKEN;
  if (value == "refresh") return v1::TOKEN_TYPE_REFRESH_TOKEN;
  return Usage(absl::StrCat("--hint must be access or refresh, not \"", value, "\""));
}

absl::StatusOr<absl::Duration> ParseDurationFlag(absl::string_view name, const std::string& value) {
  absl::Duration d;
  if (!absl::ParseDuration(value, &d) || d == absl::InfiniteDuration() ||
      d == -absl::InfiniteDuration()) {
    return Usage(absl::StrCat("--", name, ": not a duration: \"", value, "\" (e.g. 30s, 10m, 1h)"));
  }
  return d;
}

// Every value of a list flag, split at commas, blanks dropped.
std::vector<std::string> ListValues(const RawArgs& raw, const std::string& name) {
  std::vector<std::string> out;
  auto it = raw.values.find(name);
  if (it == raw.values.end()) return out;
  for (const std::string& value : it->second) {
    for (absl::string_view part : absl::StrSplit(value, ',')) {
      part = absl::StripAsciiWhitespace(part);
      if (!part.empty()) out.emplace_back(part);
    }
  }
  return out;
}

const std::string* Value(const RawArgs& raw, const std::string& name) {
  auto it = raw.values.find(name);
  return it == raw.values.end() ? nullptr : &it->second.front();
}

// A flag's value, else the environment variable's (when set and not empty).
std::optional<std::string> FlagOrEnv(const RawArgs& raw, const std::string& name,
                                     const std::string& env, const GetEnvFunction& get_env) {
  if (const std::string* v = Value(raw, name)) return *v;
  std::optional<std::string> from_env = get_env(env);
  if (from_env.has_value() && !from_env->empty()) return from_env;
  return std::nullopt;
}

absl::Status ParseOptions(const RawArgs& raw, const GetEnvFunction& get_env,
                          ClientOptions* options) {
  options->target = FlagOrEnv(raw, "target", "TOKEND_TARGET", get_env).value_or("127.0.0.1:8443");
  struct FileFlag {
    const char* flag;
    const char* env;
    std::string* field;
  };
  for (const FileFlag& f : {FileFlag{"ca", "TOKEND_CA", &options->ca_file},
                            FileFlag{"cert", "TOKEND_CERT", &options->cert_file},
                            FileFlag{"key", "TOKEND_KEY", &options->key_file}}) {
    std::optional<std::string> value = FlagOrEnv(raw, f.flag, f.env, get_env);
    if (!value.has_value()) {
      return Usage(absl::StrCat("--", f.flag, " (or ", f.env, ") is required"));
    }
    *f.field = *std::move(value);
  }
  if (const std::string* v = Value(raw, "server-name")) {
    options->server_name_override = *v;
  }
  if (const std::string* v = Value(raw, "timeout")) {
    absl::StatusOr<absl::Duration> timeout = ParseDurationFlag("timeout", *v);
    if (!timeout.ok()) return timeout.status();
    if (*timeout <= absl::ZeroDuration()) {
      return Usage("--timeout must be positive");
    }
    options->timeout = *timeout;
  }
  return absl::OkStatus();
}

absl::Status ParseIssue(const RawArgs& raw, v1::IssueRequest* request) {
  if (const std::string* v = Value(raw, "subject")) request->set_subject(*v);
  for (std::string& a : ListValues(raw, "audience")) {
    request->add_audience(std::move(a));
  }
  for (std::string& s : ListValues(raw, "scope")) request->add_scopes(std::move(s));
  if (const std::string* v = Value(raw, "ttl")) {
    absl::StatusOr<absl::Duration> ttl = ParseDurationFlag("ttl", *v);
    if (!ttl.ok()) return ttl.status();
    // Sent as given; the server decides what it accepts.
    absl::Duration rest;
    const int64_t seconds = absl::IDivDuration(*ttl, absl::Seconds(1), &rest);
    request->mutable_ttl()->set_seconds(seconds);
    request->mutable_ttl()->set_nanos(static_cast<int32_t>(absl::ToInt64Nanoseconds(rest)));
  }
  if (const std::string* v = Value(raw, "claims")) {
    const std::string trimmed(absl::StripAsciiWhitespace(*v));
    // google.protobuf.Struct's JSON form is an object; anything else fails.
    if (!absl::StartsWith(trimmed, "{") ||
        !google::protobuf::util::JsonStringToMessage(trimmed, request->mutable_claims()).ok()) {
      return Usage("--claims must be a JSON object");
    }
  }
  if (const std::string* v = Value(raw, "refresh")) {
    request->set_include_refresh_token(*v == "true");
  }
  // Sent as given; the server decides what it accepts.
  if (const std::string* v = Value(raw, "idempotency-key")) request->set_idempotency_key(*v);
  return absl::OkStatus();
}

absl::StatusOr<TokenctlInvocation> Parse(const RawArgs& raw, const GetEnvFunction& get_env,
                                         std::istream& in) {
  TokenctlInvocation inv;
  if (raw.help) return inv;  // kHelp
  if (raw.command.empty()) return Usage("no command given");
  auto command = Commands().find(raw.command);
  if (command == Commands().end()) {
    return Usage(absl::StrCat("unknown command \"", raw.command, "\""));
  }
  inv.command = command->second;
  for (const auto& [name, values] : raw.values) {
    const std::vector<Command>& allowed = Flags().at(name).commands;
    if (!allowed.empty() &&
        std::find(allowed.begin(), allowed.end(), inv.command) == allowed.end()) {
      return Usage(absl::StrCat("--", name, " does not apply to ", raw.command));
    }
  }
  const std::string* token = Value(raw, "token");
  const std::string* hint = Value(raw, "hint");
  switch (inv.command) {
    case Command::kHelp:
      break;
    case Command::kIssue:
      if (absl::Status s = ParseIssue(raw, &inv.issue); !s.ok()) return s;
      break;
    case Command::kRefresh: {
      if (token == nullptr) return Usage("--token is required");
      absl::StatusOr<std::string> t = ReadToken(*token, in);
      if (!t.ok()) return t.status();
      inv.refresh.set_refresh_token(*std::move(t));
      for (std::string& s : ListValues(raw, "scope")) {
        inv.refresh.add_scopes(std::move(s));
      }
      break;
    }
    case Command::kIntrospect: {
      if (token == nullptr) return Usage("--token is required");
      absl::StatusOr<std::string> t = ReadToken(*token, in);
      if (!t.ok()) return t.status();
      inv.introspect.set_token(*std::move(t));
      if (hint != nullptr) {
        absl::StatusOr<v1::TokenType> h = ParseHint(*hint);
        if (!h.ok()) return h.status();
        inv.introspect.set_token_type_hint(*h);
      }
      break;
    }
    case Command::kRevoke: {
      const std::string* subject = Value(raw, "subject");
      if ((token == nullptr) == (subject == nullptr)) {
        return Usage("revoke needs exactly one of --token and --subject");
      }
      if (token != nullptr) {
        absl::StatusOr<std::string> t = ReadToken(*token, in);
        if (!t.ok()) return t.status();
        inv.revoke.set_token(*std::move(t));
      } else {
        inv.revoke.set_subject(*subject);
      }
      if (hint != nullptr) {
        absl::StatusOr<v1::TokenType> h = ParseHint(*hint);
        if (!h.ok()) return h.status();
        inv.revoke.set_token_type_hint(*h);
      }
      break;
    }
    case Command::kJwks:
      break;
    case Command::kHealth:
      if (const std::string* v = Value(raw, "service")) inv.health_service = *v;
      break;
    case Command::kWatch: {
      if (const std::string* from = Value(raw, "from")) {
        const size_t colon = from->rfind(':');
        uint64_t sequence = 0;
        if (colon == std::string::npos || colon == 0 ||
            !absl::SimpleAtoi(absl::string_view(*from).substr(colon + 1), &sequence)) {
          return Usage(absl::StrCat("--from must be EPOCH:SEQUENCE, not \"", *from, "\""));
        }
        inv.watch.mutable_resume_from()->set_epoch(from->substr(0, colon));
        inv.watch.mutable_resume_from()->set_sequence(sequence);
      }
      if (const std::string* v = Value(raw, "for")) {
        absl::StatusOr<absl::Duration> d = ParseDurationFlag("for", *v);
        if (!d.ok()) return d.status();
        if (*d <= absl::ZeroDuration()) return Usage("--for must be positive");
        inv.watch_for = *d;
      }
      break;
    }
    case Command::kVerify: {
      if (token == nullptr) return Usage("--token is required");
      absl::StatusOr<std::string> t = ReadToken(*token, in);
      if (!t.ok()) return t.status();
      inv.verify_token = *std::move(t);
      inv.verify_audiences = ListValues(raw, "audience");
      if (inv.verify_audiences.empty()) return Usage("--audience is required");
      if (const std::string* v = Value(raw, "issuer")) inv.verify_issuer = *v;
      if (const std::string* v = Value(raw, "wait")) {
        absl::StatusOr<absl::Duration> d = ParseDurationFlag("wait", *v);
        if (!d.ok()) return d.status();
        if (*d <= absl::ZeroDuration()) return Usage("--wait must be positive");
        inv.verify_wait = *d;
      }
      break;
    }
  }
  // After the command's own flags, so their mistakes are reported first.
  if (absl::Status s = ParseOptions(raw, get_env, &inv.options); !s.ok()) {
    return s;
  }
  return inv;
}

void PrintError(std::ostream& err, const absl::Status& status) {
  // One line whatever the message holds.
  err << "tokenctl: " << absl::StatusCodeToString(status.code()) << ": "
      << absl::StrReplaceAll(status.message(), {{"\r", " "}, {"\n", " "}}) << "\n";
}

// Prints message as one line of JSON; false (after reporting) on failure.
bool PrintJson(const google::protobuf::Message& message, bool all_fields, std::ostream& out,
               std::ostream& err) {
  google::protobuf::util::JsonPrintOptions options;
  options.preserve_proto_field_names = true;  // lower_snake_case, as api.md
  options.always_print_primitive_fields = all_fields;
  std::string json;
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) {
    PrintError(err, absl::InternalError("cannot print the response as JSON"));
    return false;
  }
  out << json << "\n";
  return true;
}

template <typename Response>
int Finish(const absl::StatusOr<Response>& response, bool all_fields, std::ostream& out,
           std::ostream& err) {
  if (!response.ok()) {
    PrintError(err, response.status());
    return kExitError;
  }
  return PrintJson(*response, all_fields, out, err) ? kExitOk : kExitError;
}

// Streams WatchRevocations until --for passes (exit 0) or the stream ends
// (its error; a stream cannot end OK on its own).
int Watch(TokenClient& client, const TokenctlInvocation& inv, std::ostream& out,
          std::ostream& err) {
  auto stub = v1::TokenService::NewStub(std::shared_ptr<grpc::ChannelInterface>(
      std::shared_ptr<grpc::ChannelInterface>(), client.channel()));
  grpc::ClientContext context;
  if (inv.watch_for.has_value()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + *inv.watch_for));
  }
  std::unique_ptr<grpc::ClientReader<v1::WatchRevocationsResponse>> reader =
      stub->WatchRevocations(&context, inv.watch);
  v1::WatchRevocationsResponse message;
  while (reader->Read(&message)) {
    if (!PrintJson(message, false, out, err)) {
      context.TryCancel();
      reader->Finish();
      return kExitError;
    }
    out.flush();  // a line as soon as it arrives: this output is read live
  }
  grpc::Status status = reader->Finish();
  if (inv.watch_for.has_value() && status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    return kExitOk;
  }
  PrintError(err, FromGrpcStatus(status));
  return kExitError;
}

// The iss a token claims, unverified ("" when it cannot be read): the
// verifier checks the signature with tokend's own keys, which sign only
// tokens with tokend's issuer, so expecting the token's own iss only skips a
// check those keys make anyway.
std::string ClaimedIssuer(absl::string_view token) {
  const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
  std::string payload;
  if (parts.size() != 3 || !absl::WebSafeBase64Unescape(parts[1], &payload)) return "";
  google::protobuf::Struct claims;
  if (!google::protobuf::util::JsonStringToMessage(payload, &claims).ok()) return "";
  auto iss = claims.fields().find("iss");
  return iss == claims.fields().end() ? "" : iss->second.string_value();
}

// Verifies a token with the Verifier library, as a service would.
int VerifyLocally(TokenClient& client, const TokenctlInvocation& inv, std::ostream& out,
                  std::ostream& err) {
  VerifierOptions options;
  options.issuer = inv.verify_issuer.empty() ? ClaimedIssuer(inv.verify_token) : inv.verify_issuer;
  if (options.issuer.empty()) {
    // No issuer to expect: the token is malformed, which is an answer.
    out << R"({"active":false,"result":"inactive","reason":"token: no readable iss"})"
        << "\n";
    return kExitOk;
  }
  options.audiences = inv.verify_audiences;
  options.rpc_timeout = inv.options.timeout;
  absl::StatusOr<std::unique_ptr<Verifier>> verifier = Verifier::New(client, options);
  if (!verifier.ok()) {
    PrintError(err, verifier.status());
    return kExitError;
  }
  (*verifier)->WaitUntilCurrent(inv.verify_wait);
  const Verification v = (*verifier)->Verify(inv.verify_token);
  std::string json;
  if (v.active()) {
    google::protobuf::util::JsonPrintOptions print;
    print.preserve_proto_field_names = true;
    if (!google::protobuf::util::MessageToJsonString(v.ToIntrospectResponse(), &json, print).ok()) {
      PrintError(err, absl::InternalError("cannot print the claims as JSON"));
      return kExitError;
    }
    // {"active":true,...} -> {"result":"active","active":true,...}
    json.insert(1, R"("result":"active",)");
  } else {
    google::protobuf::Value reason;
    reason.set_string_value(v.reason);
    std::string reason_json;
    (void)google::protobuf::util::MessageToJsonString(reason, &reason_json);
    json = absl::StrCat(R"({"active":false,"result":")", OutcomeName(v.outcome), R"(","reason":)",
                        reason_json, "}");
  }
  out << json << "\n";
  if (v.outcome == Verification::Outcome::kUnknown) {
    PrintError(err, absl::UnavailableError(absl::StrCat("verify: ", v.reason)));
    return kExitError;
  }
  return kExitOk;
}

}  // namespace

absl::StatusOr<TokenctlInvocation> ParseTokenctlArgs(const std::vector<std::string>& args,
                                                     const GetEnvFunction& get_env,
                                                     std::istream& in) {
  absl::StatusOr<RawArgs> raw = Tokenize(args);
  if (!raw.ok()) return raw.status();
  return Parse(*raw, get_env, in);
}

int RunTokenctl(const std::vector<std::string>& args, const GetEnvFunction& get_env,
                std::istream& in, std::ostream& out, std::ostream& err) {
  absl::StatusOr<TokenctlInvocation> inv = ParseTokenctlArgs(args, get_env, in);
  if (!inv.ok()) {
    PrintError(err, absl::InvalidArgumentError(
                        absl::StrCat(inv.status().message(), " (see tokenctl --help)")));
    return kExitUsage;
  }
  if (inv->command == Command::kHelp) {
    out << kTokenctlUsage;
    return kExitOk;
  }
  absl::StatusOr<std::unique_ptr<TokenClient>> client = TokenClient::New(inv->options);
  if (!client.ok()) {
    PrintError(err, client.status());
    return kExitError;
  }
  TokenClient& c = **client;
  switch (inv->command) {
    case Command::kHelp:
      break;
    case Command::kIssue:
      return Finish(c.Issue(inv->issue), false, out, err);
    case Command::kRefresh:
      return Finish(c.Refresh(inv->refresh), false, out, err);
    case Command::kIntrospect: {
      absl::StatusOr<v1::IntrospectResponse> seen = c.Introspect(inv->introspect);
      // An inactive token has nothing but "active": false, which the JSON
      // printer would omit as a default; an active one prints what it carries.
      if (seen.ok() && !seen->active()) {
        out << R"({"active":false})"
            << "\n";
        return kExitOk;
      }
      return Finish(seen, false, out, err);
    }
    case Command::kRevoke:
      return Finish(c.Revoke(inv->revoke), false, out, err);
    case Command::kJwks: {
      absl::StatusOr<v1::GetJwksResponse> jwks = c.GetJwks(v1::GetJwksRequest());
      if (!jwks.ok()) {
        PrintError(err, jwks.status());
        return kExitError;
      }
      out << jwks->jwks_json() << "\n";
      return kExitOk;
    }
    case Command::kHealth: {
      absl::StatusOr<ServingStatus> health = c.CheckHealth(inv->health_service);
      if (!health.ok()) {
        PrintError(err, health.status());
        return kExitError;
      }
      out << "{\"status\":\"" << ServingStatusName(*health) << "\"}\n";
      if (*health == ServingStatus::kServing) return kExitOk;
      PrintError(err, absl::UnavailableError(absl::StrCat("health: ", ServingStatusName(*health))));
      return kExitError;
    }
    case Command::kWatch:
      return Watch(c, *inv, out, err);
    case Command::kVerify:
      return VerifyLocally(c, *inv, out, err);
  }
  return kExitOk;
}

}  // namespace tokend::client
