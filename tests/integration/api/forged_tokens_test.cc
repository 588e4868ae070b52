// Forged and mangled access tokens against the real tokend: every one
// introspects as a bare {active: false}. The forgeries are made here with
// plain OpenSSL, some with tokend's real signing key (the test bed wrote it),
// so that each checks exactly one rule rather than failing on the signature.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

int64_t Now() { return absl::ToUnixSeconds(absl::Now()); }

// A token like tokend's own, signed with its real key, with `edit` applied
// to the payload first.
template <typename Edit>
std::string MintEdited(Edit edit) {
  Json payload = StandardPayload();
  edit(payload);
  return MintWithServerKey(StandardHeader(), payload);
}

// Signs header and payload texts (exact bytes) with `key` (ES256).
std::string SignEs256(EVP_PKEY* key, absl::string_view header, absl::string_view payload) {
  std::string input = absl::StrCat(B64UrlEncode(header), ".", B64UrlEncode(payload));
  return absl::StrCat(input, ".", B64UrlEncode(EcdsaSign(key, input, EVP_sha256(), 32)));
}

EvpPkey& ServerKey() {
  static EvpPkey* key = new EvpPkey(LoadPrivateKey(Bed().signing_key_file()));
  return *key;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Json ServerJwk() {
  absl::StatusOr<v1::GetJwksResponse> jwks = Caller().GetJwks(v1::GetJwksRequest());
  EXPECT_TRUE(jwks.ok());
  return Json::parse(jwks->jwks_json())["keys"][0];
}

// A listening loopback socket that counts connection attempts, to prove a
// jku/x5u URL is never fetched.
class Tripwire {
 public:
  Tripwire() {
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 16);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
  }
  ~Tripwire() { close(fd_); }
  std::string Url(absl::string_view path) const {
    return absl::StrCat("http://127.0.0.1:", port_, path);
  }
  // Whether anything connected (waits a little for a slow fetcher).
  bool Tripped() const {
    pollfd pfd{fd_, POLLIN, 0};
    return poll(&pfd, 1, 300) > 0;
  }

 private:
  int fd_ = -1;
  int port_ = 0;
};

TEST(ForgedTokens, AControlTokenMintedWithTheServersKeyIsActive) {
  // Proves the forging helpers make tokens tokend accepts, so every refusal
  // below is about the one thing each test changes.
  Json payload = StandardPayload();
  v1::IntrospectResponse r = Introspect(Caller(), MintWithServerKey(StandardHeader(), payload));
  EXPECT_TRUE(r.active());
  EXPECT_EQ(r.token_id(), payload["jti"]);
  EXPECT_EQ(r.subject(), payload["sub"]);
}

TEST(ForgedTokens, ATokenSignedByAnotherKeyUnderTheSameKidIsInactive) {
  EvpPkey attacker = NewEcKey("P-256");
  ASSERT_NE(attacker, nullptr);
  std::string token = SignEs256(attacker.get(), StandardHeader().dump(), StandardPayload().dump());
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), token));
}

TEST(ForgedTokens, AlgNoneIsInactive) {
  Json header = StandardHeader();
  header["alg"] = "none";
  const std::string payload = StandardPayload().dump();
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), Compact(header.dump(), payload, "")));
  // With a signature that is valid for the ES256 header.
  std::string real = MintWithServerKey(StandardHeader(), Json::parse(payload));
  std::string signature = real.substr(real.rfind('.') + 1);
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(),
      absl::StrCat(B64UrlEncode(header.dump()), ".", B64UrlEncode(payload), ".", signature)));
  header.erase("alg");
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), Compact(header.dump(), payload, "")));
}

TEST(ForgedTokens, Hs256KeyedWithThePublicKeyIsInactive) {
  Json header = StandardHeader();
  header["alg"] = "HS256";
  const Json jwk = ServerJwk();
  absl::StatusOr<std::string> x = B64UrlDecode(jwk["x"].get<std::string>());
  absl::StatusOr<std::string> y = B64UrlDecode(jwk["y"].get<std::string>());
  ASSERT_TRUE(x.ok() && y.ok());
  const std::string pub_pem =
      ReadFile(absl::StrReplaceAll(Bed().signing_key_file(), {{".pem", ".pub.pem"}}));
  ASSERT_FALSE(pub_pem.empty());
  for (const std::string& secret :
       {pub_pem, absl::StrCat(std::string(1, '\x04'), *x, *y), absl::StrCat(*x, *y), jwk.dump()}) {
    const std::string input =
        absl::StrCat(B64UrlEncode(header.dump()), ".", B64UrlEncode(StandardPayload().dump()));
    std::string token = absl::StrCat(input, ".", B64UrlEncode(HmacSha256(secret, input)));
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), token));
  }
}

