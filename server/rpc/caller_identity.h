#ifndef TOKEND_SERVER_RPC_CALLER_IDENTITY_H_
#define TOKEND_SERVER_RPC_CALLER_IDENTITY_H_

#include <grpcpp/security/auth_context.h>

#include <string>

namespace tokend::rpc {

// The caller's identity from its verified client certificate: the first URI
// SAN (for example a SPIFFE ID), else the first DNS SAN, else the subject CN.
// Empty when the peer presented none of these (such a caller is in no policy).
std::string CallerIdentity(const grpc::AuthContext& auth);

}  // namespace tokend::rpc

#endif  // TOKEND_SERVER_RPC_CALLER_IDENTITY_H_
