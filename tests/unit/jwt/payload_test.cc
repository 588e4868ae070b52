// ParseSimplePayload (the fast path) against ParsePayload (the general
// strict parser) on tokend-shaped payloads, their near misses and random
// mutations: whenever the fast path accepts, the general path accepts too,
// with the same claims.

#include "jwt/payload.h"

#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"

namespace tokend::jwt::internal {
namespace {

bool SameClaims(const Claims& a, const Claims& b) {
  return a.issuer == b.issuer && a.subject == b.subject && a.audience == b.audience &&
         a.issued_at == b.issued_at && a.not_before == b.not_before &&
         a.expires_at == b.expires_at && a.token_id == b.token_id && a.client_id == b.client_id &&
         a.scopes == b.scopes && a.session_id == b.session_id &&
         a.custom_claims_json == b.custom_claims_json;
}

// Checks the fast path's promise on `payload`; returns whether it accepted.
bool Check(const std::string& payload) {
  Claims fast;
  const bool accepted = ParseSimplePayload(payload, &fast);
  absl::StatusOr<Claims> general = ParsePayload(payload);
  if (accepted) {
    EXPECT_TRUE(general.ok()) << "fast path accepted what the general path refuses: " << payload;
    if (general.ok()) EXPECT_TRUE(SameClaims(fast, *general)) << payload;
  }
  return accepted;
}

// What jwt::Sign writes for a typical token.
const char kTypical[] =
    R"({"iss":"https://tokend.test","sub":"alice","aud":"api://orders","exp":1800000900,)"
    R"("iat":1800000000,"nbf":1800000000,"jti":"Vd0TnB4ZQxkPcl2YV1m3Kw",)"
    R"("client_id":"spiffe://test/login","scope":"orders:read orders:write","sid":"fam-1"})";

TEST(SimplePayload, ReadsWhatSignWritesAsTheGeneralPathDoes) {
  EXPECT_TRUE(Check(kTypical));
  EXPECT_TRUE(Check(R"({"iss":"i","sub":"s","aud":["a","b"],"exp":1,"iat":0,"nbf":0,"jti":"j"})"));
  EXPECT_TRUE(Check(R"({"iss":"i","sub":"s","aud":[],"exp":1,"iat":0,"nbf":0,"jti":"j"})"));
  EXPECT_TRUE(Check(R"({"iss":"","sub":"","aud":"","exp":0,"iat":0,"nbf":0,"jti":""})"));
  EXPECT_TRUE(
      Check(" \t\n\r{ \"jti\" : \"j\" , \"nbf\" :0,\"iat\":0 ,\"exp\": 253402300799,"
            "\"aud\" : [ \"x\" , \"y\" ] ,\"sub\":\"s\",\"iss\":\"i\",\"scope\":\"  a  b \"}"
            " \r\n"));
}

TEST(SimplePayload, LeavesEverythingElseToTheGeneralPath) {
  const std::vector<std::string> others = {
      "",
      "null",
      "[]",
      "{}",
      "\xEF\xBB\xBF" + std::string(kTypical),  // byte-order mark
      std::string(kTypical) + "x",
      std::string(kTypical) + "{}",
      R"({"iss":"i","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0})",  // no jti
      R"({"iss":"i","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j",})",
      R"({"iss":"i","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j","jti":"k"})",
      R"({"iss":"i","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j","tenant":"acme"})",
      R"({"iss":"i","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j","cnf":{}})",
      R"({"iss":"i","sub":"s","aud":"a","exp":01,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":"a","exp":-1,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":"a","exp":1.0,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":"a","exp":1e3,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":"a","exp":"1","iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":"a","exp":253402300800,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":"a","exp":1000000000000000000000,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":[["a"]],"exp":1,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":["a",1],"exp":1,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":["a",],"exp":1,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i","sub":"s","aud":null,"exp":1,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i\"","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"\u0069","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j"})",
      R"({"iss":"i\/","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j"})",
      "{\"iss\":\"caf\xC3\xA9\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":1,\"iat\":0,\"nbf\":0,\"jti\":"
      "\"j\"}",
      "{\"iss\":\"\xC3\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":1,\"iat\":0,\"nbf\":0,\"jti\":\"j\"}",
      "{\"iss\":\"a\tb\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":1,\"iat\":0,\"nbf\":0,\"jti\":\"j\"}",
      "{\"iss\":\"a\x7f\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":1,\"iat\":0,\"nbf\":0,\"jti\":\"j\"}",
      "{\f\"iss\":\"i\",\"sub\":\"s\",\"aud\":\"a\",\"exp\":1,\"iat\":0,\"nbf\":0,\"jti\":\"j\"}",
      R"({"iss":1,"sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j"})",
      R"({"i\u0073s":"i","sub":"s","aud":"a","exp":1,"iat":0,"nbf":0,"jti":"j"})",
  };
  for (const std::string& payload : others) {
    Claims claims;
    EXPECT_FALSE(ParseSimplePayload(payload, &claims)) << payload;
    Check(payload);
  }
}

TEST(SimplePayload, RandomMutationsNeverMakeItDisagree) {
  std::mt19937 rng(20261129);
  const std::string base = kTypical;
  const std::string alphabet = "{}[],:\"\\ 0123456789.eE-+/aizsjtu\t\n\x7f\xc3\xa9\x80";
  int accepted = 0;
  for (int i = 0; i < 40000; ++i) {
    std::string payload = base;
    const int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits && !payload.empty(); ++e) {
      const size_t at = rng() % payload.size();
      const char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          payload[at] = c;
          break;
        case 1:
          payload.insert(payload.begin() + static_cast<long>(at), c);
          break;
        default:
          payload.erase(at, 1);
          break;
      }
    }
    if (Check(payload)) ++accepted;
  }
  // Some mutations keep the shape (a digit for a digit, a letter for a
  // letter): the comparison above ran on accepted payloads too.
  EXPECT_GT(accepted, 1000);
}

}  // namespace
}  // namespace tokend::jwt::internal
