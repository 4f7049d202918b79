// TLS for kv connections (docs/architecture.md, "Security"): the credentials a node or a client
// tool is given (a certificate, its private key and the cluster's CA, PEM files), the OpenSSL
// context built from them, and what a certificate says about its holder. Every connection is
// mutual: each side presents a certificate and accepts only one its CA signed; the CA is the only
// trust root (the system's store is not used). A certificate's subject names its holder and role
// (docs/formats.md, "Certificates"): CN=<name> (a node's id), OU=<role> (peer, admin, client).
// Host names are not verified: a node's identity is its CN, checked against its id, and nodes are
// reached by addresses that need not be names in any certificate.
//
// Threads: a TlsContext is immutable once made and shared (by shared_ptr) by every connection of
// a process, on any thread (OpenSSL's SSL_CTX is safe for that once configured).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "libkv/base/status.h"
#include "libkv/net/roles.h"

namespace boost::asio::ssl {
class context;
}
typedef struct ssl_st SSL;

namespace kv {

// The three files of --tls-cert, --tls-key, --tls-ca. All empty: no TLS.
struct TlsOptions {
  std::string cert_file;
  std::string key_file;
  std::string ca_file;

  bool enabled() const { return !cert_file.empty() || !key_file.empty() || !ca_file.empty(); }
};

// InvalidArgument unless all three files are given or none: "--tls-key is missing: give
// --tls-cert, --tls-key and --tls-ca together".
Status CheckTlsOptions(const TlsOptions& options);

// What a certificate says about its holder. `role` is empty when the subject's OU names none.
struct CertificateSubject {
  std::string common_name;
  std::optional<Role> role;
  std::string organizational_unit;  // as written, for messages
};

class TlsContext {
 public:
  // Loads the certificate, key and CA, and checks that the key is the certificate's. Errors name
  // the file and what to do: InvalidArgument ("--tls-key /x/n1.key: no such file; make it with
  // scripts/make-certs"). TLS 1.2 at least (1.3 preferred), the peer's certificate required and
  // verified against the CA, either side of a connection.
  static Result<std::shared_ptr<TlsContext>> Create(const TlsOptions& options);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  boost::asio::ssl::context& native() { return *context_; }
  // The subject of this side's own certificate.
  const CertificateSubject& own() const { return own_; }

 private:
  TlsContext();
  std::unique_ptr<boost::asio::ssl::context> context_;
  CertificateSubject own_;
};

// The subject of the certificate the peer presented on a handshaken connection; NotFound when it
// presented none (the verify mode makes that a failed handshake, so this is a safety net).
Result<CertificateSubject> PeerCertificateSubject(SSL* ssl);

// Why the peer's certificate failed verification on `ssl`, in OpenSSL's words ("certificate has
// expired"), or empty when it did not fail there.
std::string PeerVerifyError(SSL* ssl);

}  // namespace kv
