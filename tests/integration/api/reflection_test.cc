// gRPC server reflection (the `reflection` configuration key), read the way
// grpcurl reads it: the reflection service lists tokend.v1.TokenService and
// hands out its file descriptor when it is on, answers UNIMPLEMENTED when it
// is off, and is behind the API port's mutual TLS either way.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/descriptor.pb.h"
#include "grpc/reflection/v1alpha/reflection.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/api/api_test_util.h"

namespace tokend::testing {
namespace {

namespace reflection = ::grpc::reflection::v1alpha;

// One request on a fresh reflection stream; the stream's final status when
// it carries no answer.
struct ReflectionAnswer {
  grpc::Status status;
  reflection::ServerReflectionResponse response;
};

ReflectionAnswer Ask(const std::shared_ptr<grpc::Channel>& channel,
                     const reflection::ServerReflectionRequest& request) {
  std::unique_ptr<reflection::ServerReflection::Stub> stub =
      reflection::ServerReflection::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->ServerReflectionInfo(&context);
  ReflectionAnswer answer;
  const bool got = stream->Write(request) && stream->Read(&answer.response);
  stream->WritesDone();
  answer.status = stream->Finish();
  if (!got && answer.status.ok()) {
    answer.status = grpc::Status(grpc::StatusCode::INTERNAL, "stream ended without an answer");
  }
  return answer;
}

reflection::ServerReflectionRequest ListServices() {
  reflection::ServerReflectionRequest request;
  request.set_list_services("");
  return request;
}

class Reflection : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    TokendConfig config = Bed().Config();
    config.reflection = true;
    absl::StatusOr<std::unique_ptr<TokendServer>> server = Bed().StartServer(config);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }
  static std::shared_ptr<grpc::Channel> ChannelWith(const test::CertFiles* cert) {
    return grpc::CreateChannel(server_->target(), SslCredentialsFor(cert));
  }

  static TokendServer* server_;
};
TokendServer* Reflection::server_ = nullptr;

TEST_F(Reflection, WhenOnListsTheTokenServiceAndServesItsSchema) {
  ASSERT_NE(server_, nullptr);
  ReflectionAnswer listed = Ask(ChannelWith(&Bed().pki().client_uri()), ListServices());
  ASSERT_TRUE(listed.status.ok()) << listed.status.error_message();
  std::vector<std::string> names;
  for (const auto& service : listed.response.list_services_response().service()) {
    names.push_back(service.name());
  }
  EXPECT_THAT(names, ::testing::Contains("tokend.v1.TokenService"));

  // What grpcurl asks next to learn the methods and messages.
  reflection::ServerReflectionRequest request;
  request.set_file_containing_symbol("tokend.v1.TokenService");
  ReflectionAnswer file = Ask(ChannelWith(&Bed().pki().client_uri()), request);
  ASSERT_TRUE(file.status.ok()) << file.status.error_message();
  ASSERT_GT(file.response.file_descriptor_response().file_descriptor_proto_size(), 0);
  google::protobuf::FileDescriptorProto proto;
  ASSERT_TRUE(
      proto.ParseFromString(file.response.file_descriptor_response().file_descriptor_proto(0)));
  EXPECT_EQ(proto.package(), "tokend.v1");
  std::vector<std::string> methods;
  for (const auto& service : proto.service()) {
    for (const auto& method : service.method()) methods.push_back(method.name());
  }
  EXPECT_THAT(methods, ::testing::IsSupersetOf({"Issue", "Refresh", "Introspect", "Revoke"}));
}

TEST_F(Reflection, WhenOnIsOpenToAnyCertifiedClientEvenOneNotInTheCallerPolicy) {
  ASSERT_NE(server_, nullptr);
  ReflectionAnswer listed = Ask(ChannelWith(&Bed().stranger_cert()), ListServices());
  EXPECT_TRUE(listed.status.ok()) << listed.status.error_message();
}

TEST_F(Reflection, WhenOnStillRequiresAClientCertificate) {
  ASSERT_NE(server_, nullptr);
  ReflectionAnswer listed = Ask(ChannelWith(nullptr), ListServices());
  EXPECT_EQ(listed.status.error_code(), grpc::StatusCode::UNAVAILABLE)
      << listed.status.error_message();
}

TEST_F(Reflection, CallsAreCountedInTheMetricsUnderTheirMethodName) {
  ASSERT_NE(server_, nullptr);
  ASSERT_TRUE(Ask(ChannelWith(&Bed().pki().client_uri()), ListServices()).status.ok());
  absl::StatusOr<HttpResponse> metrics = HttpGet(server_->ops_port(), "/metrics");
  ASSERT_TRUE(metrics.ok()) << metrics.status();
  EXPECT_THAT(metrics->body,
              ::testing::HasSubstr(
                  "tokend_rpc_requests_total{code=\"OK\",method=\"ServerReflectionInfo\"}"));
  EXPECT_THAT(metrics->body, ::testing::Not(::testing::HasSubstr("method=\"unknown\"")));
}

TEST(ReflectionOff, ByDefaultTheReflectionServiceAnswersUnimplemented) {
  ReflectionAnswer listed = Ask(ChannelFor(Bed().pki().client_uri()), ListServices());
  EXPECT_EQ(listed.status.error_code(), grpc::StatusCode::UNIMPLEMENTED)
      << listed.status.error_message();
}

}  // namespace
}  // namespace tokend::testing
