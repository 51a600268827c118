#!/usr/bin/env bash
# tests/integration/test_attest.sh: `ward attest` through the binary, and back
# through `ward verify`: the simulator provider (SEV-SNP, TDX, composite with GPUs),
# configfs-tsm through a stand-in directory backed by the simulator
# (fake_configfs.py), the binding recomputed by the verifier (wrong label or
# payload rejected), the error paths (missing device, permission denied, a
# concurrent configfs writer, a truncated outblob) with their exit codes, and
# evidence written nowhere but where -o says.
#
# Firmware errors are not provoked here: a configfs stand-in that writes an error
# marker is not a kernel behaviour. The sev-guest provider's own tests cover the
# firmware status codes (tests/unit/test_providers_dev.c).
#
# Environment: WARD_BIN (the ward binary).
set -u
: "${WARD_BIN:?WARD_BIN must name the ward binary}"
export WARD_BIN
ward=$WARD_BIN
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
tmp=$(mktemp -d)
fake_pid=
stop_fake() {
    if [ -n "$fake_pid" ]; then
        kill "$fake_pid" 2>/dev/null
        wait "$fake_pid" 2>/dev/null
        fake_pid=
    fi
}
trap 'stop_fake; rm -rf "$tmp"' EXIT
export XDG_CACHE_HOME=$tmp/cache

. "$here/testlib.sh"

# expect_err WANT WHAT NEEDLE -- CMD...: expect_exit, and stderr names NEEDLE.
expect_err() {
    local want=$1 what=$2 needle=$3
    shift 4
    expect_exit "$want" "$what" -- "$@"
    if grep -qiF -- "$needle" "$tmp/err"; then pass "$what: says '$needle'"; else
        fail "$what: stderr does not say '$needle': $(head -c 300 "$tmp/err")"
    fi
}

sim=$tmp/sim
label=ward/v1/test
printf 'the payload: a TLS public key, for example' >"$tmp/payload"
printf 'another payload' >"$tmp/other"
nonce=$(printf '5a%.0s' $(seq 32))
# Make the simulator's keys once (an RSA-3072 ARK takes a while).
for t in snp tdx nvgpu; do
    "$ward" sim "$t" --dir "$sim" -o "$tmp/warm" >/dev/null 2>"$tmp/err" || fail "ward sim $t: $(cat "$tmp/err")"
done

# --- the simulator provider: round trips and the binding
for tee in snp tdx; do
    e=$tmp/sim-$tee.json
    expect_exit 0 "attest sim $tee" -- "$ward" attest --provider sim --sim-dir "$sim" --sim-tee "$tee" \
        --label "$label" --payload-file "$tmp/payload" -o "$e"
    expect_exit 0 "verify sim $tee with label and payload" -- "$ward" verify --allow-sim "$sim" --json \
        --label "$label" --payload-file "$tmp/payload" "$e"
    json_check "j['verdict']=='pass' and j['tee']=='$tee' and j['checks']['binding']=='pass' and j['simulated'] is True" \
        "sim $tee: binding recomputed and passing"
    expect_exit 1 "sim $tee: wrong label" -- "$ward" verify --allow-sim "$sim" --json \
        --label ward/v1/tls-key --payload-file "$tmp/payload" "$e"
    json_check "j['checks']['binding']=='fail'" "sim $tee: wrong label fails the binding check"
    expect_exit 1 "sim $tee: wrong payload" -- "$ward" verify --allow-sim "$sim" --json \
        --label "$label" --payload-file "$tmp/other" "$e"
    json_check "j['checks']['binding']=='fail'" "sim $tee: wrong payload fails the binding check"
    expect_exit 0 "sim $tee: verify without a binding to check" -- "$ward" verify --allow-sim "$sim" "$e"
    expect_exit 1 "sim $tee: not trusted without --allow-sim" -- "$ward" verify --no-cache \
        --label "$label" --payload-file "$tmp/payload" "$e"
