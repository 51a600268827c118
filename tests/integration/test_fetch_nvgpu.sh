#!/usr/bin/env bash
# tests/integration/test_fetch_nvgpu.sh: `ward fetch nvgpu` against a loopback OCSP
# responder (ocsp_server.py, answering with `openssl ocsp` and the GPU simulator's
# CA keys), then `ward verify` with revocation from the cache alone: a good chain
# passes, a revoked leaf fails (fetch exit 1, verify exit 1), a leaf the responder
# does not know is no obstacle, a replayed, malformed or refused answer is exit 1,
# and an unreachable responder exit 2.
#
# Environment: WARD_BIN (the ward binary).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${WARD_BIN:?WARD_BIN must name the ward binary}"
ward=$WARD_BIN
tmp=$(mktemp -d)
server_pid=
cleanup() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null
        wait "$server_pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
export XDG_CACHE_HOME=$tmp/xdg # never the user's cache
unset WARD_NVIDIA_OCSP_URL

failures=0
pass() { echo "PASS: $*"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}
expect_exit() {
    local want=$1 what=$2
    shift 3
    "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [ "$got" -eq "$want" ]; then pass "$what (exit $got)"; else
        fail "$what: exit $got, want $want; stdout: $(head -c 300 "$tmp/out"); stderr: $(head -c 300 "$tmp/err")"
    fi
}
json_check() {
    if python3 -c "import json,sys; j=json.load(open('$tmp/out')); sys.exit(0 if ($1) else 1)" 2>/dev/null; then
        pass "$2"
    else
        fail "$2: $(head -c 600 "$tmp/out")"
    fi
}
grep_check() { # FILE REGEX WHAT
    if grep -qE "$2" "$1"; then pass "$3"; else fail "$3: $(head -c 400 "$1")"; fi
}
count_files() {
    find "$1" -name '*.der' 2>/dev/null | wc -l
}
requests() { # how many requests the responder has answered
    grep -c '^ocsp_server: ' "$tmp/server.log" || true
}

# ---- a simulated GPU and its PKI
sim=$tmp/sim
# new_report NAME: a fresh report (and so a fresh leaf) in $tmp/NAME; sets $leaf_serial.
new_report() {
    if ! "$ward" sim nvgpu --dir "$sim" -o "$tmp/$1" >/dev/null 2>"$tmp/err"; then
        echo "FAIL: ward sim nvgpu: $(cat "$tmp/err")"
        exit 1
    fi
    openssl x509 -in "$tmp/$1/cert_chain.pem" -out "$tmp/$1/leaf.pem"
    leaf_serial=$(openssl x509 -in "$tmp/$1/leaf.pem" -noout -serial | cut -d= -f2)
}
new_report g
good_leaf=$leaf_serial
for ca in gh100_ica gh100_identity root; do
    openssl x509 -inform der -in "$sim/nvgpu/$ca.der" -out "$tmp/$ca.pem"
done
ica_serial=$(openssl x509 -in "$tmp/gh100_ica.pem" -noout -serial | cut -d= -f2)
identity_serial=$(openssl x509 -in "$tmp/gh100_identity.pem" -noout -serial | cut -d= -f2)

# index LINE...: writes the responder's `openssl ca` index; each LINE is
# "V SERIAL" (valid) or "R SERIAL" (revoked, key compromise).
index() {
    local n=0 st serial
    : >"$tmp/index"
    for line in "$@"; do
        read -r st serial <<<"$line"
        n=$((n + 1))
        if [ "$st" = R ]; then
            printf 'R\t491231235959Z\t240101000000Z,keyCompromise\t%s\tunknown\t/CN=cert%d\n' "$serial" "$n" >>"$tmp/index"
        else
            printf 'V\t491231235959Z\t\t%s\tunknown\t/CN=cert%d\n' "$serial" "$n" >>"$tmp/index"
        fi
    done
}
index "V $good_leaf" "V $ica_serial" "V $identity_serial"

python3 "$here/ocsp_server.py" --index "$tmp/index" \
    --ca "$tmp/gh100_ica.pem" "$sim/nvgpu/gh100_ica.key" \
    --ca "$tmp/gh100_identity.pem" "$sim/nvgpu/gh100_identity.key" \
    --ca "$tmp/root.pem" "$sim/nvgpu/root.key" >"$tmp/server.port" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 100); do
    [ -s "$tmp/server.port" ] && break
    sleep 0.1
done
port=$(head -n 1 "$tmp/server.port")
if [ -z "$port" ]; then
    echo "FAIL: ocsp_server.py did not start:"
    cat "$tmp/server.log"
    exit 1
fi
url=http://127.0.0.1:$port/
cache=$tmp/cache
fetch=("$ward" fetch nvgpu --ocsp-url "$url" --allow-sim "$sim" --retries 0)
verify=("$ward" verify --tee nvgpu --allow-sim "$sim" --json)

