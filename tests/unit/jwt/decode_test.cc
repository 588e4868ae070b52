// Decode: every way a token may be malformed, forged or confused, each its
// own test. Tokens with a hand-written header or payload are signed with the
// ring's real key (testing::SignRaw), so each rejection comes from the rule
// under test, not from a bad signature.

#include <openssl/evp.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "crypto/base64url.h"
#include "gtest/gtest.h"
#include "jwt/jwt.h"
#include "keys/jwk.h"
#include "unit/jwt/jwt_test_util.h"

namespace tokend::jwt {
namespace {

using crypto::Algorithm;
using crypto::Base64UrlEncode;
using testing::kStandardPayload;
using testing::MakeKey;
using testing::MakeRing;
using testing::PayloadWith;
using testing::SampleClaims;
using testing::SignRaw;
using testing::StandardHeader;

// One ES256 key "k1" as the ring's primary, and an RSA key "rsa" beside it.
struct Fixture {
  keys::Key es256 = MakeKey(Algorithm::kES256, "k1");
  keys::Key rs256 = MakeKey(Algorithm::kRS256, "rsa");
  std::shared_ptr<const keys::KeyRing> ring = MakeRing({es256, rs256});
};

Fixture& Shared() {
  static Fixture* const fixture = new Fixture();
  return *fixture;
}

// A valid token of SampleClaims() from the shared ring's primary.
const std::string& ValidToken() {
  static const std::string* const token = new std::string(*Sign(SampleClaims(), Shared().es256));
  return *token;
}

void ExpectRejected(absl::string_view token, absl::string_view reason = "") {
  absl::StatusOr<Claims> claims = Decode(token, *Shared().ring);
  ASSERT_FALSE(claims.ok()) << "accepted: " << token;
  EXPECT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
  if (!reason.empty()) {
    EXPECT_TRUE(absl::StrContains(claims.status().message(), reason))
        << claims.status() << " (wanted \"" << reason << "\")";
  }
}

// Signed with the ring's primary, header as tokend writes it.
std::string SignedPayload(const std::string& payload) {
  return SignRaw(Shared().es256, StandardHeader(Shared().es256), payload);
}

// Signed with the ring's primary, payload as tokend writes it.
std::string SignedHeader(const std::string& header) {
  return SignRaw(Shared().es256, header, kStandardPayload);
}

TEST(Decode, AcceptsAValidToken) {
  absl::StatusOr<Claims> claims = Decode(ValidToken(), *Shared().ring);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "alice");
  EXPECT_EQ(claims->audience, std::vector<std::string>{"api"});
  EXPECT_EQ(claims->scopes, (std::vector<std::string>{"read", "write"}));
  EXPECT_EQ(claims->custom_claims_json, "");
  // The hand-signed standard token is accepted too (the helpers are sound).
  EXPECT_TRUE(Decode(SignedPayload(kStandardPayload), *Shared().ring).ok());
}

TEST(Decode, RejectsATokenLongerThanTheLimitBeforeParsing) {
  ExpectRejected(std::string(kMaxTokenBytes + 1, 'a'), "too long");
  // A valid token with junk appended past the limit: still "too long" first.
  ExpectRejected(ValidToken() + std::string(kMaxTokenBytes, 'A'), "too long");
}

TEST(Decode, RejectsAnythingButThreeSegments) {
  const std::string& token = ValidToken();
  for (const std::string& text :
       {std::string(""), std::string("abc"), token.substr(0, token.rfind('.')), token + ".",
        token + ".AAAA", std::string("a.b.c.d"), token + "." + token}) {
    ExpectRejected(text, "three segments");
  }
}

TEST(Decode, RejectsEmptySegments) {
  const std::string& token = ValidToken();
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  for (const std::string& text : {std::string(".."), token.substr(0, dot1 + 1) + token.substr(dot2),
                                  token.substr(0, dot2 + 1), token.substr(dot1)}) {
    ExpectRejected(text, "empty segment");
  }
}

TEST(Decode, RejectsPaddingOnAnySegment) {
  const std::string& token = ValidToken();
  const size_t dot1 = token.find('.'), dot2 = token.rfind('.');
  for (const char* pad : {"=", "==", "==="}) {
    ExpectRejected(token.substr(0, dot1) + pad + token.substr(dot1));
    ExpectRejected(token.substr(0, dot2) + pad + token.substr(dot2));
    ExpectRejected(token + pad);
  }
}

TEST(Decode, RejectsWhitespaceAnywhere) {
  const std::string& token = ValidToken();
  for (const std::string& text :
       {" " + token, token + " ", token + "\n", token + "\r\n", "\t" + token,
        absl::StrReplaceAll(token, {{".", ". "}}), token.substr(0, 10) + "\n" + token.substr(10)}) {
    ExpectRejected(text);
  }
}

TEST(Decode, RejectsTheStandardBase64Alphabet) {
  // Re-spell a token's '-' and '_' as standard base64's '+' and '/'.
  std::string token;
  for (int i = 0; i < 50 && !absl::StrContains(token, "-") && !absl::StrContains(token, "_"); ++i) {
    Claims claims = SampleClaims();
    claims.token_id = absl::StrCat("jti-", i);
    token = *Sign(claims, Shared().es256);
  }
  ASSERT_TRUE(absl::StrContains(token, "-") || absl::StrContains(token, "_"));
  ASSERT_TRUE(Decode(token, *Shared().ring).ok());
  ExpectRejected(absl::StrReplaceAll(token, {{"-", "+"}, {"_", "/"}}));
}

TEST(Decode, RejectsNonZeroUnusedBitsInTheLastCharacter) {
  // An ES256 signature is 64 bytes: 86 characters whose last carries 4
  // unused bits. Setting one gives another spelling of the same bytes.
  const std::string& token = ValidToken();
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  const char last = token.back();
  const size_t index = std::string(kAlphabet).find(last);
  ASSERT_EQ(index % 16, 0u);
  std::string respelled = token;
  respelled.back() = kAlphabet[index + 1];
  ExpectRejected(respelled, "base64url");
}

TEST(Decode, RejectsNonUtf8Junk) {
  for (const std::string& text :
       {std::string("\xff\xfe\xfd"), std::string("\xff.\xfe.\xfd"),
        std::string("eyJ\xc3\xa9.eyJ.sig"), std::string("\x00.\x00.\x00", 5),
        std::string(ValidToken()).replace(3, 1, "\x80")}) {
    ExpectRejected(text);
  }
  // A correctly signed header and payload that are not UTF-8 inside.
  ExpectRejected(
      SignedHeader("{\"alg\":\"ES256\",\"typ\":\"at+jwt\",\"kid\":\"k1\",\"x\":\"\xff\"}"),
      "header");
  ExpectRejected(SignedPayload(PayloadWith("sub", "\"\xc3\x28\"")), "payload");
}

TEST(Decode, RejectsAHeaderThatIsNotAJsonObject) {
  for (const char* header : {"[]", "\"ES256\"", "null", "{", "", "{\"alg\":\"ES256\"} {}"}) {
    ExpectRejected(SignedHeader(header));
  }
}

TEST(Decode, RejectsAMissingOrNonStringKid) {
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":"at+jwt"})"), "kid");
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":"at+jwt","kid":1})"), "kid");
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":"at+jwt","kid":["k1"]})"), "kid");
}

