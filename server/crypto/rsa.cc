#include "crypto/rsa.h"

#include <openssl/core_names.h>
#include <openssl/rsa.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "crypto/algorithms.h"
#include "crypto/base64url.h"
#include "crypto/openssl_error.h"
#include "crypto/thread_contexts.h"

namespace tokend::crypto::internal {
namespace {

constexpr char kDigest[] = "SHA256";
// RFC 7518 section 3.5: PS256 uses a salt as long as the SHA-256 digest.
constexpr int kPssSaltBytes = 32;

absl::StatusOr<BignumPtr> GetBn(const EVP_PKEY& key, const char* name) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(&key, name, &raw) != 1) {
    return OpenSslError("EVP_PKEY_get_bn_param", absl::StatusCode::kInvalidArgument);
  }
  return BignumPtr(raw);
}

}  // namespace

bool HasRocaFingerprint(const BIGNUM& n) {
  // The primes of the ROCA detection test (Nemec et al., CCS 2017).
  static constexpr unsigned kPrimes[] = {
      3,  5,  7,  11, 13, 17,  19,  23,  29,  31,  37,  41,  43,  47,  53,  59,  61,  67,  71,
      73, 79, 83, 89, 97, 101, 103, 107, 109, 113, 127, 131, 137, 139, 149, 151, 157, 163, 167};
  for (unsigned p : kPrimes) {
    const BN_ULONG residue = BN_mod_word(&n, p);
    if (residue == static_cast<BN_ULONG>(-1)) return false;
    const unsigned generator = 65537 % p;
    unsigned element = 1;
    bool in_subgroup = false;
    do {
      if (element == residue) {
        in_subgroup = true;
        break;
      }
      element = element * generator % p;
    } while (element != 1);
    if (!in_subgroup) return false;
  }
  return true;
}

absl::Status RsaAlgorithm::CheckKey(const EVP_PKEY& key) const {
  const absl::string_view name = AlgorithmName(params_.id);
  // Only plain RSA keys: an "RSA-PSS" key carries its own restrictions that
  // could disagree with the JWS parameters.
  if (!EVP_PKEY_is_a(&key, "RSA")) {
    return absl::InvalidArgumentError(absl::StrCat(name, " needs an RSA key"));
  }
  const int bits = EVP_PKEY_get_bits(&key);
  if (bits < kMinRsaBits || bits > kMaxRsaBits) {
    return absl::InvalidArgumentError(absl::StrCat(name, " needs an RSA key of ", kMinRsaBits,
                                                   " to ", kMaxRsaBits, " bits, not ", bits));
  }
  absl::StatusOr<BignumPtr> e = GetBn(key, OSSL_PKEY_PARAM_RSA_E);
  if (!e.ok()) return e.status();
  // Why: e = 1 makes every "signature" equal its message; NIST SP 800-89
  // asks for an odd e with 65537 <= e < 2^256.
  if (!BN_is_odd(e->get()) || BN_num_bits(e->get()) > 256 ||
      BN_cmp(e->get(), BN_value_one()) <= 0 || BN_get_word(e->get()) < 65537) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " needs an odd public exponent of at least 65537"));
  }
  absl::StatusOr<BignumPtr> n = GetBn(key, OSSL_PKEY_PARAM_RSA_N);
  if (!n.ok()) return n.status();
  if (HasRocaFingerprint(**n)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, ": RSA key has the ROCA weakness (CVE-2017-15361)"));
  }
  return absl::OkStatus();
}

bool RsaAlgorithm::SetPadding(EVP_PKEY_CTX* pctx) const {
  if (!params_.pss) return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
  // Why pin the salt length: OpenSSL's verifier otherwise recovers any salt
  // length from the signature ("auto"), accepting more than PS256 allows.
  return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
         EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, kDigest, nullptr) > 0 &&
         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, kPssSaltBytes) > 0;
}

absl::StatusOr<std::string> RsaAlgorithm::Sign(const EVP_PKEY& key,
                                               absl::string_view signing_input) const {
  // Hash, then sign the digest with this thread's context for the key, whose
  // padding and digest were set once (see thread_contexts.h): the same
  // signature EVP_DigestSign makes.
  const EVP_MD* md = FetchedDigest(kDigest);
  Digest digest;
  if (!DigestInto(md, signing_input, digest)) return OpenSslError("EVP_Digest");
  std::string signature(static_cast<size_t>(EVP_PKEY_get_size(&key)), '\0');
  const ContextUse use = SignUse();
  // A cached context that fails is dropped and the signature tried once more
  // with a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    EVP_PKEY_CTX* ctx = ThreadPkeyContext(key, use, [&](EVP_PKEY_CTX* c) {
      return EVP_PKEY_sign_init(c) == 1 && SetPadding(c) &&
             EVP_PKEY_CTX_set_signature_md(c, md) > 0;
    });
    if (ctx == nullptr) return OpenSslError("EVP_PKEY_sign_init");
    size_t size = signature.size();
    if (EVP_PKEY_sign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size, digest.bytes,
                      digest.size) == 1) {
      signature.resize(size);
      return signature;
    }
    ForgetThreadContext(key, use);
    if (attempt == 1) return OpenSslError("EVP_PKEY_sign");
    ClearOpenSslErrors();
  }
  return OpenSslError("EVP_PKEY_sign");  // not reached
}

