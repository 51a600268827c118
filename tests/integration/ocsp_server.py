#!/usr/bin/env python3
"""A loopback OCSP responder (RFC 6960 over HTTP POST), for integration tests.

Each POSTed request (Content-Type application/ocsp-request, else 415) is answered
by `openssl ocsp` in responder mode with --index INDEX (an `openssl ca` index
file, read afresh for every request, so a test can revoke a certificate between
requests) and the --ca CERT KEY pair whose key the request's CertID names as the
issuer (SHA-1, SHA-256 or SHA-384 key hash); the CA signs its own answers. A
serial not in the index is "unknown"; a request for an issuer that is no --ca is
answered by the first CA (so "unknown", and not authoritative). Answers echo the
request's nonce, are signed with ECDSA-SHA384 and are valid for --ndays days.

Test hooks (the request path):
  /replay        the last answer made for the same CertID (its nonce is not this one's)
  /garbage       200 with bytes that are not an OCSP response
  /unauthorized  the OCSP error response "unauthorized" (status 6)
  /http-NNN      HTTP status NNN with an empty body

The chosen port (bound on 127.0.0.1, port 0) is the first line on stdout. Each
request is logged to stderr as "ocsp_server: <n> <http status> <path> <cert status>".
Standard library and the openssl command only.
"""

import argparse
import base64
import hashlib
import http.server
import os
import re
import signal
import subprocess
import sys
import tempfile

UNAUTHORIZED = bytes.fromhex("3003 0a01 06".replace(" ", ""))
MAX_REQUEST = 64 * 1024


# Digest OIDs (DER contents) of the CertID hashes we understand.
HASHES = {
    bytes.fromhex("2b0e03021a"): "sha1",
    bytes.fromhex("608648016503040201"): "sha256",
    bytes.fromhex("608648016503040202"): "sha384",
}


def der_items(b):
    """Returns the (tag, contents) of the DER elements that make up b."""
    out, i = [], 0
    while i < len(b):
        tag, n = b[i], b[i + 1]
        i += 2
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(b[i:i + k], "big")
            i += k
        out.append((tag, b[i:i + n]))
        i += n
    return out


def first(b, tag):
    return next(c for t, c in der_items(b) if t == tag)


def request_certid(req):
    """Returns (hash name, issuerKeyHash, CertID bytes) of a DER OCSPRequest's first CertID."""
    tbs = first(first(req, 0x30), 0x30)
    request = first(first(tbs, 0x30), 0x30)  # requestList, then its first Request
    certid = first(request, 0x30)
    alg, _name_hash, key_hash, _serial = der_items(certid)
    return HASHES.get(first(alg[1], 0x06)), key_hash[1], certid


def key_hashes(cert):
    """Returns {hash name: digest of the certificate's public key bits}."""
    pem = subprocess.run(["openssl", "x509", "-in", cert, "-pubkey", "-noout"],
                         check=True, capture_output=True, text=True).stdout
    spki = base64.b64decode("".join(l for l in pem.splitlines() if not l.startswith("-----")))
    bits = der_items(first(spki, 0x30))[1][1][1:]  # the BIT STRING, less its unused-bits byte
    return {name: hashlib.new(name, bits).digest() for name in HASHES.values()}


def answer(request, alg, key_hash, args, cas, workdir):
    """Returns (DER response, cert status) for a DER OCSP request."""
    cert, key = args.ca[0]
    for (c, k), hashes in zip(args.ca, cas):
        if alg is not None and hashes[alg] == key_hash:
            cert, key = c, k
    req_path = os.path.join(workdir, "req.der")
    resp_path = os.path.join(workdir, "resp.der")
    with open(req_path, "wb") as f:
        f.write(request)
    out = subprocess.run(
        ["openssl", "ocsp", "-index", args.index, "-CA", cert, "-rsigner", cert,
         "-rkey", key, "-rmd", "sha384", "-ndays", str(args.ndays),
         "-reqin", req_path, "-respout", resp_path, "-resp_text"],
        capture_output=True, text=True, check=False)
    if out.returncode != 0:
        sys.stderr.write("ocsp_server: openssl: " + out.stderr)
        return None, "error"
    with open(resp_path, "rb") as f:
        der = f.read()
    m = re.search(r"Cert Status: (\w+)", out.stdout)
    return der, m.group(1) if m else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True)
    ap.add_argument("--ca", nargs=2, action="append", required=True, metavar=("CERT", "KEY"))
    ap.add_argument("--ndays", type=int, default=1)
    args = ap.parse_args()
    cas = [key_hashes(cert) for cert, _key in args.ca]
    workdir = tempfile.mkdtemp(prefix="ocsp_server.")
    state = {"n": 0, "answers": {}}  # CertID bytes -> the last answer made for it

    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *a):
            pass

        def reply(self, code, body, note):
            state["n"] += 1
            sys.stderr.write("ocsp_server: %d %d %s %s\n" % (state["n"], code, self.path, note))
            sys.stderr.flush()
            self.send_response(code)
            self.send_header("Content-Type", "application/ocsp-response")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):
            self.reply(405, b"", "-")

        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            if length <= 0 or length > MAX_REQUEST:
                return self.reply(400, b"", "bad-length")
            request = self.rfile.read(length)
            if self.headers.get("Content-Type") != "application/ocsp-request":
                return self.reply(415, b"", "bad-content-type")
            m = re.fullmatch(r"/http-(\d{3})", self.path)
            if m:
                return self.reply(int(m.group(1)), b"", "-")
            if self.path == "/garbage":
                return self.reply(200, b"this is not an OCSP response", "-")
            if self.path == "/unauthorized":
                return self.reply(200, UNAUTHORIZED, "unauthorized")
            try:
                alg, key_hash, certid = request_certid(request)
            except (StopIteration, ValueError, IndexError):
                return self.reply(400, b"", "unparsable-request")
            if self.path == "/replay" and certid in state["answers"]:
                return self.reply(200, state["answers"][certid], "replayed")
            der, status = answer(request, alg, key_hash, args, cas, workdir)
            if der is None:
                return self.reply(500, b"", "error")
            state["answers"][certid] = der
            return self.reply(200, der, status)

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    finally:
        for name in ("req.der", "resp.der"):
            try:
                os.unlink(os.path.join(workdir, name))
            except OSError:
                pass
        os.rmdir(workdir)


if __name__ == "__main__":
    main()
