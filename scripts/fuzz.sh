#!/usr/bin/env bash
# scripts/fuzz.sh: run every libFuzzer target for a while, run by `make fuzz`.
#
# Builds with clang in $FUZZ_BUILD_DIR (default build-fuzz) with -Dfuzzing=true and
# ASan+UBSan, then runs each build-fuzz/tests/fuzz/fuzz_<name> for $FUZZ_SECONDS
# (default 60) on a temporary copy of tests/fuzz/corpus/<name>/, so the committed
# corpus does not grow. With FUZZ_MERGE=1, inputs that add coverage are merged
# back into tests/fuzz/corpus/<name>/ (libFuzzer -merge=1) afterwards.
# A dictionary tests/fuzz/<name>.dict is used when present.
# Crash, leak and timeout inputs are written to $FUZZ_BUILD_DIR/fuzz-artifacts/<name>/.
# Exit status 1 if any target found a bug (or none was built).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

FUZZ_BUILD_DIR=${FUZZ_BUILD_DIR:-build-fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_MERGE=${FUZZ_MERGE:-0}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if ! [[ "$FUZZ_SECONDS" =~ ^[0-9]+$ ]] || [ "$FUZZ_SECONDS" -eq 0 ]; then
    echo "fuzz: FUZZ_SECONDS must be a positive number of seconds, not '$FUZZ_SECONDS'" >&2
    exit 2
fi

opts=(-Dfuzzing=true '-Db_sanitize=address,undefined' -Db_lundef=false)
if [ -f "$FUZZ_BUILD_DIR/meson-private/coredata.dat" ]; then
    meson setup --reconfigure "$FUZZ_BUILD_DIR" "${opts[@]}" || exit 1
else
    CC=clang meson setup "$FUZZ_BUILD_DIR" "${opts[@]}" || exit 1
fi
meson compile -C "$FUZZ_BUILD_DIR" || exit 1

mapfile -t targets < <(find "$FUZZ_BUILD_DIR/tests/fuzz" -maxdepth 1 -type f -name 'fuzz_*' \
    -perm -u+x 2>/dev/null | sort)
if [ "${#targets[@]}" -eq 0 ]; then
    echo "fuzz: no fuzz_* targets in $FUZZ_BUILD_DIR/tests/fuzz" >&2
    exit 1
fi

work=""
trap 'if [ -n "$work" ]; then rm -rf "$work"; fi' EXIT

failed=()
for bin in "${targets[@]}"; do
    target=$(basename "$bin")
    name=${target#fuzz_}
    corpus=tests/fuzz/corpus/$name
    artifacts=$FUZZ_BUILD_DIR/fuzz-artifacts/$name
    mkdir -p "$artifacts"
    work=$(mktemp -d "${TMPDIR:-/tmp}/ward-fuzz-$name.XXXXXX")
    if [ -d "$corpus" ]; then
        cp -a "$corpus/." "$work/"
    else
        echo "fuzz: note: $corpus does not exist; $target starts from an empty corpus"
    fi
    extra=()
    if [ -f "tests/fuzz/$name.dict" ]; then
        extra+=("-dict=tests/fuzz/$name.dict")
    fi

    echo "==> $target: ${FUZZ_SECONDS}s on a copy of $corpus ($(find "$work" -type f | wc -l) inputs)"
    "$bin" -max_total_time="$FUZZ_SECONDS" -timeout=25 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$artifacts/" "${extra[@]}" "$work" </dev/null
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "==> $target: FAILED (exit $rc); reproducer(s) from this run:"
        find "$artifacts" -type f -newer "$work" | sed 's/^/      /'
        failed+=("$target")
    elif [ "$FUZZ_MERGE" = 1 ]; then
        mkdir -p "$corpus"
        before=$(find "$corpus" -type f | wc -l)
        "$bin" -merge=1 -timeout=25 -rss_limit_mb=2048 "$corpus" "$work" </dev/null ||
            failed+=("$target (merge)")
        echo "==> $target: corpus $corpus: $before -> $(find "$corpus" -type f | wc -l) inputs"
    fi
    rm -rf "$work"
    work=""
done

echo
if [ "${#failed[@]}" -gt 0 ]; then
    echo "fuzz: ${#failed[@]} of ${#targets[@]} target(s) failed: ${failed[*]}"
    exit 1
fi
echo "fuzz: ${#targets[@]} target(s) ran ${FUZZ_SECONDS}s each without finding a bug"