TEST(Decode, RejectsAnUnknownKid) {
  keys::Key stranger = MakeKey(Algorithm::kES256, "k2");
  ExpectRejected(SignRaw(stranger, StandardHeader(stranger), kStandardPayload), "unknown kid");
  // Even when signed by the ring's own key: there is no fallback to it.
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":"at+jwt","kid":"k2"})"), "unknown kid");
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":"at+jwt","kid":""})"), "unknown kid");
}

TEST(Decode, RejectsATokenSignedByAnotherKeyWithTheSameKid) {
  keys::Key impostor = MakeKey(Algorithm::kES256, "k1");
  absl::StatusOr<std::string> token = Sign(SampleClaims(), impostor);
  ASSERT_TRUE(token.ok());
  ExpectRejected(*token, "signature");
}

TEST(Decode, RejectsAlgNone) {
  // Header {"alg":"none","typ":"at+jwt","kid":"k1"}, with an empty and with
  // a non-empty signature.
  const std::string unsigned_token =
      Base64UrlEncode(R"({"alg":"none","typ":"at+jwt","kid":"k1"})") + "." +
      Base64UrlEncode(kStandardPayload) + ".";
  ExpectRejected(unsigned_token);
  ExpectRejected(unsigned_token + "AAAA");
  ExpectRejected(SignedHeader(R"({"alg":"none","typ":"at+jwt","kid":"k1"})"), "alg");
}

