#!/usr/bin/env bash
# tests/integration/test_cli_verify_tdx.sh: the `ward verify --tee tdx` contract
# through the binary: exit codes, JSON shape (the two DCAP checks and the TDX
# claims), the policy's tdx section, the simulator round trip and the collateral
# cache.
#
# Environment: WARD_BIN (the ward binary), WARD_TEST_DATA (tests/data).
set -u
: "${WARD_BIN:?WARD_BIN must name the ward binary}"
: "${WARD_TEST_DATA:?WARD_TEST_DATA must name tests/data}"
ward=$WARD_BIN
data=$WARD_TEST_DATA/tdx
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache

. "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

q=$data/quotes/dev-tdx-v4-dcapqvl-sample.bin
col=$data/collateral/dcapqvl_b0c06f000000_2025-06-19/tdx_quote_collateral.json
asof=(--as-of 2025-07-01T00:00:00Z)
rd=9a9d48e7f6799642d3d1b34e1e5e1742d4bb02dd6ddd551862c1211d35c304f9eca3efdbb481601c163cf52493d6e44aed55d51ec39b7e518fadb92c2b523f20
mrtd=91eb2b44d141d4ece09f0c75c2c53d247a3c68edd7fafe8a3520c942a604a407de03ae6dc5f87f27428b2538873118b7

# --- a real quote with its real collateral
expect_exit 0 "real quote with dcap-qvl collateral" -- "$ward" verify --tee tdx --collateral "$col" "${asof[@]}" --report-data "$rd" --json "$q"
json_check 'j["verdict"]=="pass" and j["tee"]=="tdx" and set(j["checks"])=={"signature","chain","revocation","tcb","measurement","policy","binding","collateral","qe_identity"} and all(j["checks"][k]=="pass" for k in ("signature","chain","revocation","tcb","binding","collateral","qe_identity"))' "JSON shape with the DCAP checks"
json_check 'j["claims"]["tcb_status"]=="UpToDate" and j["claims"]["advisory_ids"]==[] and j["claims"]["mrtd"]=="'$mrtd'" and all("rtmr%d"%i in j["claims"] for i in range(4))' "TDX claims"
expect_exit 0 "--tee is detected from the bytes" -- "$ward" verify --collateral "$col" "${asof[@]}" "$q"
expect_exit 0 "policy pinning MRTD" -- "$ward" verify --collateral "$col" "${asof[@]}" --policy <(echo '{"tdx":{"mrtd":["'$mrtd'"]}}') --json "$q"
json_check 'j["checks"]["measurement"]=="pass"' "measurement passes"
expect_exit 1 "policy pinning another MRTD" -- "$ward" verify --collateral "$col" "${asof[@]}" --policy <(echo '{"tdx":{"mrtd":["'${mrtd/91/00}'"]}}') --json "$q"
json_check 'j["checks"]["measurement"]=="fail"' "measurement fails"
expect_exit 1 "policy allowing another XFAM only" -- "$ward" verify --collateral "$col" "${asof[@]}" --policy <(echo '{"tdx":{"xfam":["0x3"]}}') --json "$q"
json_check 'j["checks"]["policy"]=="fail"' "XFAM fails the policy check"
expect_exit 1 "wrong expected report_data" -- "$ward" verify --collateral "$col" "${asof[@]}" --report-data "${rd/9a/00}" --json "$q"
json_check 'j["checks"]["binding"]=="fail"' "binding fails"
expect_exit 1 "collateral after its next update" -- "$ward" verify --collateral "$col" --as-of 2025-08-01T00:00:00Z --json "$q"
json_check 'j["checks"]["collateral"]=="fail" or j["checks"]["revocation"]=="fail"' "stale collateral is named"
expect_exit 1 "no collateral given or cached" -- "$ward" verify --tee tdx "${asof[@]}" --json "$q"
json_check '"ward fetch tdx" in j["errors"][0]["message"]' "missing collateral points at ward fetch tdx"
echo '{"pck_crl":"00"}' >"$tmp/bad.json"
expect_exit 1 "malformed collateral bundle" -- "$ward" verify --collateral "$tmp/bad.json" "${asof[@]}" --json "$q"
json_check 'j["checks"]["collateral"]=="fail"' "a bad bundle fails the collateral check"
expect_exit 1 "an SNP report given as TDX" -- "$ward" verify --tee tdx --json "$WARD_TEST_DATA/snp/dstack-milan-v3/report.bin"
json_check 'j["errors"][0]["check"]=="signature" and "tdx quote" in j["errors"][0]["message"]' "parse failure names the signature check"
expect_exit 2 "policy with an unknown tdx key" -- "$ward" verify --collateral "$col" --policy <(echo '{"tdx":{"mrdt":[]}}') "$q"
expect_exit 2 "policy with an unknown TCB status" -- "$ward" verify --collateral "$col" --policy <(echo '{"tdx":{"tcb_statuses":["Fine"]}}') "$q"

# --- the simulator
sim=$tmp/sim
if "$ward" sim tdx --dir "$sim" -o "$tmp/s4" >/dev/null 2>"$tmp/err"; then
    expect_exit 1 "simulated quote refused without --allow-sim" -- "$ward" verify --collateral "$tmp/s4/collateral.json" --json "$tmp/s4/quote.bin"
    json_check 'j["checks"]["chain"]=="fail"' "simulator root is not trusted by default"
    expect_exit 0 "simulated v4 quote with --allow-sim" -- "$ward" verify --allow-sim "$sim" --collateral "$tmp/s4/collateral.json" --json "$tmp/s4/quote.bin"
    json_check 'j["simulated"] is True and j["claims"]["tcb_status"]=="UpToDate"' "simulated results say so"
else
    fail "ward sim tdx: $(cat "$tmp/err")"
fi
"$ward" sim tdx --dir "$sim" --version 5 --out-of-date -o "$tmp/s5" >/dev/null 2>&1
expect_exit 1 "out-of-date TCB refused by the default policy" -- "$ward" verify --allow-sim "$sim" --collateral "$tmp/s5/collateral.json" --json "$tmp/s5/quote.bin"
json_check 'j["checks"]["tcb"]=="fail" and j["claims"]["tcb_status"]=="OutOfDate" and j["claims"]["advisory_ids"]==["INTEL-SA-00000"]' "OutOfDate status and advisories reported"
expect_exit 0 "out-of-date TCB accepted by an explicit policy" -- "$ward" verify --allow-sim "$sim" --collateral "$tmp/s5/collateral.json" --policy <(echo '{"tdx":{"tcb_statuses":["UpToDate","OutOfDate"]}}') "$tmp/s5/quote.bin"
"$ward" sim tdx --dir "$sim" --debug -o "$tmp/sd" >/dev/null 2>&1
expect_exit 1 "debug TD refused by default" -- "$ward" verify --allow-sim "$sim" --collateral "$tmp/sd/collateral.json" --json "$tmp/sd/quote.bin"
json_check 'j["checks"]["policy"]=="fail" and "debug" in j["errors"][0]["message"]' "debug refusal is a policy failure"

echo "cli verify tdx: $failures failure(s)"
[ "$failures" -eq 0 ]
