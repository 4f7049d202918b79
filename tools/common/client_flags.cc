#include "tools/common/client_flags.h"

#include <cstdlib>

#include "tools/common/config_file.h"

namespace kv::tools {

void AddTlsFlags(CLI::App& app, TlsOptions* tls) {
  app.add_option("--tls-cert", tls->cert_file,
                 "TLS: this client's certificate (PEM; role client, or admin for kvrepair and "
                 "kvring leave, stats, cleanup); default $KV_TLS_CERT")
      ->envname("KV_TLS_CERT")
      ->type_name("FILE");
  app.add_option("--tls-key", tls->key_file,
                 "TLS: the private key of --tls-cert (PEM); default $KV_TLS_KEY")
      ->envname("KV_TLS_KEY")
      ->type_name("FILE");
  app.add_option("--tls-ca", tls->ca_file,
                 "TLS: the cluster's CA certificate (PEM); default $KV_TLS_CA")
      ->envname("KV_TLS_CA")
      ->type_name("FILE");
}

std::string DefaultClientConfigPath() {
  const char* xdg = std::getenv("XDG_CONFIG_HOME");
  if (xdg != nullptr && *xdg != '\0') return std::string(xdg) + "/kv/client.toml";
  const char* home = std::getenv("HOME");
  if (home != nullptr && *home != '\0') return std::string(home) + "/.config/kv/client.toml";
  return "";
}

void AddClientConfig(CLI::App& app) {
  app.set_config("--config", DefaultClientConfigPath(),
                 "Read options from a TOML file (keys as the long flags: tls-cert = \"...\"); "
                 "default ~/.config/kv/client.toml when it exists");
  ReadConfigLeniently(app);
}

Result<std::shared_ptr<TlsContext>> MakeClientTls(const TlsOptions& tls) {
  if (!tls.enabled()) return std::shared_ptr<TlsContext>();
  Status complete = CheckTlsOptions(tls);
  if (!complete.ok())
    return Status::InvalidArgument(
        complete.message() +
        " (each may also come from KV_TLS_CERT, KV_TLS_KEY, KV_TLS_CA or "
        "the --config file)");
  return TlsContext::Create(tls);
}

}  // namespace kv::tools