TEST(Decode, RejectsHs256KeyedWithThePublicKey) {
  // The classic confusion: HMAC-SHA256 over the signing input with the
  // verifier's public key as the secret, in each form an attacker might try.
  const keys::Key& key = Shared().es256;
  const std::string input = Base64UrlEncode(R"({"alg":"HS256","typ":"at+jwt","kid":"k1"})") + "." +
                            Base64UrlEncode(kStandardPayload);
  const std::string pem = ::tokend::testing::PublicKeyPem(*key.pkey);
  absl::StatusOr<std::string> jwks = keys::JwksJson(*Shared().ring);
  ASSERT_TRUE(jwks.ok());
  for (const std::string& secret : {pem, *jwks, std::string(kStandardPayload)}) {
    unsigned char mac[32];
    size_t mac_size = 0;
    ASSERT_NE(EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                        reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac,
                        sizeof(mac), &mac_size),
              nullptr);
    ExpectRejected(
        input + "." + Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), mac_size)), "alg");
  }
}

TEST(Decode, RejectsAnRs256TokenNamingTheEs256Key) {
  // Signed by the ring's RSA key, but kid names the ES256 key.
  ExpectRejected(
      SignRaw(Shared().rs256, R"({"alg":"RS256","typ":"at+jwt","kid":"k1"})", kStandardPayload),
      "alg");
  // And claiming ES256 with an RSA signature.
  ExpectRejected(
      SignRaw(Shared().rs256, R"({"alg":"ES256","typ":"at+jwt","kid":"k1"})", kStandardPayload),
      "signature");
  // An ES256 token naming the RSA key.
  ExpectRejected(
      SignRaw(Shared().es256, R"({"alg":"ES256","typ":"at+jwt","kid":"rsa"})", kStandardPayload),
      "alg");
}

TEST(Decode, RejectsPs256ForAnRs256KeyAndTheReverse) {
  // The same RSA key pair under PS256: a valid PS256 signature, but the
  // ring configured this key for RS256.
  keys::Key as_ps256 = Shared().rs256;
  as_ps256.alg = Algorithm::kPS256;
  ExpectRejected(
      SignRaw(as_ps256, R"({"alg":"PS256","typ":"at+jwt","kid":"rsa"})", kStandardPayload), "alg");
  std::shared_ptr<const keys::KeyRing> ps_ring = MakeRing({Shared().es256, as_ps256});
  const std::string rs_token =
      SignRaw(Shared().rs256, R"({"alg":"RS256","typ":"at+jwt","kid":"rsa"})", kStandardPayload);
  EXPECT_TRUE(Decode(rs_token, *Shared().ring).ok());
  EXPECT_FALSE(Decode(rs_token, *ps_ring).ok());
}

TEST(Decode, RejectsAlgSpelledInAnotherCase) {
  ExpectRejected(SignedHeader(R"({"alg":"es256","typ":"at+jwt","kid":"k1"})"), "alg");
  ExpectRejected(SignedHeader(R"({"typ":"at+jwt","kid":"k1"})"), "alg");
  ExpectRejected(SignedHeader(R"({"alg":null,"typ":"at+jwt","kid":"k1"})"), "alg");
}

