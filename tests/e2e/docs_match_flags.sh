#!/usr/bin/env bash
# Keeps flags, man pages and completions from drifting apart (STYLE.md, point 9). For every
# program built in $KV_BIN that has a tools/NAME directory: every long flag its --help prints (and
# each subcommand's --help) must appear in man/NAME.1, completions/bash/NAME, completions/zsh/_NAME
# and completions/fish/NAME.fish, and every flag those files offer must be one the program knows.
# Each man page needs the sections NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, ENVIRONMENT,
# EXAMPLES and SEE ALSO. The completion scripts must parse (bash -n; zsh -n and
# fish --no-execute when those shells are installed).
set -u

: "${KV_BIN:?set KV_BIN to the directory of the built programs}"
: "${KV_SOURCE_DIR:?set KV_SOURCE_DIR to the repository}"
src=$KV_SOURCE_DIR
failures=0
checked=0

fail() {
  echo "FAIL: $*" >&2
  failures=$((failures + 1))
}

# Long flags in text, one per line, sorted and unique.
long_flags() { grep -oE -- '--[a-zA-Z0-9][a-zA-Z0-9-]*' | sort -u; }

# Subcommand names from CLI11's help: the indented words under "Subcommands:".
subcommands() {
  awk '/^Subcommands:/ { in_list = 1; next }
       in_list && /^  [a-z]/ { print $1; next }
       in_list && !/^  / { in_list = 0 }'
}

# Whether flag $1 (e.g. --data-dir) occurs as a whole word in file $2 in the given style.
has_flag_plain() { grep -qE -- "(^|[^a-zA-Z0-9-])$1([^a-zA-Z0-9-]|\$)" "$2"; }
has_flag_man() { sed 's/\\-/-/g' "$2" | grep -qE -- "(^|[^a-zA-Z0-9-])$1([^a-zA-Z0-9-]|\$)"; }
has_flag_fish() { grep -qE -- "(-l|--long-option) ${1#--}( |\$)" "$2"; }

