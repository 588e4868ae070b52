#include "rpc/caller_identity.h"

#include <grpc/grpc_security_constants.h>

namespace tokend::rpc {
namespace {

std::string FirstValue(const grpc::AuthContext& auth, const char* property) {
  std::vector<grpc::string_ref> values = auth.FindPropertyValues(property);
  if (values.empty()) return "";
  return std::string(values.front().data(), values.front().size());
}

}  // namespace

std::string CallerIdentity(const grpc::AuthContext& auth) {
  // gRPC lists the SANs of each kind in certificate order, so the first
  // value of each property is the certificate's first SAN of that kind.
  if (std::string uri = FirstValue(auth, GRPC_PEER_URI_PROPERTY_NAME); !uri.empty()) {
    return uri;
  }
  if (std::string dns = FirstValue(auth, GRPC_PEER_DNS_PROPERTY_NAME); !dns.empty()) {
    return dns;
  }
  return FirstValue(auth, GRPC_X509_CN_PROPERTY_NAME);
}

}  // namespace tokend::rpc
