#!/usr/bin/env bash
# tests/integration/test_cli_verify_nvgpu.sh: `ward verify --tee nvgpu` and the
# composite envelope through the binary: exit codes, JSON shape, nonce, reference
# values, the simulator round trip, and composites whose GPU part or binding is
# wrong.
#
# Environment: WARD_BIN (the ward binary), WARD_TEST_DATA (tests/data).
set -u
: "${WARD_BIN:?WARD_BIN must name the ward binary}"
: "${WARD_TEST_DATA:?WARD_TEST_DATA must name tests/data}"
ward=$WARD_BIN
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache

. "$(dirname "${BASH_SOURCE[0]}")/testlib.sh"

d=$WARD_TEST_DATA/nvgpu/nvtrust-h100-sample
nonce=$(cat "$d/nonce.hex")
asof=(--as-of 2022-03-02T00:00:00Z)

expect_exit 0 "real H100 report" -- "$ward" verify --tee nvgpu --certs "$d/cert_chain.pem" --nonce "$nonce" "${asof[@]}" --json "$d/evidence.bin"
json_check 'j["verdict"]=="pass" and j["tee"]=="nvgpu" and set(j["checks"])=={"signature","chain","revocation","tcb","measurement","policy","binding"} and j["checks"]["binding"]=="pass"' "JSON shape"
json_check 'j["claims"]["driver_version"]=="550.90.07" and j["claims"]["num_measurements"]==64 and j["claims"]["fwid_certified"] is True' "GPU claims"
expect_exit 0 "--tee detected from the bytes" -- "$ward" verify --certs "$d/cert_chain.pem" "${asof[@]}" "$d/evidence.bin"
expect_exit 1 "wrong nonce" -- "$ward" verify --certs "$d/cert_chain.pem" --nonce "${nonce/93/00}" "${asof[@]}" --json "$d/evidence.bin"
json_check 'j["checks"]["binding"]=="fail"' "nonce mismatch fails the binding check"
expect_exit 1 "no certificate chain" -- "$ward" verify --tee nvgpu "${asof[@]}" --json "$d/evidence.bin"
json_check 'j["checks"]["chain"]=="fail"' "missing chain fails the chain check"
python3 - "$d/evidence.bin" "$tmp/ref-good.json" "$tmp/ref-bad.json" <<'PY'
import json, sys
b = open(sys.argv[1], "rb").read()[37:]
off = 8  # response header; blocks follow
idx, size = b[off], int.from_bytes(b[off + 2:off + 4], "little")
val = b[off + 7:off + 4 + size].hex()
json.dump({"measurements": [{"index": idx, "value": val}]}, open(sys.argv[2], "w"))
json.dump({"measurements": [{"index": idx, "value": "11" * 48}]}, open(sys.argv[3], "w"))
PY
expect_exit 0 "matching reference measurement" -- "$ward" verify --certs "$d/cert_chain.pem" --reference "$tmp/ref-good.json" "${asof[@]}" --json "$d/evidence.bin"
json_check 'j["checks"]["measurement"]=="pass" and j["claims"]["reference_results"][0]["result"]=="match"' "reference results per index"
expect_exit 1 "mismatching reference measurement" -- "$ward" verify --certs "$d/cert_chain.pem" --reference "$tmp/ref-bad.json" "${asof[@]}" --json "$d/evidence.bin"
json_check 'j["checks"]["measurement"]=="fail" and j["claims"]["reference_results"][0]["result"]=="mismatch"' "mismatch named per index"
# --- NVIDIA RIMs: the real NVSwitch report against NVIDIA's real NVSwitch BIOS RIM
sw=$WARD_TEST_DATA/nvgpu-sdk/nvswitch
rims=$WARD_TEST_DATA/nvgpu-rim
swrim=$rims/switchVBIOSRim_NV_SWITCH_BIOS_5612_0002_890_9610550001.xml
expect_exit 0 "NVSwitch report matches its RIM" -- "$ward" verify --certs "$sw/cert_chain.pem" --rim "$swrim" --as-of 2026-07-01T00:00:00Z --json "$sw/evidence.bin"
json_check 'j["checks"]["measurement"]=="pass" and sum(1 for r in j["claims"]["rim_results"] if r["result"]=="match")==31' "31 active indexes match, reported per index"
expect_exit 1 "a RIM for another firmware version" -- "$ward" verify --certs "$sw/cert_chain.pem" --rim "$rims/NV_GPU_DRIVER_GH100_550.144.03.xml" --as-of 2025-06-01T00:00:00Z --json "$sw/evidence.bin"
json_check 'j["checks"]["measurement"]=="fail" and "version" in j["errors"][0]["message"]' "version mismatch named"
expect_exit 1 "a RIM with a bad signature" -- "$ward" verify --certs "$sw/cert_chain.pem" --rim "$rims/NV_SWITCH_BIOS_5612_0002_890_9610550001_invalid_signature.xml" --as-of 2026-07-01T00:00:00Z --json "$sw/evidence.bin"
json_check 'j["checks"]["measurement"]=="fail"' "bad RIM signature fails the measurement check"
sed 's/Hash0="\([0-9a-f]\)/Hash0="0\1/' "$swrim" | head -c 100000 >"$tmp/tampered.xml"
expect_exit 1 "a tampered RIM" -- "$ward" verify --certs "$sw/cert_chain.pem" --rim "$tmp/tampered.xml" --as-of 2026-07-01T00:00:00Z "$sw/evidence.bin"
expect_exit 2 "bad --nonce" -- "$ward" verify --nonce 00 "$d/evidence.bin"