for tool_dir in "$src"/tools/*/; do
  [[ -f $tool_dir/main.cc ]] || continue  # tools/common: code the tools share, not a program
  name=$(basename "$tool_dir")
  man="$src/man/$name.1"
  bash_c="$src/completions/bash/$name"
  zsh_c="$src/completions/zsh/_$name"
  fish_c="$src/completions/fish/$name.fish"
  for f in "$man" "$bash_c" "$zsh_c" "$fish_c"; do
    [[ -f $f ]] || fail "$name: $f is missing"
  done
  if [[ -f $man ]]; then
    for section in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' ENVIRONMENT EXAMPLES 'SEE ALSO'; do
      grep -q "^\.SH \"\?$section\"\?\$" "$man" || fail "$name: $man has no $section section"
    done
  fi

  if [[ ! -x $KV_BIN/$name ]]; then
    echo "skip: $name is not built in $KV_BIN (static checks only)"
    continue
  fi
  checked=$((checked + 1))

  help=$("$KV_BIN/$name" --help 2>&1) || fail "$name --help exited $?"
  all_help=$help
  for sub in $(subcommands <<<"$help"); do
    sub_help=$("$KV_BIN/$name" "$sub" --help 2>&1) || fail "$name $sub --help exited $?"
    all_help+=$'\n'$sub_help
  done
  # --help shows placeholders (N, FILE, HOST:PORT,...), not CLI11's type and validator names.
  if names=$(grep -oE '\b(UINT|INT|TEXT|FLOAT|BOOLEAN|NUMBER)\b| in \[[^]]*\]' <<<"$all_help"); then
    fail "$name --help shows CLI11 type names: $(sort -u <<<"$names" | tr '\n' ' ')"
  fi
  # -V is --version; a usage error is "NAME: ..." and exit 2, and JSON on stdout under --json.
  [[ $("$KV_BIN/$name" -V 2>&1) == "$name "[0-9]* ]] || fail "$name -V does not print its version"
  usage_rc=0
  usage_err=$("$KV_BIN/$name" --no-such-flag 2>&1 >/dev/null) || usage_rc=$?
  [[ $usage_rc -eq 2 ]] || fail "$name --no-such-flag exited $usage_rc, not 2"
  [[ $usage_err == "$name: "*"see $name --help"* ]] ||
    fail "$name: a usage error does not start with the program's name: $usage_err"
  if grep -q -- '--json' <<<"$all_help"; then
    usage_out=$("$KV_BIN/$name" --json --no-such-flag 2>/dev/null) || true
    python3 -c 'import json,sys; d = json.loads(sys.argv[1]); sys.exit(0 if d["ok"] is False and d["message"] else 1)' \
      "$usage_out" 2>/dev/null || fail "$name --json: a usage error is not JSON on stdout: $usage_out"
  fi
  flags=$(long_flags <<<"$all_help")
  [[ -n $flags ]] || fail "$name: --help printed no long flags"
  grep -qx -- --version <<<"$flags" || fail "$name: --help does not list --version"

  for flag in $flags; do
    [[ -f $man ]] && ! has_flag_man "$flag" "$man" && fail "$name: $flag is missing from $man"
    [[ -f $bash_c ]] && ! has_flag_plain "$flag" "$bash_c" && fail "$name: $flag is missing from $bash_c"
    [[ -f $zsh_c ]] && ! has_flag_plain "$flag" "$zsh_c" && fail "$name: $flag is missing from $zsh_c"
    [[ -f $fish_c ]] && ! has_flag_fish "$flag" "$fish_c" && fail "$name: $flag is missing from $fish_c"
  done

  # The other way: a flag the docs offer that the program does not know.
  known() { grep -qx -- "$1" <<<"$flags"; }
  if [[ -f $man ]]; then
    # Option definitions: ".B \-\-flag" or ".BI \-\-flag " lines.
    for flag in $(grep -E '^\.BI? \\-\\-' "$man" | sed 's/\\-/-/g' | long_flags); do
      known "$flag" || fail "$name: $man documents $flag, which $name --help does not list"
    done
  fi
  for f in "$bash_c" "$zsh_c"; do
    [[ -f $f ]] || continue
    for flag in $(grep -v '^#' "$f" | long_flags); do
      known "$flag" || fail "$name: $f offers $flag, which $name --help does not list"
    done
  done
  if [[ -f $fish_c ]]; then
    for flag in $(grep '^complete' "$fish_c" | grep -oE -- ' -l [a-zA-Z0-9-]+' | sed 's/^ -l /--/' | sort -u); do
      known "$flag" || fail "$name: $fish_c offers $flag, which $name --help does not list"
    done
  fi
done

# The man pages must render without warnings.
if command -v groff >/dev/null; then
  for page in "$src"/man/*.[1-8]; do
    warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1)
    [[ -z $warnings ]] || fail "$page: groff warns: $warnings"
  done
fi

# The completion scripts must parse, and bash's must register its function.
for f in "$src"/completions/bash/*; do
  bash -n "$f" || fail "$f: bash -n failed"
  name=$(basename "$f")
  bash -c "source '$f' && complete -p $name >/dev/null" 2>/dev/null ||
    fail "$f: sourcing it does not register a completion for $name"
done
if command -v zsh >/dev/null; then
  for f in "$src"/completions/zsh/_*; do zsh -n "$f" || fail "$f: zsh -n failed"; done
else
  echo "skip: zsh is not installed; zsh completions not syntax-checked"
fi
if command -v fish >/dev/null; then
  for f in "$src"/completions/fish/*.fish; do
    fish --no-execute "$f" || fail "$f: fish --no-execute failed"
  done
else
  echo "skip: fish is not installed; fish completions not syntax-checked"
fi

if ((failures > 0)); then
  echo "$failures problem(s); fix the man page or completion named above (or the program's flags)" >&2
  exit 1
fi
echo "ok: flags, man pages and completions agree for $checked built program(s)"
