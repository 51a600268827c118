#!/usr/bin/env bash
# tests/integration/test_cli_verify.sh: the `ward verify` command-line contract
# (flags, exit codes 0/1/2, JSON shape) and the simulator round trip, exercised
# as another tool would: through the binary only.
#
# Environment: WARD_BIN (the ward binary), WARD_TEST_DATA (tests/data).
set -u
: "${WARD_BIN:?WARD_BIN must name the ward binary}"
: "${WARD_TEST_DATA:?WARD_TEST_DATA must name tests/data}"
ward=$WARD_BIN
data=$WARD_TEST_DATA
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache # never read the user's cache

. "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

g=$data/snp/trustee-azure-genoa-v3
gcerts=(--certs "$g/ark.der" --certs "$g/vcek.der" --certs "$g/ask.der") # any order
asof=(--as-of 2025-01-25T02:21:48Z)
rd=b581f12e29a2d7d64e5e0b738d563879a78b51c644d0fa0cce02b48699f6bf5f0000000000000000000000000000000000000000000000000000000000000000

# --- accept path and JSON shape
expect_exit 0 "genuine Genoa report passes" -- "$ward" verify --tee snp "${gcerts[@]}" "${asof[@]}" --report-data "$rd" --json "$g/report.bin"
json_check 'j["verdict"]=="pass" and j["tee"]=="snp" and set(j["checks"])=={"signature","chain","revocation","tcb","measurement","policy","binding"} and j["errors"]==[] and j["checks"]["binding"]=="pass" and j["checks"]["measurement"]=="skip"' "JSON shape"
json_check 'j["claims"]["product"]=="Genoa" and j["claims"]["version"]==3 and len(j["claims"]["measurement"])==96' "claims"
expect_exit 0 "PEM chain and human output" -- "$ward" verify --certs "$data/roots/amd/genoa_ask.pem" --certs "$g/vcek.der" "${asof[@]}" "$g/report.bin"
grep -q "verdict: PASS" "$tmp/out" && pass "human output says PASS" || fail "human output: $(cat "$tmp/out")"

# --- evidence envelope
python3 - "$g" "$tmp/env.json" <<'PY'
import base64, json, sys
d, out = sys.argv[1], sys.argv[2]
b = lambda f: base64.b64encode(open(f"{d}/{f}", "rb").read()).decode()
json.dump({"tee": "snp", "evidence": b("report.bin"), "certs": [b("vcek.der"), b("ask.der")]}, open(out, "w"))
PY
expect_exit 0 "JSON envelope with certs" -- "$ward" verify "${asof[@]}" --json "$tmp/env.json"
printf '{"tee":"snp","evidence":"not base64!"}' >"$tmp/bad-env.json"
expect_exit 1 "malformed envelope is a rejection" -- "$ward" verify --json "$tmp/bad-env.json"
json_check 'j["verdict"]=="fail" and j["errors"][0]["check"]=="signature"' "malformed envelope names a check"

# --- rejections: exit 1 and an error naming the check
for off in 0 80 400 671 672 800 1183; do
    python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[$off]^=1; open(sys.argv[2],'wb').write(b)" "$g/report.bin" "$tmp/flip.bin"
    expect_exit 1 "report byte $off flipped" -- "$ward" verify "${gcerts[@]}" "${asof[@]}" --json "$tmp/flip.bin"
    json_check 'j["verdict"]=="fail" and j["checks"]["signature"]=="fail" and any(e["check"]=="signature" for e in j["errors"])' "byte $off: signature check named"
