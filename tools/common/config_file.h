// How kv's programs read a TOML config file of their long flags (kvnode --config, the client
// tools' ~/.config/kv/client.toml): a key is a long flag without its dashes, and underscores
// and dashes are alike (data_dir = data-dir = --data-dir).
//  - Strict (kvnode): a key the program does not have, or any [section], is an error naming it,
//    so that a misspelt or misplaced setting is never silently ignored (a usage error, exit 2).
//  - Lenient (the client tools): keys another tool has are ignored, so one file serves them all;
//    a [section] names a subcommand (kvring's [leave]).
// Call from main's thread, before parsing.
#pragma once

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace kv::tools {

// Makes `app` read its --config file as above. Call after set_config.
void ReadConfigStrictly(CLI::App& app);
void ReadConfigLeniently(CLI::App& app);

// The items of the config file at `path`, checked strictly against `app`'s options as above and
// with dashes for underscores (kvnode's SIGHUP re-reads its log-level this way). Throws
// CLI::FileError (missing) or CLI::ConfigError (an unknown key, a section), naming the key.
std::vector<CLI::ConfigItem> ReadConfigItems(const CLI::App& app, const std::string& path);

}  // namespace kv::tools
