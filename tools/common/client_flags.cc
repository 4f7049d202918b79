#include "tools/common/client_flags.h"

#include <cstdlib>

#include "libkv/client/node_address.h"
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

void AddNodeFlags(CLI::App& app, ClientFlags* flags, const std::string& node_help,
                  const std::string& timeout_help) {
  app.add_option("--node", flags->node,
                 node_help + ", HOST:PORT (default: $KV_NODE, else 127.0.0.1:7000)")
      ->type_name("HOST:PORT");
  app.add_option("--timeout-ms", flags->timeout_ms, timeout_help)
      ->check(CLI::Range(int64_t{1}, int64_t{86400000}))
      ->capture_default_str()
      ->type_name("MS");
  app.add_option("--cluster-name", flags->cluster_name, "Cluster name the node must have")
      ->capture_default_str()
      ->type_name("NAME");
}

void AddClientFlags(CLI::App& app, ClientFlags* flags, const std::string& node_help,
                    const std::string& timeout_help) {
  AddNodeFlags(app, flags, node_help, timeout_help);
  AddTlsFlags(app, &flags->tls);
}

Result<ClientTarget> ResolveClientFlags(const ClientFlags& flags) {
  ClientTarget target;
  KV_ASSIGN_OR_RETURN(target.node, ChooseNodeAddress(flags.node, std::getenv("KV_NODE")));
  target.options.cluster_name = flags.cluster_name;
  target.options.timeout = std::chrono::milliseconds(flags.timeout_ms);
  KV_ASSIGN_OR_RETURN(target.options.tls, MakeClientTls(flags.tls));
  return target;
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
                 "default ~/.config/kv/client.toml when it exists")
      ->type_name("FILE");
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