done
e=$tmp/sim-nonce.json
expect_exit 0 "attest sim --nonce" -- "$ward" attest --provider sim --sim-dir "$sim" --label "$label" --nonce "$nonce" -o "$e"
expect_exit 0 "verify --label with --nonce as the payload" -- "$ward" verify --allow-sim "$sim" --label "$label" --nonce "$nonce" "$e"
expect_exit 1 "verify --label with another --nonce" -- "$ward" verify --allow-sim "$sim" --label "$label" --nonce "${nonce/5a/5b}" "$e"
e=$tmp/sim-default.json
expect_exit 0 "attest with the default label" -- "$ward" attest --sim-dir "$sim" --payload-file "$tmp/payload" -o "$e"
expect_exit 0 "verify --payload-file alone uses the same default label" -- "$ward" verify --allow-sim "$sim" --payload-file "$tmp/payload" "$e"
expect_exit 0 "verify --label ward/v1/attest" -- "$ward" verify --allow-sim "$sim" --label ward/v1/attest --payload-file "$tmp/payload" "$e"
expect_exit 1 "the default label is not another label" -- "$ward" verify --allow-sim "$sim" --label "$label" --payload-file "$tmp/payload" "$e"

# --- composite: --gpu with the simulator
for tee in snp tdx; do
    e=$tmp/composite-$tee.json
    expect_exit 0 "attest sim $tee --gpu" -- "$ward" attest --provider sim --sim-dir "$sim" --sim-tee "$tee" --gpu --sim-gpus 2 \
        --label "$label" --payload-file "$tmp/payload" -o "$e"
    expect_exit 0 "composite $tee verifies with --allow-sim" -- "$ward" verify --allow-sim "$sim" --json "$e"
    json_check "j['tee']=='composite' and len(j['claims']['parts'])==3 and j['checks']['binding']=='pass'" \
        "composite $tee: one CPU and two GPU parts, bound"
    expect_exit 0 "composite $tee: label and payload carried in the GPU nonces" -- "$ward" verify --allow-sim "$sim" --json \
        --label "$label" --payload-file "$tmp/payload" "$e"
    expect_exit 1 "composite $tee: wrong payload" -- "$ward" verify --allow-sim "$sim" --json \
        --label "$label" --payload-file "$tmp/other" "$e"
    json_check "j['checks']['binding']=='fail' and any('nonce' in x['message'] for x in j['errors'])" \
        "composite $tee: wrong payload fails the binding check, naming the nonce"
done

# --- evidence goes only where -o says
work=$tmp/cwd
mkdir -p "$work" "$tmp/tmpdir"
(cd "$work" && TMPDIR=$tmp/tmpdir "$ward" attest --sim-dir "$sim" --payload-file "$tmp/payload" -o out.json) 2>"$tmp/err"
left=$(cd "$work" && ls -A)
if [ "$left" = out.json ] && [ -z "$(ls -A "$tmp/tmpdir")" ]; then pass "-o FILE: nothing else written"; else
    fail "-o FILE: left in cwd: '$left', in TMPDIR: '$(ls -A "$tmp/tmpdir")'"
fi
rm -f "$work/out.json"
(cd "$work" && TMPDIR=$tmp/tmpdir "$ward" attest --sim-dir "$sim" --payload-file "$tmp/payload") >"$tmp/out" 2>"$tmp/err"
json_check "j['tee']=='snp' and len(j['certs'])==3 and 'runtime_data' not in j" "no -o: the envelope on stdout, without the payload"
if [ -z "$(ls -A "$work")" ] && [ -z "$(ls -A "$tmp/tmpdir")" ]; then pass "stdout: nothing written to disk"; else
    fail "stdout: files written: $(ls -A "$work" "$tmp/tmpdir")"
fi
if grep -q 'simulated evidence' "$tmp/err"; then pass "the sim provider says its evidence is simulated"; else
    fail "no 'simulated evidence' warning: $(cat "$tmp/err")"
fi

