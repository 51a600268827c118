#!/usr/bin/env python3
"""tdx_bundles.py: turns the split-file TDX collateral of a testdata manifest into the
dcap-qvl style collateral bundles that `ward verify --tee tdx --collateral` and
@phala/dcap-qvl's verify() both read.

Usage: tdx_bundles.py MANIFEST_DIR OUT_DIR

MANIFEST_DIR holds manifest.json ({"entries": [...]}). For every entry whose collateral is
complete, OUT_DIR/<id>.json is written and "<id>\\t<path>" printed on stdout. Entries
without complete collateral are named on stderr and skipped. Exit 0 on success, 1 when a
collateral file is malformed, 2 on usage errors.

Bundle members (all strings):
  tcb_info, qe_identity           the signed JSON member exactly as Intel served it
  tcb_info_signature,
  qe_identity_signature           hex, as in the PCS response
  *_issuer_chain                  PEM (URL-encoded PCS headers are decoded)
  pck_crl, root_ca_crl            hex of the DER CRL
When the manifest names no pck_crl_issuer_chain, the PCK CA and root certificates from
the quote's own certification data (every PEM certificate after the PCK leaf) stand in.

Only the standard library and the openssl command line (for PEM CRLs) are used.
"""
import json
import os
import re
import subprocess
import sys
import urllib.parse

# Manifest collateral keys every bundle needs; pck_crl_issuer_chain is optional.
REQUIRED = ("tcb_info", "qe_identity", "pck_crl", "root_ca_crl", "tcb_issuer_chain",
            "qe_issuer_chain")

PEM_CERT = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n.+?-----END CERTIFICATE-----", re.S)


class CollateralError(Exception):
    """A collateral file that cannot be turned into a bundle member."""


def _read(path):
    with open(path, "rb") as f:
        return f.read()


def signed_member(path, member):
    """Reads a PCS response {"<member>": RAW, "signature": "HEX"} and returns
    (RAW, HEX) with RAW the member's text exactly as it appears in the file: Intel's
    signature covers those bytes, so the member must never be re-serialised."""
    text = _read(path).decode("utf-8")
    dec = json.JSONDecoder()
    ws = re.compile(r"\s*")
    pos = ws.match(text, 0).end()
    if text[pos:pos + 1] != "{":
        raise CollateralError(f"{path}: not a JSON object")
    pos += 1
    raw = sig = None
    while True:
        pos = ws.match(text, pos).end()
        key, pos = dec.raw_decode(text, pos)
        if not isinstance(key, str):
            raise CollateralError(f"{path}: object key is not a string")
        pos = ws.match(text, pos).end()
        if text[pos:pos + 1] != ":":
            raise CollateralError(f"{path}: expected ':' after key {key!r}")
        pos = ws.match(text, pos + 1).end()
        start = pos
        value, pos = dec.raw_decode(text, pos)
        if key == member:
            raw = text[start:pos]
        elif key == "signature":
            sig = value
        pos = ws.match(text, pos).end()
        if text[pos:pos + 1] == ",":
            pos += 1
            continue
        if text[pos:pos + 1] == "}" and not text[pos + 1:].strip():
            break
        raise CollateralError(f"{path}: unexpected text at offset {pos}")
    if raw is None or not raw.startswith("{"):
        raise CollateralError(f"{path}: no object member {member!r}")
    if not isinstance(sig, str) or not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", sig):
        raise CollateralError(f"{path}: signature is not a hex string")
    return raw, sig


def pem_chain(path):
    """Reads a PEM certificate chain; a URL-encoded chain (as PCS sends it in the
    *-Issuer-Chain headers) is decoded first. base64 never contains '%'."""
    text = _read(path).decode("ascii")
    if "%" in text:
        text = urllib.parse.unquote(text)
    if "-----BEGIN CERTIFICATE-----" not in text:
        raise CollateralError(f"{path}: no PEM certificate")
    return text


