#!/usr/bin/env bash
# scripts/run-dev.sh: ward's main job in dev mode, run by `make run`.
#
# Verifies every sample of tests/data/snp/manifest.json with `ward verify --json`
# (and the TDX quotes of tests/data/tdx/manifest.json that have collateral),
# prints one line per sample and the full appraisal of one sample. Samples the
# manifest marks "invalid" must be rejected (that is the expected outcome, not an
# error). ward runs with its default policy, which refuses debug guests: a sample
# the manifest calls valid (signature, chain and TCB are good) that only the policy
# check refuses is reported as such, not as a failure. Exits 1 only when an outcome
# differs from the manifest otherwise, or ward fails to run (exit 2 or a crash).
#
# Environment: BUILD_DIR (default build), WARD (default $BUILD_DIR/cli/ward).
set -uo pipefail

cd "$(dirname "$0")/.." || exit 2

BUILD_DIR=${BUILD_DIR:-build}
WARD=${WARD:-$BUILD_DIR/cli/ward}
DATA=tests/data/snp
MANIFEST=$DATA/manifest.json

if [ ! -x "$WARD" ]; then
    echo "run-dev: $WARD not found; run 'make build' first" >&2
    exit 2
fi

# One line per sample, fields separated by US (0x1f, so empty fields survive `read`):
# id, file, expect, as-of, report_data hex, certs (separated by '|'). The manifest is read with python3's json module.
samples=$(python3 - "$MANIFEST" <<'EOF'
import json, sys
with open(sys.argv[1]) as f:
    manifest = json.load(f)
for s in manifest:
    fields = [
        s["id"],
        s.get("file") or s["id"] + "/report.bin",
        s.get("expect", "valid"),
        s.get("verify_as_of") or "",
        s.get("nonce_or_report_data_hex") or "",
        "|".join(s.get("certs") or []),
    ]
    if any("\x1f" in x or "\n" in x or "|" in x for x in fields[:5]):
        sys.exit("run-dev: manifest entry %r has a separator in a field" % s["id"])
    print("\x1f".join(fields))
EOF
) || { echo "run-dev: cannot read $MANIFEST" >&2; exit 2; }

# describe: read an appraisal on stdin, print "KIND<US>reason": KIND is "policy" when
# only the policy check failed (signature and chain passed), else "-".
describe()
{
    python3 -c '
import json, sys
try:
    a = json.load(sys.stdin)
except ValueError:
    print("-\x1foutput is not JSON"); sys.exit(0)
errs = a.get("errors") or []
checks = a.get("checks") or {}
failed = {k for k, v in checks.items() if v == "fail"} | {e.get("check") for e in errs}
kind = "-"
if failed == {"policy"} and checks.get("signature") == "pass" and checks.get("chain") == "pass":
    kind = "policy"
sys.stdout.write(kind + "\x1f")
if errs:
    e = errs[0]
    more = " (+%d more)" % (len(errs) - 1) if len(errs) > 1 else ""
    print("%s: %s%s" % (e.get("check", "?"), e.get("message", "?"), more))
else:
    c = a.get("claims") or {}
    bits = [str(c["product"])] if "product" in c else []
    for k in ("report_version", "version"):
        if k in c:
            bits.append("report v%s" % c[k])
            break
    print(", ".join(bits))
'
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

num=0
num_bad=0
num_refused=0
shown=""
echo "Verifying the bundled SEV-SNP sample evidence ($MANIFEST) with $WARD"
echo
while IFS=$'\x1f' read -r id file expect as_of report_data certs; do
    [ -n "$id" ] || continue
    num=$((num + 1))
    args=(verify --json)
    [ -n "$as_of" ] && args+=(--as-of "$as_of")
    if [ -n "$certs" ]; then
        IFS='|' read -r -a cert_list <<<"$certs"
        for c in "${cert_list[@]}"; do
            args+=(--certs "$DATA/$c")
        done
    fi
    if [ "$expect" = valid ] && [ -n "$report_data" ]; then
        args+=(--report-data "$report_data")
    fi
    args+=("$DATA/$file")

    "$WARD" "${args[@]}" >"$tmp/$num.json" 2>"$tmp/$num.err" </dev/null
    rc=$?
    IFS=$'\x1f' read -r kind why < <(describe <"$tmp/$num.json")
    case "$expect:$rc" in
    valid:0)
        printf '  %-10s %-34s verified%s\n' PASS "$id" "${why:+ ($why)}"
        [ -z "$shown" ] && shown="$id|$tmp/$num.json"
        ;;
    invalid:1)
        printf '  %-10s %-34s rejected as expected: %s\n' REJECTED "$id" "$why"
        ;;
    valid:1)
        if [ "$kind" = policy ]; then
            printf '  %-10s %-34s authentic, but the default policy refuses it: %s\n' REFUSED "$id" "$why"
            num_refused=$((num_refused + 1))
            continue
        fi
        printf '  %-10s %-34s rejected, but the manifest says valid: %s\n' UNEXPECTED "$id" "$why"
        num_bad=$((num_bad + 1))
        ;;
    invalid:0)
        printf '  %-10s %-34s accepted, but the manifest says invalid\n' UNEXPECTED "$id"
        num_bad=$((num_bad + 1))
        ;;
    *)
        printf '  %-10s %-34s ward exited %d: %s\n' ERROR "$id" "$rc" \
            "$(tail -n 1 "$tmp/$num.err")"
        num_bad=$((num_bad + 1))
        ;;
    esac
