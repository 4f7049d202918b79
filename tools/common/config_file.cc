#include "tools/common/config_file.h"

#include <fmt/format.h>

#include <algorithm>
#include <memory>
#include <vector>

namespace kv::tools {
namespace {

class ConfigFile : public CLI::ConfigTOML {
 public:
  ConfigFile(const CLI::App* app, bool strict) : app_(app), strict_(strict) {}

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override {
    std::vector<CLI::ConfigItem> items = CLI::ConfigTOML::from_config(input);
    std::vector<CLI::ConfigItem> kept;
    for (CLI::ConfigItem& item : items) {
      const std::string written = item.fullname();
      std::replace(item.name.begin(), item.name.end(), '_', '-');
      if (!item.parents.empty()) {
        if (!strict_) {  // a subcommand's section ([leave] no-wait = true): CLI11 routes it
          kept.push_back(std::move(item));
          continue;
        }
        throw CLI::ConfigError(fmt::format(
            "{}: section [{}]{}: {}'s config file has no sections; write its keys at the top, "
            "before any [section]",
            Path(), fmt::join(item.parents, "."), KeyOfSection(items, item.parents),
            app_->get_name()));
      }
      if (strict_ && app_->get_option_no_throw("--" + item.name) == nullptr) {
        throw CLI::ConfigError(fmt::format(
            "{}: unknown key '{}': {} has no --{} (a key is a long flag without its dashes; see "
            "{} --help)",
            Path(), written, app_->get_name(), item.name, app_->get_name()));
      }
      kept.push_back(std::move(item));
    }
    return kept;
  }

 private:
  // " (holding 'key')" for the section's first key; CLI11 marks a section's start and end
  // with items named "++" and "--".
  static std::string KeyOfSection(const std::vector<CLI::ConfigItem>& items,
                                  const std::vector<std::string>& parents) {
    for (const CLI::ConfigItem& item : items)
      if (item.parents == parents && item.name != "++" && item.name != "--")
        return fmt::format(" (holding '{}')", item.name);
    return "";
  }

  // The file being read, for messages.
  std::string Path() const {
    const CLI::Option* config = app_->get_config_ptr();
    if (config == nullptr) return "config file";
    if (!config->results().empty()) return config->results().back();
    return config->get_default_str();
  }

  const CLI::App* app_;
  const bool strict_;
};

}  // namespace

void ReadConfigStrictly(CLI::App& app) {
  app.config_formatter(std::make_shared<ConfigFile>(&app, true));
  app.allow_config_extras(CLI::config_extras_mode::error);
}

std::vector<CLI::ConfigItem> ReadConfigItems(const CLI::App& app, const std::string& path) {
  return ConfigFile(&app, true).from_file(path);
}

void ReadConfigLeniently(CLI::App& app) {
  app.config_formatter(std::make_shared<ConfigFile>(&app, false));
  app.allow_config_extras(CLI::config_extras_mode::ignore);
}

}  // namespace kv::tools