done
head -c 1183 "$g/report.bin" >"$tmp/short.bin"
expect_exit 1 "truncated report" -- "$ward" verify "${gcerts[@]}" "${asof[@]}" "$tmp/short.bin"
grep -q "error: signature:.*1183 bytes" "$tmp/out" && pass "truncation message" || fail "truncation message: $(cat "$tmp/out")"
{ cat "$g/report.bin"; printf 'x'; } >"$tmp/long.bin"
expect_exit 1 "extended report" -- "$ward" verify "${gcerts[@]}" "${asof[@]}" "$tmp/long.bin"
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[300]^=1; open(sys.argv[2],'wb').write(b)" "$g/ask.der" "$tmp/ask.der"
expect_exit 1 "damaged ASK" -- "$ward" verify --certs "$g/vcek.der" --certs "$tmp/ask.der" "${asof[@]}" --json "$g/report.bin"
json_check 'j["checks"]["chain"]=="fail" and any(e["check"]=="chain" for e in j["errors"])' "damaged ASK names the chain check"
expect_exit 1 "wrong expected report_data" -- "$ward" verify "${gcerts[@]}" "${asof[@]}" --report-data "${rd/b5/00}" --json "$g/report.bin"
json_check 'j["checks"]["binding"]=="fail"' "binding check fails"
expect_exit 1 "expired at the given time" -- "$ward" verify "${gcerts[@]}" --as-of 2040-01-01T00:00:00Z --json "$g/report.bin"
json_check 'j["checks"]["chain"]=="fail"' "expiry fails the chain"
expect_exit 1 "no VCEK given or cached" -- "$ward" verify --json "$g/report.bin"
json_check '"ward fetch snp" in j["errors"][0]["message"]' "missing VCEK message points at ward fetch"
dbg=$data/snp/go-sev-guest-milan-v2
expect_exit 1 "debug guest refused by the default policy" -- "$ward" verify --certs "$dbg/vcek.der" --as-of 2022-09-25T00:55:28Z --json "$dbg/report.bin"
json_check 'j["checks"]["policy"]=="fail" and j["checks"]["signature"]=="pass" and "debug" in j["errors"][0]["message"]' "debug refusal is a policy failure"
echo '{"version":1,"snp":{"allow_debug":true,"vmpls":[0],"min_tcb":{"bootloader":2,"snp":5}}}' >"$tmp/policy.json"
expect_exit 0 "debug guest allowed by an explicit policy" -- "$ward" verify --certs "$dbg/vcek.der" --as-of 2022-09-25T00:55:28Z --policy "$tmp/policy.json" "$dbg/report.bin"
echo '{"version":1,"snp":{"allow_debug":true,"min_tcb":{"snp":99}}}' >"$tmp/policy-tcb.json"
expect_exit 1 "TCB below the policy minimum" -- "$ward" verify --certs "$dbg/vcek.der" --as-of 2022-09-25T00:55:28Z --policy "$tmp/policy-tcb.json" --json "$dbg/report.bin"
json_check 'j["checks"]["tcb"]=="fail"' "minimum TCB fails the tcb check"

# --- revocation
expect_exit 0 "the ARK's CRL satisfies require_crl" -- "$ward" verify "${gcerts[@]}" "${asof[@]}" --crl "$data/roots/amd/genoa_crl.pem" --policy <(echo '{"snp":{"require_crl":true}}') --json "$g/report.bin"
json_check 'j["checks"]["revocation"]=="pass"' "revocation passes with Genoa's CRL"
expect_exit 1 "require_crl without a CRL" -- "$ward" verify "${gcerts[@]}" "${asof[@]}" --policy <(echo '{"snp":{"require_crl":true}}') --json "$g/report.bin"
json_check 'j["checks"]["revocation"]=="fail"' "missing CRL fails revocation"
expect_exit 1 "a CRL of another product" -- "$ward" verify "${gcerts[@]}" "${asof[@]}" --crl "$data/roots/amd/milan_crl.pem" --json "$g/report.bin"
json_check 'j["checks"]["revocation"]=="fail" and j["checks"]["chain"]=="pass"' "unrelated CRL fails revocation, chain still checked"
head -c 200 "$data/roots/amd/genoa_crl.pem" >"$tmp/crl-short.pem"
expect_exit 1 "a damaged CRL file" -- "$ward" verify "${gcerts[@]}" "${asof[@]}" --crl "$tmp/crl-short.pem" --json "$g/report.bin"
json_check 'j["checks"]["revocation"]=="fail" and j["checks"]["chain"]=="pass"' "damaged CRL fails revocation only"
python3 - "$g" "$tmp/env-badcert.json" <<'PY'
import base64, json, sys
d, out = sys.argv[1], sys.argv[2]
b = lambda f: base64.b64encode(open(f"{d}/{f}", "rb").read()).decode()
json.dump({"tee": "snp", "evidence": b("report.bin"), "certs": [b("vcek.der"), base64.b64encode(b"not a cert").decode()]}, open(out, "w"))
PY
expect_exit 1 "envelope with a damaged certificate" -- "$ward" verify "${asof[@]}" --json "$tmp/env-badcert.json"
json_check 'j["checks"]["chain"]=="fail" and "envelope certs[1]" in j["errors"][0]["message"]' "envelope certificate failure names the chain check and the entry"