TEST(ForgedTokens, AnEs384HeaderOnTheEs256KeyIsInactive) {
  Json header = StandardHeader();
  header["alg"] = "ES384";
  const std::string input =
      absl::StrCat(B64UrlEncode(header.dump()), ".", B64UrlEncode(StandardPayload().dump()));
  // SHA-384 signed by the real P-256 key: "valid" if the header chose the hash.
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(), absl::StrCat(input, ".",
                             B64UrlEncode(EcdsaSign(ServerKey().get(), input, EVP_sha384(), 32)))));
  // A genuine ES384 signature of another key.
  EvpPkey p384 = NewEcKey("P-384");
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(),
      absl::StrCat(input, ".", B64UrlEncode(EcdsaSign(p384.get(), input, EVP_sha384(), 48)))));
  // Other algorithm names on the ES256 key, signed as ES256.
  for (const char* alg : {"RS256", "PS256", "EdDSA", "es256", "ES256K", ""}) {
    Json h = StandardHeader();
    h["alg"] = alg;
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintWithServerKey(h, StandardPayload()))) << alg;
  }
}

TEST(ForgedTokens, ACritHeaderIsInactiveEvenWithAValidSignature) {
  for (const Json& crit : {Json::array({"exp"}), Json::array({"foo"}), Json::array()}) {
    Json header = StandardHeader();
    header["crit"] = crit;
    header["foo"] = "bar";
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintWithServerKey(header, StandardPayload())))
        << crit.dump();
  }
}

TEST(ForgedTokens, JkuX5uX5cAndJwkHeadersAreIgnoredAndNeverFetched) {
  Tripwire tripwire;
  EvpPkey attacker = NewEcKey("P-256");
  // The attacker's own public key, offered in every way a header can.
  Json attacker_jwk = ServerJwk();  // shape only; x/y replaced below
  {
    unsigned char point[65];
    size_t len = 0;
    EVP_PKEY_get_octet_string_param(attacker.get(), "pub", point, sizeof(point), &len);
    attacker_jwk["x"] = B64UrlEncode(std::string(reinterpret_cast<char*>(point) + 1, 32));
    attacker_jwk["y"] = B64UrlEncode(std::string(reinterpret_cast<char*>(point) + 33, 32));
  }
  Json header = StandardHeader();
  header["jwk"] = attacker_jwk;
  header["jku"] = tripwire.Url("/jwks.json");
  header["x5u"] = tripwire.Url("/cert.pem");
  header["x5c"] = Json::array({"MIIBszCCAVmgAwIBAgIUQ"});
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(), SignEs256(attacker.get(), header.dump(), StandardPayload().dump())));
  header["kid"] = "attacker";
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(), SignEs256(attacker.get(), header.dump(), StandardPayload().dump())));

  // Signed by the real key, the same headers change nothing: still active.
  Json real_header = StandardHeader();
  real_header["jku"] = tripwire.Url("/jwks.json");
  real_header["x5u"] = tripwire.Url("/cert.pem");
  real_header["jwk"] = attacker_jwk;
  EXPECT_TRUE(IsActive(Caller(), MintWithServerKey(real_header, StandardPayload())));
  EXPECT_FALSE(tripwire.Tripped()) << "tokend fetched a URL named in a token header";
}

