#include "tests/integration/api/api_test_util.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"

namespace tokend::testing {
namespace {

std::unique_ptr<TokendTestBed>& BedSlot() {
  static auto* bed = new std::unique_ptr<TokendTestBed>();
  return *bed;
}
std::unique_ptr<TokendServer>& ServerSlot() {
  static auto* server = new std::unique_ptr<TokendServer>();
  return *server;
}
std::unique_ptr<client::TokenClient>& CallerSlot() {
  static auto* caller = new std::unique_ptr<client::TokenClient>();
  return *caller;
}

// Starts the bed and the default server once PostgreSQL runs.
class ApiEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<TokendTestBed>> bed =
        TokendTestBed::New(PostgresEnvironment::cluster(), "tokend_api");
    ASSERT_TRUE(bed.ok()) << bed.status();
    BedSlot() = *std::move(bed);
    absl::StatusOr<std::unique_ptr<TokendServer>> server = BedSlot()->StartServer();
    ASSERT_TRUE(server.ok()) << server.status();
    ServerSlot() = *std::move(server);
    absl::StatusOr<std::unique_ptr<client::TokenClient>> caller =
        BedSlot()->Client(*ServerSlot(), BedSlot()->pki().client_uri(), absl::Seconds(10));
    ASSERT_TRUE(caller.ok()) << caller.status();
    CallerSlot() = *std::move(caller);
  }
  void TearDown() override {
    CallerSlot().reset();
    if (ServerSlot() != nullptr && ServerSlot()->running()) {
      // A clean stop must work after everything the tests did.
      absl::StatusOr<int> code = ServerSlot()->Terminate(absl::Seconds(30));
      EXPECT_TRUE(code.ok() && *code == 0)
          << "tokend did not stop cleanly: " << (code.ok() ? absl::StrCat(*code) : "") << "\n"
          << ServerSlot()->log();
    }
    ServerSlot().reset();
    BedSlot().reset();
  }
};

// Registered in this order so that tokend stops before PostgreSQL does.
const auto* const kPostgres = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment);
const auto* const kApi = ::testing::AddGlobalTestEnvironment(new ApiEnvironment);

// P-256's group order n, for the high-S twin.
constexpr char kP256Order[] = "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551";

}  // namespace

PostgresCluster& Cluster() { return PostgresEnvironment::cluster(); }

TokendTestBed& Bed() {
  if (BedSlot() == nullptr) {
    std::fprintf(stderr, "the API test environment did not start\n");
    std::abort();
  }
  return *BedSlot();
}

TokendServer& Server() {
  if (ServerSlot() == nullptr) {
    std::fprintf(stderr, "the API test environment did not start\n");
    std::abort();
  }
  return *ServerSlot();
}

client::TokenClient& Caller() {
  if (CallerSlot() == nullptr) std::abort();
  return *CallerSlot();
}

std::unique_ptr<client::TokenClient> ClientFor(const TokendServer& server,
                                               const test::CertFiles& cert,
                                               absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<client::TokenClient>> c = Bed().Client(server, cert, timeout);
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? *std::move(c) : nullptr;
}

std::unique_ptr<client::TokenClient> ClientFor(const test::CertFiles& cert,
                                               absl::Duration timeout) {
  return ClientFor(Server(), cert, timeout);
}