# --- usage and I/O errors: exit 2
expect_exit 2 "--payload-file and --nonce" -- "$ward" attest --sim-dir "$sim" --payload-file "$tmp/payload" --nonce "$nonce"
expect_exit 2 "unknown --provider" -- "$ward" attest --provider sgx
expect_err 2 "--provider sim without --sim-dir" "--sim-dir" -- "$ward" attest --provider sim
expect_exit 2 "short --nonce" -- "$ward" attest --sim-dir "$sim" --nonce 00
expect_exit 2 "missing payload file" -- "$ward" attest --sim-dir "$sim" --payload-file "$tmp/none"
expect_exit 2 "unwritable -o" -- "$ward" attest --sim-dir "$sim" -o "$tmp/none/e.json"
expect_exit 2 "--privlevel 4" -- "$ward" attest --sim-dir "$sim" --privlevel 4
expect_exit 2 "unexpected argument" -- "$ward" attest --sim-dir "$sim" extra
expect_exit 2 "verify: --label and --report-data" -- "$ward" verify --allow-sim "$sim" --label "$label" \
    --report-data "$(printf '00%.0s' $(seq 64))" "$tmp/sim-snp.json"
expect_exit 2 "verify: --payload-file and --nonce" -- "$ward" verify --allow-sim "$sim" --payload-file "$tmp/payload" \
    --nonce "$nonce" "$tmp/sim-snp.json"
expect_exit 2 "verify: missing payload file" -- "$ward" verify --allow-sim "$sim" --label "$label" --payload-file "$tmp/none" "$tmp/sim-snp.json"

# --- missing devices: exit 1, naming what is missing
expect_err 1 "sev-guest: missing device" /nonexistent -- "$ward" attest --provider sev-guest --sev-guest /nonexistent/sev-guest
expect_err 1 "tdx-guest: missing device" /nonexistent -- "$ward" attest --provider tdx-guest --tdx-guest /nonexistent/tdx_guest
expect_err 1 "configfs: missing directory" "does not exist" -- "$ward" attest --provider configfs --configfs "$tmp/no-configfs"
expect_err 1 "auto: nothing present" "no TEE evidence provider" -- "$ward" attest --configfs "$tmp/no-configfs" \
    --sev-guest /nonexistent/sev-guest --tdx-guest /nonexistent/tdx_guest
expect_err 1 "nvml: library missing" "NVML" -- "$ward" attest --provider nvml --nvml-library "$tmp/none/libnvidia-ml.so.1"

