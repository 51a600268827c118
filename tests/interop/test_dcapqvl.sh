#!/usr/bin/env bash
# tests/interop/test_dcapqvl.sh: independent cross-check of ward's TDX verifier. The
# pure-JavaScript @phala/dcap-qvl (pinned in dcapqvl/package-lock.json) and
# `ward verify --tee tdx` judge the same quotes with the same collateral at the same
# time, and must reach the same verdicts and TCB statuses.
#
# For every entry of $WARD_TEST_DATA/tdx/manifest.json with expect valid|invalid and
# complete collateral:
#   1. dcap-qvl vs the manifest (checks the harness: bundles, time, quote bytes):
#      ok == (expect == "valid"), and status == expected_tcb_status when valid.
#   2. ward vs dcap-qvl:
#      dcap-qvl accepts => ward's checks signature, chain, collateral, qe_identity pass,
#        claims.tcb_status and claims.advisory_ids equal dcap-qvl's; ward's verdict may
#        still be "fail", by policy only: then no check but "tcb"/"policy" fails.
#      dcap-qvl rejects => ward exits 1 with verdict "fail".
#      Where ward is stricter by design, the STRICTER table below names the entry and
#      the reason, and ward must reject it.
#
# Exit: 0 when both halves ran and agreed; 1 on any disagreement; 77 (skip) when node,
# npm or the npm registry is unavailable, or when ward has no TDX verifier yet (then
# the dcap-qvl half still runs and must pass).
# Env: WARD_BIN (the ward binary), WARD_TEST_DATA (tests/data).
set -u

: "${WARD_TEST_DATA:?WARD_TEST_DATA must name tests/data}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
manifest_dir=$WARD_TEST_DATA/tdx

# Entries where ward rejects a quote that dcap-qvl 0.3.9 accepts, by design:
#   [manifest id]="reason"
# Empty today: every disagreement seen so far is with @phala/dcap-qvl-web 0.3.3 (the
# wasm build), which accepts quotes whose TCB matches no level with status "Unknown"
# (dev-tdx-v4-dcapqvl-hex, dev-tdx-v4-dstack-ratls, dev-tdx-v4-dstack-simquote). The JS
# dcap-qvl run here rejects those with "No matching TCB level found", as ward must.
declare -A STRICTER=(
)

skip() {
    echo "SKIP: $*"
    exit 77
}

command -v python3 >/dev/null || skip "python3 not found (builds the collateral bundles)"
command -v node >/dev/null || skip "node not found (Debian package nodejs; make deps installs it)"
command -v npm >/dev/null || skip "npm not found (Debian package npm; make deps installs it)"
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) ||
    skip "node does not run"
[ "$node_major" -ge 14 ] || skip "node $(node --version) is too old; @phala/dcap-qvl needs >= 14"

