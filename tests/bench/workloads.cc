#include "workloads.h"

#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace tokend::bench {
namespace {

// xorshift64: a per-slot sequence, cheap and good enough to pick tokens and
// mix parts (nothing here needs unpredictability).
uint64_t NextRandom(uint64_t& state) {
  state ^= state << 13;
  state ^= state >> 7;
  state ^= state << 17;
  return state;
}

// Per-slot request and response, so that no message is shared between
// concurrent calls.
template <typename Request, typename Response>
struct Exchange {
  Request request;
  Response response;
};

class NoopWorkload final : public Workload {
 public:
  NoopWorkload(const std::vector<std::shared_ptr<grpc::Channel>>& channels, size_t slots)
      : exchanges_(slots) {
    for (const auto& channel : channels) stubs_.push_back(Noop::NewStub(channel));
  }
  std::string name() const override { return "noop"; }
  Next Start(size_t slot, grpc::ClientContext* context,
             std::function<void(grpc::Status)> done) override {
    auto& e = exchanges_[slot];
    stubs_[slot % stubs_.size()]->async()->Call(context, &e.request, &e.response, std::move(done));
    return Next::kSent;
  }

 private:
  using Noop = tokend::bench::Noop;
  std::vector<std::unique_ptr<Noop::Stub>> stubs_;
  std::vector<Exchange<NoopRequest, NoopResponse>> exchanges_;
};

class IssueWorkload final : public Workload {
 public:
  IssueWorkload(TokenStubs* stubs, size_t slots, const IssueShape& shape, bool refresh_token,
                std::vector<std::string>* mint)
      : stubs_(stubs), refresh_token_(refresh_token), mint_(mint), exchanges_(slots) {
    for (auto& e : exchanges_) {
      e.request.set_subject(shape.subject);
      e.request.add_audience(shape.audience);
      for (const std::string& scope : shape.scopes) e.request.add_scopes(scope);
      e.request.set_include_refresh_token(refresh_token);
    }
  }
  std::string name() const override {
    if (mint_ != nullptr) return refresh_token_ ? "mint_refresh" : "mint_access";
    return refresh_token_ ? "issue_refresh" : "issue";
  }
  Next Start(size_t slot, grpc::ClientContext* context,
             std::function<void(grpc::Status)> done) override {
    size_t index = 0;
    if (mint_ != nullptr) {
      // Claims the next place to fill; a failed call gives it back.
      index = next_.fetch_add(1);
      if (index >= mint_->size()) return Next::kSlotDone;
    }
    auto& e = exchanges_[slot];
    stubs_->ForSlot(slot)->async()->Issue(
        context, &e.request, &e.response,
        [this, &e, index, done = std::move(done)](grpc::Status status) {
          if (mint_ != nullptr) {
            // A failed call leaves its place empty; the caller drops those.
            if (status.ok()) {
              (*mint_)[index] =
                  refresh_token_ ? e.response.refresh_token() : e.response.access_token();
            }
          }
          done(status);
        });
    return Next::kSent;
  }

 private:
  TokenStubs* stubs_;
  const bool refresh_token_;
  std::vector<std::string>* mint_;
  std::atomic<size_t> next_{0};
  std::vector<Exchange<v1::IssueRequest, v1::IssueResponse>> exchanges_;
};

class RefreshWorkload final : public Workload {
 public:
  RefreshWorkload(TokenStubs* stubs, std::vector<std::string> first)
      : stubs_(stubs), exchanges_(first.size()) {
    for (size_t i = 0; i < first.size(); ++i) {
      exchanges_[i].request.set_refresh_token(std::move(first[i]));
    }
  }
  std::string name() const override { return "refresh"; }
  Next Start(size_t slot, grpc::ClientContext* context,
             std::function<void(grpc::Status)> done) override {
    if (slot >= exchanges_.size()) return Next::kSlotDone;
    auto& e = exchanges_[slot];
    if (e.request.refresh_token().empty()) return Next::kSlotDone;
    stubs_->ForSlot(slot)->async()->Refresh(
        context, &e.request, &e.response, [&e, done = std::move(done)](grpc::Status status) {
          if (status.ok()) {
            *e.request.mutable_refresh_token() = std::move(*e.response.mutable_refresh_token());
          } else {
            e.request.clear_refresh_token();  // the chain may be broken: stop this slot
          }
          done(status);
        });
    return Next::kSent;
  }