# --- configfs-tsm through the stand-in
export WARD_CONFIGFS_WAIT_MS=10000
cfs=$tmp/configfs
mkdir -p "$cfs" "$tmp/work"
start_fake() {
    python3 "$here/fake_configfs.py" "$cfs" --sim-dir "$sim" --work "$tmp/work" "$@" &
    fake_pid=$!
}
entries_gone() {
    if [ -z "$(ls -A "$cfs")" ]; then pass "$1: the configfs entry was removed"; else
        fail "$1: left in configfs: $(ls -A "$cfs")"
        rm -rf "${cfs:?}"/* "${cfs:?}"/.[!.]*
    fi
}

start_fake --tee snp
e=$tmp/cfs-snp.json
expect_exit 0 "configfs snp" -- "$ward" attest --provider configfs --configfs "$cfs" --label "$label" --payload-file "$tmp/payload" -o "$e"
entries_gone "configfs snp"
python3 -c "import json,sys; j=json.load(open('$e')); sys.exit(0 if j['tee']=='snp' and len(j['certs'])==3 else 1)" &&
    pass "configfs snp: auxblob's VCEK, ASK and ARK in the envelope" || fail "configfs snp: envelope $(head -c 300 "$e")"
expect_exit 0 "configfs snp verifies with the auxblob certificates" -- "$ward" verify --no-cache --allow-sim "$sim" --json \
    --label "$label" --payload-file "$tmp/payload" "$e"
json_check "j['checks']['binding']=='pass' and j['claims']['vmpl']==0" "configfs snp: binding passes"
expect_exit 1 "configfs snp: wrong payload" -- "$ward" verify --no-cache --allow-sim "$sim" --label "$label" --payload-file "$tmp/other" "$e"
e=$tmp/cfs-snp-vmpl.json
expect_exit 0 "configfs snp --privlevel 2" -- "$ward" attest --provider configfs --configfs "$cfs" --privlevel 2 \
    --label "$label" --payload-file "$tmp/payload" -o "$e"
expect_exit 0 "configfs snp --privlevel 2 verifies" -- "$ward" verify --no-cache --allow-sim "$sim" --json --label "$label" --payload-file "$tmp/payload" "$e"
json_check "j['claims']['vmpl']==2" "configfs snp: the report is for VMPL 2 (privlevel, two writes counted)"
e=$tmp/cfs-auto.json
expect_exit 0 "auto picks configfs-tsm first" -- "$ward" attest --configfs "$cfs" --sim-dir "$sim" --label "$label" --payload-file "$tmp/payload" -o "$e"
if grep -q 'simulated evidence' "$tmp/err"; then fail "auto used the simulator, not configfs-tsm"; else pass "auto: configfs-tsm before the simulator"; fi
entries_gone "auto"
stop_fake

start_fake --tee tdx --collateral-out "$tmp/cfs-collateral.json"
e=$tmp/cfs-tdx.json
expect_exit 0 "configfs tdx" -- "$ward" attest --provider configfs --configfs "$cfs" --label "$label" --payload-file "$tmp/payload" -o "$e"
entries_gone "configfs tdx"
expect_exit 0 "configfs tdx verifies with its collateral" -- "$ward" verify --allow-sim "$sim" --json \
    --collateral "$tmp/cfs-collateral.json" --label "$label" --payload-file "$tmp/payload" "$e"
json_check "j['tee']=='tdx' and j['checks']['binding']=='pass'" "configfs tdx: binding passes"
expect_exit 1 "configfs tdx: wrong label" -- "$ward" verify --allow-sim "$sim" --collateral "$tmp/cfs-collateral.json" \
    --label ward/v1/tls-key --payload-file "$tmp/payload" "$e"
expect_err 2 "configfs tdx: --privlevel is SEV-SNP's" "privlevel" -- "$ward" attest --provider configfs --configfs "$cfs" --privlevel 1
entries_gone "configfs tdx --privlevel"
stop_fake

# Faults: each a clear error, exit 1, no evidence file, the entry removed.
for tee in snp tdx; do
    start_fake --tee "$tee" --race
    expect_err 1 "configfs $tee: concurrent writer" "concurrent writer" -- "$ward" attest --provider configfs --configfs "$cfs" -o "$tmp/race.json"
    entries_gone "configfs $tee race"
    stop_fake
    start_fake --tee "$tee" --truncate
    expect_err 1 "configfs $tee: truncated outblob" "truncated outblob" -- "$ward" attest --provider configfs --configfs "$cfs" -o "$tmp/trunc.json"
    entries_gone "configfs $tee truncated"
    stop_fake
done
if [ ! -e "$tmp/race.json" ] && [ ! -e "$tmp/trunc.json" ]; then pass "no evidence file after a failure"; else
    fail "an evidence file was written after a failure"
fi

# --- permission denied: as an unprivileged user (root ignores file modes)
perm=$(mktemp -d)
chmod 755 "$perm"
as_user() {
    if [ "$(id -u)" -eq 0 ]; then setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"; else "$@"; fi
}
if as_user test -x "$ward" 2>/dev/null; then
    : >"$perm/sev-guest"
    chmod 000 "$perm/sev-guest"
    expect_err 1 "sev-guest: permission denied" "permission denied" -- as_user "$ward" attest --provider sev-guest --sev-guest "$perm/sev-guest"
    mkdir -m 555 "$perm/configfs-ro"
    expect_err 1 "configfs: directory not writable" "permission denied" -- as_user "$ward" attest --provider configfs --configfs "$perm/configfs-ro"
    mkdir -m 777 "$perm/configfs"
    cfs=$perm/configfs
    start_fake --tee snp --no-perm
    expect_err 1 "configfs: entry not readable" "permission denied" -- as_user "$ward" attest --provider configfs --configfs "$cfs" -o "$perm/e.json"
    stop_fake
    if [ -z "$(ls -A "$cfs")" ]; then pass "configfs no-perm: the (empty) entry was removed"; else
        fail "configfs no-perm: left: $(ls -A "$cfs")"
    fi
else
    echo "SKIP: permission tests: $ward is not executable by an unprivileged user"
fi
chmod -R u+rwx "$perm"
rm -rf "$perm"

echo
if [ "$failures" -gt 0 ]; then
    echo "test_attest: $failures failure(s)"
    exit 1
fi
echo "test_attest: all passed"
