#include "tests/support/pki/test_pki.h"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"

namespace tokend::test {
namespace {

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, Deleter<BIGNUM, BN_free>>;
using ExtensionPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, Deleter<GENERAL_NAME, GENERAL_NAME_free>>;
using Asn1StringPtr = std::unique_ptr<ASN1_STRING, Deleter<ASN1_STRING, ASN1_STRING_free>>;

// An INTERNAL status naming the OpenSSL call, with OpenSSL's queued reason.
absl::Status SslError(absl::string_view call) {
  const unsigned long code = ERR_get_error();  // NOLINT(runtime/int)
  ERR_clear_error();
  char reason[256] = "unknown error";
  if (code != 0) ERR_error_string_n(code, reason, sizeof(reason));
  return absl::InternalError(absl::StrCat(call, " failed: ", reason));
}

absl::StatusOr<PkeyPtr> GenerateKey(SigningAlg alg) {
  EVP_PKEY* key = nullptr;
  switch (alg) {
    case SigningAlg::kEs256:
      key = EVP_EC_gen("P-256");
      break;
    case SigningAlg::kEs384:
      key = EVP_EC_gen("P-384");
      break;
    case SigningAlg::kRs256:
    case SigningAlg::kPs256:
      key = EVP_RSA_gen(2048);
      break;
    case SigningAlg::kEdDsa:
      key = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
      break;
  }
  if (key == nullptr) return SslError("EVP_PKEY_Q_keygen");
  return PkeyPtr(key);
}

bool IsValidName(absl::string_view name) {
  if (name.empty() || name == "." || name == "..") return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_' || c == '.';
    if (!ok) return false;
  }
  return true;
}

absl::Status WritePem(const std::string& path, const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new_file(path.c_str(), "w"));
  if (bio == nullptr) return SslError(absl::StrCat("BIO_new_file ", path));
  if (write(bio.get()) != 1) return SslError(absl::StrCat("PEM write ", path));
  if (BIO_flush(bio.get()) != 1) {
    return SslError(absl::StrCat("BIO_flush ", path));
  }
  return absl::OkStatus();
}

absl::Status WritePrivateKey(const std::string& path, EVP_PKEY* key) {
  absl::Status status = WritePem(path, [key](BIO* bio) {
    // Unencrypted PKCS#8 ("BEGIN PRIVATE KEY") whatever the key type.
    return PEM_write_bio_PKCS8PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!status.ok()) return status;
  std::error_code ec;
  std::filesystem::permissions(
      path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  if (ec) return absl::InternalError(absl::StrCat("chmod ", path, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status WriteCert(const std::string& path, X509* cert) {
  return WritePem(path, [cert](BIO* bio) { return PEM_write_bio_X509(bio, cert); });
}

// Adds one extension written in OpenSSL's configuration syntax.
absl::Status AddExtension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  ExtensionPtr ext(X509V3_EXT_conf_nid(nullptr, ctx, nid, value));
  if (ext == nullptr) {
    return SslError(absl::StrCat("X509V3_EXT_conf_nid ", OBJ_nid2sn(nid)));
  }
  if (X509_add_ext(cert, ext.get(), -1) != 1) return SslError("X509_add_ext");
  return absl::OkStatus();
}

// Adds the subjectAltName extension, keeping the order of sans.
absl::Status AddSubjectAltNames(X509* cert, const std::vector<SubjectAltName>& sans) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  if (names == nullptr) return SslError("GENERAL_NAMES_new");
  for (const SubjectAltName& san : sans) {
    GeneralNamePtr name(GENERAL_NAME_new());
    if (name == nullptr) return SslError("GENERAL_NAME_new");
    if (san.type == SubjectAltName::Type::kIp) {
      Asn1StringPtr ip(a2i_IPADDRESS(san.value.c_str()));
      if (ip == nullptr) {
        ERR_clear_error();
        return absl::InvalidArgumentError(absl::StrCat("sans: not an IP address: ", san.value));
      }
      GENERAL_NAME_set0_value(name.get(), GEN_IPADD, ip.release());
    } else {
      Asn1StringPtr text(ASN1_IA5STRING_new());
      if (text == nullptr) return SslError("ASN1_IA5STRING_new");
      if (ASN1_STRING_set(text.get(), san.value.data(), static_cast<int>(san.value.size())) != 1) {
        return SslError("ASN1_STRING_set");
      }
      const int type = san.type == SubjectAltName::Type::kUri ? GEN_URI : GEN_DNS;
      GENERAL_NAME_set0_value(name.get(), type, text.release());
    }
    if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) {
      return SslError("sk_GENERAL_NAME_push");
    }
    static_cast<void>(name.release());  // now owned by names
  }
  if (X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), 0, X509V3_ADD_DEFAULT) != 1) {
    return SslError("X509_add1_ext_i2d subjectAltName");
  }
  return absl::OkStatus();
}

