// Every row of the API contract's status table, against the real tokend: the
// code, the field named in the message, the order of checks, and that no
// request, however malformed (down to raw bytes), gets INTERNAL or UNKNOWN.

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <cstdint>
#include <future>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"
#include "tokend/v1/token_service.grpc.pb.h"

namespace tokend::testing {
namespace {

// ---- protobuf wire format, by hand, for requests no generated code would
// ---- write ----

std::string Varint(uint64_t v) {
  std::string out;
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
  return out;
}

// A length-delimited field.
std::string Field(int number, absl::string_view bytes) {
  return absl::StrCat(Varint(static_cast<uint64_t>(number) << 3 | 2), Varint(bytes.size()), bytes);
}

// Calls `method` ("Issue", ...) of tokend.v1.TokenService with `body` as the
// serialized request, as `cert`.
grpc::Status RawCall(const test::CertFiles& cert, absl::string_view method,
                     absl::string_view body) {
  static std::map<std::string, std::shared_ptr<grpc::Channel>>* channels =
      new std::map<std::string, std::shared_ptr<grpc::Channel>>();
  std::shared_ptr<grpc::Channel>& channel = (*channels)[cert.cert_file];
  if (channel == nullptr) channel = ChannelFor(cert);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  const std::string body_text(body);
  grpc::Slice slice(body_text);
  grpc::ByteBuffer request(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, absl::StrCat("/tokend.v1.TokenService/", method), grpc::StubOptions(),
                 &request, &response,
                 [&done](grpc::Status status) { done.set_value(std::move(status)); });
  return done.get_future().get();
}

absl::Status ToAbsl(const grpc::Status& s) { return client::FromGrpcStatus(s); }

std::unique_ptr<client::TokenClient> Dns() { return ClientFor(Bed().pki().client_dns()); }
std::unique_ptr<client::TokenClient> IntrospectOnly() {
  return ClientFor(Bed().introspect_only_cert());
}
std::unique_ptr<client::TokenClient> Stranger() { return ClientFor(Bed().stranger_cert()); }

std::string HexOf(absl::string_view bytes) { return absl::BytesToHexString(bytes); }

// ---- INVALID_ARGUMENT ----

TEST(StatusCodes, IssueWithoutAudienceIsInvalidArgumentNamingAudience) {
  EXPECT_TRUE(HasCode(Caller().Issue(IssueRequest({})).status(), absl::StatusCode::kInvalidArgument,
                      "audience"));
  EXPECT_TRUE(HasCode(Caller().Issue(IssueRequest({""})).status(),
                      absl::StatusCode::kInvalidArgument, "audience"));
}

TEST(StatusCodes, ABadTtlIsInvalidArgumentNamingTtl) {
  struct Case {
    int64_t seconds;
    int32_t nanos;
  };
  for (Case c : std::vector<Case>{{0, 0},
                                  {-5, 0},
                                  {1, 500000000},  // 1.5 s
                                  {0, 1},          // 1 ns
                                  {3601, 0},       // over this caller's max of 1h
                                  {7200, 0},
                                  {std::numeric_limits<int64_t>::max(), 0},
                                  {std::numeric_limits<int64_t>::min(), 0},
                                  {60, 2000000000},  // not a valid Duration
                                  {1, -1}}) {
    v1::IssueRequest request = IssueRequest({"api://orders"});
    request.mutable_ttl()->set_seconds(c.seconds);
    request.mutable_ttl()->set_nanos(c.nanos);
    EXPECT_TRUE(
        HasCode(Caller().Issue(request).status(), absl::StatusCode::kInvalidArgument, "ttl"))
        << c.seconds << "s " << c.nanos << "ns";
  }
  // The limits themselves are fine.
  v1::IssueRequest request = IssueRequest({"api://orders"});
  request.mutable_ttl()->set_seconds(3600);
  EXPECT_TRUE(Caller().Issue(request).ok());
  request.mutable_ttl()->set_seconds(1);
  EXPECT_TRUE(Caller().Issue(request).ok());
}

TEST(StatusCodes, AReservedClaimNameIsInvalidArgumentNamingClaims) {
  for (const char* name : {"iss", "sub", "aud", "exp", "nbf", "iat", "jti", "client_id", "scope",
                           "cnf", "sid", "act", "typ"}) {
    v1::IssueRequest request = IssueRequest({"api://orders"});
    (*request.mutable_claims()->mutable_fields())[name].set_string_value("x");
    EXPECT_TRUE(
        HasCode(Caller().Issue(request).status(), absl::StatusCode::kInvalidArgument, "claims"))
        << name;
  }
  // Nested objects may use any name.
  v1::IssueRequest nested = IssueRequest({"api://orders"});
  (*(*nested.mutable_claims()->mutable_fields())["ctx"]
        .mutable_struct_value()
        ->mutable_fields())["iss"]
      .set_string_value("x");
  EXPECT_TRUE(Caller().Issue(nested).ok());
}

TEST(StatusCodes, CustomClaimsOverFourKibAreInvalidArgumentNamingClaims) {
  v1::IssueRequest request = IssueRequest({"api://orders"});
  (*request.mutable_claims()->mutable_fields())["blob"].set_string_value(std::string(4200, 'a'));
  EXPECT_TRUE(
      HasCode(Caller().Issue(request).status(), absl::StatusCode::kInvalidArgument, "claims"));
  // Many small ones adding up too.
  v1::IssueRequest many = IssueRequest({"api://orders"});
  for (int i = 0; i < 400; ++i) {
    (*many.mutable_claims()->mutable_fields())[absl::StrCat("k", i)].set_number_value(i);
  }
  EXPECT_TRUE(HasCode(Caller().Issue(many).status(), absl::StatusCode::kInvalidArgument, "claims"));
  // The compact JSON {"a":"xx...x"} is 8 bytes plus the string: exactly
  // 4096 bytes is fine, one more is not.
  v1::IssueRequest fits = IssueRequest({"api://orders"});
  (*fits.mutable_claims()->mutable_fields())["a"].set_string_value(std::string(4088, 'x'));
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(fits);
  ASSERT_TRUE(issued.ok()) << issued.status();
  EXPECT_EQ(Introspect(Caller(), issued->access_token()).claims().fields().at("a").string_value(),
            std::string(4088, 'x'));
  (*fits.mutable_claims()->mutable_fields())["a"].set_string_value(std::string(4089, 'x'));
  EXPECT_TRUE(HasCode(Caller().Issue(fits).status(), absl::StatusCode::kInvalidArgument, "claims"));
}

TEST(StatusCodes, ClaimsWithoutAJsonFormAreInvalidArgumentNamingClaims) {
  v1::IssueRequest nan = IssueRequest({"api://orders"});
  (*nan.mutable_claims()->mutable_fields())["n"].set_number_value(
      std::numeric_limits<double>::quiet_NaN());
  EXPECT_TRUE(HasCode(Caller().Issue(nan).status(), absl::StatusCode::kInvalidArgument, "claims"));
  v1::IssueRequest inf = IssueRequest({"api://orders"});
  (*inf.mutable_claims()->mutable_fields())["n"].set_number_value(
      std::numeric_limits<double>::infinity());
  EXPECT_TRUE(HasCode(Caller().Issue(inf).status(), absl::StatusCode::kInvalidArgument, "claims"));
  v1::IssueRequest kindless = IssueRequest({"api://orders"});
  (*kindless.mutable_claims()->mutable_fields())["n"];
  EXPECT_TRUE(
      HasCode(Caller().Issue(kindless).status(), absl::StatusCode::kInvalidArgument, "claims"));
}

TEST(StatusCodes, EmptyTokensAreInvalidArgumentNamingTheField) {
  EXPECT_TRUE(HasCode(Caller().Introspect(IntrospectRequest("")).status(),
                      absl::StatusCode::kInvalidArgument, "token"));
  EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest("")).status(),
                      absl::StatusCode::kInvalidArgument, "refresh_token"));
  EXPECT_TRUE(HasCode(Caller().Revoke(RevokeTokenRequest("")).status(),
                      absl::StatusCode::kInvalidArgument, "token"));
  EXPECT_TRUE(HasCode(Caller().Revoke(RevokeSubjectRequest("")).status(),
                      absl::StatusCode::kInvalidArgument, "subject"));
}