std::shared_ptr<grpc::ChannelCredentials> SslCredentialsFor(const test::CertFiles* cert) {
  auto read = [](const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
  };
  grpc::SslCredentialsOptions options;
  options.pem_root_certs = read(Bed().pki().ca_file());
  if (cert != nullptr) {
    options.pem_cert_chain = read(cert->cert_file);
    options.pem_private_key = read(cert->key_file);
  }
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> ChannelFor(const test::CertFiles& cert) {
  return grpc::CreateChannel(Server().target(), SslCredentialsFor(&cert));
}

std::string Unique(absl::string_view prefix) {
  static std::atomic<int> counter{0};
  return absl::StrCat(prefix, "-", ++counter, "-", absl::ToUnixMicros(absl::Now()) % 1000000);
}

v1::IssueRequest IssueRequest(std::vector<std::string> audience, std::vector<std::string> scopes,
                              bool include_refresh_token, absl::string_view subject) {
  v1::IssueRequest r;
  for (std::string& a : audience) r.add_audience(std::move(a));
  for (std::string& s : scopes) r.add_scopes(std::move(s));
  r.set_include_refresh_token(include_refresh_token);
  r.set_subject(std::string(subject));
  return r;
}

v1::IntrospectRequest IntrospectRequest(absl::string_view token, v1::TokenType hint) {
  v1::IntrospectRequest r;
  r.set_token(std::string(token));
  r.set_token_type_hint(hint);
  return r;
}

v1::RefreshRequest RefreshRequest(absl::string_view refresh_token,
                                  std::vector<std::string> scopes) {
  v1::RefreshRequest r;
  r.set_refresh_token(std::string(refresh_token));
  for (std::string& s : scopes) r.add_scopes(std::move(s));
  return r;
}

v1::RevokeRequest RevokeTokenRequest(absl::string_view token) {
  v1::RevokeRequest r;
  r.set_token(std::string(token));
  return r;
}

v1::RevokeRequest RevokeSubjectRequest(absl::string_view subject) {
  v1::RevokeRequest r;
  r.set_subject(std::string(subject));
  return r;
}

v1::IntrospectResponse Introspect(client::TokenClient& client, absl::string_view token) {
  absl::StatusOr<v1::IntrospectResponse> r = client.Introspect(IntrospectRequest(token));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : v1::IntrospectResponse();
}

bool IsActive(client::TokenClient& client, absl::string_view token) {
  return Introspect(client, token).active();
}

bool WaitUntilActiveIs(client::TokenClient& client, absl::string_view token, bool active,
                       absl::Duration timeout) {
  const absl::Time give_up = absl::Now() + timeout;
  while (true) {
    absl::StatusOr<v1::IntrospectResponse> r = client.Introspect(IntrospectRequest(token));
    if (r.ok() && r->active() == active) return active;
    if (absl::Now() >= give_up) return r.ok() ? r->active() : !active;
    absl::SleepFor(absl::Milliseconds(20));
  }
}

::testing::AssertionResult IsBareInactive(const v1::IntrospectResponse& response) {
  if (response.active()) return ::testing::AssertionFailure() << "active: true";
  if (response.ByteSizeLong() != 0) {
    return ::testing::AssertionFailure()
           << "inactive answer carries fields: " << response.ShortDebugString();
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult IntrospectsBareInactive(client::TokenClient& client,
                                                   absl::string_view token) {
  absl::StatusOr<v1::IntrospectResponse> r = client.Introspect(IntrospectRequest(token));
  if (!r.ok()) return ::testing::AssertionFailure() << "Introspect failed: " << r.status();
  return IsBareInactive(*r);
}

::testing::AssertionResult HasCode(const absl::Status& status, absl::StatusCode code,
                                   absl::string_view field) {
  if (status.code() != code) {
    return ::testing::AssertionFailure()
           << "expected " << absl::StatusCodeToString(code) << ", got " << status;
  }
  if (!field.empty() && !absl::StrContains(status.message(), field)) {
    return ::testing::AssertionFailure() << "message does not name \"" << field << "\": " << status;
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult NotInternal(const absl::Status& status) {
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    return ::testing::AssertionFailure() << "caller provoked " << status;
  }
  return ::testing::AssertionSuccess();
}

// ---- JOSE ----

std::string B64UrlEncode(absl::string_view bytes) { return absl::WebSafeBase64Escape(bytes); }

absl::StatusOr<std::string> B64UrlDecode(absl::string_view text) {
  for (char c : text) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return absl::InvalidArgumentError("not unpadded base64url");
  }
  std::string out;
  if (!absl::WebSafeBase64Unescape(text, &out)) {
    return absl::InvalidArgumentError("not base64url");
  }
  return out;
}

absl::StatusOr<DecodedJws> DecodeJws(absl::string_view token) {
  std::vector<std::string> parts = absl::StrSplit(token, '.');
  if (parts.size() != 3) return absl::InvalidArgumentError("not three segments");
  DecodedJws out;
  out.header_b64 = parts[0];
  out.payload_b64 = parts[1];
  out.signature_b64 = parts[2];
  absl::StatusOr<std::string> header = B64UrlDecode(parts[0]);
  absl::StatusOr<std::string> payload = B64UrlDecode(parts[1]);
  absl::StatusOr<std::string> signature = B64UrlDecode(parts[2]);
  if (!header.ok() || !payload.ok() || !signature.ok()) {
    return absl::InvalidArgumentError("segment not base64url");
  }
  out.header = Json::parse(*header, nullptr, /*allow_exceptions=*/false);
  out.payload = Json::parse(*payload, nullptr, /*allow_exceptions=*/false);
  if (out.header.is_discarded() || out.payload.is_discarded()) {
    return absl::InvalidArgumentError("segment not JSON");
  }
  out.signature = *signature;
  return out;
}

std::string Compact(absl::string_view header_text, absl::string_view payload_text,
                    absl::string_view signature) {
  return absl::StrCat(B64UrlEncode(header_text), ".", B64UrlEncode(payload_text), ".",
                      B64UrlEncode(signature));
}

EvpPkey LoadPrivateKey(const std::string& pem_file) {
  FILE* f = std::fopen(pem_file.c_str(), "rb");
  if (f == nullptr) return nullptr;
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, nullptr, nullptr);
  std::fclose(f);
  return EvpPkey(key);
}

EvpPkey NewEcKey(const char* curve) {
  return EvpPkey(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", curve));
}

absl::StatusOr<EvpPkey> P256PublicKeyFromJwk(const Json& jwk) {
  if (!jwk.contains("x") || !jwk.contains("y") || !jwk["x"].is_string() || !jwk["y"].is_string()) {
    return absl::InvalidArgumentError("jwk: no x/y");
  }
  absl::StatusOr<std::string> x = B64UrlDecode(jwk["x"].get<std::string>());
  absl::StatusOr<std::string> y = B64UrlDecode(jwk["y"].get<std::string>());
  if (!x.ok() || !y.ok() || x->size() != 32 || y->size() != 32) {
    return absl::InvalidArgumentError("jwk: x/y are not 32-byte base64url");
  }
  std::string point = absl::StrCat(std::string(1, '\x04'), *x, *y);
  char group[] = "P-256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
      OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
      OSSL_PARAM_construct_end()};
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return absl::InvalidArgumentError("jwk: not a P-256 point");
  return EvpPkey(key);
}

std::string EcdsaSign(EVP_PKEY* key, absl::string_view input, const EVP_MD* digest,
                      int coordinate_bytes) {
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  size_t der_len = 0;
  std::string der;
  bool ok = EVP_DigestSignInit(ctx, nullptr, digest, nullptr, key) == 1 &&
            EVP_DigestSign(ctx, nullptr, &der_len,
                           reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  if (ok) {
    der.resize(der_len);
    ok = EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(der.data()), &der_len,
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
    der.resize(der_len);
  }
  EVP_MD_CTX_free(ctx);
  if (!ok) return "";
  const unsigned char* p = reinterpret_cast<const unsigned char*>(der.data());
  ECDSA_SIG* sig = d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size()));
  if (sig == nullptr) return "";
  std::string raw(static_cast<size_t>(2 * coordinate_bytes), '\0');
  const BIGNUM* r = ECDSA_SIG_get0_r(sig);
  const BIGNUM* s = ECDSA_SIG_get0_s(sig);
  BN_bn2binpad(r, reinterpret_cast<unsigned char*>(raw.data()), coordinate_bytes);
  BN_bn2binpad(s, reinterpret_cast<unsigned char*>(raw.data()) + coordinate_bytes,
               coordinate_bytes);
  ECDSA_SIG_free(sig);
  return raw;
}

bool VerifyEs256(EVP_PKEY* public_key, absl::string_view input, absl::string_view raw_sig) {
  if (raw_sig.size() != 64) return false;
  ECDSA_SIG* sig = ECDSA_SIG_new();
  BIGNUM* r = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_sig.data()), 32, nullptr);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_sig.data()) + 32, 32, nullptr);
  ECDSA_SIG_set0(sig, r, s);
  unsigned char* der = nullptr;
  int der_len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (der_len <= 0) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok =
      EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, public_key) == 1 &&
      EVP_DigestVerify(ctx, der, static_cast<size_t>(der_len),
                       reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  OPENSSL_free(der);
  return ok;
}