def crl_hex(path):
    """Reads a CRL stored as DER, PEM or hex text and returns the hex of its DER."""
    data = _read(path)
    if data.lstrip().startswith(b"-----BEGIN"):
        p = subprocess.run(["openssl", "crl", "-inform", "PEM", "-outform", "DER"],
                           input=data, capture_output=True, check=False)
        if p.returncode != 0:
            raise CollateralError(f"{path}: openssl crl: {p.stderr.decode().strip()}")
        data = p.stdout
    elif re.fullmatch(rb"\s*[0-9a-fA-F]+\s*", data):
        data = bytes.fromhex(data.decode().strip())
    if not data.startswith(b"\x30"):
        raise CollateralError(f"{path}: not a DER CRL")
    return data.hex()


def quote_issuer_chain(quote_path):
    """The PCK CA and root certificates from the quote's certification data."""
    certs = PEM_CERT.findall(_read(quote_path))
    if len(certs) < 3:
        raise CollateralError(f"{quote_path}: quote carries no PCK certificate chain")
    return "\n".join(c.decode("ascii") for c in certs[1:]) + "\n"


def missing_collateral(entry):
    """Names of the required collateral files the entry lacks (empty when complete)."""
    c = entry.get("collateral")
    if not isinstance(c, dict):
        return list(REQUIRED)
    return [k for k in REQUIRED if not c.get(k)]


def build_bundle(manifest_dir, entry):
    """Returns the collateral bundle (a dict) for a manifest entry, or None when its
    collateral is incomplete. Raises CollateralError for malformed files."""
    if missing_collateral(entry):
        return None
    c = entry["collateral"]

    def path(key):
        return os.path.join(manifest_dir, c[key])

    tcb_info, tcb_sig = signed_member(path("tcb_info"), "tcbInfo")
    qe_identity, qe_sig = signed_member(path("qe_identity"), "enclaveIdentity")
    if c.get("pck_crl_issuer_chain"):
        pck_chain = pem_chain(path("pck_crl_issuer_chain"))
    else:
        pck_chain = quote_issuer_chain(os.path.join(manifest_dir, entry["file"]))
    return {
        "pck_crl_issuer_chain": pck_chain,
        "root_ca_crl": crl_hex(path("root_ca_crl")),
        "pck_crl": crl_hex(path("pck_crl")),
        "tcb_info_issuer_chain": pem_chain(path("tcb_issuer_chain")),
        "tcb_info": tcb_info,
        "tcb_info_signature": tcb_sig,
        "qe_identity_issuer_chain": pem_chain(path("qe_issuer_chain")),
        "qe_identity": qe_identity,
        "qe_identity_signature": qe_sig,
    }


def load_entries(manifest_dir):
    with open(os.path.join(manifest_dir, "manifest.json"), "rb") as f:
        manifest = json.load(f)
    entries = manifest.get("entries") if isinstance(manifest, dict) else manifest
    if not isinstance(entries, list):
        raise CollateralError(f"{manifest_dir}/manifest.json: no entries list")
    return entries


def main(argv):
    if len(argv) != 3:
        print("usage: tdx_bundles.py MANIFEST_DIR OUT_DIR", file=sys.stderr)
        return 2
    manifest_dir, out_dir = argv[1], argv[2]
    os.makedirs(out_dir, exist_ok=True)
    try:
        for entry in load_entries(manifest_dir):
            ident = entry["id"]
            if not re.fullmatch(r"[A-Za-z0-9._-]+", ident) or ident.startswith("."):
                raise CollateralError(f"manifest id {ident!r} is not a safe file name")
            bundle = build_bundle(manifest_dir, entry)
            if bundle is None:
                print(f"{ident}: skipped, missing collateral: "
                      f"{', '.join(missing_collateral(entry))}", file=sys.stderr)
                continue
            out = os.path.join(out_dir, ident + ".json")
            with open(out, "w", encoding="utf-8") as f:
                json.dump(bundle, f, indent=1)
                f.write("\n")
            print(f"{ident}\t{out}")
    except (OSError, ValueError, CollateralError) as e:
        print(f"tdx_bundles: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
