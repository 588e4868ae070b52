#include "rpc/status_mapping.h"

#include "gtest/gtest.h"

namespace tokend::rpc {
namespace {

TEST(StatusMapping, PassesTheContractsCodesThroughWithTheirMessage) {
  struct Row {
    absl::Status in;
    grpc::StatusCode out;
  };
  for (const Row& row : {
           Row{absl::InvalidArgumentError("audience: required"), grpc::INVALID_ARGUMENT},
           Row{absl::PermissionDeniedError("caller: not allowed"), grpc::PERMISSION_DENIED},
           Row{absl::UnauthenticatedError("refresh_token: unknown"), grpc::UNAUTHENTICATED},
           Row{absl::UnavailableError("database: down"), grpc::UNAVAILABLE},
           Row{absl::DeadlineExceededError("deadline: passed"), grpc::DEADLINE_EXCEEDED},
           Row{absl::ResourceExhaustedError("backlog: full"), grpc::RESOURCE_EXHAUSTED},
       }) {
    grpc::Status out = ToGrpcStatus(row.in);
    EXPECT_EQ(out.error_code(), row.out) << row.in;
    EXPECT_EQ(out.error_message(), row.in.message());
  }
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

TEST(StatusMapping, TurnsALostTransactionConflictIntoARetryableUnavailable) {
  EXPECT_EQ(ToGrpcStatus(absl::AbortedError("serialization failure")).error_code(),
            grpc::UNAVAILABLE);
}

TEST(StatusMapping, HidesTheDetailOfErrorsThatCanOnlyBeBugs) {
  for (const absl::Status& bug :
       {absl::InternalError("pqxx: secret dsn"), absl::UnknownError("??"), absl::DataLossError("x"),
        absl::AlreadyExistsError("duplicate key")}) {
    grpc::Status out = ToGrpcStatus(bug);
    EXPECT_EQ(out.error_code(), grpc::INTERNAL);
    EXPECT_EQ(out.error_message(), "internal error");
  }
}

}  // namespace
}  // namespace tokend::rpc
