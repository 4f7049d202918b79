// The command line every kv program shares, so that each behaves the same way:
//  - -V and --version print "PROGRAM VERSION" and exit 0;
//  - --help shows placeholders (--replicas N, --node HOST:PORT, --data-dir DIR) and defaults in
//    words, not CLI11's type and validator names ("UINT:INT in [1 - 16]=3");
//  - a usage error is "PROGRAM: what is wrong (see PROGRAM --help)" on stderr, exit 2, and with
//    --json among the arguments also {"ok":false,"error":"invalid_argument","message":...} on
//    stdout, as the tools report any other failure.
// Call from main's thread.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>

namespace kv::tools {

// Adds -V/--version and the help formatter to `app` and its subcommands (every option must be
// added by then), then parses. Returns nullopt when the program should go on; else the exit code
// to return: 0 after --help or --version, 2 after a usage error (reported as above).
std::optional<int> ParseCommandLine(CLI::App& app, int argc, char** argv);

}  // namespace kv::tools