TEST(ForgedTokens, AnAlteredTokenIsInactive) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}));
  ASSERT_TRUE(issued.ok());
  absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
  ASSERT_TRUE(jws.ok());
  auto with_payload = [&](const Json& payload) {
    return absl::StrCat(jws->header_b64, ".", B64UrlEncode(payload.dump()), ".",
                        jws->signature_b64);
  };
  Json p = jws->payload;
  p["sub"] = "root";
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), with_payload(p)));
  p = jws->payload;
  p["scope"] = "orders:read orders:write";
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), with_payload(p)));
  p = jws->payload;
  p["exp"] = p["exp"].get<int64_t>() + 86400;
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), with_payload(p)));
  // One flipped signature bit; another token's signature.
  std::string sig = jws->signature;
  sig[10] ^= 1;
  EXPECT_TRUE(
      IntrospectsBareInactive(Caller(), absl::StrCat(jws->SigningInput(), ".", B64UrlEncode(sig))));
  absl::StatusOr<v1::IssueResponse> other = Caller().Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(other.ok());
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(), absl::StrCat(jws->SigningInput(), ".",
                             other->access_token().substr(other->access_token().rfind('.') + 1))));
  // The header's kid changed.
  Json h = jws->header;
  h["kid"] = "another-kid";
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(),
      absl::StrCat(B64UrlEncode(h.dump()), ".", jws->payload_b64, ".", jws->signature_b64)));
  h.erase("kid");
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(),
      absl::StrCat(B64UrlEncode(h.dump()), ".", jws->payload_b64, ".", jws->signature_b64)));
  // The original is untouched by all this.
  EXPECT_TRUE(IsActive(Caller(), issued->access_token()));
}

TEST(ForgedTokens, ATruncatedTokenIsInactive) {
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(issued.ok());
  const std::string& t = issued->access_token();
  const size_t last_dot = t.rfind('.');
  for (const std::string& truncated :
       {t.substr(0, t.size() - 1), t.substr(0, t.size() - 4), t.substr(0, last_dot + 1),
        t.substr(0, last_dot), t.substr(0, t.find('.')), t.substr(0, t.size() / 2), t.substr(1)}) {
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), truncated)) << truncated;
  }
}

TEST(ForgedTokens, PaddingWhitespaceOrAnotherSpellingOfTheSameBytesIsInactive) {
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(issued.ok());
  const std::string& t = issued->access_token();
  const size_t dot1 = t.find('.');
  const size_t dot2 = t.rfind('.');
  std::vector<std::string> variants = {
      " " + t,
      t + " ",
      t + "\n",
      "\t" + t,
      t.substr(0, dot1) + ". " + t.substr(dot1 + 1),
      t.substr(0, dot2) + "\r\n." + t.substr(dot2 + 1),
      t + "=",
      t + "==",
      t.substr(0, dot1) + "=" + t.substr(dot1),
      t.substr(0, dot2) + "=" + t.substr(dot2),
      "Bearer " + t,
      t + ".",
      "." + t,
      t + "." + t.substr(dot2 + 1),
  };
  // The 64-byte signature is 86 characters whose last one carries 4 unused
  // bits: setting one gives another spelling that lax decoders read the same.
  {
    std::string s = t;
    const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char& last = s.back();
    last = alphabet[alphabet.find(last) ^ 1];
    variants.push_back(s);
  }
  // The standard alphabet's '+' and '/' for '-' and '_'.
  if (t.find_first_of("-_") != std::string::npos) {
    variants.push_back(absl::StrReplaceAll(t, {{"-", "+"}, {"_", "/"}}));
  }
  for (const std::string& v : variants) {
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), v)) << absl::CHexEscape(v);
  }
  EXPECT_TRUE(IsActive(Caller(), t));
}

TEST(ForgedTokens, NonIntegerTimesAreInactive) {
  const int64_t now = Now();
  std::vector<std::string> tokens;
  for (const char* claim : {"exp", "iat", "nbf"}) {
    const int64_t value = std::string(claim) == "exp" ? now + 600 : now;
    for (const Json& odd :
         {Json(static_cast<double>(value) + 0.5), Json(static_cast<double>(value)),
          Json(std::to_string(value)), Json(nullptr), Json(true), Json::array({value}), Json(-1)}) {
      tokens.push_back(MintEdited([&](Json& p) { p[claim] = odd; }));
    }
    tokens.push_back(MintEdited([&](Json& p) { p.erase(claim); }));
  }
  // 1e10 written as an exponent: a JSON number that is not an integer literal.
  {
    Json payload = StandardPayload();
    std::string text = payload.dump();
    const std::string exp = absl::StrCat("\"exp\":", payload["exp"].get<int64_t>());
    text.replace(text.find(exp), exp.size(),
                 absl::StrCat("\"exp\":", payload["exp"].get<int64_t>() / 100, "e2"));
    const std::string input =
        absl::StrCat(B64UrlEncode(StandardHeader().dump()), ".", B64UrlEncode(text));
    tokens.push_back(absl::StrCat(
        input, ".", B64UrlEncode(EcdsaSign(ServerKey().get(), input, EVP_sha256(), 32))));
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), tokens[i])) << "case " << i;
  }
}