# ---- usage
expect_exit 2 "nvgpu without --certs" -- "$ward" fetch nvgpu --cache "$cache"
grep_check "$tmp/err" "needs the device certificate chain" "missing --certs is named"
expect_exit 2 "nvgpu with a file argument" -- "${fetch[@]}" --certs "$tmp/g/cert_chain.pem" "$tmp/g/evidence.bin"
expect_exit 2 "--ocsp-url with snp" -- "$ward" fetch snp --ocsp-url "$url" "$tmp/g/evidence.bin"
expect_exit 2 "--allow-sim without a simulator" -- "$ward" fetch nvgpu --allow-sim "$tmp/nothing" --certs "$tmp/g/cert_chain.pem"
expect_exit 2 "a URL that is not http(s)" -- "$ward" fetch nvgpu --ocsp-url ftp://127.0.0.1/ --allow-sim "$sim" --certs "$tmp/g/cert_chain.pem"
expect_exit 2 "unreadable --certs" -- "${fetch[@]}" --certs "$tmp/nothing.pem"
expect_exit 1 "--certs that are not certificates" -- "${fetch[@]}" --certs "$tmp/g/evidence.bin"
expect_exit 1 "a simulated chain without --allow-sim" -- "$ward" fetch nvgpu --ocsp-url "$url" --cache "$cache" --certs "$tmp/g/cert_chain.pem"
grep_check "$tmp/err" "not a trusted root" "an untrusted root is named"
"$ward" fetch --help >"$tmp/out" 2>&1
grep_check "$tmp/out" "ward fetch nvgpu" "usage lists 'ward fetch nvgpu'"
if [ "$(requests)" -eq 0 ]; then pass "usage errors send nothing"; else fail "usage errors sent $(requests) requests"; fi

# ---- a good chain: fetched, cached, verified from the cache alone
expect_exit 0 "verify before fetching" -- "${verify[@]}" --cache "$cache" --certs "$tmp/g/cert_chain.pem" "$tmp/g/evidence.bin"
json_check 'j["checks"]["revocation"]=="skip"' "nothing cached: revocation skip"
expect_exit 0 "fetch for a good chain" -- "${fetch[@]}" --cache "$cache" -o "$tmp/ocsp" --certs "$tmp/g/cert_chain.pem"
grep_check "$tmp/out" '^good +"SIM GH100 A01 GSP FMC LF"' "the leaf is good"
grep_check "$tmp/out" '^good +"SIM NVIDIA GH100 Identity"' "the Identity CA is good"
if [ "$(count_files "$cache/nvgpu/ocsp")" -eq 3 ] && [ "$(count_files "$tmp/ocsp")" -eq 3 ]; then
    pass "three responses cached and written"
else
    fail "cached $(count_files "$cache/nvgpu/ocsp"), written $(count_files "$tmp/ocsp"), want 3 each"
fi
leaf_sha=$(openssl x509 -in "$tmp/g/leaf.pem" -outform der | sha256sum | cut -d' ' -f1)
if [ -s "$cache/nvgpu/ocsp/$leaf_sha.der" ]; then pass "cached under the certificate's SHA-256"; else fail "no $cache/nvgpu/ocsp/$leaf_sha.der"; fi
expect_exit 0 "verify with revocation from the cache" -- "${verify[@]}" --cache "$cache" --certs "$tmp/g/cert_chain.pem" --nonce "$(cat "$tmp/g/nonce.hex")" "$tmp/g/evidence.bin"
json_check 'j["verdict"]=="pass" and j["checks"]["revocation"]=="pass" and j["checks"]["binding"]=="pass"' "revocation pass from the cache alone"
expect_exit 0 "verify with the written responses as --ocsp files" -- "${verify[@]}" --no-cache --certs "$tmp/g/cert_chain.pem" --ocsp "$tmp/ocsp/ocsp0.der" --ocsp "$tmp/ocsp/ocsp1.der" --ocsp "$tmp/ocsp/ocsp2.der" "$tmp/g/evidence.bin"
json_check 'j["checks"]["revocation"]=="pass"' "revocation pass from --ocsp files"
expect_exit 0 "verify with --no-cache" -- "${verify[@]}" --no-cache --certs "$tmp/g/cert_chain.pem" "$tmp/g/evidence.bin"
json_check 'j["checks"]["revocation"]=="skip"' "--no-cache: revocation skip"
expect_exit 1 "verify with the ICA's response missing" -- "${verify[@]}" --no-cache --certs "$tmp/g/cert_chain.pem" --ocsp "$tmp/ocsp/ocsp0.der" --ocsp "$tmp/ocsp/ocsp2.der" "$tmp/g/evidence.bin"
json_check 'j["checks"]["revocation"]=="fail" and any("Provisioner ICA 1" in e["message"] for e in j["errors"])' "a missing status is named"

# WARD_NVIDIA_OCSP_URL and the default cache ($XDG_CACHE_HOME/ward)
before=$(requests)
expect_exit 0 "fetch with \$WARD_NVIDIA_OCSP_URL into the default cache" -- env WARD_NVIDIA_OCSP_URL="$url" "$ward" fetch nvgpu --allow-sim "$sim" --certs "$tmp/g/cert_chain.pem"
if [ "$(requests)" -eq $((before + 3)) ] && [ "$(count_files "$XDG_CACHE_HOME/ward/nvgpu/ocsp")" -eq 3 ]; then
    pass "the environment's URL was asked, the default cache filled"
