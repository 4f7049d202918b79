#!/usr/bin/env bash
# cmake --install into a temporary prefix, then what a user of the installed copy meets: the
# programs run, the man pages, completions, headers, libkv.a, the CMake package and the
# pkg-config file are where they belong, and a small C++ program (hello_kv.cc) builds against
# the installed libkv twice, with find_package(kv) and with pkg-config, never seeing the source
# tree, and runs: it opens an Engine in a temporary directory, puts a key and reads it back.
# Needs KV_BUILD_DIR (a built tree) and KV_SOURCE_DIR.
set -euo pipefail
: "${KV_BUILD_DIR:?set KV_BUILD_DIR to a built kv tree}"
: "${KV_SOURCE_DIR:?set KV_SOURCE_DIR to the repository}"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kv-install.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

prefix="$WORK/prefix"
cmake --install "$KV_BUILD_DIR" --prefix "$prefix" > "$WORK/install.log" ||
  { cat "$WORK/install.log" >&2; fail "cmake --install exited $?"; }

# The files, each where a distribution puts it.
libdir=$(cd "$prefix" && dirname "$(find . -name libkv.a | head -n 1)")
[[ $libdir != . && -f $prefix/$libdir/libkv.a ]] || fail "no libkv.a under $prefix"
expect_file() { [[ -f $prefix/$1 ]] || fail "$1 is not installed"; }
for tool in kvnode kvput kvget kvring kvrepair kvsstdump kvbench; do
  [[ -x $prefix/bin/$tool ]] || fail "bin/$tool is not installed"
  expect_file "share/man/man1/$tool.1"
  expect_file "share/bash-completion/completions/$tool"
  expect_file "share/zsh/site-functions/_$tool"
  expect_file "share/fish/vendor_completions.d/$tool.fish"
done
expect_file share/man/man5/kv-formats.5
expect_file share/man/man7/kv-http.7
for header in base/status.h base/json.h storage/engine.h client/client.h node/node.h; do
  expect_file "include/libkv/$header"
done
# The tools' presentation code is theirs, not the library's.
[[ ! -e $prefix/include/libkv/client/sibling_format.h ]] || fail "a tool header was installed"
[[ -z $(find "$prefix/include" -name '*.cc') ]] || fail "sources were installed as headers"
expect_file "$libdir/cmake/kv/kvConfig.cmake"
expect_file "$libdir/cmake/kv/kvConfigVersion.cmake"
expect_file "$libdir/pkgconfig/kv.pc"
"$prefix/bin/kvput" --version | grep -q "^kvput " || fail "the installed kvput does not run"

# A program built with find_package(kv): no path into the source or build tree.
mkdir -p "$WORK/app"
cp "$KV_SOURCE_DIR/tests/install/hello_kv.cc" "$WORK/app/"
cat > "$WORK/app/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.25)
project(hello_kv LANGUAGES CXX)
set(CMAKE_CXX_STANDARD 20)
find_package(kv 0.1 REQUIRED)
add_executable(hello_kv hello_kv.cc)
target_link_libraries(hello_kv PRIVATE kv::kv)
CMAKE
generator=()
command -v ninja > /dev/null && generator=(-G Ninja)
cmake -S "$WORK/app" -B "$WORK/app/build" "${generator[@]}" -DCMAKE_PREFIX_PATH="$prefix" \
  -DCMAKE_EXPORT_COMPILE_COMMANDS=ON > "$WORK/configure.log" 2>&1 ||
  { cat "$WORK/configure.log" >&2; fail "find_package(kv) failed"; }
cmake --build "$WORK/app/build" > "$WORK/build.log" 2>&1 ||
  { cat "$WORK/build.log" >&2; fail "building against the installed kv failed"; }
grep -q -- "-I$prefix/include\|-isystem $prefix/include" "$WORK/app/build/compile_commands.json" ||
  fail "the program was not compiled against $prefix/include"
! grep -q -- "$KV_SOURCE_DIR\|$KV_BUILD_DIR" "$WORK/app/build/compile_commands.json" ||
  fail "the program saw the source or build tree"
out=$("$WORK/app/build/hello_kv" "$WORK/data-cmake") || fail "hello_kv (find_package) exited $?"
[[ $out == '{"greeting":"hello from an installed libkv"}' ]] ||
  fail "hello_kv (find_package) printed: $out"
[[ -n $(ls "$WORK/data-cmake") ]] || fail "hello_kv wrote no data directory"

# The same program with pkg-config, linked by hand.
if command -v pkg-config > /dev/null; then
  export PKG_CONFIG_PATH="$prefix/$libdir/pkgconfig"
  version=$("$prefix/bin/kvput" --version | awk '{ print $2 }')
  [[ $(pkg-config --modversion kv) == "$version" ]] || fail "kv.pc's version is not $version"
  # As make or sh -c would take them (pkg-config quotes for a shell).
  eval "flags=($(pkg-config --cflags --libs kv))"
  g++ -std=c++20 "$WORK/app/hello_kv.cc" -o "$WORK/hello_kv_pc" "${flags[@]}" 2> "$WORK/pc.log" ||
    { cat "$WORK/pc.log" >&2; fail "building with pkg-config --cflags --libs kv failed"; }
  out=$("$WORK/hello_kv_pc" "$WORK/data-pc") || fail "hello_kv (pkg-config) exited $?"
  [[ $out == '{"greeting":"hello from an installed libkv"}' ]] || fail "hello_kv (pkg-config) printed: $out"
fi
echo "PASS: installed into $prefix; hello_kv built with find_package(kv) and pkg-config, and ran"
