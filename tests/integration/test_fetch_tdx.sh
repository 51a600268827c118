#!/usr/bin/env bash
# tests/integration/test_fetch_tdx.sh: `ward fetch tdx` against a loopback PCS
# (pcs_server.py) serving the real Intel collateral in tests/data/tdx/collateral:
# the cached bundle must hold the signed documents byte for byte; rate limiting,
# unknown FMSPCs, tampered or chainless responses, an unreachable service and
# evidence that is not a TDX quote each end with the documented exit code, and
# nothing is cached unless everything passed.
#
# Environment: WARD_BIN (the ward binary), WARD_TEST_DATA (tests/data).
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${WARD_BIN:?WARD_BIN must name the ward binary}"
: "${WARD_TEST_DATA:?WARD_TEST_DATA must name tests/data}"
data=$WARD_TEST_DATA
quote=$data/tdx/quotes/dev-tdx-v4-dcapqvl-sample.bin
col=$data/tdx/collateral/dcapqvl_b0c06f000000_2025-06-19
other_col=$data/tdx/collateral/dcapqvl_20a06f000000_2025-09-02
fmspc=b0c06f000000

tmp=$(mktemp -d)
server_pids=()
cleanup() {
    for pid in "${server_pids[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

failures=0
pass() { echo "PASS: $*"; }
fail() {
    echo "FAIL: $*"
    failures=$((failures + 1))
}

# start_server NAME DIR [OPTIONS...]: starts pcs_server.py; sets $port and $url.
start_server() {
    local name=$1 dir=$2
    shift 2
    python3 "$here/pcs_server.py" "$dir" "$@" >"$tmp/$name.port" 2>"$tmp/$name.log" &
    server_pids+=($!)
    for _ in $(seq 100); do
        if [ -s "$tmp/$name.port" ]; then
            port=$(head -n 1 "$tmp/$name.port")
            url=http://127.0.0.1:$port
            return 0
        fi
        sleep 0.1
    done
    echo "FAIL: pcs_server.py ($name) did not start:"
    cat "$tmp/$name.log"
    exit 1
}

stop_server() {
    local pid=${server_pids[-1]}
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    unset 'server_pids[-1]'
}

# fetch CACHE_HOME [ARGS...]: `ward fetch tdx` with XDG_CACHE_HOME=CACHE_HOME; sets
# $rc, leaves stdout/stderr in $tmp/out and $tmp/err.
fetch() {
    local home=$1
    shift
    XDG_CACHE_HOME=$home "$WARD_BIN" fetch tdx "$@" >"$tmp/out" 2>"$tmp/err"
    rc=$?
}

show() {
    sed 's/^/    /' "$tmp/out" "$tmp/err"
}

# expect_rc WANT WHAT: checks $rc.
expect_rc() {
    if [ "$rc" -eq "$1" ]; then
        pass "$2 (exit $rc)"
    else
        fail "$2: exit $rc, expected $1"
        show
    fi
}

# check_bundle FILE: the bundle's members are the test data's, byte for byte.
check_bundle() {
    python3 - "$1" "$col" <<'EOF'
import json, sys
bundle, col = sys.argv[1], sys.argv[2]
b = json.load(open(bundle))
def raw(name, member):
    body = open(f"{col}/{name}", "rb").read()
    key = ('"%s":' % member).encode()
    start = body.index(key) + len(key)
    end = body.index(b',"signature"', start)
    return body[start:end], json.loads(body)["signature"]
problems = []
for name, member, text_key, sig_key in (("tcb_info.json", "tcbInfo", "tcb_info", "tcb_info_signature"),
                                        ("qe_identity.json", "enclaveIdentity", "qe_identity",
                                         "qe_identity_signature")):
    text, sig = raw(name, member)
    if b[text_key].encode() != text:
        problems.append(f"{text_key} is not the raw {member} text")
    if b[sig_key].lower() != sig.lower():
        problems.append(f"{sig_key} differs")
for key, name in (("pck_crl", "pck_crl.der"), ("root_ca_crl", "root_ca_crl.der")):
    if bytes.fromhex(b[key]) != open(f"{col}/{name}", "rb").read():
        problems.append(f"{key} is not {name}")
for key, name in (("tcb_info_issuer_chain", "tcb_issuer_chain.pem"),
                  ("qe_identity_issuer_chain", "qe_issuer_chain.pem"),
                  ("pck_crl_issuer_chain", "pck_crl_issuer_chain.pem")):
    if b[key].encode() != open(f"{col}/{name}", "rb").read():
        problems.append(f"{key} is not {name}")
for p in problems:
    print("   ", p)
sys.exit(1 if problems else 0)
EOF
}

start_server main "$col"
main_url=$url
root_crl=$url/IntelSGXRootCA.der

# 1. A fetch fills the cache with the exact documents, and -o writes the bundle.
fetch "$tmp/c1" --pcs-url "$main_url" --root-crl-url "$root_crl" -o "$tmp/bundle.json" "$quote"
expect_rc 0 "fetch tdx from the loopback PCS"
cached=$tmp/c1/ward/tdx/$fmspc-platform.json
if [ -f "$cached" ]; then
    pass "cached as tdx/$fmspc-platform.json"
else
    fail "no cache file $cached"
    show
fi
if grep -q "FMSPC $fmspc (PCK platform CA)" "$tmp/out"; then
    pass "reports the FMSPC and CA from the PCK certificate"
else
    fail "output does not name FMSPC $fmspc and the platform CA"
    show
fi
if [ -f "$cached" ] && check_bundle "$cached"; then
    pass "cached bundle holds the signed texts, CRLs and chains byte for byte"
else
    fail "cached bundle differs from the test data"
fi
if [ -f "$tmp/bundle.json" ] && cmp -s "$tmp/bundle.json" "$cached"; then
    pass "-o writes the same bundle"
else
    fail "-o did not write the cached bundle"
fi
perm=$(stat -c %a "$cached" 2>/dev/null)
if [ "$perm" = 644 ]; then
    pass "cache file mode 0644"
else
    fail "cache file mode is $perm"
fi
if ! ls "$tmp/c1/ward/tdx" | grep -q tmp; then
    pass "no temporary files left in the cache"
else
    fail "temporary files left: $(ls "$tmp/c1/ward/tdx")"
fi

# 2. WARD_PCS_URL is the default base; whitespace around the members is fine.
WARD_PCS_URL=$main_url/spaced XDG_CACHE_HOME=$tmp/c2 "$WARD_BIN" fetch tdx \
    --root-crl-url "$root_crl" "$quote" >"$tmp/out" 2>"$tmp/err"
rc=$?
expect_rc 0 "WARD_PCS_URL, bodies with whitespace around the signed members"
if [ -f "$tmp/c2/ward/tdx/$fmspc-platform.json" ] && check_bundle "$tmp/c2/ward/tdx/$fmspc-platform.json"; then
    pass "the signed texts are cut out exactly from spaced bodies"
else
    fail "spaced bodies: cached bundle differs"
fi

# 3. A tampered document is refused and nothing is cached.
fetch "$tmp/c3" --pcs-url "$main_url/tamper" --root-crl-url "$root_crl" "$quote"
expect_rc 1 "tampered TCB info"
if grep -q "signature does not verify" "$tmp/err"; then
    pass "tampered TCB info: says the signature does not verify"
else
    fail "tampered TCB info: unclear message"
    show
fi
if [ ! -e "$tmp/c3/ward/tdx/$fmspc-platform.json" ]; then
    pass "tampered TCB info is not cached"
else
    fail "tampered TCB info was cached"
fi

# 4. Responses without their issuer-chain header are refused.
fetch "$tmp/c4" --pcs-url "$main_url/nochain" --root-crl-url "$root_crl" "$quote"
expect_rc 1 "response without an issuer-chain header"
if grep -qi "issuer-chain" "$tmp/err"; then
    pass "missing issuer chain: says so"
else
    fail "missing issuer chain: unclear message"
    show
fi

# 5. A root CA CRL URL that is not a CRL (the TCB info) is refused.
fetch "$tmp/c5" --pcs-url "$main_url" --root-crl-url "$main_url/tdx/certification/v4/qe/identity" "$quote"
expect_rc 1 "root CA CRL URL serving something else"
stop_server

# 6. Rate limiting: two 429s are waited out (Retry-After: 1) ...
start_server rl "$col" --rate-limit 2
fetch "$tmp/c6" --pcs-url "$url" --root-crl-url "$url/IntelSGXRootCA.der" "$quote"
expect_rc 0 "two 429 responses are retried"
n429=$(grep -c " 429 " "$tmp/rl.log")
if [ "$n429" -eq 2 ]; then
    pass "server answered 429 twice"
else
    fail "server answered 429 $n429 times"
fi
stop_server
# ... and exhausting --retries exits 1, caching nothing.
start_server rl2 "$col" --rate-limit 50
fetch "$tmp/c7" --pcs-url "$url" --root-crl-url "$url/IntelSGXRootCA.der" --retries 1 "$quote"
expect_rc 1 "rate limit exhausted with --retries 1"
if grep -q "rate limited" "$tmp/err" && [ ! -e "$tmp/c7/ward/tdx" ]; then
    pass "rate limit: says so, caches nothing"
else
    fail "rate limit: wrong message or cached"
    show
fi
n429=$(grep -c " 429 " "$tmp/rl2.log")
if [ "$n429" -eq 2 ]; then
    pass "--retries 1 made exactly 2 requests"
else
    fail "--retries 1 made $n429 requests"
fi
stop_server

# 7. An FMSPC the service does not know: 404, exit 1.
start_server other "$other_col"
fetch "$tmp/c8" --pcs-url "$url" --root-crl-url "$url/IntelSGXRootCA.der" "$quote"
expect_rc 1 "unknown FMSPC (HTTP 404)"
if grep -q "404" "$tmp/err" && [ ! -e "$tmp/c8/ward/tdx" ]; then
    pass "unknown FMSPC: names the 404, caches nothing"
else
    fail "unknown FMSPC: wrong message or cached"
    show
fi
stop_server

# 8. An unreachable service: exit 2.
fetch "$tmp/c9" --pcs-url http://127.0.0.1:1 --root-crl-url http://127.0.0.1:1/x.der "$quote"
expect_rc 2 "unreachable PCS"

# 9. Evidence that is not a TDX quote: exit 1 with a clear message, no request made.
fetch "$tmp/c10" --pcs-url http://127.0.0.1:1 "$data/snp/trustee-milan-v2/report.bin"
expect_rc 1 "a SEV-SNP report given to 'fetch tdx'"
if grep -q "not a TDX quote" "$tmp/err"; then
    pass "non-TDX evidence: says it is not a TDX quote"
else
    fail "non-TDX evidence: unclear message"
    show
fi
printf 'hello\n' >"$tmp/text"
fetch "$tmp/c10" --pcs-url http://127.0.0.1:1 "$tmp/text"
expect_rc 1 "a text file given to 'fetch tdx'"
printf '{"tee":"snp","evidence":"AAAA"}' >"$tmp/env.json"
fetch "$tmp/c10" --pcs-url http://127.0.0.1:1 "$tmp/env.json"
expect_rc 1 "an SNP envelope given to 'fetch tdx'"

# 10. Usage errors: exit 2.
fetch "$tmp/c11" --kds-url http://127.0.0.1:1 "$quote"
expect_rc 2 "--kds-url with tdx"
fetch "$tmp/c11"
expect_rc 2 "no QUOTE"
fetch "$tmp/c11" --pcs-url ftp://example.com "$quote"
expect_rc 2 "a PCS URL that is not http(s)"
fetch "$tmp/c11" "$tmp/does-not-exist"
expect_rc 2 "unreadable QUOTE"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed"
    exit 1
fi
echo "all fetch tdx checks passed"