else
    fail "requests $before -> $(requests), default cache $(count_files "$XDG_CACHE_HOME/ward/nvgpu/ocsp") files"
fi

# ---- a leaf the responder does not know (as NVIDIA's does not know the leaf a GPU
# issues itself): no status for it, and none needed
new_report u
expect_exit 0 "fetch for a chain whose leaf the responder does not know" -- "${fetch[@]}" --cache "$cache" --certs "$tmp/u/cert_chain.pem"
grep_check "$tmp/out" '^none +"SIM GH100 A01 GSP FMC LF"' "the unknown leaf is reported, not an error"
expect_exit 0 "verify it from the cache" -- "${verify[@]}" --cache "$cache" --certs "$tmp/u/cert_chain.pem" "$tmp/u/evidence.bin"
json_check 'j["checks"]["revocation"]=="pass"' "the CAs' statuses suffice"

# ---- a revoked leaf
new_report r
index "V $good_leaf" "V $ica_serial" "V $identity_serial" "R $leaf_serial"
expect_exit 1 "fetch for a chain with a revoked leaf" -- "${fetch[@]}" --cache "$cache" --certs "$tmp/r/cert_chain.pem"
grep_check "$tmp/err" 'certificate "SIM GH100 A01 GSP FMC LF" is revoked' "fetch names the revoked leaf"
grep_check "$tmp/out" '^revoked +"SIM GH100 A01 GSP FMC LF"' "the revoked status is listed"
expect_exit 1 "verify the revoked chain from the cache" -- "${verify[@]}" --cache "$cache" --certs "$tmp/r/cert_chain.pem" "$tmp/r/evidence.bin"
json_check 'j["verdict"]=="fail" and j["checks"]["revocation"]=="fail" and any("revoked" in e["message"] and "FMC LF" in e["message"] for e in j["errors"])' "the revocation check fails, naming the leaf"
expect_exit 0 "the good chain still verifies" -- "${verify[@]}" --cache "$cache" --certs "$tmp/g/cert_chain.pem" "$tmp/g/evidence.bin"

# ---- a revoked CA, and a CA the responder does not know
index "V $good_leaf" "R $ica_serial" "V $identity_serial"
expect_exit 1 "fetch with a revoked ICA" -- "${fetch[@]}" --cache "$tmp/cache-ica" --certs "$tmp/g/cert_chain.pem"
grep_check "$tmp/err" 'Provisioner ICA 1" is revoked' "fetch names the revoked ICA"
expect_exit 1 "verify with the revoked ICA cached" -- "${verify[@]}" --cache "$tmp/cache-ica" --certs "$tmp/g/cert_chain.pem" "$tmp/g/evidence.bin"
json_check 'j["checks"]["revocation"]=="fail"' "a revoked ICA fails the revocation check"
index "V $good_leaf" "V $identity_serial"
expect_exit 1 "fetch with an ICA the responder does not know" -- "${fetch[@]}" --cache "$tmp/cache-unknown" --certs "$tmp/g/cert_chain.pem"
grep_check "$tmp/err" 'unknown to the responder' "an unknown CA is named"
index "V $good_leaf" "V $ica_serial" "V $identity_serial"

# ---- answers that must not be believed, and a responder that refuses
expect_exit 1 "a replayed answer (another request's nonce)" -- "${fetch[@]}" --ocsp-url "${url}replay" --cache "$tmp/cache-bad" --certs "$tmp/g/cert_chain.pem"
grep_check "$tmp/err" "nonce" "the nonce mismatch is named"
expect_exit 1 "an answer that is not OCSP" -- "${fetch[@]}" --ocsp-url "${url}garbage" --cache "$tmp/cache-bad" --certs "$tmp/g/cert_chain.pem"
expect_exit 1 "a responder answering unauthorized" -- "${fetch[@]}" --ocsp-url "${url}unauthorized" --cache "$tmp/cache-bad" --certs "$tmp/g/cert_chain.pem"
grep_check "$tmp/err" "refused to answer" "the refusal is named"
if [ "$(count_files "$tmp/cache-bad")" -eq 0 ]; then pass "nothing unbelievable was cached"; else fail "$(count_files "$tmp/cache-bad") responses cached from bad answers"; fi
expect_exit 2 "HTTP 500" -- "${fetch[@]}" --ocsp-url "${url}http-500" --cache "$tmp/cache-bad" --certs "$tmp/g/cert_chain.pem"

# ---- an unreachable responder
kill "$server_pid" 2>/dev/null
wait "$server_pid" 2>/dev/null
server_pid=
expect_exit 2 "an unreachable responder" -- "${fetch[@]}" --cache "$tmp/cache-down" --certs "$tmp/g/cert_chain.pem"
grep_check "$tmp/err" "127.0.0.1" "the unreachable responder is named"

echo "fetch nvgpu: $failures failure(s)"
[ "$failures" -eq 0 ]
