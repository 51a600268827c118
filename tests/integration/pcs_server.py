#!/usr/bin/env python3
"""A loopback stand-in for the Intel Provisioning Certification Service, for tests.

Serves the real collateral of one directory of tests/data/tdx/collateral/, for the
FMSPC of its tcb_info.json (PCS API v4 paths, as a PCCS serves them too):
  /tdx/certification/v4/tcb?fmspc=HEX    tcb_info.json as stored (the exact bytes
        Intel served), header TCB-Info-Issuer-Chain: URL-encoded tcb_issuer_chain.pem;
        404 for any other FMSPC
  /tdx/certification/v4/qe/identity      qe_identity.json, header
        SGX-Enclave-Identity-Issuer-Chain: URL-encoded qe_issuer_chain.pem
  /sgx/certification/v4/pckcrl?ca=CA&encoding=der   pck_crl.der, header
        SGX-PCK-CRL-Issuer-Chain: URL-encoded pck_crl_issuer_chain.pem; 404 unless CA
        is the one that issued pck_crl.der ("platform" or "processor")
  /IntelSGXRootCA.der                    root_ca_crl.der
Anything else is 404.

Test hooks:
  --rate-limit N    answer the first N requests 429 with "Retry-After: 1"
  /tamper/PATH      as PATH, but the TCB info and QE identity have one digit of
                    tcbEvaluationDataNumber changed (still JSON, no longer signed)
  /spaced/PATH      as PATH, but the signed bodies have whitespace around their
                    members (the member text itself is unchanged, so still valid)
  /nochain/PATH     as PATH, without the issuer-chain headers

The chosen port (bound on 127.0.0.1, port 0) is the first line on stdout. Each
request is logged to stderr as "pcs_server: <n> <status> <path>". Standard library
only (the CRL's issuer CA is found by its CN's bytes in the DER).
"""

import argparse
import http.server
import json
import os
import sys
import urllib.parse

SIGNED = {"tcb": ("tcb_info.json", "tcbInfo"), "qe": ("qe_identity.json", "enclaveIdentity")}


def read(d, name):
    with open(os.path.join(d, name), "rb") as f:
        return f.read()


def raw_member(body, member):
    """The exact text between '"<member>":' and ',"signature"'."""
    key = ('"%s":' % member).encode()
    start = body.index(key) + len(key)
    end = body.index(b',"signature"', start)
    return body[start:end]


def spaced(body, member):
    raw = raw_member(body, member)
    sig = json.loads(body)["signature"]
    return b'{ \n "%s" :  %s ,\n\t"signature" : "%s" }\n' % (member.encode(), raw, sig.encode())


def tampered(body):
    key = b'"tcbEvaluationDataNumber":'
    i = body.index(key) + len(key)
    digit = body[i:i + 1]
    other = b"8" if digit != b"8" else b"9"
    return body[:i] + other + body[i + 1:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("dir", help="a tests/data/tdx/collateral/<dir> directory")
    ap.add_argument("--rate-limit", type=int, default=0, metavar="N",
                    help="answer the first N requests 429 with Retry-After: 1")
    args = ap.parse_args()
    d = args.dir
    tcb_body = read(d, "tcb_info.json")
    fmspc = json.loads(raw_member(tcb_body, "tcbInfo"))["fmspc"].lower()
    pck_crl = read(d, "pck_crl.der")
    ca = "processor" if b"Intel SGX PCK Processor CA" in pck_crl else "platform"
    objects = {
        "tcb": (tcb_body, "TCB-Info-Issuer-Chain", read(d, "tcb_issuer_chain.pem")),
        "qe": (read(d, "qe_identity.json"), "SGX-Enclave-Identity-Issuer-Chain",
               read(d, "qe_issuer_chain.pem")),
        "pckcrl": (pck_crl, "SGX-PCK-CRL-Issuer-Chain", read(d, "pck_crl_issuer_chain.pem")),
        "rootcrl": (read(d, "root_ca_crl.der"), None, None),
    }
    state = {"requests": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            sys.stderr.write("pcs_server: %d %d %s\n" % (state["requests"], status, self.path))
            sys.stderr.flush()

        def log_message(self, fmt, *a):  # our own one-line log instead
            pass

        def do_GET(self):
            state["requests"] += 1
            if state["requests"] <= args.rate_limit:
                return self.reply(429, b"Too Many Requests\n", [("Retry-After", "1")])
            url = urllib.parse.urlsplit(self.path)
            path = url.path
            hooks = set()
            for hook in ("tamper", "spaced", "nochain"):
                if path.startswith("/%s/" % hook):
                    hooks.add(hook)
                    path = path[len(hook) + 1:]
            query = urllib.parse.parse_qs(url.query)
            if path == "/tdx/certification/v4/tcb":
                if query.get("fmspc", [""])[0].lower() != fmspc:
                    return self.reply(404, b"Not Found\n")
                kind = "tcb"
            elif path == "/tdx/certification/v4/qe/identity":
                kind = "qe"
            elif path == "/sgx/certification/v4/pckcrl":
                if query.get("ca", [""])[0] != ca or query.get("encoding", [""])[0] != "der":
                    return self.reply(404, b"Not Found\n")
                kind = "pckcrl"
            elif path == "/IntelSGXRootCA.der":
                kind = "rootcrl"
            else:
                return self.reply(404, b"Not Found\n")
            body, header, chain = objects[kind]
            if kind in SIGNED:
                if "tamper" in hooks:
                    body = tampered(body)
                if "spaced" in hooks:
                    body = spaced(body, SIGNED[kind][1])
            headers = []
            if header is not None and "nochain" not in hooks:
                headers.append((header, urllib.parse.quote(chain.decode("ascii"), safe="")))
            return self.reply(200, body, headers)

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    sys.stderr.write("pcs_server: serving FMSPC %s (%s CA) on port %d\n"
                     % (fmspc, ca, server.server_address[1]))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