TEST(StatusCodes, RevokeWithNeitherTokenNorSubjectIsInvalidArgument) {
  absl::Status status = Caller().Revoke(v1::RevokeRequest()).status();
  EXPECT_TRUE(HasCode(status, absl::StatusCode::kInvalidArgument, "token"));
  EXPECT_TRUE(HasCode(status, absl::StatusCode::kInvalidArgument, "subject"));
}

TEST(StatusCodes, OversizedNamesAreInvalidArgumentNamingTheField) {
  EXPECT_TRUE(HasCode(
      Caller().Issue(IssueRequest({"api://orders"}, {}, false, std::string(5000, 's'))).status(),
      absl::StatusCode::kInvalidArgument, "subject"));
  EXPECT_TRUE(HasCode(Caller().Issue(IssueRequest({std::string(5000, 'a')})).status(),
                      absl::StatusCode::kInvalidArgument, "audience"));
  EXPECT_TRUE(HasCode(Caller().Issue(IssueRequest({"api://orders"}, {"has space"})).status(),
                      absl::StatusCode::kInvalidArgument, "scopes"));
}

// ---- PERMISSION_DENIED ----

TEST(StatusCodes, ACallerNotInThePolicyIsDeniedEveryRpc) {
  std::unique_ptr<client::TokenClient> stranger = Stranger();
  EXPECT_TRUE(HasCode(stranger->Issue(IssueRequest({"api://orders"})).status(),
                      absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(HasCode(stranger->Refresh(RefreshRequest("tkdrt_x")).status(),
                      absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(HasCode(stranger->Introspect(IntrospectRequest("x")).status(),
                      absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(HasCode(stranger->Revoke(RevokeTokenRequest("x")).status(),
                      absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(HasCode(stranger->GetJwks(v1::GetJwksRequest()).status(),
                      absl::StatusCode::kPermissionDenied));
}

TEST(StatusCodes, ARpcThePolicyDoesNotAllowIsDeniedBeforeTheRequestIsRead) {
  // Malformed requests: a caller that may not call the RPC at all learns
  // nothing about its request.
  std::unique_ptr<client::TokenClient> limited = IntrospectOnly();
  EXPECT_TRUE(
      HasCode(limited->Issue(IssueRequest({})).status(), absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(
      HasCode(limited->Refresh(RefreshRequest("")).status(), absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(
      HasCode(limited->Revoke(v1::RevokeRequest()).status(), absl::StatusCode::kPermissionDenied));
  std::unique_ptr<client::TokenClient> stranger = Stranger();
  EXPECT_TRUE(HasCode(stranger->Introspect(IntrospectRequest("")).status(),
                      absl::StatusCode::kPermissionDenied));
  // Even bytes that are no request at all.
  for (const char* method : {"Issue", "Refresh", "Revoke"}) {
    EXPECT_TRUE(HasCode(ToAbsl(RawCall(Bed().introspect_only_cert(), method, "\x0a\xff")),
                        absl::StatusCode::kPermissionDenied))
        << method;
  }
  EXPECT_TRUE(HasCode(ToAbsl(RawCall(Bed().stranger_cert(), "Introspect", "\xff\xff\xff")),
                      absl::StatusCode::kPermissionDenied));
}

TEST(StatusCodes, AMalformedRequestIsInvalidArgumentBeforeItsRightsAreChecked) {
  // Audience api://billing is not allowed for the DNS caller, but ttl 0 is
  // malformed, and that is said first.
  v1::IssueRequest request = IssueRequest({"api://billing"});
  request.mutable_ttl()->set_seconds(0);
  EXPECT_TRUE(HasCode(Dns()->Issue(request).status(), absl::StatusCode::kInvalidArgument, "ttl"));
}

TEST(StatusCodes, RequestsBeyondTheCallersRightsArePermissionDenied) {
  EXPECT_TRUE(HasCode(Caller().Issue(IssueRequest({"api://admin"})).status(),
                      absl::StatusCode::kPermissionDenied, "audience"));
  EXPECT_TRUE(HasCode(Caller().Issue(IssueRequest({"api://orders"}, {"orders:delete"})).status(),
                      absl::StatusCode::kPermissionDenied, "scopes"));
  std::unique_ptr<client::TokenClient> dns = Dns();
  EXPECT_TRUE(HasCode(dns->Issue(IssueRequest({"api://billing"})).status(),
                      absl::StatusCode::kPermissionDenied, "audience"));
  EXPECT_TRUE(HasCode(dns->Issue(IssueRequest({"api://orders"}, {"orders:write"})).status(),
                      absl::StatusCode::kPermissionDenied, "scopes"));
  // Issuing for another subject without issue_for_others; naming itself is fine.
  EXPECT_TRUE(HasCode(dns->Issue(IssueRequest({"api://orders"}, {}, false, "mallory")).status(),
                      absl::StatusCode::kPermissionDenied, "subject"));
  EXPECT_TRUE(dns->Issue(IssueRequest({"api://orders"}, {}, false, test::kClientDns)).ok());
  // Revoking another subject needs issue_for_others too.
  EXPECT_TRUE(HasCode(dns->Revoke(RevokeSubjectRequest("mallory")).status(),
                      absl::StatusCode::kPermissionDenied, "subject"));
  // The CN caller may Issue and Introspect only.
  std::unique_ptr<client::TokenClient> cn = ClientFor(Bed().pki().client_cn_only());
  EXPECT_TRUE(
      HasCode(cn->GetJwks(v1::GetJwksRequest()).status(), absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(
      HasCode(cn->Issue(IssueRequest({"api://orders"}, {}, true)).status(), absl::StatusCode::kOk));
}

// ---- UNAUTHENTICATED ----

TEST(StatusCodes, UnknownOrMalformedRefreshTokensAreUnauthenticated) {
  for (const std::string& token :
       {std::string("tkdrt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), std::string("garbage"),
        std::string("tkdrt_"), std::string(20000, 'r'),
        absl::StrCat("tkdrt_", std::string(20000, 'r')), std::string("a.b.c")}) {
    EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(token)).status(),
                        absl::StatusCode::kUnauthenticated))
        << token.substr(0, 40);
  }
  // An access token is no refresh token.
  absl::StatusOr<v1::IssueResponse> issued = Caller().Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(issued.ok());
  EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(issued->access_token())).status(),
                      absl::StatusCode::kUnauthenticated));
}

TEST(StatusCodes, AlteredOrTruncatedRefreshTokensAreUnauthenticatedAndRevokeNothing) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok()) << issued.status();
  std::string altered = issued->refresh_token();
  altered.back() = altered.back() == 'A' ? 'B' : 'A';
  std::string truncated = issued->refresh_token().substr(0, issued->refresh_token().size() - 1);
  for (const std::string& bad : {altered, truncated, issued->refresh_token() + "A"}) {
    EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(bad)).status(),
                        absl::StatusCode::kUnauthenticated));
    EXPECT_TRUE(Caller().Revoke(RevokeTokenRequest(bad)).ok());
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), bad));
  }
  EXPECT_TRUE(IsActive(Caller(), issued->access_token()));
  EXPECT_TRUE(Caller().Refresh(RefreshRequest(issued->refresh_token())).ok());
}

TEST(StatusCodes, RevokedRefreshTokensAreUnauthenticated) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok());
  ASSERT_TRUE(Caller().Revoke(RevokeTokenRequest(issued->refresh_token())).ok());
  EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(issued->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
}