TEST(Decode, RejectsAMissingOrOtherTyp) {
  ExpectRejected(SignedHeader(R"({"alg":"ES256","kid":"k1"})"), "typ");
  for (const char* typ : {"JWT", "jwt", "at+JWT", "AT+JWT", "application/jwt", "", "at+jwt "}) {
    ExpectRejected(SignedHeader(absl::StrCat(R"({"alg":"ES256","typ":")", typ, R"(","kid":"k1"})")),
                   "typ");
  }
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":1,"kid":"k1"})"), "typ");
}

TEST(Decode, AcceptsTheApplicationAtJwtTyp) {
  EXPECT_TRUE(Decode(SignedHeader(R"({"alg":"ES256","typ":"application/at+jwt","kid":"k1"})"),
                     *Shared().ring)
                  .ok());
}

TEST(Decode, RejectsAnyCritHeader) {
  for (const char* crit : {R"(["exp"])", "[]", R"("b64")", "null"}) {
    ExpectRejected(SignedHeader(absl::StrCat(R"({"alg":"ES256","typ":"at+jwt","kid":"k1","crit":)",
                                             crit, "}")),
                   "crit");
  }
}

TEST(Decode, IgnoresJwkJkuX5uAndX5cHeaders) {
  // Signed by the ring's key; the extra members point elsewhere and must
  // neither be fetched nor used.
  const std::string header =
      R"({"alg":"ES256","typ":"at+jwt","kid":"k1","jku":"https://evil.example/jwks",)"
      R"("x5u":"https://evil.example/cert","x5c":["MIIB"],)"
      R"("jwk":{"kty":"EC","crv":"P-256","x":"AAAA","y":"AAAA"}})";
  EXPECT_TRUE(Decode(SignedHeader(header), *Shared().ring).ok());
}

TEST(Decode, RejectsATokenSignedByTheKeyItEmbeds) {
  keys::Key attacker = MakeKey(Algorithm::kES256, "k1");
  absl::StatusOr<std::string> jwks = keys::JwksJson(*MakeRing({attacker}));
  ASSERT_TRUE(jwks.ok());
  const std::string jwk = nlohmann::json::parse(*jwks)["keys"][0].dump();
  ExpectRejected(
      SignRaw(attacker,
              absl::StrCat(R"({"alg":"ES256","typ":"at+jwt","kid":"k1","jwk":)", jwk, "}"),
              kStandardPayload),
      "signature");
}

TEST(Decode, RejectsDuplicateHeaderMembers) {
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":"at+jwt","kid":"k1","alg":"ES256"})"),
                 "header");
  ExpectRejected(SignedHeader(R"({"alg":"none","alg":"ES256","typ":"at+jwt","kid":"k1"})"),
                 "header");
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":"at+jwt","kid":"k2","kid":"k1"})"), "header");
  ExpectRejected(SignedHeader(R"({"alg":"ES256","typ":"at+jwt","kid":"k1","x":{"a":1,"a":2}})"),
                 "header");
}

TEST(Decode, RejectsDuplicatePayloadMembersAtAnyDepth) {
  std::string twice_sub = kStandardPayload;
  twice_sub.insert(1, R"("sub":"mallory",)");
  ExpectRejected(SignedPayload(twice_sub), "payload");
  std::string twice_exp = kStandardPayload;
  twice_exp.insert(twice_exp.size() - 1, R"(,"exp":9999999999)");
  ExpectRejected(SignedPayload(twice_exp), "payload");
  ExpectRejected(SignedPayload(PayloadWith("tenant", R"({"id":1,"id":2})")), "payload");
  ExpectRejected(SignedPayload(PayloadWith("list", R"([{"a":1,"\u0061":2}])")), "payload");
}

// exp, iat and nbf must each be an integer JSON number.
void ExpectNumericDateRefused(const std::string& name) {
  for (const char* bad : {"1700000000.0", "1.5", "1e3", "1.7e9", "\"1700000000\"", "true", "null",
                          "[1700000000]", "{}", "-1", "99999999999999999999", "253402300800"}) {
    ExpectRejected(SignedPayload(PayloadWith(name, bad)), name);
  }
  ExpectRejected(SignedPayload(PayloadWith(name, "")), name);  // missing
  EXPECT_TRUE(Decode(SignedPayload(PayloadWith(name, "1700000000")), *Shared().ring).ok());
}