work=$(mktemp -d "${TMPDIR:-/tmp}/ward-dcapqvl.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME=$work/cache # ward's collateral cache: none from earlier runs

# --- dcap-qvl, installed from the lock file into a scratch copy -----------------------
mkdir "$work/dcapqvl"
cp "$here/dcapqvl/package.json" "$here/dcapqvl/package-lock.json" "$here/dcapqvl/verify.mjs" \
    "$work/dcapqvl/" || exit 1
(cd "$work/dcapqvl" &&
    timeout 300 npm ci --no-audit --no-fund --prefer-offline --update-notifier=false) \
    >"$work/npm.log" 2>&1
rc=$?
if [ "$rc" -ne 0 ]; then
    last=$(grep -E '^npm (error|ERR!)' "$work/npm.log" | head -n 2 | tr '\n' ' ')
    [ -n "$last" ] || last=$(tail -n 2 "$work/npm.log" | tr '\n' ' ')
    if [ "$rc" -eq 124 ] ||
        grep -Eq 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|ENOTCACHED|E50[0-9]|network|socket hang up' \
            "$work/npm.log"; then
        skip "npm ci could not reach the npm registry (exit $rc): $last"
    fi
    echo "FAIL: npm ci in a copy of tests/interop/dcapqvl failed (exit $rc): $last"
    exit 1
fi
dcapqvl_version=$(cd "$work/dcapqvl" &&
    node -p 'require("./node_modules/@phala/dcap-qvl/package.json").version')
echo "dcap-qvl: @phala/dcap-qvl $dcapqvl_version on node $(node --version)"

# --- ward: is the TDX verifier there? -----------------------------------------------
ward_ok=0
ward_why=
if [ -z "${WARD_BIN:-}" ]; then
    ward_why="WARD_BIN is not set"
elif [ ! -x "$WARD_BIN" ]; then
    ward_why="$WARD_BIN is not an executable"
elif ! help=$("$WARD_BIN" verify --tee tdx --help 2>&1); then
    ward_why="'ward verify --tee tdx --help' fails (the TDX verifier is not built yet)"
elif ! grep -q -- '--collateral' <<<"$help"; then
    # Older builds print the SEV-SNP usage and exit 0 for any --tee with --help.
    ward_why="'ward verify --tee tdx --help' shows no --collateral option (the TDX verifier is not built yet)"
else
    ward_ok=1
fi

# --- bundles and the entry list --------------------------------------------------------
if ! python3 "$here/tdx_bundles.py" "$manifest_dir" "$work/bundles" >"$work/bundles.tsv" \
    2>"$work/bundles.err"; then
    echo "FAIL: tdx_bundles.py: $(cat "$work/bundles.err")"
    exit 1
fi

# One TSV line per entry: id, quote path, as_of, expect, expected_tcb_status, bundle
# path, the error dcap-qvl gave when the manifest was made. Bundle path "-" when the
# collateral is incomplete; as_of "-" when the manifest gives no time.
python3 - "$manifest_dir" "$work/bundles.tsv" >"$work/entries.tsv" <<'EOF' || exit 1
import json, os, sys
d, tsv = sys.argv[1], sys.argv[2]
bundles = dict(line.rstrip("\n").split("\t", 1) for line in open(tsv) if line.strip())
for e in json.load(open(os.path.join(d, "manifest.json")))["entries"]:
    if e.get("expect") not in ("valid", "invalid"):
        continue
    peer = ((e.get("peer_result") or {}).get("dcap_qvl") or {}).get("error") or "-"
    print("\t".join([e["id"], os.path.join(d, e["file"]), e.get("verify_as_of") or "-",
                     e["expect"], e.get("expected_tcb_status") or "-",
                     bundles.get(e["id"], "-"), peer]))
EOF

# judge.py dcap EXPECT WANT_STATUS PEER_ERROR RC OUT_FILE ERR_FILE
# judge.py ward DCAP_JSON RC OUT_FILE ERR_FILE STRICTER_REASON
# Prints one line of detail; exit 0 when the two sides agree, 1 when not.
cat >"$work/judge.py" <<'EOF'
import json, sys

def done(ok, msg):
    print(msg)
    sys.exit(0 if ok else 1)

def first_line(path):
    lines = [l for l in open(path, errors="replace").read().splitlines() if l.strip()]
    return lines[0][:200] if lines else "(no stderr)"

def load(path):
    try:
        return json.loads(open(path).read())
    except ValueError:
        return None

def dcap(expect, want, peer_error, rc, out, err):
    d = load(out)
    if rc != "0" or not isinstance(d, dict) or "ok" not in d:
        done(False, f"verify.mjs failed (exit {rc}): {first_line(err)}")
    if d["ok"] != (expect == "valid"):
        got = f"accepts ({d['status']})" if d["ok"] else f"rejects ({d['error']})"
        done(False, f"dcap-qvl {got} but the manifest expects {expect}")
    if d["ok"]:
        if want not in ("-", "unknown") and d["status"] != want:
            done(False, f"dcap-qvl status {d['status']} but the manifest expects {want}")
        done(True, f"dcap-qvl accepts, status {d['status']}, as the manifest expects")
    note = ""
    if peer_error != "-" and d["error"] != peer_error:
        note = f" (note: the manifest recorded {peer_error!r})"
    done(True, f"dcap-qvl rejects: {d['error']}{note}")

SIGNED = ("signature", "chain", "collateral", "qe_identity")  # must pass when dcap-qvl accepts
BY_POLICY = ("tcb", "policy")  # the only checks that may fail when dcap-qvl accepts

def ward(dcap_json, rc, out, err, stricter):
    d = json.loads(dcap_json)
    rc = int(rc)
    stderr = open(err, errors="replace").read()
    if rc < 0 or rc >= 126 or "AddressSanitizer" in stderr or "runtime error:" in stderr:
        done(False, f"ward crashed or a sanitizer reported (exit {rc}): {first_line(err)}")
    if rc == 2:
        done(False, f"ward: usage or I/O error (exit 2): {first_line(err)}")
    j = load(out)
    if not isinstance(j, dict):
        done(False, f"ward output is not a JSON object (exit {rc}): {first_line(err)}")
    verdict = j.get("verdict")
    checks = j.get("checks") if isinstance(j.get("checks"), dict) else {}
    claims = j.get("claims") if isinstance(j.get("claims"), dict) else {}
    if verdict not in ("pass", "fail") or rc != (0 if verdict == "pass" else 1):
        done(False, f"ward verdict {verdict!r} with exit {rc} (want pass/0 or fail/1)")
    failed = sorted(k for k, v in checks.items() if v == "fail")
    why = "; ".join(f"{e.get('check')}: {e.get('message')}"
                    for e in (j.get("errors") or []) if isinstance(e, dict))[:300]
    if stricter:
        if not d["ok"]:
            done(False, "listed in STRICTER but dcap-qvl rejects it too: remove the entry")
        if verdict == "pass":
            done(False, "listed in STRICTER but ward accepts it as dcap-qvl does: remove the entry")
        done(True, f"ward rejects what dcap-qvl accepts, stricter by design: {stricter} "
                   f"(failed: {', '.join(failed)})")
    if not d["ok"]:
        if verdict != "fail":
            done(False, f"ward accepts a quote dcap-qvl rejects ({d['error']})")
        done(True, f"ward rejects too (failed: {', '.join(failed) or '-'}; {why})")
    bad = [f"{k} is {checks.get(k)!r}" for k in SIGNED if checks.get(k) != "pass"]
    status = claims.get("tcb_status")
    if status != d["status"]:
        bad.append(f"tcb_status {status!r} != dcap-qvl's {d['status']!r}")
    adv = claims.get("advisory_ids") or []
    if sorted(adv) != sorted(d["advisory_ids"]):
        bad.append(f"advisory_ids {adv} != dcap-qvl's {d['advisory_ids']}")
    if verdict == "fail":
        beyond = [k for k in failed if k not in BY_POLICY]
        if beyond:
            bad.append(f"fails checks beyond tcb/policy: {', '.join(beyond)} ({why})")
    if bad:
        done(False, "ward disagrees with dcap-qvl: " + "; ".join(bad))
    if verdict == "fail":
        done(True, f"ward: genuine, status {status}, rejected by policy "
                   f"(failed: {', '.join(failed)}; {why})")
    done(True, f"ward accepts too, status {status}")

{"dcap": dcap, "ward": ward}[sys.argv[1]](*sys.argv[2:])
EOF

# --- the entries -------------------------------------------------------------------
n_dcap=0 ok_dcap=0 n_ward=0 ok_ward=0 n_stricter=0 fails=0
skipped=()
while IFS=$'\t' read -r id quote as_of expect want bundle peer; do
    if [ "$bundle" = "-" ] || [ "$as_of" = "-" ]; then
        skipped+=("$id")
        echo "SKIP $id: no complete collateral or no verify_as_of in the manifest"
        continue
    fi
    n_dcap=$((n_dcap + 1))
    node "$work/dcapqvl/verify.mjs" "$quote" "$bundle" "$as_of" \
        >"$work/dcap.out" 2>"$work/dcap.err"
    rc=$?
    if msg=$(python3 "$work/judge.py" dcap "$expect" "$want" "$peer" "$rc" \
        "$work/dcap.out" "$work/dcap.err"); then
        ok_dcap=$((ok_dcap + 1))
        echo "PASS $id  dcap-qvl vs manifest: $msg"
    else
        fails=$((fails + 1))
        echo "FAIL $id  dcap-qvl vs manifest: $msg"
        continue # the harness is wrong for this entry: comparing ward with it says nothing
    fi

    [ "$ward_ok" -eq 1 ] || continue
    n_ward=$((n_ward + 1))
    timeout 120 "$WARD_BIN" verify --tee tdx --collateral "$bundle" --as-of "$as_of" --json \
        "$quote" >"$work/ward.out" 2>"$work/ward.err"
    rc=$?
    reason=${STRICTER[$id]:-}
    if msg=$(python3 "$work/judge.py" ward "$(cat "$work/dcap.out")" "$rc" \
        "$work/ward.out" "$work/ward.err" "$reason"); then
        ok_ward=$((ok_ward + 1))
        [ -z "$reason" ] || n_stricter=$((n_stricter + 1))
        echo "PASS $id  ward vs dcap-qvl: $msg"
    else
        fails=$((fails + 1))
        echo "FAIL $id  ward vs dcap-qvl: $msg"
    fi
done <"$work/entries.tsv"

for id in "${!STRICTER[@]}"; do
    cut -f1 "$work/entries.tsv" | grep -qxF -- "$id" ||
        { fails=$((fails + 1)); echo "FAIL STRICTER names $id, which is no checked entry"; }
done

echo "summary: dcap-qvl agrees with the manifest on $ok_dcap of $n_dcap entries" \
    "(${#skipped[@]} valid/invalid entries without complete collateral skipped)"
if [ "$ward_ok" -eq 1 ]; then
    echo "summary: ward agrees with dcap-qvl on $ok_ward of $n_ward entries" \
        "($n_stricter of them stricter by design, see STRICTER)"
else
    echo "summary: ward half SKIPPED: $ward_why"
fi

if [ "$n_dcap" -eq 0 ]; then
    echo "FAIL: no entry was checked; is $manifest_dir/manifest.json complete?"
    exit 1
fi
[ "$fails" -eq 0 ] || exit 1
if [ "$ward_ok" -ne 1 ] || [ "$n_ward" -eq 0 ]; then
    skip "only the dcap-qvl half ran; nothing of ward's was compared (${ward_why:-no entry})"
fi
exit 0