# --- simulator and composite
sim=$tmp/sim
if "$ward" sim nvgpu --dir "$sim" -o "$tmp/g" >/dev/null 2>"$tmp/err"; then
    expect_exit 0 "simulated GPU with --allow-sim" -- "$ward" verify --allow-sim "$sim" --certs "$tmp/g/cert_chain.pem" --nonce "$(cat "$tmp/g/nonce.hex")" --json "$tmp/g/evidence.bin"
    json_check 'j["simulated"] is True' "simulated GPU results say so"
    expect_exit 1 "simulated GPU without --allow-sim" -- "$ward" verify --certs "$tmp/g/cert_chain.pem" --json "$tmp/g/evidence.bin"
else
    fail "ward sim nvgpu: $(cat "$tmp/err")"
fi
for cpu in snp tdx; do
    if "$ward" sim composite --dir "$sim" --cpu "$cpu" --gpus 2 -o "$tmp/c-$cpu.json" >/dev/null 2>"$tmp/err"; then
        expect_exit 0 "composite $cpu + 2 GPUs" -- "$ward" verify --allow-sim "$sim" --json "$tmp/c-$cpu.json"
        json_check 'j["tee"]=="composite" and len(j["claims"]["parts"])==3 and all(p["verdict"]=="pass" for p in j["claims"]["parts"]) and j["checks"]["binding"]=="pass"' "composite $cpu: every part visible and passing"
    else
        fail "ward sim composite --cpu $cpu: $(cat "$tmp/err")"
    fi
done
# One GPU part swapped for another GPU's evidence: the binding no longer holds.
python3 - "$tmp/c-snp.json" "$tmp/c-swap.json" "$tmp/c-badgpu.json" <<'PY'
import base64, json, sys
c = json.load(open(sys.argv[1]))
s = json.loads(json.dumps(c))
s["parts"][1], s["parts"][2] = s["parts"][2], s["parts"][1]
json.dump(s, open(sys.argv[2], "w"))
b = json.loads(json.dumps(c))
ev = bytearray(base64.b64decode(b["parts"][2]["evidence"]))
ev[len(ev) - 1] ^= 1  # the GPU's signature
b["parts"][2]["evidence"] = base64.b64encode(bytes(ev)).decode()
json.dump(b, open(sys.argv[3], "w"))
PY
expect_exit 1 "composite with GPU parts reordered" -- "$ward" verify --allow-sim "$sim" --json "$tmp/c-swap.json"
json_check 'j["checks"]["binding"]=="fail"' "reordered GPUs break the binding"
expect_exit 1 "composite with one GPU failing" -- "$ward" verify --allow-sim "$sim" --json "$tmp/c-badgpu.json"
json_check 'j["verdict"]=="fail" and j["claims"]["parts"][2]["verdict"]=="fail" and j["claims"]["parts"][0]["verdict"]!="pass"' "a failing GPU fails the composite (and its changed digest the binding)"

echo "cli verify nvgpu: $failures failure(s)"
[ "$failures" -eq 0 ]