TEST(Decode, RejectsAnExpThatIsNotAnIntegerNumericDate) { ExpectNumericDateRefused("exp"); }
TEST(Decode, RejectsAnIatThatIsNotAnIntegerNumericDate) { ExpectNumericDateRefused("iat"); }
TEST(Decode, RejectsAnNbfThatIsNotAnIntegerNumericDate) { ExpectNumericDateRefused("nbf"); }

// `name` must be a string when present; `required`: and present.
void ExpectStringClaim(const std::string& name, bool required) {
  for (const char* bad : {"1", "1.5", "true", "null", "[\"x\"]", "{}"}) {
    ExpectRejected(SignedPayload(PayloadWith(name, bad)), name);
  }
  absl::StatusOr<Claims> missing = Decode(SignedPayload(PayloadWith(name, "")), *Shared().ring);
  EXPECT_EQ(missing.ok(), !required) << name << ": " << missing.status();
  EXPECT_TRUE(Decode(SignedPayload(PayloadWith(name, "\"x\"")), *Shared().ring).ok()) << name;
}

TEST(Decode, RequiresAStringJti) { ExpectStringClaim("jti", true); }
TEST(Decode, RequiresAStringSub) { ExpectStringClaim("sub", true); }
TEST(Decode, RequiresAStringIss) { ExpectStringClaim("iss", true); }
TEST(Decode, RequiresScopeToBeAStringWhenPresent) { ExpectStringClaim("scope", false); }
TEST(Decode, RequiresClientIdToBeAStringWhenPresent) { ExpectStringClaim("client_id", false); }
TEST(Decode, RequiresSidToBeAStringWhenPresent) { ExpectStringClaim("sid", false); }

TEST(Decode, RequiresAudToBeAStringOrAnArrayOfStrings) {
  for (const char* bad : {"1", "true", "null", "{}", "[1]", "[\"api\",2]", "[[\"api\"]]"}) {
    ExpectRejected(SignedPayload(PayloadWith("aud", bad)), "aud");
  }
  ExpectRejected(SignedPayload(PayloadWith("aud", "")), "aud");
  absl::StatusOr<Claims> several =
      Decode(SignedPayload(PayloadWith("aud", R"(["api","billing"])")), *Shared().ring);
  ASSERT_TRUE(several.ok()) << several.status();
  EXPECT_EQ(several->audience, (std::vector<std::string>{"api", "billing"}));
}

TEST(Decode, RejectsAPayloadThatIsNotAJsonObject) {
  for (const char* payload : {"[]", "\"alice\"", "1", "null", "{", "{} {}", "\xEF\xBB\xBF{}"}) {
    ExpectRejected(SignedPayload(payload), "payload");
  }
}

TEST(Decode, RejectsEveryTruncationOfAValidToken) {
  const std::string& token = ValidToken();
  for (size_t length = 0; length < token.size(); ++length) {
    EXPECT_FALSE(Decode(token.substr(0, length), *Shared().ring).ok()) << length;
  }
}

