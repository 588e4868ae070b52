// Writes the seeds of corpus/jwt_decode, corpus/jwt_payload and
// corpus/rpc_request that only tokend's own code can make: access tokens
// signed with each key of the fuzz ring, their payloads, and request message
// sequences in rpc_request_fuzzer's format. Usage: make_fuzz_seeds <corpus dir>.
// The output is committed; run it again only when a format changes.

#include <cstdio>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "crypto/base64url.h"
#include "fuzz/fuzz_support.h"
#include "jwt/jwt.h"
#include "tokend/v1/token_service.pb.h"

namespace {

using tokend::fuzz::Fail;

void Write(const std::string& dir, const std::string& name, absl::string_view bytes) {
  std::ofstream out(absl::StrCat(dir, "/", name), std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out) Fail(absl::StrCat("cannot write ", dir, "/", name));
}

std::vector<std::pair<std::string, tokend::jwt::Claims>> SampleClaims() {
  const absl::Time iat = absl::FromUnixSeconds(1767225600);
  tokend::jwt::Claims plain{.issuer = "https://tokend.test",
                            .subject = "alice",
                            .audience = {"api://orders"},
                            .issued_at = iat,
                            .not_before = iat,
                            .expires_at = iat + absl::Minutes(15),
                            .token_id = "jti-0001",
                            .client_id = "spiffe://test/login",
                            .scopes = {"orders:read", "orders:write"}};
  tokend::jwt::Claims full = plain;
  full.audience = {"api://orders", "api://billing"};
  full.session_id = "family-0001";
  full.custom_claims_json = R"({"nested":{"iss":"x","list":[1,2.5,true,null]},"tenant":"é"})";
  tokend::jwt::Claims bare = plain;
  bare.scopes.clear();
  return {{"plain", plain}, {"full", full}, {"bare", bare}};
}

std::string Record(uint8_t selector, const google::protobuf::MessageLite& message) {
  const std::string bytes = message.SerializeAsString();
  return absl::StrCat(std::string(1, static_cast<char>(selector)),
                      std::string(1, static_cast<char>(bytes.size() & 0xff)),
                      std::string(1, static_cast<char>(bytes.size() >> 8)), bytes);
}

void WriteRequestSeeds(const std::string& dir) {
  // Selectors: rpc | caller << 2 | 0x80 to move the clock 20 minutes.
  constexpr uint8_t kIssue = 0, kRefresh = 1, kIntrospect = 2, kRevoke = 3;
  constexpr uint8_t kLogin = 0 << 2, kOrders = 1 << 2, kReader = 2 << 2, kLater = 0x80;

  tokend::v1::IssueRequest issue;
  issue.set_subject("alice");
  issue.add_audience("api://orders");
  issue.add_scopes("orders:read");
  issue.set_include_refresh_token(true);
  issue.mutable_ttl()->set_seconds(600);
  (*issue.mutable_claims()->mutable_fields())["tenant"].set_string_value("acme");
  (*issue.mutable_claims()->mutable_fields())["level"].set_number_value(3);
  tokend::v1::IssueRequest own;
  own.add_audience("api://billing");
  own.add_scopes("orders:write");

  tokend::v1::RefreshRequest refresh;
  refresh.set_refresh_token("#1");  // the refresh token of the first Issue
  tokend::v1::RefreshRequest narrower = refresh;
  narrower.add_scopes("orders:read");
  tokend::v1::IntrospectRequest access;
  access.set_token("#0");
  tokend::v1::IntrospectRequest refresh_token;
  refresh_token.set_token("#1");
  refresh_token.set_token_type_hint(tokend::v1::TOKEN_TYPE_REFRESH_TOKEN);
  tokend::v1::RevokeRequest revoke_token;
  revoke_token.set_token("#1");
  tokend::v1::RevokeRequest revoke_subject;
  revoke_subject.set_subject("alice");

  Write(dir, "issue_refresh_introspect",
        Record(kIssue | kLogin, issue) + Record(kRefresh | kLogin, refresh) +
            Record(kIntrospect | kReader, access) + Record(kIntrospect | kOrders, refresh_token));
  Write(dir, "refresh_twice_is_reuse",
        Record(kIssue | kLogin, issue) + Record(kRefresh | kLogin, narrower) +
            Record(kRefresh | kLogin | kLater, refresh) + Record(kIntrospect | kReader, access));
  Write(dir, "revoke_then_introspect",
        Record(kIssue | kOrders, own) + Record(kIssue | kLogin, issue) +
            Record(kRevoke | kLogin, revoke_token) + Record(kRevoke | kLogin, revoke_subject) +
            Record(kIntrospect | kReader, access) + Record(kIntrospect | kLogin, refresh_token));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) Fail("usage: make_fuzz_seeds <corpus dir>");
  const std::string corpus = argv[1];
  const tokend::keys::KeyRing& ring = tokend::fuzz::KeyRing();
  for (const auto& [name, claims] : SampleClaims()) {
    for (const tokend::keys::Key& key : ring.keys()) {
      absl::StatusOr<std::string> token = tokend::jwt::Sign(claims, key);
      if (!token.ok()) Fail(token.status().ToString());
      Write(corpus + "/jwt_decode", absl::StrCat(key.kid, "_", name), *token);
      if (key.kid == ring.primary().kid) {
        // The payload segment, and the same token as a "sign here" input.
        const std::string payload_segment = token->substr(token->find('.') + 1);
        std::string payload;
        if (!tokend::crypto::Base64UrlDecode(payload_segment.substr(0, payload_segment.find('.')),
                                             &payload)) {
          Fail("a payload of our own does not decode");
        }
        Write(corpus + "/jwt_payload", name, payload);
        Write(corpus + "/jwt_decode", absl::StrCat("signed_here_", name),
              absl::StrCat(R"({"alg":"ES256","typ":"at+jwt","kid":"es256"})", "\n", payload));
      }
    }
  }
  WriteRequestSeeds(corpus + "/rpc_request");
  return 0;
}