bool RsaAlgorithm::Verify(const EVP_PKEY& key, absl::string_view signing_input,
                          absl::string_view signature) const {
  // Exactly the modulus length (RFC 8017 section 8.2.2 step 1): no leading
  // zeros added or dropped.
  if (signature.size() != static_cast<size_t>(EVP_PKEY_get_size(&key))) return false;
  const EVP_MD* md = FetchedDigest(kDigest);
  Digest digest;
  if (!DigestInto(md, signing_input, digest)) {
    ClearOpenSslErrors();
    return false;
  }
  const ContextUse use = VerifyUse();
  EVP_PKEY_CTX* ctx = ThreadPkeyContext(key, use, [&](EVP_PKEY_CTX* c) {
    // SetPadding pins PS256's salt length, on this context as on every other.
    return EVP_PKEY_verify_init(c) == 1 && SetPadding(c) &&
           EVP_PKEY_CTX_set_signature_md(c, md) > 0;
  });
  const bool ok = ctx != nullptr &&
                  EVP_PKEY_verify(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                                  signature.size(), digest.bytes, digest.size) == 1;
  if (!ok) {
    ForgetThreadContext(key, use);  // no failure path reuses a context
    ClearOpenSslErrors();
  }
  return ok;
}

absl::StatusOr<PublicJwkMembers> RsaAlgorithm::PublicMembers(const EVP_PKEY& key) const {
  if (absl::Status status = CheckKey(key); !status.ok()) return status;
  absl::StatusOr<BignumPtr> n = GetBn(key, OSSL_PKEY_PARAM_RSA_N);
  if (!n.ok()) return n.status();
  absl::StatusOr<BignumPtr> e = GetBn(key, OSSL_PKEY_PARAM_RSA_E);
  if (!e.ok()) return e.status();
  // BN_bn2bin writes the minimal big-endian form RFC 7518 section 6.3.1 asks.
  std::string n_bytes(static_cast<size_t>(BN_num_bytes(n->get())), '\0');
  std::string e_bytes(static_cast<size_t>(BN_num_bytes(e->get())), '\0');
  BN_bn2bin(n->get(), reinterpret_cast<unsigned char*>(n_bytes.data()));
  BN_bn2bin(e->get(), reinterpret_cast<unsigned char*>(e_bytes.data()));
  PublicJwkMembers out;
  out.members = {{"e", Base64UrlEncode(e_bytes)}, {"kty", "RSA"}, {"n", Base64UrlEncode(n_bytes)}};
  return out;
}

absl::StatusOr<EvpPkeyPtr> RsaAlgorithm::PublicKeyFromMembers(
    const PublicJwkMembers& members) const {
  const absl::string_view name = AlgorithmName(params_.id);
  absl::StatusOr<std::string> n_bytes = DecodedJwkMember(members, "n", name);
  if (!n_bytes.ok()) return n_bytes.status();
  absl::StatusOr<std::string> e_bytes = DecodedJwkMember(members, "e", name);
  if (!e_bytes.ok()) return e_bytes.status();
  // RFC 7518 section 6.3.1: minimal big-endian, so one key has one spelling.
  for (const std::string* bytes : {&*n_bytes, &*e_bytes}) {
    if (bytes->empty() || (*bytes)[0] == '\0') {
      return absl::InvalidArgumentError(
          absl::StrCat(name, ": JWK n and e must be minimal big-endian integers"));
    }
  }
  // Refused before OpenSSL sees it, so an absurd modulus costs nothing.
  if (n_bytes->size() * 8 > static_cast<size_t>(kMaxRsaBits)) {
    return absl::InvalidArgumentError(
        absl::StrCat(name, " needs an RSA key of ", kMinRsaBits, " to ", kMaxRsaBits, " bits"));
  }
  auto to_bn = [](const std::string& bytes) {
    return BignumPtr(BN_bin2bn(reinterpret_cast<const unsigned char*>(bytes.data()),
                               static_cast<int>(bytes.size()), nullptr));
  };
  BignumPtr n = to_bn(*n_bytes);
  BignumPtr e = to_bn(*e_bytes);
  if (n == nullptr || e == nullptr) return OpenSslError("BN_bin2bn");
  OsslParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (builder == nullptr ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_N, n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_RSA_E, e.get()) != 1) {
    return OpenSslError("OSSL_PARAM_BLD_push_BN");
  }
  OsslParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr));
  if (params == nullptr || ctx == nullptr) return OpenSslError("EVP_PKEY_CTX_new_from_name");
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ClearOpenSslErrors();
    return absl::InvalidArgumentError(absl::StrCat(name, ": JWK is not an RSA public key"));
  }
  EvpPkeyPtr key(raw);
  // Size, exponent and the ROCA fingerprint, as for a key file.
  if (absl::Status status = CheckKey(*key); !status.ok()) return status;
  return key;
}

// RS256: RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 section 3.3).
const SignatureAlgorithm& Rs256Algorithm() {
  static const RsaAlgorithm* const kRs256 =
      new RsaAlgorithm(RsaParams{.id = Algorithm::kRS256, .pss = false});
  return *kRs256;
}

// PS256: RSASSA-PSS with SHA-256, MGF1 with SHA-256 and a 32-byte salt
// (RFC 7518 section 3.5). Both signing and verification pin the salt length
// to 32 (see RsaAlgorithm::SetPadding).
const SignatureAlgorithm& Ps256Algorithm() {
  static const RsaAlgorithm* const kPs256 =
      new RsaAlgorithm(RsaParams{.id = Algorithm::kPS256, .pss = true});
  return *kPs256;
}

}  // namespace tokend::crypto::internal
