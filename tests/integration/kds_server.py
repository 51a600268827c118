#!/usr/bin/env python3
"""A loopback stand-in for the AMD Key Distribution Service, for integration tests.

Serves the real certificates under DATA (tests/data):
  /vcek/v1/{Milan|Genoa|Turin}/{hwid}?blSPL=..&teeSPL=..&snpSPL=..&ucodeSPL=..[&fmcSPL=..]
        -> the snp/*/vcek.der whose hwID extension is {hwid} and whose TCB and
           product extensions match the query (else 404, as KDS issues one
           certificate per chip and TCB); a missing or non-numeric SPL is 400
  /vcek/v1/{P}/cert_chain -> roots/amd/{p}_ask.pem + {p}_ark.pem
  /vlek/v1/{P}/cert_chain -> roots/amd/{p}_asvk.pem + {p}_ark.pem
  /{vcek|vlek}/v1/{P}/crl -> roots/amd/{p}_crl.pem as DER (404 if there is none)

Test hooks:
  --rate-limit N      answer the first N requests 429 with "Retry-After: 1"
  /r/PATH             302 to /PATH (to test that redirects are followed)
  /garbage-KIND/PATH  serve PATH, but answer requests for KIND (vcek, chain, crl)
                      200 with junk; KIND-other: 200 with a genuine object for
                      another chip or product (Milan's for Genoa and vice versa)

The chosen port (bound on 127.0.0.1, port 0) is the first line on stdout. Each
request is logged to stderr as "kds_server: <n> <status> <path>" so that tests can
count what the client asked for. Standard library only; the certificate
extensions are read with `openssl asn1parse`.
"""

import argparse
import glob
import http.server
import os
import re
import subprocess
import sys
import urllib.parse

AMD_OID = "1.3.6.1.4.1.3704.1."
SPL_OIDS = {"3.1": "blSPL", "3.2": "teeSPL", "3.3": "snpSPL", "3.8": "ucodeSPL", "3.9": "fmcSPL"}
PRODUCTS = ("Milan", "Genoa", "Turin")


def der_integer(raw):
    """Decodes a small DER INTEGER (tag 2, short length)."""
    if len(raw) < 3 or raw[0] != 0x02 or raw[1] != len(raw) - 2:
        raise ValueError("not a DER INTEGER")
    return int.from_bytes(raw[2:], "big", signed=True)


def vcek_info(path):
    """Returns (hwid hex, product, {spl: value}) read from a VCEK's AMD extensions."""
    out = subprocess.run(["openssl", "asn1parse", "-inform", "der", "-in", path],
                         check=True, capture_output=True, text=True).stdout.splitlines()
    exts = {}
    for i, line in enumerate(out):
        m = re.search(r"OBJECT\s+:" + re.escape(AMD_OID) + r"([0-9.]+)\s*$", line)
        if m and i + 1 < len(out):
            h = re.search(r"\[HEX DUMP\]:([0-9A-Fa-f]*)", out[i + 1])
            if h:
                exts[m.group(1)] = bytes.fromhex(h.group(1))
    hwid = exts.get("4", b"").hex()
    name = exts.get("2", b"")
    product = name[2:].decode("ascii", "replace").split("-")[0] if len(name) > 2 else ""
    spls = {key: der_integer(exts[oid]) for oid, key in SPL_OIDS.items() if oid in exts}
    return hwid, product, spls


def load(data):
    vceks = []  # (hwid, product, spls, der bytes)
    for path in sorted(glob.glob(os.path.join(data, "snp", "*", "vcek.der"))):
        hwid, product, spls = vcek_info(path)
        if hwid:
            with open(path, "rb") as f:
                vceks.append((hwid, product, spls, f.read()))
    roots = os.path.join(data, "roots", "amd")
    objects = {}
    for product in PRODUCTS:
        p = product.lower()

        def read(name):
            with open(os.path.join(roots, name), "rb") as f:
                return f.read()

        objects[("vcek", product, "cert_chain")] = read(p + "_ask.pem") + read(p + "_ark.pem")
        objects[("vlek", product, "cert_chain")] = read(p + "_asvk.pem") + read(p + "_ark.pem")
        crl = os.path.join(roots, p + "_crl.pem")
        if os.path.exists(crl):
            der = subprocess.run(["openssl", "crl", "-in", crl, "-outform", "der"],
                                 check=True, capture_output=True).stdout
            objects[("vcek", product, "crl")] = der
            objects[("vlek", product, "crl")] = der
    return vceks, objects


GARBAGE_PREFIX = re.compile(r"^/garbage-((?:vcek|chain|crl)(?:-other)?)(/.*)$")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", help="the tests/data directory")
    ap.add_argument("--rate-limit", type=int, default=0, metavar="N",
                    help="answer the first N requests 429 with Retry-After: 1")
    args = ap.parse_args()
    vceks, objects = load(args.data)
    state = {"requests": 0}

    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, status, body=b"", headers=()):
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            sys.stderr.write("kds_server: %d %d %s\n" % (state["requests"], status, self.path))
            sys.stderr.flush()

        def log_message(self, fmt, *a):  # our own one-line log instead
            pass

        def do_GET(self):
            state["requests"] += 1
            if state["requests"] <= args.rate_limit:
                return self.reply(429, b"Too Many Requests\n", [("Retry-After", "1")])
            url = urllib.parse.urlsplit(self.path)
            path = url.path
            if path.startswith("/r/"):
                return self.reply(302, headers=[("Location", self.path[2:])])
            garbage = None
            m = GARBAGE_PREFIX.match(path)
            if m:
                garbage, path = m.group(1), m.group(2)
            parts = path.split("/")
            if len(parts) != 5 or parts[0] != "" or parts[1] not in ("vcek", "vlek") \
                    or parts[2] != "v1" or parts[3] not in PRODUCTS:
                return self.reply(404, b"Not Found\n")
            kind, product, leaf = parts[1], parts[3], parts[4]
            if leaf in ("cert_chain", "crl"):
                short = "chain" if leaf == "cert_chain" else "crl"
                if garbage == short:
                    return self.reply(200, b"\x30\x03garbage")
                if garbage == short + "-other":
                    product = "Genoa" if product == "Milan" else "Milan"
                body = objects.get((kind, product, leaf))
                return self.reply(200, body) if body is not None else self.reply(404)
            if kind != "vcek":
                return self.reply(404, b"Not Found\n")
            query = urllib.parse.parse_qs(url.query)
            want = ["blSPL", "teeSPL", "snpSPL", "ucodeSPL"] + (["fmcSPL"] if product == "Turin" else [])
            try:
                spls = {k: int(query[k][0], 10) for k in want}
            except (KeyError, ValueError):
                return self.reply(400, b"Bad Request: missing or invalid SPL\n")
            if garbage == "vcek":
                return self.reply(200, b"\x30\x82\x01\x00" + b"\x00" * 16)
            if garbage == "vcek-other":
                other = [der for hwid, _, _, der in vceks if hwid != leaf.lower()]
                return self.reply(200, other[0])
            for hwid, p, cert_spls, der in vceks:
                if hwid == leaf.lower() and p == product and \
                        all(cert_spls.get(k) == v for k, v in spls.items()):
                    return self.reply(200, der)
            return self.reply(404, b"Not Found\n")

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    sys.stderr.write("kds_server: serving %d VCEKs on port %d\n" % (len(vceks), server.server_address[1]))
    sys.stderr.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
