#!/usr/bin/env bash
# scripts/check-format.sh: fails if any C source differs from .clang-format's layout.
# Run from anywhere; checks the repository this script lives in.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v clang-format >/dev/null || { echo "clang-format is not installed (make deps)"; exit 1; }
mapfile -t files < <(find include lib cli tests bench -name '*.[ch]' -not -path '*/corpus/*' | sort)
clang-format --dry-run --Werror "${files[@]}"
echo "format: ${#files[@]} files match .clang-format"
