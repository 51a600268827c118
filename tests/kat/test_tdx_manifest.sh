#!/usr/bin/env bash
# tests/kat/test_tdx_manifest.sh: every real TDX quote in tests/data/tdx/manifest.json
# gets the verdict and TCB status the manifest expects, at the manifest's "as of"
# time, through `ward verify --tee tdx --collateral` (the manifest is the data;
# nothing here is per sample). Entries the manifest cannot judge ("unknown": no
# complete collateral) must still parse, and carry a valid QE-bound quote signature
# while their PCK certificate is valid unless their chain ends in another root.
#
# Environment: WARD_BIN (the ward binary), WARD_TEST_DATA (tests/data).
set -u
: "${WARD_BIN:?WARD_BIN must name the ward binary}"
: "${WARD_TEST_DATA:?WARD_TEST_DATA must name tests/data}"
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache

python3 "$here/../interop/tdx_bundles.py" "$WARD_TEST_DATA/tdx" "$tmp/bundles" >"$tmp/bundles.tsv" 2>/dev/null ||
    { echo "FAIL: cannot build collateral bundles"; exit 1; }

python3 - "$WARD_BIN" "$WARD_TEST_DATA/tdx" "$tmp/bundles.tsv" <<'PY'
import datetime, json, os, subprocess, sys
ward, d, tsv = sys.argv[1], sys.argv[2], sys.argv[3]
bundles = dict(line.rstrip("\n").split("\t") for line in open(tsv) if "\t" in line)
entries = json.load(open(os.path.join(d, "manifest.json")))["entries"]
fails = judged = 0

def run(args):
    p = subprocess.run([ward, "verify", "--tee", "tdx", "--json"] + args, capture_output=True, text=True)
    try:
        return p.returncode, json.loads(p.stdout)
    except ValueError:
        return p.returncode, {"_stdout": p.stdout, "_stderr": p.stderr}

for e in entries:
    q = os.path.join(d, e["file"])
    want = e["expect"]
    if want in ("valid", "invalid") and e["id"] in bundles:
        args = ["--collateral", bundles[e["id"]], "--as-of", e["verify_as_of"]]
        if want == "valid" and e.get("report_data_hex"):
            args += ["--report-data", e["report_data_hex"]]
        rc, j = run(args + [q])
        c, cl = j.get("checks", {}), j.get("claims", {})
        if want == "valid":
            bad = [k for k in ("signature", "chain", "collateral", "qe_identity", "revocation", "tcb", "binding")
                   if c.get(k) != "pass"]
            if cl.get("tcb_status") != e.get("expected_tcb_status"):
                bad.append(f"tcb_status {cl.get('tcb_status')} != {e.get('expected_tcb_status')}")
            if rc != 0 or j.get("verdict") != "pass":
                bad.append(f"verdict {j.get('verdict')} exit {rc}")
        else:
            bad = [] if rc == 1 and j.get("verdict") == "fail" and j.get("errors") else [f"not rejected (exit {rc})"]
        judged += 1
    elif want == "unknown" or e["id"] not in bundles:
        # Parse, chain while the PCK certificate is valid, QE binding and quote signature.
        nb = e.get("pck_not_before")
        if not nb:
            print(f"SKIP {e['id']}: no PCK validity recorded")
            continue
        t = datetime.datetime.fromisoformat(nb) + datetime.timedelta(days=1)
        rc, j = run(["--no-cache", "--as-of", t.strftime("%Y-%m-%dT%H:%M:%SZ"), q])
        c = j.get("checks", {})
        msgs = " ".join(x.get("message", "") for x in j.get("errors", []))
        if "tdx quote:" in msgs:
            bad = ["does not parse: " + msgs]
        elif c.get("chain") == "fail" and "unable to get local issuer certificate" in msgs:
            # Some published quotes come from pre-production platforms whose chain ends
            # in a different "Intel SGX Root CA": ward must refuse them.
            print(f"NOTE {e['id']}: chain is not rooted in Intel's production root; refused")
            bad = []
        else:
            bad = [k for k in ("signature", "chain") if c.get(k) != "pass"]
            if c.get("collateral") != "fail":
                bad.append("collateral should fail: none was given")
    if bad:
        fails += 1
        print(f"FAIL {e['id']} ({want}): {bad}; errors: {j.get('errors', j)}")
    else:
        print(f"PASS {e['id']} ({want})")
print(f"tdx manifest: {judged} judged against the manifest, {fails} failure(s)")
sys.exit(1 if fails or judged == 0 else 0)
PY