struct CertParams {
  std::string common_name;
  std::vector<SubjectAltName> sans;
  bool is_ca = false;
  const char* extended_key_usage = nullptr;
  absl::Duration not_before;
  absl::Duration not_after;
};

// Builds and signs a certificate for key. issuer == nullptr: self-signed.
absl::StatusOr<X509Ptr> MakeCert(const CertParams& params, EVP_PKEY* key, X509* issuer,
                                 EVP_PKEY* issuer_key) {
  X509Ptr cert(X509_new());
  if (cert == nullptr) return SslError("X509_new");
  if (X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return SslError("X509_set_version");
  }
  // A random 127-bit positive serial, as CAs do (RFC 5280 allows 20 octets).
  BignumPtr serial(BN_new());
  if (serial == nullptr || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) {
    return SslError("BN_rand");
  }
  if (BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return SslError("BN_to_ASN1_INTEGER");
  }
  if (X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, absl::ToInt64Seconds(params.not_before),
                       nullptr) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0, absl::ToInt64Seconds(params.not_after),
                       nullptr) == nullptr) {
    return SslError("X509_time_adj_ex");
  }
  X509_NAME* subject = X509_get_subject_name(cert.get());
  const auto* org = reinterpret_cast<const unsigned char*>("tokend-test");
  if (X509_NAME_add_entry_by_txt(subject, "O", MBSTRING_UTF8, org, -1, -1, 0) != 1) {
    return SslError("X509_NAME_add_entry_by_txt O");
  }
  if (!params.common_name.empty() &&
      X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(params.common_name.c_str()),
                                 -1, -1, 0) != 1) {
    return SslError("X509_NAME_add_entry_by_txt CN");
  }
  X509* signer = issuer == nullptr ? cert.get() : issuer;
  EVP_PKEY* signer_key = issuer == nullptr ? key : issuer_key;
  if (X509_set_issuer_name(cert.get(), X509_get_subject_name(signer)) != 1) {
    return SslError("X509_set_issuer_name");
  }
  if (X509_set_pubkey(cert.get(), key) != 1) return SslError("X509_set_pubkey");

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, signer, cert.get(), nullptr, nullptr, 0);
  absl::Status status;
  if (params.is_ca) {
    status.Update(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:TRUE"));
    status.Update(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,keyCertSign,cRLSign"));
  } else {
    status.Update(AddExtension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE"));
    status.Update(AddExtension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature"));
    status.Update(AddExtension(cert.get(), &ctx, NID_ext_key_usage, params.extended_key_usage));
  }
  status.Update(AddExtension(cert.get(), &ctx, NID_subject_key_identifier, "hash"));
  status.Update(AddExtension(cert.get(), &ctx, NID_authority_key_identifier, "keyid:always"));
  if (!params.sans.empty()) {
    status.Update(AddSubjectAltNames(cert.get(), params.sans));
  }
  if (!status.ok()) return status;
  if (X509_sign(cert.get(), signer_key, EVP_sha256()) == 0) {
    return SslError("X509_sign");
  }
  return cert;
}

absl::StatusOr<std::string> MakeTempDir() {
  std::string parent;
  if (const char* env = getenv("TEST_TMPDIR"); env != nullptr && *env != '\0') {
    parent = env;
  } else {
    std::error_code ec;
    parent = std::filesystem::temp_directory_path(ec).string();
    if (ec) parent = "/tmp";
  }
  std::string pattern = parent + "/tokend-pki-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp ", pattern, " failed"));
  }
  return pattern;
}

