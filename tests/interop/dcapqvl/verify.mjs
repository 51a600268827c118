// verify.mjs: runs @phala/dcap-qvl (pure JavaScript) on one TDX quote with one
// collateral bundle (tests/interop/tdx_bundles.py) at a fixed time, for
// tests/interop/test_dcapqvl.sh.
//
// Usage: node verify.mjs QUOTE BUNDLE AS_OF_RFC3339
// Prints one JSON line {"ok":bool,"status":string|null,"advisory_ids":[...],"error":string|null}
// and exits 0 whether or not the quote verified; exit 2 on usage or unreadable input.
//
// The quote file is passed whole: dcap-qvl's Quote.parse reads the fields it needs and
// ignores trailing bytes, and the quote signature covers only header + body, so the
// zero padding some samples carry does not change the outcome.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

// The package is CommonJS; require() gives its module.exports unchanged.
const { verify } = createRequire(import.meta.url)('@phala/dcap-qvl');

function usage(msg) {
    process.stderr.write(`verify.mjs: ${msg}\nusage: node verify.mjs QUOTE BUNDLE AS_OF_RFC3339\n`);
    process.exit(2);
}

const [quotePath, bundlePath, asOf] = process.argv.slice(2);
if (process.argv.length !== 5) {
    usage('expected 3 arguments');
}
if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(asOf)) {
    usage(`AS_OF is not an RFC 3339 date-time: ${asOf}`);
}
const nowSecs = Math.floor(Date.parse(asOf) / 1000);
if (!Number.isFinite(nowSecs)) {
    usage(`AS_OF is not a valid time: ${asOf}`);
}

let quote;
let collateral;
try {
    quote = readFileSync(quotePath);
    collateral = JSON.parse(readFileSync(bundlePath, 'utf8'));
} catch (e) {
    usage(e.message);
}

let result;
try {
    const report = verify(quote, collateral, nowSecs);
    result = { ok: true, status: report.status, advisory_ids: report.advisory_ids ?? [], error: null };
} catch (e) {
    result = { ok: false, status: null, advisory_ids: [], error: String(e?.message ?? e) };
}
process.stdout.write(JSON.stringify(result) + '\n');