TEST(Decode, RejectsEveryOneCharacterAlteration) {
  const std::string& token = ValidToken();
  for (size_t i = 0; i < token.size(); ++i) {
    std::string altered = token;
    altered[i] = altered[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(Decode(altered, *Shared().ring).ok()) << i;
  }
}

TEST(Decode, AcceptsTheHighSTwinOfAnEs256SignatureWithTheSameClaims) {
  // api.md: the high-S twin may verify; revocation by jti covers it.
  const std::string& token = ValidToken();
  const size_t dot2 = token.rfind('.');
  std::string signature;
  ASSERT_TRUE(crypto::Base64UrlDecode(token.substr(dot2 + 1), &signature));
  BIGNUM* order_raw = nullptr;
  ASSERT_NE(
      BN_hex2bn(&order_raw, "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"), 0);
  crypto::BignumPtr order(order_raw);
  crypto::BignumPtr s(
      BN_bin2bn(reinterpret_cast<const unsigned char*>(signature.data()) + 32, 32, nullptr));
  ASSERT_EQ(BN_sub(s.get(), order.get(), s.get()), 1);
  ASSERT_EQ(BN_bn2binpad(s.get(), reinterpret_cast<unsigned char*>(signature.data()) + 32, 32), 32);
  const std::string twin = token.substr(0, dot2 + 1) + Base64UrlEncode(signature);
  ASSERT_NE(twin, token);
  absl::StatusOr<Claims> original = Decode(token, *Shared().ring);
  absl::StatusOr<Claims> twin_claims = Decode(twin, *Shared().ring);
  ASSERT_TRUE(original.ok() && twin_claims.ok()) << twin_claims.status();
  EXPECT_EQ(twin_claims->token_id, original->token_id);
}

TEST(Decode, RandomMutationsNeverCrashAndNeverVerify) {
  const std::string& token = ValidToken();
  std::mt19937 random(20261128);  // fixed seed: reproducible
  auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(random); };
  int mutations = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string mutated = token;
    const int edits = 1 + static_cast<int>(pick(4));
    for (int e = 0; e < edits; ++e) {
      const size_t at = pick(mutated.size() + 1);
      switch (pick(6)) {
        case 0:  // replace with any byte
          if (at < mutated.size()) mutated[at] = static_cast<char>(pick(256));
          break;
        case 1:  // delete
          if (at < mutated.size()) mutated.erase(at, 1);
          break;
        case 2:  // insert any byte
          mutated.insert(at, 1, static_cast<char>(pick(256)));
          break;
        case 3:  // flip one bit
          if (at < mutated.size()) mutated[at] = static_cast<char>(mutated[at] ^ (1 << pick(8)));
          break;
        case 4:  // duplicate a slice
          if (at < mutated.size()) mutated.insert(at, mutated.substr(at, pick(40)));
          break;
        case 5:  // cut the tail
          mutated.resize(at < mutated.size() ? at : mutated.size());
          break;
      }
    }
    if (mutated == token) continue;
    ++mutations;
    absl::StatusOr<Claims> claims = Decode(mutated, *Shared().ring);
    ASSERT_FALSE(claims.ok()) << "mutation " << i << " verified: " << mutated;
    ASSERT_EQ(claims.status().code(), absl::StatusCode::kUnauthenticated);
  }
  EXPECT_GT(mutations, 2900);
  std::cout << "mutations tried: " << mutations << "\n";
}

TEST(Decode, ReturnsCustomClaimsCanonicallyAndWithoutRegisteredNames) {
  const std::string payload = PayloadWith(
      "zeta",
      R"({"b":[1,2.5],"a":"x"},"alpha":true,"cnf":{"jkt":"abc"},"act":{"sub":"x"},"typ":"y")");
  absl::StatusOr<Claims> claims = Decode(SignedPayload(payload), *Shared().ring);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->custom_claims_json, R"({"alpha":true,"zeta":{"a":"x","b":[1,2.5]}})");
}

TEST(Decode, SplitsTheScopeOnSpaces) {
  absl::StatusOr<Claims> claims =
      Decode(SignedPayload(PayloadWith("scope", R"("a b  c")")), *Shared().ring);
  ASSERT_TRUE(claims.ok());
  EXPECT_EQ(claims->scopes, (std::vector<std::string>{"a", "b", "c"}));
  absl::StatusOr<Claims> none = Decode(SignedPayload(PayloadWith("scope", "")), *Shared().ring);
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->scopes.empty());
}

TEST(Decode, DecodesConcurrentlyWithOneSharedRing) {
  const std::string& token = ValidToken();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 100; ++i) {
        if (!Decode(token, *Shared().ring).ok()) ++failures;
        if (Decode(token + "A", *Shared().ring).ok()) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace tokend::jwt