TEST(StatusCodes, ReusedRefreshTokensAreUnauthenticated) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(issued.ok());
  absl::StatusOr<v1::RefreshResponse> second =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(second.ok());
  // Once its successor is redeemed, a repeat is reuse even within the retry
  // window.
  ASSERT_TRUE(Caller().Refresh(RefreshRequest(second->refresh_token())).ok());
  EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(issued->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
}

TEST(StatusCodes, ARepeatedRefreshWithinTheRetryWindowAnswersTheSameSuccessor) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}, true));
  ASSERT_TRUE(issued.ok());
  absl::StatusOr<v1::RefreshResponse> second =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(second.ok()) << second.status();
  absl::StatusOr<v1::RefreshResponse> repeat =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(repeat.ok()) << repeat.status();
  EXPECT_EQ(repeat->refresh_token(), second->refresh_token());
  EXPECT_EQ(repeat->refresh_expires_at().seconds(), second->refresh_expires_at().seconds());
  EXPECT_TRUE(IsActive(Caller(), repeat->access_token()));
  EXPECT_TRUE(IsActive(Caller(), second->access_token()));
  EXPECT_TRUE(IsActive(Caller(), second->refresh_token()));
}

TEST(StatusCodes, ExpiredRefreshTokensAreUnauthenticated) {
  absl::StatusOr<v1::IssueResponse> idle = Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  absl::StatusOr<v1::IssueResponse> old_family =
      Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  ASSERT_TRUE(idle.ok() && old_family.ok());
  // Age them in the database rather than waiting: the token's own idle
  // lifetime, and the family's absolute one.
  absl::StatusOr<std::string> updated = Cluster().Psql(
      "tokend_api",
      absl::StrCat("UPDATE refresh_tokens SET expires_at = now() - interval '1 minute' "
                   "WHERE token_hash = '\\x",
                   HexOf(Sha256(idle->refresh_token())),
                   "'; UPDATE refresh_families SET absolute_expires_at = now() - interval "
                   "'1 minute' WHERE family_id = (SELECT family_id FROM refresh_tokens WHERE "
                   "token_hash = '\\x",
                   HexOf(Sha256(old_family->refresh_token())), "');"));
  ASSERT_TRUE(updated.ok()) << updated.status();
  for (const v1::IssueResponse* issued : {&*idle, &*old_family}) {
    EXPECT_TRUE(IntrospectsBareInactive(Caller(), issued->refresh_token()));
    EXPECT_TRUE(HasCode(Caller().Refresh(RefreshRequest(issued->refresh_token())).status(),
                        absl::StatusCode::kUnauthenticated));
  }
}