namespace {

EvpPkey KeyFromParams(const char* type, OSSL_PARAM* params) {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr);
  EVP_PKEY* key = nullptr;
  bool ok = ctx != nullptr && EVP_PKEY_fromdata_init(ctx) == 1 &&
            EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
  EVP_PKEY_CTX_free(ctx);
  return ok ? EvpPkey(key) : nullptr;
}

std::string Member(const Json& jwk, const char* name) {
  if (!jwk.contains(name) || !jwk[name].is_string()) return "";
  absl::StatusOr<std::string> bytes = B64UrlDecode(jwk[name].get<std::string>());
  return bytes.ok() ? *bytes : "";
}

// A raw r||s signature as DER, for OpenSSL.
std::string RawToDer(absl::string_view raw) {
  const int half = static_cast<int>(raw.size() / 2);
  ECDSA_SIG* sig = ECDSA_SIG_new();
  ECDSA_SIG_set0(
      sig, BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()), half, nullptr),
      BN_bin2bn(reinterpret_cast<const unsigned char*>(raw.data()) + half, half, nullptr));
  unsigned char* der = nullptr;
  int len = i2d_ECDSA_SIG(sig, &der);
  ECDSA_SIG_free(sig);
  if (len <= 0) return "";
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(len));
  OPENSSL_free(der);
  return out;
}

}  // namespace

