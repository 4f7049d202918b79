#include "libkv/net/tls.h"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <boost/asio/ssl/context.hpp>

namespace kv {

namespace ssl = boost::asio::ssl;

namespace {

constexpr std::string_view kMakeCerts = "scripts/make-certs DIR NAME:ROLE... makes them";

// One field of a subject, as UTF-8; empty when absent.
std::string SubjectField(X509_NAME* name, int nid) {
  const int at = X509_NAME_get_index_by_NID(name, nid, -1);
  if (at < 0) return "";
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, at));
  unsigned char* utf8 = nullptr;
  const int n = ASN1_STRING_to_UTF8(&utf8, data);
  if (n < 0) return "";
  std::string out(reinterpret_cast<char*>(utf8), static_cast<size_t>(n));
  OPENSSL_free(utf8);
  return out;
}

CertificateSubject SubjectOf(X509* cert) {
  X509_NAME* name = X509_get_subject_name(cert);
  CertificateSubject out;
  out.common_name = SubjectField(name, NID_commonName);
  out.organizational_unit = SubjectField(name, NID_organizationalUnitName);
  out.role = ParseRole(out.organizational_unit);
  return out;
}

// The file must exist and be readable, so that the message says so rather than OpenSSL's
// "no such file" deep in a PEM error.
Status CheckReadable(std::string_view flag, const std::string& path) {
  if (::access(path.c_str(), R_OK) == 0) return Status::Ok();
  return Status::InvalidArgument(
      fmt::format("{} {}: {}; {}", flag, path, std::strerror(errno), kMakeCerts));
}

std::string OpenSslReason(const boost::system::error_code& ec) {
  std::string reason = ec.message();
  ERR_clear_error();
  return reason;
}

}  // namespace

Status CheckTlsOptions(const TlsOptions& o) {
  if (!o.enabled()) return Status::Ok();
  std::string missing;
  for (auto [flag, value] :
       {std::pair<std::string_view, const std::string*>{"--tls-cert", &o.cert_file},
        {"--tls-key", &o.key_file},
        {"--tls-ca", &o.ca_file}}) {
    if (!value->empty()) continue;
    if (!missing.empty()) missing += " and ";
    missing += flag;
  }
  if (missing.empty()) return Status::Ok();
  return Status::InvalidArgument(fmt::format(
      "{} missing: give --tls-cert, --tls-key and --tls-ca together, or none of them", missing));
}

TlsContext::TlsContext() = default;
TlsContext::~TlsContext() = default;

Result<std::shared_ptr<TlsContext>> TlsContext::Create(const TlsOptions& options) {
  KV_RETURN_IF_ERROR(CheckTlsOptions(options));
  if (!options.enabled()) return Status::InvalidArgument("no TLS files given");
  KV_RETURN_IF_ERROR(CheckReadable("--tls-cert", options.cert_file));
  KV_RETURN_IF_ERROR(CheckReadable("--tls-key", options.key_file));
  KV_RETURN_IF_ERROR(CheckReadable("--tls-ca", options.ca_file));

  std::shared_ptr<TlsContext> out(new TlsContext());
  out->context_ = std::make_unique<ssl::context>(ssl::context::tls);
  ssl::context& ctx = *out->context_;
  SSL_CTX* native = ctx.native_handle();
  boost::system::error_code ec;
  // TLS 1.2 at least; OpenSSL negotiates 1.3 when both sides have it.
  SSL_CTX_set_min_proto_version(native, TLS1_2_VERSION);
  (void)ctx.set_options(ssl::context::default_workarounds | ssl::context::no_compression |
                            ssl::context::single_dh_use,
                        ec);
  // No session tickets: kv connections are long-lived and never resumed, and a 1.3 server
  // would otherwise send two after every handshake.
  SSL_CTX_set_num_tickets(native, 0);
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_OFF);
  // An idle connection gives OpenSSL's record buffers back.
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);

  if (ctx.load_verify_file(options.ca_file, ec); ec)
    return Status::InvalidArgument(
        fmt::format("--tls-ca {}: not a PEM certificate ({}); give the cluster's ca.crt",
                    options.ca_file, OpenSslReason(ec)));
  if (ctx.use_certificate_chain_file(options.cert_file, ec); ec)
    return Status::InvalidArgument(fmt::format("--tls-cert {}: not a PEM certificate ({}); {}",
                                               options.cert_file, OpenSslReason(ec), kMakeCerts));
  if (ctx.use_private_key_file(options.key_file, ssl::context::pem, ec); ec)
    return Status::InvalidArgument(fmt::format(
        "--tls-key {}: not the private key of --tls-cert {} ({}); give the .key made with that "
        "certificate",
        options.key_file, options.cert_file, OpenSslReason(ec)));
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return Status::InvalidArgument(
        fmt::format("--tls-key {} is not the private key of --tls-cert {}; give the .key made "
                    "with that certificate",
                    options.key_file, options.cert_file));
  }
  X509* own = SSL_CTX_get0_certificate(native);
  if (own == nullptr)
    return Status::InvalidArgument(
        fmt::format("--tls-cert {}: no certificate in it; {}", options.cert_file, kMakeCerts));
  // Check our own certificate against the CA now: a node whose certificate its peers would
  // refuse (another CA, expired) should say so at start, not in every peer's log.
  X509_STORE_CTX* check = X509_STORE_CTX_new();
  if (check == nullptr) return Status::IOError("out of memory checking the TLS certificate");
  X509_STORE_CTX_init(check, SSL_CTX_get_cert_store(native), own, nullptr);
  const bool verified = X509_verify_cert(check) == 1;
  const int why = X509_STORE_CTX_get_error(check);
  X509_STORE_CTX_free(check);
  ERR_clear_error();
  if (!verified)
    return Status::InvalidArgument(fmt::format(
        "--tls-cert {} does not verify against --tls-ca {}: {}; give a certificate that CA "
        "signed and that is valid now ({})",
        options.cert_file, options.ca_file, X509_verify_cert_error_string(why), kMakeCerts));
  out->own_ = SubjectOf(own);
  ctx.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  return out;
}

Result<CertificateSubject> PeerCertificateSubject(SSL* ssl) {
  X509* cert = SSL_get1_peer_certificate(ssl);
  if (cert == nullptr) return Status::NotFound("the peer presented no certificate");
  CertificateSubject out = SubjectOf(cert);
  X509_free(cert);
  return out;
}

std::string PeerVerifyError(SSL* ssl) {
  const long result = SSL_get_verify_result(ssl);
  if (result == X509_V_OK) return "";
  return X509_verify_cert_error_string(result);
}

}  // namespace kv