 private:
  TokenStubs* stubs_;
  std::vector<Exchange<v1::RefreshRequest, v1::RefreshResponse>> exchanges_;
};

class IntrospectWorkload final : public Workload {
 public:
  IntrospectWorkload(TokenStubs* stubs, size_t slots, const std::vector<std::string>* tokens,
                     bool distinct)
      : stubs_(stubs), tokens_(tokens), distinct_(distinct), exchanges_(slots), rng_(slots) {
    for (size_t i = 0; i < slots; ++i) rng_[i] = 0x9E3779B97F4A7C15ULL * (i + 1);
  }
  std::string name() const override {
    return distinct_ ? "introspect_distinct" : "introspect_repeated";
  }
  Next Start(size_t slot, grpc::ClientContext* context,
             std::function<void(grpc::Status)> done) override {
    size_t index = 0;
    if (distinct_) {
      index = next_.fetch_add(1);
      if (index >= tokens_->size()) return Next::kExhausted;
    } else {
      index = static_cast<size_t>(NextRandom(rng_[slot]) % tokens_->size());
    }
    auto& e = exchanges_[slot];
    e.request.set_token((*tokens_)[index]);
    stubs_->ForSlot(slot)->async()->Introspect(
        context, &e.request, &e.response, [&e, done = std::move(done)](grpc::Status status) {
          // An inactive answer to a token we just minted is an error of the
          // server, not a figure: count it as one.
          if (status.ok() && !e.response.active()) {
            status = grpc::Status(grpc::StatusCode::DATA_LOSS, "bench: token came back inactive");
          }
          done(status);
        });
    return Next::kSent;
  }

 private:
  TokenStubs* stubs_;
  const std::vector<std::string>* tokens_;
  const bool distinct_;
  std::atomic<size_t> next_{0};
  std::vector<Exchange<v1::IntrospectRequest, v1::IntrospectResponse>> exchanges_;
  std::vector<uint64_t> rng_;
};

class RevokeWorkload final : public Workload {
 public:
  RevokeWorkload(TokenStubs* stubs, size_t slots, const std::vector<std::string>* tokens)
      : stubs_(stubs), tokens_(tokens), exchanges_(slots) {}
  std::string name() const override { return "revoke"; }
  Next Start(size_t slot, grpc::ClientContext* context,
             std::function<void(grpc::Status)> done) override {
    const size_t index = next_.fetch_add(1);
    if (index >= tokens_->size()) return Next::kExhausted;
    auto& e = exchanges_[slot];
    e.request.set_token((*tokens_)[index]);
    stubs_->ForSlot(slot)->async()->Revoke(context, &e.request, &e.response, std::move(done));
    return Next::kSent;
  }

 private:
  TokenStubs* stubs_;
  const std::vector<std::string>* tokens_;
  std::atomic<size_t> next_{0};
  std::vector<Exchange<v1::RevokeRequest, v1::RevokeResponse>> exchanges_;
};

class MixWorkload final : public Workload {
 public:
  MixWorkload(std::vector<MixPart> parts, size_t slots) : parts_(std::move(parts)), rng_(slots) {
    for (size_t i = 0; i < slots; ++i) rng_[i] = 0xD1B54A32D192ED03ULL * (i + 1);
    for (const MixPart& part : parts_) total_weight_ += part.weight;
  }
  std::string name() const override { return "mix"; }
  Next Start(size_t slot, grpc::ClientContext* context,
             std::function<void(grpc::Status)> done) override {
    // Uniform in [0, total weight): the top 53 bits as a double in [0, 1).
    double pick = static_cast<double>(NextRandom(rng_[slot]) >> 11) * 0x1.0p-53 * total_weight_;
    size_t first = 0;
    while (first + 1 < parts_.size() && pick >= parts_[first].weight) {
      pick -= parts_[first].weight;
      ++first;
    }
    // The drawn part, else the next ones in turn (for this call only).
    for (size_t tried = 0; tried < parts_.size(); ++tried) {
      Workload& part = *parts_[(first + tried) % parts_.size()].workload;
      const Next next = part.Start(slot, context, done);
      if (next != Next::kSlotDone) return next;
    }
    return Next::kSlotDone;
  }