bool VerifyWithJwk(const Json& jwk, absl::string_view input, absl::string_view signature) {
  const std::string alg = jwk.value("alg", "");
  EvpPkey key;
  const EVP_MD* digest = nullptr;
  std::string sig(signature);
  if (alg == "ES256" || alg == "ES384") {
    const bool p256 = alg == "ES256";
    const std::string x = Member(jwk, "x"), y = Member(jwk, "y");
    const size_t size = p256 ? 32 : 48;
    if (x.size() != size || y.size() != size || sig.size() != 2 * size) return false;
    std::string point = absl::StrCat(std::string(1, '\x04'), x, y);
    char group[] = "P-384";
    if (p256) std::strcpy(group, "P-256");
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, group, 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()),
        OSSL_PARAM_construct_end()};
    key = KeyFromParams("EC", params);
    digest = p256 ? EVP_sha256() : EVP_sha384();
    sig = RawToDer(sig);
  } else if (alg == "EdDSA") {
    const std::string x = Member(jwk, "x");
    key = EvpPkey(EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(x.data()), x.size()));
  } else if (alg == "RS256" || alg == "PS256") {
    const std::string n = Member(jwk, "n"), e = Member(jwk, "e");
    BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n.data()),
                             static_cast<int>(n.size()), nullptr);
    BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e.data()),
                             static_cast<int>(e.size()), nullptr);
    OSSL_PARAM_BLD* bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn_n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, bn_e);
    OSSL_PARAM* params = OSSL_PARAM_BLD_to_param(bld);
    key = KeyFromParams("RSA", params);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn_n);
    BN_free(bn_e);
    digest = EVP_sha256();
  } else {
    return false;
  }
  if (key == nullptr || sig.empty()) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  EVP_PKEY_CTX* pctx = nullptr;
  bool ok = EVP_DigestVerifyInit(ctx, &pctx, digest, nullptr, key.get()) == 1;
  if (ok && alg == "PS256") {
    ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1;
  }
  ok = ok &&
       EVP_DigestVerify(ctx, reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                        reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
  EVP_MD_CTX_free(ctx);
  return ok;
}

