#!/usr/bin/env bash
# tests/interop/test_verify_manifest.sh: the shared outside checker
# (../shared/tools/verify-manifest.py) runs `ward verify --json` on the SEV-SNP
# manifest with the issue's flags and judges exit codes and JSON shape as another
# tool would. It lives outside this repository, so a clone without ../shared skips
# this test (exit 77) and says why.
set -u
: "${WARD_BIN:?WARD_BIN must name the ward binary}"
: "${WARD_TEST_DATA:?WARD_TEST_DATA must name tests/data}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tool=${WARD_SHARED_TOOLS:-$here/../../../shared/tools}/verify-manifest.py
if [ ! -f "$tool" ]; then
    echo "SKIP: $tool not found (the shared test tools sit beside the repository only in CI and dev checkouts)"
    exit 77
fi
export XDG_CACHE_HOME=$(mktemp -d)
trap 'rm -rf "$XDG_CACHE_HOME"' EXIT
python3 "$tool" snp "$WARD_BIN" "$WARD_TEST_DATA/snp"
