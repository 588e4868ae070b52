#ifndef TOKEND_TESTS_INTEGRATION_API_API_TEST_UTIL_H_
#define TOKEND_TESTS_INTEGRATION_API_API_TEST_UTIL_H_

// Shared by the API integration tests: one private PostgreSQL cluster and one
// running tokend per test binary, request builders, and an independent JOSE
// toolkit on OpenSSL (never tokend's own jwt library) to read, verify and
// forge tokens.

#include <grpcpp/grpcpp.h>
#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "client/token_client.h"
#include "gtest/gtest.h"
#include "tests/support/postgres_cluster.h"
#include "tests/support/tokend_server/tokend_server.h"
#include "tokend/v1/token_service.pb.h"

namespace tokend::testing {

namespace v1 = ::tokend::v1;
using Json = nlohmann::json;

// The binary's PostgreSQL cluster, test bed (PKI, key, migrated database
// "tokend_api") and default tokend (standard policy). Set up once by a gtest
// Environment registered in api_test_util.cc; torn down in reverse order.
PostgresCluster& Cluster();
TokendTestBed& Bed();
TokendServer& Server();

// A client of Server() presenting `cert` (default: the all-powerful URI
// caller). Fails the current test (and returns nullptr) when it cannot be made.
std::unique_ptr<client::TokenClient> ClientFor(const test::CertFiles& cert,
                                               absl::Duration timeout = absl::Seconds(10));
std::unique_ptr<client::TokenClient> ClientFor(const TokendServer& server,
                                               const test::CertFiles& cert,
                                               absl::Duration timeout = absl::Seconds(10));
client::TokenClient& Caller();  // a shared ClientFor(Bed().pki().client_uri())

// gRPC channel credentials for mutual TLS trusting the bed's CA and
// presenting `cert` (none when nullptr), for tests below TokenClient.
std::shared_ptr<grpc::ChannelCredentials> SslCredentialsFor(const test::CertFiles* cert);
// A channel to Server() with those credentials.
std::shared_ptr<grpc::Channel> ChannelFor(const test::CertFiles& cert);

// A name no other call in this process returned ("<prefix>-<n>").
std::string Unique(absl::string_view prefix);

// Requests.
v1::IssueRequest IssueRequest(std::vector<std::string> audience,
                              std::vector<std::string> scopes = {},
                              bool include_refresh_token = false, absl::string_view subject = "");
v1::IntrospectRequest IntrospectRequest(absl::string_view token,
                                        v1::TokenType hint = v1::TOKEN_TYPE_UNSPECIFIED);
v1::RefreshRequest RefreshRequest(absl::string_view refresh_token,
                                  std::vector<std::string> scopes = {});
v1::RevokeRequest RevokeTokenRequest(absl::string_view token);
v1::RevokeRequest RevokeSubjectRequest(absl::string_view subject);

// Introspects `token` through `client`; fails the test on a non-OK status and
// answers an inactive response then.
v1::IntrospectResponse Introspect(client::TokenClient& client, absl::string_view token);
// Whether Introspect says active (and the test has not failed).
bool IsActive(client::TokenClient& client, absl::string_view token);
// Polls until IsActive(token) == `active` or `timeout` passes; returns the
// last answer's activity.
bool WaitUntilActiveIs(client::TokenClient& client, absl::string_view token, bool active,
                       absl::Duration timeout);

// An inactive answer: active false and no other field set.
::testing::AssertionResult IsBareInactive(const v1::IntrospectResponse& response);
// OK-status answer that is bare inactive.
::testing::AssertionResult IntrospectsBareInactive(client::TokenClient& client,
                                                   absl::string_view token);
// `status` has `code`, and its message contains `field` when given.
::testing::AssertionResult HasCode(const absl::Status& status, absl::StatusCode code,
                                   absl::string_view field = "");
// Not INTERNAL or UNKNOWN (what no caller may ever provoke).
::testing::AssertionResult NotInternal(const absl::Status& status);

// ---- JOSE on OpenSSL, independent of tokend's code ----

struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkey = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

std::string B64UrlEncode(absl::string_view bytes);
// Unpadded base64url only; nullopt-like failure as an error status.
absl::StatusOr<std::string> B64UrlDecode(absl::string_view text);

// The three segments of a compact JWS, decoded; errors for anything else.
struct DecodedJws {
  std::string header_b64, payload_b64, signature_b64;
  Json header, payload;
  std::string signature;  // raw bytes
  std::string SigningInput() const { return header_b64 + "." + payload_b64; }
};
absl::StatusOr<DecodedJws> DecodeJws(absl::string_view token);

// A compact JWS of `header_text` and `payload_text` (exact bytes) with
// `signature` (raw bytes).
std::string Compact(absl::string_view header_text, absl::string_view payload_text,
                    absl::string_view signature);

// The private key in a PEM file; a fresh P-256 / P-384 key.
EvpPkey LoadPrivateKey(const std::string& pem_file);
EvpPkey NewEcKey(const char* curve);  // "P-256" or "P-384"
// A P-256 public key from a JWK's base64url x and y.
absl::StatusOr<EvpPkey> P256PublicKeyFromJwk(const Json& jwk);

// ECDSA over SHA-256 (or `digest`) with `key`, as JWS's raw r||s of
// 2*`coordinate_bytes` bytes.
std::string EcdsaSign(EVP_PKEY* key, absl::string_view input, const EVP_MD* digest,
                      int coordinate_bytes);
// Verifies a raw r||s ES256 signature with OpenSSL.
bool VerifyEs256(EVP_PKEY* public_key, absl::string_view input, absl::string_view raw_sig);
// Verifies a JWS signature with the public JWK (as GetJwks publishes it),
// for the JWK's "alg": ES256, ES384 (raw r||s), EdDSA (Ed25519), RS256 and
// PS256 (salt length 32). False for anything else.
bool VerifyWithJwk(const Json& jwk, absl::string_view input, absl::string_view signature);
// The RFC 7638 thumbprint (SHA-256, base64url) of a public JWK.
std::string JwkThumbprint(const Json& jwk);
// The other valid ES256 signature of the same message: (r, n - s).
std::string HighSTwin(absl::string_view raw_sig);
std::string HmacSha256(absl::string_view key, absl::string_view input);
// SHA-256, raw bytes.
std::string Sha256(absl::string_view bytes);

// Signs header/payload JSON with the test bed's real signing key (ES256).
std::string MintWithServerKey(const Json& header, const Json& payload);
// The kid of the bed's signing key, as GetJwks publishes it.
std::string ServerKid();
// A valid header and payload like tokend's own (typ at+jwt, iss, sub, aud,
// exp/iat/nbf around now, a fresh jti, client_id).
Json StandardHeader();
Json StandardPayload();

}  // namespace tokend::testing

#endif  // TOKEND_TESTS_INTEGRATION_API_API_TEST_UTIL_H_