# --- usage and I/O errors: exit 2
mkdir -p "$tmp/empty-sim"
expect_exit 2 "--allow-sim with a directory holding no simulator roots" -- "$ward" verify --allow-sim "$tmp/empty-sim" "${gcerts[@]}" "${asof[@]}" "$g/report.bin"
expect_exit 2 "--as-of at the epoch" -- "$ward" verify --as-of 1970-01-01T00:00:00Z "$g/report.bin"
expect_exit 2 "missing evidence file" -- "$ward" verify "$tmp/nonexistent.bin"
expect_exit 2 "unknown option" -- "$ward" verify --bogus "$g/report.bin"
expect_exit 2 "bad --as-of" -- "$ward" verify --as-of yesterday "$g/report.bin"
expect_exit 2 "bad --report-data" -- "$ward" verify --report-data 00 "$g/report.bin"
echo '{"snp":{"allow_debgu":true}}' >"$tmp/typo.json"
expect_exit 2 "policy with an unknown key" -- "$ward" verify --policy "$tmp/typo.json" "$g/report.bin"
expect_exit 2 "no evidence argument" -- "$ward" verify
expect_exit 0 "--help" -- "$ward" verify --help

# --- simulator round trip
if "$ward" sim snp --dir "$tmp/sim" -o "$tmp/simout" --report-data "$rd" >"$tmp/out" 2>"$tmp/err"; then
    pass "ward sim snp"
    simcerts=()
    for f in "$tmp"/simout/*.der; do simcerts+=(--certs "$f"); done
    expect_exit 1 "simulated evidence rejected without --allow-sim" -- "$ward" verify "${simcerts[@]}" --json "$tmp/simout/report.bin"
    json_check 'j["checks"]["chain"]=="fail"' "simulator roots are not trusted by default"
    expect_exit 0 "simulated evidence accepted with --allow-sim" -- "$ward" verify --allow-sim "$tmp/sim" "${simcerts[@]}" --report-data "$rd" --json "$tmp/simout/report.bin"
    json_check 'j.get("simulated") is True and j["claims"]["simulated"] is True' "appraisal says simulated"
else
    fail "ward sim snp: $(cat "$tmp/err")"
fi
# Every product, both report versions, VCEK and VLEK; the envelope carries the certs.
for product in milan genoa turin; do
    for kind in vcek vlek; do
        for ver in 3 5; do
            flag=()
            [ "$kind" = vlek ] && flag=(--vlek)
            out=$tmp/sim-$product-$kind-$ver
            if ! "$ward" sim snp --dir "$tmp/sim" --product "$product" --version "$ver" "${flag[@]}" \
                -o "$out" --envelope "$out/env.json" >/dev/null 2>"$tmp/err"; then
                fail "sim $product $kind v$ver: $(cat "$tmp/err")"
                continue
            fi
            expect_exit 0 "simulated $product $kind v$ver verifies" -- "$ward" verify --allow-sim "$tmp/sim" --json "$out/env.json"
            json_check "j['claims']['product'].lower()=='$product' and j['claims']['signing_key']=='$kind' and j['claims']['version']==$ver and j['simulated'] is True" "claims of simulated $product $kind v$ver"
        done
    done
done
out=$tmp/sim-debug
"$ward" sim snp --dir "$tmp/sim" --debug -o "$out" --envelope "$out/env.json" >/dev/null 2>&1
expect_exit 1 "simulated debug guest refused by default" -- "$ward" verify --allow-sim "$tmp/sim" --json "$out/env.json"
json_check 'j["checks"]["policy"]=="fail" and j["checks"]["chain"]=="pass"' "debug refusal on simulated evidence"

# --- the extended-report certificate table as a --certs file
python3 - "$g" "$tmp/table.bin" <<'PY'
import struct, sys, uuid
d, out = sys.argv[1], sys.argv[2]
ents = [("63da758d-e664-4564-adc5-f4b93be8accd", "vcek.der"), ("4ab7b379-bbac-4fe4-a02f-05aef327c782", "ask.der")]
off, hdr, body = (len(ents) + 1) * 24, b"", b""
for g, f in ents:
    c = open(f"{d}/{f}", "rb").read()
    hdr += uuid.UUID(g).bytes_le + struct.pack("<II", off, len(c))
    off += len(c)
    body += c
open(out, "wb").write(hdr + b"\0" * 24 + body)
PY
expect_exit 0 "certificate table (SNP_GET_EXT_REPORT layout) as --certs" -- "$ward" verify --certs "$tmp/table.bin" "${asof[@]}" "$g/report.bin"
python3 -c "import sys; b=bytearray(open(sys.argv[1],'rb').read()); b[20]^=0x40; open(sys.argv[2],'wb').write(b)" "$tmp/table.bin" "$tmp/table-bad.bin"
expect_exit 1 "certificate table with an out-of-range entry" -- "$ward" verify --certs "$tmp/table-bad.bin" "${asof[@]}" --json "$g/report.bin"
json_check 'j["checks"]["chain"]=="fail"' "bad table fails the chain check"

echo "cli verify: $failures failure(s)"
[ "$failures" -eq 0 ]