done <<<"$samples"

if [ -n "$shown" ]; then
    echo
    echo "Appraisal of ${shown%%|*} (ward verify --json):"
    python3 -m json.tool "${shown#*|}" || cat "${shown#*|}"
fi

# Intel TDX: the manifest's quotes that have complete collateral, each checked with
# the DCAP bundle built from it, at the manifest's "as of" time.
TDX=tests/data/tdx
echo
echo "Verifying the bundled TDX quotes ($TDX/manifest.json) with their DCAP collateral"
echo
python3 tests/interop/tdx_bundles.py "$TDX" "$tmp/tdx" >"$tmp/tdx.tsv" 2>/dev/null ||
    { echo "run-dev: cannot build the TDX collateral bundles" >&2; exit 2; }
tdx_samples=$(python3 - "$TDX/manifest.json" "$tmp/tdx.tsv" <<'EOF2'
import json, sys
bundles = dict(l.rstrip("\n").split("\t") for l in open(sys.argv[2]) if "\t" in l)
for e in json.load(open(sys.argv[1]))["entries"]:
    if e["expect"] in ("valid", "invalid") and e["id"] in bundles:
        print("\x1f".join([e["id"], e["file"], e["expect"], e["verify_as_of"], bundles[e["id"]]]))
EOF2
)
while IFS=$'\x1f' read -r id file expect as_of bundle; do
    [ -n "$id" ] || continue
    num=$((num + 1))
    "$WARD" verify --tee tdx --json --as-of "$as_of" --collateral "$bundle" "$TDX/$file" \
        >"$tmp/$num.json" 2>"$tmp/$num.err" </dev/null
    rc=$?
    status=$(python3 -c 'import json,sys; print(json.load(sys.stdin).get("claims",{}).get("tcb_status","-"))' \
        <"$tmp/$num.json" 2>/dev/null)
    IFS=$'\x1f' read -r kind why < <(describe <"$tmp/$num.json")
    case "$expect:$rc" in
    valid:0) printf '  %-10s %-34s verified (TCB status %s)\n' PASS "$id" "$status" ;;
    invalid:1) printf '  %-10s %-34s rejected as expected: %s\n' REJECTED "$id" "$why" ;;
    *)
        printf '  %-10s %-34s ward exited %d, manifest says %s: %s\n' UNEXPECTED "$id" "$rc" "$expect" "$why"
        num_bad=$((num_bad + 1))
        ;;
    esac
done <<<"$tdx_samples"

# The server SDK's local loop: simulate -> attest -> verify. `ward attest` with the
# simulator (its roots made in a temporary directory) produces evidence whose
# REPORT_DATA binds a label and a payload; `ward verify --allow-sim` recomputes the
# binding, and must refuse the same evidence for another label.
echo
echo "Local loop: ward attest --provider sim, then ward verify --allow-sim --label --payload-file"
echo
loop=(--label ward/v1/run-dev --payload-file "$tmp/payload")
printf 'run-dev payload\n' >"$tmp/payload"
num=$((num + 2))
if "$WARD" attest --provider sim --sim-dir "$tmp/sim" "${loop[@]}" -o "$tmp/evidence.json" \
    2>"$tmp/attest.err" </dev/null &&
    "$WARD" verify --json --allow-sim "$tmp/sim" "${loop[@]}" "$tmp/evidence.json" \
        >"$tmp/loop.json" 2>"$tmp/loop.err" </dev/null; then
    printf '  %-10s %-34s attested and verified, binding recomputed\n' PASS "sim snp"
    python3 -m json.tool "$tmp/loop.json" || cat "$tmp/loop.json"
else
    printf '  %-10s %-34s %s\n' ERROR "sim snp" "$(tail -n 1 "$tmp/attest.err" "$tmp/loop.err")"
    num_bad=$((num_bad + 1))
fi
"$WARD" verify --allow-sim "$tmp/sim" --label ward/v1/other --payload-file "$tmp/payload" \
    "$tmp/evidence.json" >/dev/null 2>&1 </dev/null
rc=$?
if [ "$rc" -eq 1 ]; then
    printf '  %-10s %-34s rejected as expected (another label)\n' REJECTED "sim snp, label ward/v1/other"
else
    printf '  %-10s %-34s ward exited %d, want 1\n' UNEXPECTED "sim snp, label ward/v1/other" "$rc"
    num_bad=$((num_bad + 1))
fi
echo
if [ "$num_bad" -gt 0 ]; then
    echo "run-dev: $num_bad of $num samples did not verify as the manifest expects"
    exit 1
fi
note=""
if [ "$num_refused" -gt 0 ]; then
    note=" ($num_refused authentic but refused by the default policy)"
fi
echo "run-dev: all $num samples verified as the manifest expects$note"
