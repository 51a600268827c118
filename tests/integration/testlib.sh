# tests/integration/testlib.sh: helpers the shell tests share. Source it after
# setting $tmp (a scratch directory the caller removes).
#   pass MSG / fail MSG         print a PASS/FAIL line; fail counts in $failures
#   expect_exit WANT WHAT -- CMD...   run CMD (stdout to $tmp/out, stderr to $tmp/err)
#                                     and check its exit status
#   json_check PY_EXPR WHAT     evaluate PY_EXPR with j = the JSON in $tmp/out
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
        fail "$what: exit $got, want $want; stderr: $(head -c 300 "$tmp/err")"
    fi
}
json_check() {
    if python3 -c "import json,sys; j=json.load(open('$tmp/out')); sys.exit(0 if ($1) else 1)" 2>/dev/null; then
        pass "$2"
    else
        fail "$2: $(head -c 600 "$tmp/out")"
    fi
}
