#include "tools/common/command_line.h"

#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "libkv/base/status.h"
#include "tools/common/tool_error.h"

namespace kv::tools {
namespace {

// What --help shows for an option's value: its type_name when one was set; CLI11's own names
// for numbers become N (and X); a flag shows nothing. Defaults go in words after the
// description. (CLI11 would print "--replicas UINT:INT in [1 - 16]=3".)
class PlaceholderFormatter : public CLI::Formatter {
 public:
  std::string make_option_opts(const CLI::Option* opt) const override {
    if (!opt->get_option_text().empty()) return " " + opt->get_option_text();
    if (opt->get_type_size() == 0 || !opt->nonpositional()) return "";
    std::string name = opt->get_type_name();
    if (name.empty()) return "";  // a flag
    if (name == "INT" || name == "UINT" || name == "NUMBER") name = "N";
    if (name == "FLOAT") name = "X";
    return " " + name;
  }
  std::string make_option_desc(const CLI::Option* opt) const override {
    std::string desc = opt->get_description();
    const std::string def = opt->get_default_str();
    if (opt->get_type_size() != 0 && !def.empty() && desc.find("default") == std::string::npos)
      desc += " (default " + def + ")";
    return desc;
  }
};

void UsePlaceholders(CLI::App& app, const std::shared_ptr<PlaceholderFormatter>& formatter) {
  app.formatter(formatter);
  for (CLI::Option* opt : app.get_options()) {
    // Validators' descriptions would be glued to the placeholder ("N:INT in [1 - 16]"); the
    // option's description says the range in words where it matters.
    for (int i = 0;; ++i) {
      CLI::Validator* v = nullptr;
      try {
        v = opt->get_validator(i);
      } catch (const CLI::OptionNotFound&) {
        break;
      }
      v->description("");
    }
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    UsePlaceholders(*sub, formatter);
}

bool WantsJson(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--") == 0) return false;
    if (std::strcmp(argv[i], "--json") == 0) return true;
  }
  return false;
}

}  // namespace

std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv) {
  const std::string name = app.get_name();
  app.set_version_flag("-V,--version", name + " " + KV_VERSION);
  UsePlaceholders(app, std::make_shared<PlaceholderFormatter>());
  try {
    app.parse(argc, argv);
  } catch (const CLI::Success& e) {  // --help, --version
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) return app.exit(e);
    std::string message = e.what();
    if (message.find("--help") == std::string::npos) message += " (see " + name + " --help)";
    return ReportToolError(name, Status::InvalidArgument(message), WantsJson(argc, argv));
  }
  return std::nullopt;
}

}  // namespace kv::tools