absl::Status CopyFileAtomically(const std::string& from, const std::string& to) {
  const std::string tmp = to + ".tmp";
  std::error_code ec;
  std::filesystem::copy_file(from, tmp, std::filesystem::copy_options::overwrite_existing, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("copy ", from, " to ", tmp, ": ", ec.message()));
  }
  std::filesystem::rename(tmp, to, ec);
  if (ec) {
    return absl::InternalError(absl::StrCat("rename ", tmp, " to ", to, ": ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

struct TestPki::Ca {
  PkeyPtr key;
  X509Ptr cert;
};

TestPki::TestPki(std::string dir) : dir_(std::move(dir)) {}

TestPki::~TestPki() {
  std::error_code ec;  // best effort: a leftover temp dir fails no test
  std::filesystem::remove_all(dir_, ec);
}

absl::StatusOr<std::unique_ptr<TestPki>> TestPki::New() {
  absl::StatusOr<std::string> dir = MakeTempDir();
  if (!dir.ok()) return dir.status();
  std::unique_ptr<TestPki> pki(new TestPki(*std::move(dir)));

  for (bool trusted : {true, false}) {
    absl::StatusOr<PkeyPtr> key = GenerateKey(SigningAlg::kEs256);
    if (!key.ok()) return key.status();
    CertParams params;
    // Both CAs share one subject name on purpose: the untrusted one must be
    // refused for its signature, not for its name.
    params.common_name = "tokend test CA";
    params.is_ca = true;
    params.not_before = -absl::Hours(1);
    params.not_after = absl::Hours(24);
    absl::StatusOr<X509Ptr> cert = MakeCert(params, key->get(), nullptr, nullptr);
    if (!cert.ok()) return cert.status();
    const std::string path = absl::StrCat(pki->dir_, trusted ? "/ca.crt" : "/untrusted-ca.crt");
    if (absl::Status s = WriteCert(path, cert->get()); !s.ok()) return s;
    auto ca = std::make_unique<Ca>(Ca{*std::move(key), *std::move(cert)});
    if (trusted) {
      pki->ca_ = std::move(ca);
      pki->ca_file_ = path;
    } else {
      pki->untrusted_ca_ = std::move(ca);
      pki->untrusted_ca_file_ = path;
    }
  }

  using Type = SubjectAltName::Type;
  struct Made {
    CertSpec spec;
    CertFiles* files;
  };
  std::vector<Made> made;
  {
    CertSpec s;
    s.name = "server";
    s.common_name = "tokend test server";
    s.sans = {{Type::kDns, "localhost"}, {Type::kIp, "127.0.0.1"}, {Type::kIp, "::1"}};
    s.usage = CertSpec::Usage::kServer;
    made.push_back({s, &pki->server_});
  }
  {
    CertSpec s;
    s.name = "client-uri";
    s.common_name = kClientUriCommonName;
    s.sans = {{Type::kUri, kClientUri}};
    made.push_back({s, &pki->client_uri_});
    s.name = "client-untrusted";
    s.untrusted_issuer = true;
    made.push_back({s, &pki->client_untrusted_});
    s.name = "client-expired";
    s.untrusted_issuer = false;
    s.not_before = -absl::Hours(48);
    s.not_after = -absl::Hours(24);
    made.push_back({s, &pki->client_expired_});
  }
  {
    CertSpec s;
    s.name = "client-dns";
    s.common_name = kClientDnsCommonName;
    s.sans = {{Type::kDns, kClientDns}};
    made.push_back({s, &pki->client_dns_});
  }
  {
    CertSpec s;
    s.name = "client-cn";
    s.common_name = kClientCommonName;
    made.push_back({s, &pki->client_cn_only_});
  }
  {
    CertSpec s;
    s.name = "client-multi-san";
    s.common_name = kMultiCommonName;
    s.sans = {{Type::kDns, kMultiDnsFirst},
              {Type::kUri, kMultiUriFirst},
              {Type::kDns, kMultiDnsSecond},
              {Type::kUri, kMultiUriSecond}};
    made.push_back({s, &pki->client_multi_san_});
  }
  for (const Made& m : made) {
    absl::StatusOr<CertFiles> files = pki->IssueCert(m.spec);
    if (!files.ok()) return files.status();
    *m.files = *std::move(files);
  }
  return pki;
}

absl::StatusOr<CertFiles> TestPki::IssueCert(const CertSpec& spec) {
  if (!IsValidName(spec.name)) {
    return absl::InvalidArgumentError(absl::StrCat("name: not a plain file name: ", spec.name));
  }
  absl::StatusOr<PkeyPtr> key = GenerateKey(SigningAlg::kEs256);
  if (!key.ok()) return key.status();
  CertParams params;
  params.common_name = spec.common_name;
  params.sans = spec.sans;
  switch (spec.usage) {
    case CertSpec::Usage::kClient:
      params.extended_key_usage = "clientAuth";
      break;
    case CertSpec::Usage::kServer:
      params.extended_key_usage = "serverAuth";
      break;
    case CertSpec::Usage::kClientAndServer:
      params.extended_key_usage = "serverAuth,clientAuth";
      break;
  }
  params.not_before = spec.not_before;
  params.not_after = spec.not_after;
  const Ca& ca = spec.untrusted_issuer ? *untrusted_ca_ : *ca_;
  absl::StatusOr<X509Ptr> cert = MakeCert(params, key->get(), ca.cert.get(), ca.key.get());
  if (!cert.ok()) return cert.status();
  CertFiles files{absl::StrCat(dir_, "/", spec.name, ".crt"),
                  absl::StrCat(dir_, "/", spec.name, ".key")};
  if (absl::Status s = WritePrivateKey(files.key_file, key->get()); !s.ok()) {
    return s;
  }
  if (absl::Status s = WriteCert(files.cert_file, cert->get()); !s.ok()) {
    return s;
  }
  return files;
}

absl::StatusOr<CertFiles> TestPki::MakeClientCert(absl::string_view name,
                                                  const std::vector<std::string>& uri_sans,
                                                  const std::vector<std::string>& dns_sans,
                                                  absl::string_view common_name) {
  CertSpec spec;
  spec.name = std::string(name);
  spec.common_name = std::string(common_name);
  for (const std::string& uri : uri_sans) {
    spec.sans.push_back({SubjectAltName::Type::kUri, uri});
  }
  for (const std::string& dns : dns_sans) {
    spec.sans.push_back({SubjectAltName::Type::kDns, dns});
  }
  return IssueCert(spec);
}

absl::StatusOr<std::string> TestPki::WriteSigningKey(absl::string_view name, SigningAlg alg) {
  if (!IsValidName(name)) {
    return absl::InvalidArgumentError(absl::StrCat("name: not a plain file name: ", name));
  }
  absl::StatusOr<PkeyPtr> key = GenerateKey(alg);
  if (!key.ok()) return key.status();
  const std::string path = absl::StrCat(dir_, "/", name, ".pem");
  if (absl::Status s = WritePrivateKey(path, key->get()); !s.ok()) return s;
  absl::Status s = WritePem(absl::StrCat(dir_, "/", name, ".pub.pem"),
                            [&key](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key->get()); });
  if (!s.ok()) return s;
  return path;
}

absl::Status InstallCertFiles(const CertFiles& from, const CertFiles& to) {
  if (absl::Status s = CopyFileAtomically(from.key_file, to.key_file); !s.ok()) {
    return s;
  }
  return CopyFileAtomically(from.cert_file, to.cert_file);
}

TestPki& SharedTestPki() {
  static const std::unique_ptr<TestPki> pki = [] {
    absl::StatusOr<std::unique_ptr<TestPki>> made = TestPki::New();
    if (!made.ok()) {
      std::cerr << "TestPki: " << made.status() << "\n";
      std::abort();
    }
    return *std::move(made);
  }();
  return *pki;
}

std::string ReadTextFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace tokend::test
