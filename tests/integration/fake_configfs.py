#!/usr/bin/env python3
"""tests/integration/fake_configfs.py: a directory that behaves like Linux
configfs-tsm's report directory (Documentation/ABI/testing/configfs-tsm), backed
by the ward simulator, for `ward attest --provider configfs --configfs DIR`.

    fake_configfs.py DIR --sim-dir SIMDIR --tee snp|tdx [--work DIR]
                     [--collateral-out FILE] [--race | --truncate | --no-perm]

It polls DIR for entries (the directories ward creates with mkdir) and makes each
behave like a configfs-tsm report:
  - creates `provider` ("sev_guest" or "tdx_guest"), an empty `inblob`, for SNP an
    empty `privlevel`, and `generation` ("0") last, as the sign it is ready;
  - once `inblob` holds 64 bytes, runs `$WARD_BIN sim snp|tdx --dir SIMDIR
    --report-data HEX` (SNP: `--vmpl N` when `privlevel` was written), then
    publishes `auxblob` (SNP: the certificate table of SNP_GET_EXT_REPORT with the
    VCEK, ASK and ARK), `generation` (one more per write, inblob and privlevel, as
    the kernel counts them) and `outblob` last. Each file appears whole (rename).
With --collateral-out, the TDX simulator's DCAP collateral is copied there for the
verifier. The kernel does all of this synchronously; a stand-in cannot, so ward
is run with WARD_CONFIGFS_WAIT_MS, which also lets it unlink these files before
rmdir (a real configfs entry goes with rmdir alone).

Faults:
  --race      bump `generation` by one more than the writes: another writer
  --truncate  publish a cut-short outblob
  --no-perm   make each new entry mode 000 (run ward as an unprivileged user)

Runs until killed. Environment: WARD_BIN, the ward binary.
"""
import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import time
import uuid

# SNP_GET_EXT_REPORT certificate GUIDs (stored in EFI byte order: uuid.bytes_le).
GUIDS = [
    ("vcek.der", "63da758d-e664-4564-adc5-f4b93be8accd"),
    ("ask.der", "4ab7b379-bbac-4fe4-a02f-05aef327c782"),
    ("ark.der", "c0b406a4-a803-4952-9743-3fb6014cd0ae"),
]
ENTRY_LEN = 24
POLL_SECONDS = 0.005


def cert_table(certs):
    """GUID[16] | OFFSET u32le | LENGTH u32le per entry, a zero entry, then the certs."""
    off = ENTRY_LEN * (len(certs) + 1)
    table, body = b"", b""
    for guid, der in certs:
        table += uuid.UUID(guid).bytes_le + struct.pack("<II", off, len(der))
        body += der
        off += len(der)
    return table + bytes(ENTRY_LEN) + body


class Fake:
    def __init__(self, args):
        self.args = args
        self.root = args.dir
        self.work = args.work or tempfile.mkdtemp(prefix="fake-configfs-")
        self.ward = os.environ["WARD_BIN"]
        self.entries = {}  # name -> "wait" (for inblob) or "done"
        self.seq = 0

    def publish(self, entry, name, data):
        """Write |data| as entry/name in one step: a temporary file, then rename."""
        self.seq += 1
        tmp = os.path.join(self.root, ".fake-%d-%d" % (os.getpid(), self.seq))
        with open(tmp, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.rename(tmp, os.path.join(entry, name))

    def setup(self, entry):
        if self.args.no_perm:
            os.chmod(entry, 0)
            return "done"
        snp = self.args.tee == "snp"
        self.publish(entry, "provider", b"sev_guest\n" if snp else b"tdx_guest\n")
        self.publish(entry, "inblob", b"")
        if snp:
            self.publish(entry, "privlevel", b"")
        self.publish(entry, "generation", b"0\n")
        return "wait"

    def simulate(self, report_data, vmpl):
        out = tempfile.mkdtemp(dir=self.work)
        cmd = [self.ward, "sim", self.args.tee, "--dir", self.args.sim_dir,
               "--report-data", report_data.hex(), "-o", out]
        if vmpl is not None:
            cmd += ["--vmpl", str(vmpl)]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        return out

    def answer(self, entry):
        inblob = open(os.path.join(entry, "inblob"), "rb").read()
        if len(inblob) != 64:
            return "wait"
        writes = 1
        vmpl = None
        priv = os.path.join(entry, "privlevel")
        if os.path.exists(priv):
            text = open(priv, "rb").read().strip()
            if text:
                vmpl = int(text)
                writes += 1
        out = self.simulate(inblob, vmpl)
        if self.args.tee == "snp":
            outblob = open(os.path.join(out, "report.bin"), "rb").read()
            certs = [(g, open(os.path.join(out, f), "rb").read()) for f, g in GUIDS]
            self.publish(entry, "auxblob", cert_table(certs))
        else:
            outblob = open(os.path.join(out, "quote.bin"), "rb").read()
            if self.args.collateral_out:
                shutil.copyfile(os.path.join(out, "collateral.json"), self.args.collateral_out)
        shutil.rmtree(out)
        if self.args.truncate:
            outblob = outblob[: len(outblob) * 3 // 4]
        generation = writes + (1 if self.args.race else 0)
        self.publish(entry, "generation", b"%d\n" % generation)
        self.publish(entry, "outblob", outblob)
        return "done"

    def poll(self):
        names = {n for n in os.listdir(self.root) if not n.startswith(".")}
        for gone in set(self.entries) - names:
            del self.entries[gone]
        for name in sorted(names):
            entry = os.path.join(self.root, name)
            state = self.entries.get(name)
            try:
                if state is None:
                    self.entries[name] = self.setup(entry)
                elif state == "wait":
                    self.entries[name] = self.answer(entry)
            except FileNotFoundError:
                pass  # ward removed the entry meanwhile (it gave up)

    def run(self):
        while True:
            self.poll()
            time.sleep(POLL_SECONDS)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("dir")
    p.add_argument("--sim-dir", required=True)
    p.add_argument("--tee", choices=["snp", "tdx"], required=True)
    p.add_argument("--work", help="scratch directory for the simulator's output")
    p.add_argument("--collateral-out")
    fault = p.add_mutually_exclusive_group()
    fault.add_argument("--race", action="store_true")
    fault.add_argument("--truncate", action="store_true")
    fault.add_argument("--no-perm", action="store_true")
    args = p.parse_args()
    try:
        Fake(args).run()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
