#!/usr/bin/env bash
# scripts/check.sh: ward's test gate, run by `make check` and .ci/run.
#
#   pass 1 "plain": build in $BUILD_DIR (default build), meson test --print-errorlogs
#   pass 2 "asan":  ASan+UBSan build in $ASAN_BUILD_DIR (default build-asan), the whole
#                   test set. That includes suite 'fuzz': without -Dfuzzing the fuzz
#                   targets build as corpus replayers, so this pass replays every
#                   committed corpus under the sanitizers.
#
# Both passes always run. Counts come from meson's closing summary (Ok, Expected Fail,
# Fail, Unexpected Pass, Skipped, Timeout); a pass that cannot configure, build or
# report counts as one failure. The last line printed is exactly
#   N passed, N failed[, N skipped]
# and the exit status is 1 if anything failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

BUILD_DIR=${BUILD_DIR:-build}
ASAN_BUILD_DIR=${ASAN_BUILD_DIR:-build-asan}

total_pass=0
total_fail=0
total_skip=0
pass_notes=()

# setup DIR [meson options...]: configure DIR, or re-apply the options if it is configured.
setup()
{
    local dir=$1
    shift
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        meson setup --reconfigure "$dir" "$@"
    else
        meson setup "$dir" "$@"
    fi
}

# summary_count FILE KEY: the number on meson's last "KEY: N" line in FILE, or nothing.
summary_count()
{
    sed 's/\x1b\[[0-9;]*m//g' "$1" | grep -E "^$2:[[:space:]]+[0-9]+[[:space:]]*$" | tail -n 1 |
        awk '{ print $NF }'
}

# parse_meson_summary FILE RC: print "passed failed skipped" for one meson test run
# whose output is in FILE and whose exit status was RC.
parse_meson_summary()
{
    local file=$1 rc=$2
    local ok xfail fail upass skip timeout
    ok=$(summary_count "$file" 'Ok')
    if [ -z "$ok" ]; then
        # No summary: "No tests defined." with status 0 is an empty pass; anything
        # else (a rebuild that failed, a meson error) is one failure.
        if [ "$rc" -eq 0 ]; then
            echo "0 0 0"
        else
            echo "0 1 0"
        fi
        return
    fi
    xfail=$(summary_count "$file" 'Expected Fail')
    fail=$(summary_count "$file" 'Fail')
    upass=$(summary_count "$file" 'Unexpected Pass')
    skip=$(summary_count "$file" 'Skipped')
    timeout=$(summary_count "$file" 'Timeout')
    local passed=$((ok + ${xfail:-0}))
    local failed=$((${fail:-0} + ${upass:-0} + ${timeout:-0}))
    # meson said it failed but counted no failure: still a failure.
    if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
        failed=1
    fi
    echo "$passed $failed ${skip:-0}"
}

# run_pass NAME DIR [meson test options...] -- [meson setup options...]
run_pass()
{
    local name=$1 dir=$2
    shift 2
    local test_args=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        test_args+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    local p=0 f=0 s=0 note=""

    echo "==> [$name] meson setup $dir $*"
    if ! setup "$dir" "$@"; then
        f=1
        note="meson setup failed"
    else
        echo "==> [$name] meson compile -C $dir"
        if ! meson compile -C "$dir"; then
            f=1
            note="build failed"
        else
            echo "==> [$name] meson test -C $dir ${test_args[*]}"
            local out rc
            out=$(mktemp)
            meson test -C "$dir" --no-rebuild --print-errorlogs "${test_args[@]}" 2>&1 </dev/null |
                tee "$out"
            rc=${PIPESTATUS[0]}
            read -r p f s < <(parse_meson_summary "$out" "$rc")
            note="meson test exit $rc"
            rm -f "$out"
        fi
    fi
    echo "==> [$name] $p passed, $f failed, $s skipped ($note)"
    pass_notes+=("$(printf '  %-6s %s passed, %s failed, %s skipped (%s)' "$name" "$p" "$f" "$s" "$note")")
    total_pass=$((total_pass + p))
    total_fail=$((total_fail + f))
    total_skip=$((total_skip + s))
}

# With CHECK_PARSE_ONLY=FILE, just parse one saved meson test output (for testing this
# script): prints "passed failed skipped".
if [ -n "${CHECK_PARSE_ONLY:-}" ]; then
    parse_meson_summary "$CHECK_PARSE_ONLY" "${CHECK_PARSE_RC:-0}"
    exit 0
fi

run_pass plain "$BUILD_DIR" --
run_pass asan "$ASAN_BUILD_DIR" --timeout-multiplier 3 -- \
    -Db_sanitize=address,undefined -Db_lundef=false

# Say how much of the ASan pass was fuzz-corpus replay, so a missing suite is visible.
num_fuzz=0
if [ -f "$ASAN_BUILD_DIR/meson-private/coredata.dat" ]; then
    num_fuzz=$(meson test -C "$ASAN_BUILD_DIR" --no-rebuild --list --suite fuzz 2>/dev/null </dev/null |
        grep -c ' / ' || true)
fi
echo
echo "Summary:"
printf '%s\n' "${pass_notes[@]}"
if [ "$num_fuzz" -gt 0 ]; then
    echo "  fuzz corpus replay: $num_fuzz target(s) of suite 'fuzz' ran in the asan pass"
else
    echo "  fuzz corpus replay: no tests in suite 'fuzz' yet"
fi

line="$total_pass passed, $total_fail failed"
if [ "$total_skip" -gt 0 ]; then
    line="$line, $total_skip skipped"
fi
echo "$line"
[ "$total_fail" -eq 0 ]