std::string JwkThumbprint(const Json& jwk) {
  const std::string kty = jwk.value("kty", "");
  Json members;
  if (kty == "EC") {
    members = {{"crv", jwk["crv"]}, {"kty", "EC"}, {"x", jwk["x"]}, {"y", jwk["y"]}};
  } else if (kty == "OKP") {
    members = {{"crv", jwk["crv"]}, {"kty", "OKP"}, {"x", jwk["x"]}};
  } else if (kty == "RSA") {
    members = {{"e", jwk["e"]}, {"kty", "RSA"}, {"n", jwk["n"]}};
  }
  // nlohmann's object keeps members sorted, which is RFC 7638's order.
  return B64UrlEncode(Sha256(members.dump()));
}

std::string HighSTwin(absl::string_view raw_sig) {
  BIGNUM* n = nullptr;
  BN_hex2bn(&n, kP256Order);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(raw_sig.data()) + 32, 32, nullptr);
  BIGNUM* twin = BN_new();
  BN_sub(twin, n, s);
  std::string out(raw_sig.substr(0, 32));
  out.resize(64);
  BN_bn2binpad(twin, reinterpret_cast<unsigned char*>(out.data()) + 32, 32);
  BN_free(n);
  BN_free(s);
  BN_free(twin);
  return out;
}

std::string HmacSha256(absl::string_view key, absl::string_view input) {
  unsigned char out[32];
  size_t out_len = 0;
  EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(),
            reinterpret_cast<const unsigned char*>(input.data()), input.size(), out, sizeof(out),
            &out_len);
  return std::string(reinterpret_cast<char*>(out), out_len);
}

std::string Sha256(absl::string_view bytes) {
  unsigned char out[32];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), out, &len, EVP_sha256(), nullptr);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string ServerKid() {
  static const std::string* kid = [] {
    absl::StatusOr<v1::GetJwksResponse> jwks = Caller().GetJwks(v1::GetJwksRequest());
    std::string out;
    if (jwks.ok()) {
      Json set = Json::parse(jwks->jwks_json(), nullptr, false);
      if (set.is_object() && set.contains("keys") && set["keys"].is_array() &&
          !set["keys"].empty()) {
        out = set["keys"][0].value("kid", "");
      }
    }
    return new std::string(out);
  }();
  return *kid;
}

std::string MintWithServerKey(const Json& header, const Json& payload) {
  static EVP_PKEY* key = LoadPrivateKey(Bed().signing_key_file()).release();
  const std::string h = header.dump();
  const std::string p = payload.dump();
  const std::string input = absl::StrCat(B64UrlEncode(h), ".", B64UrlEncode(p));
  return absl::StrCat(input, ".", B64UrlEncode(EcdsaSign(key, input, EVP_sha256(), 32)));
}

Json StandardHeader() { return Json{{"alg", "ES256"}, {"typ", "at+jwt"}, {"kid", ServerKid()}}; }

Json StandardPayload() {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return Json{{"iss", kTestIssuer},
              {"sub", Unique("forged-sub")},
              {"aud", "api://orders"},
              {"exp", now + 600},
              {"iat", now},
              {"nbf", now},
              {"jti", B64UrlEncode(Sha256(Unique("jti")).substr(0, 16))},
              {"client_id", test::kClientUri}};
}

}  // namespace tokend::testing