TEST(ForgedTokens, AWrongTypIsInactive) {
  for (const Json& typ : {Json("JWT"), Json("jwt"), Json("at+jwt+x"), Json(""), Json(1)}) {
    Json header = StandardHeader();
    header["typ"] = typ;
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintWithServerKey(header, StandardPayload())))
        << typ.dump();
  }
  Json header = StandardHeader();
  header.erase("typ");
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintWithServerKey(header, StandardPayload())));
}

TEST(ForgedTokens, AWrongOrMissingIssuerIsInactive) {
  for (const Json& iss : {Json("https://evil.example"), Json(std::string(kTestIssuer) + "/"),
                          Json(""), Json(nullptr), Json::array({kTestIssuer})}) {
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintEdited([&](Json& p) { p["iss"] = iss; })))
        << iss.dump();
  }
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintEdited([](Json& p) { p.erase("iss"); })));
}

TEST(ForgedTokens, ExpiredOrNotYetValidTokensAreInactive) {
  const int64_t now = Now();
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintEdited([&](Json& p) {
                                        p["iat"] = now - 700;
                                        p["nbf"] = now - 700;
                                        p["exp"] = now - 60;  // beyond the 5 s leeway
                                      })));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintEdited([&](Json& p) { p["nbf"] = now + 60; })));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintEdited([&](Json& p) {
                                        p["iat"] = now + 60;
                                        p["nbf"] = now + 60;
                                        p["exp"] = now + 600;
                                      })));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), MintEdited([&](Json& p) { p["exp"] = 0; })));
}

TEST(ForgedTokens, MalformedClaimsAreInactive) {
  std::vector<std::string> tokens = {
      MintEdited([](Json& p) { p["aud"] = 7; }),
      MintEdited([](Json& p) {
        p["aud"] = Json::array({"api://orders", 7});
      }),
      MintEdited([](Json& p) { p.erase("aud"); }),
      MintEdited([](Json& p) { p.erase("sub"); }),
      MintEdited([](Json& p) { p["sub"] = Json::object(); }),
      MintEdited([](Json& p) { p.erase("jti"); }),
      MintEdited([](Json& p) { p["scope"] = Json::array({"orders:read"}); }),
      MintWithServerKey(StandardHeader(), Json::array({1, 2})),
      MintWithServerKey(StandardHeader(), Json("a string")),
  };
  // Repeated member names, in the payload and in the header.
  {
    Json payload = StandardPayload();
    std::string text = payload.dump();
    text.insert(1, "\"sub\":\"root\",");
    tokens.push_back(SignEs256(ServerKey().get(), StandardHeader().dump(), text));
    std::string header = StandardHeader().dump();
    header.insert(1, "\"alg\":\"none\",");
    tokens.push_back(SignEs256(ServerKey().get(), header, payload.dump()));
  }
  // Not JSON at all, correctly signed.
  tokens.push_back(SignEs256(ServerKey().get(), StandardHeader().dump(), "{not json"));
  tokens.push_back(SignEs256(ServerKey().get(), "{not json", StandardPayload().dump()));
  for (size_t i = 0; i < tokens.size(); ++i) {
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), tokens[i])) << "case " << i;
  }
}

TEST(ForgedTokens, ATooLongTokenIsInactive) {
  // Correctly signed, but longer than any token tokend writes.
  EXPECT_TRUE(IntrospectsBareInactive(
      Caller(), MintEdited([](Json& p) { p["blob"] = std::string(20000, 'a'); })));
  EXPECT_TRUE(IntrospectsBareInactive(Caller(), std::string(40000, 'e')));
}