TEST(StatusCodes, ARefreshTokenOfAnotherCallerIsUnauthenticatedAndRevokesNothing) {
  absl::StatusOr<v1::IssueResponse> issued =
      Caller().Issue(IssueRequest({"api://orders"}, {"orders:read"}, true, test::kClientDns));
  ASSERT_TRUE(issued.ok()) << issued.status();
  std::unique_ptr<client::TokenClient> dns = Dns();
  for (int i = 0; i < 2; ++i) {
    EXPECT_TRUE(HasCode(dns->Refresh(RefreshRequest(issued->refresh_token())).status(),
                        absl::StatusCode::kUnauthenticated));
  }
  EXPECT_TRUE(IsActive(Caller(), issued->access_token()));
  EXPECT_TRUE(IsActive(Caller(), issued->refresh_token()));
  absl::StatusOr<v1::RefreshResponse> rightful =
      Caller().Refresh(RefreshRequest(issued->refresh_token()));
  ASSERT_TRUE(rightful.ok()) << rightful.status();
  EXPECT_TRUE(IsActive(Caller(), rightful->access_token()));
  EXPECT_TRUE(IsActive(Caller(), issued->access_token()));
  // Not even a used token of the family, presented by another caller, is reuse.
  EXPECT_TRUE(HasCode(dns->Refresh(RefreshRequest(issued->refresh_token())).status(),
                      absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(IsActive(Caller(), rightful->refresh_token()));
  EXPECT_TRUE(IsActive(Caller(), rightful->access_token()));
}

// ---- RESOURCE_EXHAUSTED ----

TEST(StatusCodes, ARequestOver64KibIsResourceExhausted) {
  EXPECT_TRUE(
      HasCode(Caller()
                  .Issue(IssueRequest({"api://orders"}, {}, false, std::string(70 * 1024, 's')))
                  .status(),
              absl::StatusCode::kResourceExhausted));
  EXPECT_TRUE(HasCode(Caller().Introspect(IntrospectRequest(std::string(65 * 1024, 't'))).status(),
                      absl::StatusCode::kResourceExhausted));
  // Just under the limit: an ordinary answer, and the server is fine.
  absl::StatusOr<v1::IntrospectResponse> under =
      Caller().Introspect(IntrospectRequest(std::string(60 * 1024, 't')));
  ASSERT_TRUE(under.ok()) << under.status();
  EXPECT_TRUE(IsBareInactive(*under));
  EXPECT_TRUE(Caller().GetJwks(v1::GetJwksRequest()).ok());
}

TEST(StatusCodes, ACompressedRequestOver64KibOnceDecompressedIsResourceExhausted) {
  std::unique_ptr<v1::TokenService::Stub> stub =
      v1::TokenService::NewStub(ChannelFor(Bed().pki().client_uri()));
  for (size_t size : {size_t{60} * 1024, size_t{1024} * 1024}) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    v1::IntrospectResponse response;
    grpc::Status status =
        stub->Introspect(&context, IntrospectRequest(std::string(size, 'a')), &response);
    if (size < 64 * 1024) {
      EXPECT_TRUE(status.ok()) << status.error_message();
      EXPECT_TRUE(IsBareInactive(response));
    } else {
      EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << status.error_code() << " " << status.error_message();
    }
  }
}

// ---- DEADLINE_EXCEEDED ----

TEST(StatusCodes, CallsThatOutliveTheirDeadlineAreDeadlineExceededAndWriteNothing) {
  absl::StatusOr<v1::IssueResponse> held = Caller().Issue(IssueRequest({"api://orders"}, {}, true));
  absl::StatusOr<v1::IssueResponse> access = Caller().Issue(IssueRequest({"api://orders"}));
  ASSERT_TRUE(held.ok() && access.ok());
  absl::StatusOr<std::string> families_before =
      Cluster().Psql("tokend_api", "SELECT count(*) FROM refresh_families");
  ASSERT_TRUE(families_before.ok()) << families_before.status();

  // Another session holds the tables tokend writes, longer than the calls'
  // deadline.
  std::thread locker([] {
    absl::StatusOr<std::string> r = Cluster().Psql(
        "tokend_api",
        "BEGIN; LOCK TABLE refresh_families, refresh_tokens, revocations IN ACCESS EXCLUSIVE "
        "MODE; SELECT pg_sleep(3); COMMIT;",
        absl::Seconds(30), "tokend_test_locker");
    EXPECT_TRUE(r.ok()) << r.status();
  });
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (absl::Now() < give_up) {
    absl::StatusOr<std::string> locks = Cluster().Psql(
        "tokend_api",
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'revocations' AND l.mode = 'AccessExclusiveLock' AND l.granted");
    if (locks.ok() && absl::StripAsciiWhitespace(*locks) == "1") break;
    absl::SleepFor(absl::Milliseconds(20));
  }

  std::unique_ptr<client::TokenClient> hasty =
      ClientFor(Bed().pki().client_uri(), absl::Seconds(1));
  const absl::Time start = absl::Now();
  auto issue_call = std::async(std::launch::async, [&] {
    return hasty->Issue(IssueRequest({"api://orders"}, {}, true)).status();
  });
  auto refresh_call = std::async(std::launch::async, [&] {
    return hasty->Refresh(RefreshRequest(held->refresh_token())).status();
  });
  auto revoke_call = std::async(std::launch::async, [&] {
    return hasty->Revoke(RevokeTokenRequest(access->access_token())).status();
  });
  absl::Status issue = issue_call.get();
  absl::Status refresh = refresh_call.get();
  absl::Status revoke = revoke_call.get();
  const absl::Duration took = absl::Now() - start;
  locker.join();
  EXPECT_TRUE(HasCode(issue, absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(HasCode(refresh, absl::StatusCode::kDeadlineExceeded));
  EXPECT_TRUE(HasCode(revoke, absl::StatusCode::kDeadlineExceeded));
  EXPECT_LT(took, absl::Seconds(2.5)) << "each call has a 1 s deadline";

  // Nothing was written: no new family, the refresh token is unused, the
  // access token is not revoked (here or in the database).
  absl::SleepFor(absl::Milliseconds(300));
  absl::StatusOr<std::string> families_after =
      Cluster().Psql("tokend_api", "SELECT count(*) FROM refresh_families");
  ASSERT_TRUE(families_after.ok());
  EXPECT_EQ(*families_after, *families_before);
  EXPECT_TRUE(IsActive(Caller(), access->access_token()));
  EXPECT_TRUE(IsActive(Caller(), held->refresh_token()));
  EXPECT_TRUE(Caller().Refresh(RefreshRequest(held->refresh_token())).ok());
}

// ---- raw bytes: never INTERNAL or UNKNOWN ----

TEST(StatusCodes, UnparsableRequestBytesAreInvalidArgument) {
  const test::CertFiles& cert = Bed().pki().client_uri();
  const std::vector<std::string> garbage = {
      std::string("\xff\xff\xff\xff"),  // an impossible tag
      std::string("\x0a\xff"),          // field 1, length 255, no bytes
      std::string("\x0a\x05\x61"),      // field 1, length 5, one byte
      std::string("\x0b"),              // an unterminated group
      std::string("\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01"),  // an 11-byte varint
  };
  for (const char* method : {"Issue", "Refresh", "Introspect", "Revoke", "GetJwks"}) {
    for (const std::string& body : garbage) {
      EXPECT_TRUE(HasCode(ToAbsl(RawCall(cert, method, body)), absl::StatusCode::kInvalidArgument))
          << method << " " << absl::CHexEscape(body);
    }
  }
}

TEST(StatusCodes, AnUnknownMethodIsUnimplemented) {
  for (const char* method : {"NopeXyzzy", "issue", "Issue/Extra"}) {
    EXPECT_TRUE(HasCode(ToAbsl(RawCall(Bed().pki().client_uri(), method, "")),
                        absl::StatusCode::kUnimplemented))
        << method;
  }
  // Caller-chosen method names do not become metric label values.
  absl::StatusOr<HttpResponse> metrics = HttpGet(Server().ops_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_EQ(metrics->body.find("NopeXyzzy"), std::string::npos);
  EXPECT_EQ(metrics->body.find("Extra"), std::string::npos);
}

TEST(StatusCodes, InvalidUtf8InAStringFieldIsInvalidArgument) {
  const test::CertFiles& cert = Bed().pki().client_uri();
  const std::string bad = "\xc3\x28";  // a two-byte lead without its continuation
  struct Case {
    const char* method;
    std::string body;
  };
  // google.protobuf.Struct{fields: {key: Value{string_value}}} inside
  // IssueRequest.claims (field 5).
  const std::string value_bad = Field(3, bad);
  const std::string entry_bad_value = absl::StrCat(Field(1, "k"), Field(2, value_bad));
  const std::string entry_bad_key = absl::StrCat(Field(1, bad), Field(2, Field(3, "v")));
  const std::string audience = Field(2, "api://orders");
  const std::vector<Case> cases = {
      {"Issue", absl::StrCat(Field(1, bad), audience)},
      {"Issue", Field(2, bad)},
      {"Issue", absl::StrCat(audience, Field(3, bad))},
      {"Issue", absl::StrCat(audience, Field(5, Field(1, entry_bad_value)))},
      {"Issue", absl::StrCat(audience, Field(5, Field(1, entry_bad_key)))},
      {"Refresh", Field(1, absl::StrCat("tkdrt_", bad))},
      {"Refresh", absl::StrCat(Field(1, "tkdrt_x"), Field(2, bad))},
      {"Introspect", Field(1, bad)},
      {"Revoke", Field(1, bad)},
      {"Revoke", Field(2, bad)},
  };
  for (const Case& c : cases) {
    EXPECT_TRUE(
        HasCode(ToAbsl(RawCall(cert, c.method, c.body)), absl::StatusCode::kInvalidArgument))
        << c.method << " " << absl::CHexEscape(c.body);
  }
  // The same shapes with valid UTF-8 are ordinary requests (controls).
  EXPECT_TRUE(RawCall(cert, "Issue", absl::StrCat(Field(1, "ok"), audience)).ok());
  EXPECT_TRUE(RawCall(cert, "Introspect", Field(1, "ok")).ok());
}

TEST(StatusCodes, NulCharactersInNamesAreInvalidArgumentNamingTheField) {
  // Valid UTF-8, but no PostgreSQL text: a subject with NUL could never be
  // revoked by subject, with or without a refresh token.
  const std::string nul("a\0b", 3);
  for (bool refresh : {true, false}) {
    EXPECT_TRUE(HasCode(Caller().Issue(IssueRequest({"api://orders"}, {}, refresh, nul)).status(),
                        absl::StatusCode::kInvalidArgument, "subject"));
    EXPECT_TRUE(HasCode(Caller().Issue(IssueRequest({nul}, {}, refresh)).status(),
                        absl::StatusCode::kInvalidArgument, "audience"));
  }
  EXPECT_TRUE(HasCode(Caller().Revoke(RevokeSubjectRequest(nul)).status(),
                      absl::StatusCode::kInvalidArgument, "subject"));
}

TEST(StatusCodes, OddButWellFormedRequestsNeverGetInternalOrUnknown) {
  std::vector<absl::Status> results;
  const std::string nul("a\0b", 3);
  results.push_back(Caller().Revoke(RevokeTokenRequest(nul)).status());
  results.push_back(Caller().Introspect(IntrospectRequest(nul)).status());
  results.push_back(Caller().Refresh(RefreshRequest(absl::StrCat("tkdrt_", nul))).status());
  results.push_back(Caller().Introspect(IntrospectRequest(absl::StrCat("tkdrt_", nul))).status());
  results.push_back(Caller().Revoke(RevokeTokenRequest(absl::StrCat("tkdrt_", nul))).status());
  // Non-ASCII, unknown enum values, repeats.
  results.push_back(
      Caller()
          .Issue(IssueRequest({"api://orders"}, {}, true, "\xc3\xa9l\xc3\xa8ve \xf0\x9f\x94\x91"))
          .status());
  v1::IntrospectRequest hint = IntrospectRequest("x");
  hint.set_token_type_hint(static_cast<v1::TokenType>(42));
  results.push_back(Caller().Introspect(hint).status());
  std::vector<std::string> repeated(500, "api://orders");
  results.push_back(
      Caller().Issue(IssueRequest(repeated, {"orders:read", "orders:read"})).status());
  // Deeply nested claims.
  v1::IssueRequest deep = IssueRequest({"api://orders"});
  google::protobuf::Struct* level = deep.mutable_claims();
  for (int i = 0; i < 60; ++i) {
    level = (*level->mutable_fields())["n"].mutable_struct_value();
  }
  results.push_back(Caller().Issue(deep).status());
  v1::IssueRequest empty_key = IssueRequest({"api://orders"});
  (*empty_key.mutable_claims()->mutable_fields())[""].set_bool_value(true);
  results.push_back(Caller().Issue(empty_key).status());
  for (size_t i = 0; i < results.size(); ++i) {
    EXPECT_TRUE(NotInternal(results[i])) << "case " << i;
  }
  // And the server still serves.
  EXPECT_TRUE(Caller().GetJwks(v1::GetJwksRequest()).ok());
}

}  // namespace
}  // namespace tokend::testing
