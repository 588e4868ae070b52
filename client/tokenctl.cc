// tokenctl: a command-line client of tokend. See kTokenctlUsage.
#include <grpc/support/log.h>

#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "client/tokenctl_cli.h"

namespace {

// gRPC logs handshake failures and the like to stderr; tokenctl reports
// failures as one line of its own, so gRPC stays quiet unless asked.
void DropGrpcLog(gpr_log_func_args* /*args*/) {}

}  // namespace

int main(int argc, char** argv) {
  if (std::getenv("GRPC_VERBOSITY") == nullptr && std::getenv("GRPC_TRACE") == nullptr) {
    gpr_set_log_function(DropGrpcLog);
  }
  const std::vector<std::string> args(argv + 1, argv + argc);
  return tokend::client::RunTokenctl(
      args,
      [](const std::string& name) -> std::optional<std::string> {
        const char* value = std::getenv(name.c_str());
        if (value == nullptr) return std::nullopt;
        return std::string(value);
      },
      std::cin, std::cout, std::cerr);
}