 private:
  std::vector<MixPart> parts_;
  double total_weight_ = 0;
  std::vector<uint64_t> rng_;
};

}  // namespace

std::unique_ptr<Workload> MakeMixWorkload(std::vector<MixPart> parts, size_t slots) {
  return std::make_unique<MixWorkload>(std::move(parts), slots);
}

absl::StatusOr<std::vector<std::shared_ptr<grpc::Channel>>> MakeChannels(
    const std::string& target, const TlsClientFiles& files, size_t count,
    absl::Duration connect_timeout) {
  auto provider = std::make_shared<grpc::experimental::FileWatcherCertificateProvider>(
      files.key_file, files.cert_file, files.ca_file, /*refresh_interval_sec=*/3600);
  grpc::experimental::TlsChannelCredentialsOptions tls;
  tls.set_certificate_provider(std::move(provider));
  tls.watch_root_certs();
  tls.watch_identity_key_cert_pairs();
  tls.set_verify_server_certs(true);
  tls.set_certificate_verifier(std::make_shared<grpc::experimental::HostNameCertificateVerifier>());
  std::shared_ptr<grpc::ChannelCredentials> credentials = grpc::experimental::TlsCredentials(tls);
  if (credentials == nullptr) return absl::InternalError("TlsCredentials failed");

  std::vector<std::shared_ptr<grpc::Channel>> channels;
  const absl::Time deadline = absl::Now() + connect_timeout;
  for (size_t i = 0; i < count; ++i) {
    grpc::ChannelArguments args;
    // A private subchannel pool per channel: its own TCP connection, so the
    // load spreads over `count` connections as it would from several clients.
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("tokend.bench.channel", static_cast<int>(i));
    auto channel = grpc::CreateCustomChannel(target, credentials, args);
    if (!channel->WaitForConnected(absl::ToChronoTime(deadline))) {
      return absl::UnavailableError(absl::StrCat("cannot connect to ", target));
    }
    channels.push_back(std::move(channel));
  }
  return channels;
}

TokenStubs::TokenStubs(const std::vector<std::shared_ptr<grpc::Channel>>& channels) {
  for (const auto& channel : channels) stubs_.push_back(v1::TokenService::NewStub(channel));
}

std::unique_ptr<Workload> MakeNoopWorkload(
    const std::vector<std::shared_ptr<grpc::Channel>>& channels, size_t slots) {
  return std::make_unique<NoopWorkload>(channels, slots);
}

std::unique_ptr<Workload> MakeIssueWorkload(TokenStubs* stubs, size_t slots,
                                            const IssueShape& shape, bool refresh_token,
                                            std::vector<std::string>* mint) {
  return std::make_unique<IssueWorkload>(stubs, slots, shape, refresh_token, mint);
}

std::unique_ptr<Workload> MakeRefreshWorkload(TokenStubs* stubs,
                                              std::vector<std::string> first_refresh_tokens) {
  return std::make_unique<RefreshWorkload>(stubs, std::move(first_refresh_tokens));
}

std::unique_ptr<Workload> MakeIntrospectWorkload(TokenStubs* stubs, size_t slots,
                                                 const std::vector<std::string>* tokens,
                                                 bool distinct) {
  return std::make_unique<IntrospectWorkload>(stubs, slots, tokens, distinct);
}

std::unique_ptr<Workload> MakeRevokeWorkload(TokenStubs* stubs, size_t slots,
                                             const std::vector<std::string>* tokens) {
  return std::make_unique<RevokeWorkload>(stubs, slots, tokens);
}

}  // namespace tokend::bench