TEST(ForgedTokens, DeeplyNestedJsonInTheHeaderIsInactiveAndHarmless) {
  // The header is read before any signature check, so anyone can send this
  // (as deep as fits in the longest token tokend reads, 16 KiB).
  for (int depth : {1000, 5000}) {
    std::string header = R"({"alg":"ES256","typ":"at+jwt","kid":")" + ServerKid() + R"(","x":)" +
                         std::string(depth, '[') + std::string(depth, ']') + "}";
    std::string token =
        absl::StrCat(B64UrlEncode(header), ".", B64UrlEncode(StandardPayload().dump()), ".",
                     B64UrlEncode(std::string(64, 'a')));
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), token)) << depth;
    std::string objects;
    const int object_depth = depth / 4;
    for (int i = 0; i < object_depth; ++i) objects += R"({"a":)";
    objects += "1" + std::string(object_depth, '}');
    token = absl::StrCat(B64UrlEncode(objects), ".", B64UrlEncode("{}"), ".",
                         B64UrlEncode(std::string(64, 'a')));
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), token)) << depth;
  }
  EXPECT_TRUE(Caller().GetJwks(v1::GetJwksRequest()).ok()) << "the server is gone";
}

TEST(ForgedTokens, GarbageIsInactive) {
  for (const std::string& garbage :
       {std::string("x"), std::string("."), std::string(".."), std::string("a.b.c"),
        std::string("eyJ.eyJ.sig"), std::string("\xe2\x82\xac.\xe2\x82\xac.\xe2\x82\xac"),
        std::string("null"), std::string("{}"), std::string("tkdrt_"),
        std::string("tkdrt_not-a-token"), B64UrlEncode("{}") + "." + B64UrlEncode("{}") + "."}) {
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), garbage)) << garbage;
  }
}

TEST(ForgedTokens, RevokingForgedExpiredOrUnknownTokensAnswersOkAndChangesNothing) {
  auto revocations = [] {
    absl::StatusOr<std::string> n =
        Cluster().Psql("tokend_api", "SELECT count(*) FROM revocations");
    EXPECT_TRUE(n.ok()) << n.status();
    return n.ok() ? *n : "";
  };
  const std::string before = revocations();
  EvpPkey attacker = NewEcKey("P-256");
  Json none = StandardHeader();
  none["alg"] = "none";
  const int64_t now = Now();
  const std::vector<std::string> tokens = {
      SignEs256(attacker.get(), StandardHeader().dump(), StandardPayload().dump()),
      Compact(none.dump(), StandardPayload().dump(), ""),
      MintEdited([&](Json& p) {
        p["iat"] = now - 700;
        p["nbf"] = now - 700;
        p["exp"] = now - 60;
      }),
      MintEdited([](Json& p) { p["iss"] = "https://evil.example"; }),
      "tkdrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
      "garbage",
  };
  for (const std::string& token : tokens) {
    absl::StatusOr<v1::RevokeResponse> r = Caller().Revoke(RevokeTokenRequest(token));
    EXPECT_TRUE(r.ok()) << r.status();
  }
  EXPECT_EQ(revocations(), before);
}

TEST(ForgedTokens, TheHighSTwinOfASignatureIsRevokedWithTheOriginalByJti) {
  for (bool revoke_twin : {false, true}) {
    SCOPED_TRACE(revoke_twin ? "revoking the twin" : "revoking the original");
    absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(IssueRequest({"api://orders"}));
    ASSERT_TRUE(issued.ok());
    absl::StatusOr<DecodedJws> jws = DecodeJws(issued->access_token());
    ASSERT_TRUE(jws.ok());
    const std::string twin =
        absl::StrCat(jws->SigningInput(), ".", B64UrlEncode(HighSTwin(jws->signature)));
    ASSERT_NE(twin, issued->access_token());
    // The twin is a valid signature too (checked with OpenSSL directly).
    absl::StatusOr<EvpPkey> pub = P256PublicKeyFromJwk(ServerJwk());
    ASSERT_TRUE(pub.ok());
    EXPECT_TRUE(VerifyEs256(pub->get(), jws->SigningInput(), HighSTwin(jws->signature)));

    v1::IntrospectResponse before = Introspect(Caller(), twin);
    if (before.active()) {
      // It may verify; then it is the same token.
      EXPECT_EQ(before.token_id(), jws->payload["jti"]);
    } else {
      EXPECT_TRUE(IsBareInactive(before));
    }
    ASSERT_TRUE(
        Caller().Revoke(RevokeTokenRequest(revoke_twin ? twin : issued->access_token())).ok());
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), twin));
    if (!revoke_twin || before.active()) {
      EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->access_token()));
    }
  }
}

}  // namespace
}  // namespace tokend::testing
