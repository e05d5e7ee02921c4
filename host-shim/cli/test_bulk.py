#!/usr/bin/env python3
"""Black-box test of `pmp-host bulk` against a real paid-sandbox over HTTPS.

    test_bulk.py PMP_HOST PLUGIN SANDBOX GEN_SCRIPT

Enrolls buyers and authorizes 200 orders with bulk (8 at a time), then runs
the 200 shipping reports with --concurrency 8, kills the run with SIGKILL
part-way, resumes it, and checks with the sandbox's admin API that every
order was captured exactly once. Also: a capture whose answer is lost after
commit is not resent by libcurl, SIGINT stops cleanly and resumes, an
existing results file is refused without --resume, a results file of
another input is refused, bad input lines get error lines, CSV quoting.
"""
import collections
import json
import os
import signal
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.request

ORDERS = 200
CHECKS = []


def check(cond, what):
    CHECKS.append((bool(cond), what))
    print(("ok - " if cond else "FAIL - ") + what, flush=True)
    return cond


def read_results(path):
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
    return out


class Sandbox:
    def __init__(self, exe, work):
        self.ready = os.path.join(work, "ready")
        self.log = open(os.path.join(work, "sandbox.log"), "w")
        self.proc = subprocess.Popen(
            [exe, "--port", "0", "--state-dir", os.path.join(work, "state"),
             "--ready-file", self.ready, "--quiet"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 20
        self.url = self.ca = None
        while time.time() < deadline:
            if os.path.exists(self.ready):
                vals = dict(line.strip().split("=", 1)
                            for line in open(self.ready) if "=" in line)
                if vals.get("PAID_SANDBOX_READY") == "1":
                    self.url, self.ca = vals["PAID_SANDBOX_URL"], vals["PAID_SANDBOX_CA"]
                    break
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if self.url is None:
            self.stop()
            raise SystemExit("sandbox did not start")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        self.root = self.url[: self.url.rindex("/payment/") + 1]

    def admin(self, path, method="GET"):
        req = urllib.request.Request(self.root + path, method=method)
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return json.loads(r.read().decode("utf-8"))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def main():
    if len(sys.argv) != 5:
        raise SystemExit(__doc__)
    host, plugin, sandbox_exe, gen = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="pmp-bulk-test-")
    sbx = Sandbox(sandbox_exe, work)
    stderr_log = os.path.join(work, "pmp-host.stderr")
    errf = open(stderr_log, "w")
    try:
        cfg = os.path.join(work, "config.yaml")
        with open(cfg, "w") as f:
            f.write("gateway:\n  base_url: \"%s\"\n  ca_file: \"%s\"\n"
                    "shop:\n  id: tshop00000001\n  password: sbxpass01\n" % (sbx.url, sbx.ca))
        data = os.path.join(work, "data")
        prefix = "TB%d" % (os.getpid() % 100000)
        subprocess.run(["sh", gen, "--orders", str(ORDERS), "--per-buyer", "120",
                        "--prefix", prefix, "--fixed-at", "2026-12-03", data],
                       check=True, stdout=subprocess.DEVNULL)
        base = [host, "--plugin", plugin, "--config", cfg, "bulk"]

        def bulk(*args, **kw):
            return subprocess.run(base + list(args), stdout=kw.pop("stdout", subprocess.DEVNULL),
                                  stderr=errf, timeout=120, **kw).returncode

        def out(name):
            return os.path.join(work, name)

        # Set-up through bulk itself: 2 buyers, 200 orders, 8 at a time.
        check(bulk(os.path.join(data, "enroll.jsonl"), "--out", out("enroll.out")) == 0,
              "enroll 2 buyers")
        check(bulk(os.path.join(data, "authorize.jsonl"), "-j", "8", "--out",
                   out("authorize.out")) == 0, "authorize %d orders, 8 at a time" % ORDERS)
        res = read_results(out("authorize.out"))
        check(len(res) == ORDERS and all(r["rc"] == 0 and r["status"] == "authorized"
                                         for r in res),
              "every authorize has one result line: authorized")
        check(sorted(r["line"] for r in res) == list(range(1, ORDERS + 1)),
              "result lines carry the input line numbers 1..%d" % ORDERS)

        # Shipping reports: killed with SIGKILL part-way, then resumed.
        cap_in, cap_out = os.path.join(data, "capture.csv"), out("capture.out")
        p = subprocess.Popen(base + [cap_in, "--concurrency", "8", "--max-rate", "100",
                                     "--out", cap_out, "--progress", "none"],
                             stdout=subprocess.DEVNULL, stderr=errf)
        deadline = time.time() + 60
        while time.time() < deadline and p.poll() is None:
            if os.path.exists(cap_out) and sum(1 for _ in open(cap_out, "rb")) >= 40:
                break
            time.sleep(0.02)
        killed = p.poll() is None
        if killed:
            p.send_signal(signal.SIGKILL)
        p.wait()
        check(killed, "the capture run was still going when killed")
        done_before = sum(1 for _ in open(cap_out, "rb"))
        check(0 < done_before < ORDERS, "%d of %d captures written before the kill"
              % (done_before, ORDERS))
        check(bulk(cap_in, "-j", "8", "--out", cap_out) == 2,
              "an existing results file is refused without --resume")
        check(bulk(os.path.join(data, "authorize.jsonl"), "--out", cap_out, "--resume") == 2,
              "a results file of another input is refused")
        check(bulk(cap_in, "-j", "8", "--out", cap_out, "--resume") == 0,
              "the resumed run finishes with exit 0")
        res = read_results(cap_out)
        lines = collections.Counter(r["line"] for r in res)
        check(len(res) == ORDERS and len(lines) == ORDERS,
              "exactly one result line per input (%d lines, %d distinct)" % (len(res), len(lines)))
        check(all(r["rc"] == 0 and r["status"] == "captured" for r in res),
              "every result is captured, none failed")

        # The gateway's side: each order captured exactly once.
        log = sbx.admin("_sandbox/requests?since=0")["requests"]
        sales = collections.Counter(r["order_id"] for r in log
                                    if r["op"] == "PaidSales" and not r["err_info"]
                                    and r["order_id"].startswith(prefix))
        check(len(sales) == ORDERS and max(sales.values()) == 1,
              "the sandbox accepted PaidSales exactly once for each of the %d orders" % ORDERS)
        txs = [t for t in sbx.admin("_sandbox/transactions")["transactions"]
               if t["order_id"].startswith(prefix)]
        check(len(txs) == ORDERS and all(t["status"] == "SALES" for t in txs),
              "all %d orders are SALES at the sandbox" % ORDERS)

        # A shipping report whose answer is lost after the gateway committed it
        # (the connection drops, on a kept-alive connection): libcurl must not
        # resend the POST by itself; the plugin inquires and finds it done.
        extra = os.path.join(work, "extra.jsonl")
        order = prefix + "-X-1"
        with open(extra, "w") as f:
            f.write('{"op":"authorize","order_id":"%s","buyer_id":"%s-B-1","amount":500}\n'
                    % (order, prefix))
        check(bulk(extra) == 0, "authorize one more order")
        with open(extra, "w") as f:
            f.write('{"op":"status","order_id":"%s"}\n{"op":"capture","order_id":"%s"}\n'
                    % (order, order))
        sbx.admin("_sandbox/faults?op=PaidSales&kind=drop_after_commit&count=1", "POST")
        stdout = subprocess.run(base + [extra, "-j", "1", "--progress", "none"],
                                stdout=subprocess.PIPE, stderr=errf, timeout=60)
        res = [json.loads(x) for x in stdout.stdout.decode().splitlines()]
        check(stdout.returncode == 0 and res[-1].get("status") == "captured",
              "a capture whose answer was dropped after commit is settled as captured")
        sent = [r for r in sbx.admin("_sandbox/requests?since=0")["requests"]
                if r["op"] == "PaidSales" and r["order_id"] == order]
        check(len(sent) == 1, "its PaidSales reached the gateway once, not resent by libcurl "
              "(%d times)" % len(sent))

        # SIGINT: stops feeding, finishes what is in flight, exit 4; resumable.
        st_in, st_out = os.path.join(data, "status.csv"), out("status.out")
        p = subprocess.Popen(base + [st_in, "-j", "4", "--max-rate", "100", "--out", st_out,
                                     "--progress", "none"],
                             stdout=subprocess.DEVNULL, stderr=errf)
        time.sleep(0.7)
        p.send_signal(signal.SIGINT)
        rc = p.wait(30)
        check(rc == 4, "SIGINT ends the run with exit 4 (got %d)" % rc)
        n_int = len(read_results(st_out))
        check(0 < n_int < ORDERS, "%d status checks done before SIGINT" % n_int)
        check(bulk(st_in, "-j", "4", "--out", st_out, "--resume") == 0, "resume after SIGINT")
        res = read_results(st_out)
        check(len(res) == ORDERS and len({r["line"] for r in res}) == ORDERS
              and all(r["status"] == "captured" for r in res),
              "status checks: one line per input, all captured")

        # Bad input lines are results with rc -2; valid lines still run.
        mixed = os.path.join(work, "mixed.csv")
        with open(mixed, "w") as f:
            f.write('op,order_id,amount\n'
                    'status,%s-O-0000001,\n'
                    'status,"%s-O-0000002",\n'
                    'frobnicate,X,\n'
                    'adjust,%s-O-0000003,notanumber\n'
                    'status,"unterminated\n' % (prefix, prefix, prefix))
        stdout = subprocess.run(base + [mixed, "--progress", "none"], stdout=subprocess.PIPE,
                                stderr=errf, timeout=60)
        res = {r["line"]: r for r in map(json.loads, stdout.stdout.decode().splitlines())}
        check(stdout.returncode == 1, "bad input lines make the run fail (exit %d)"
              % stdout.returncode)
        check(res.get(2, {}).get("status") == "captured" and res.get(3, {}).get("status")
              == "captured", "valid CSV lines (quoted or not) ran")
        check(res.get(4, {}).get("rc") == -2 and res.get(5, {}).get("rc") == -2
              and res.get(6, {}).get("rc") == -2,
              "an unknown op, a non-integer amount, an unclosed quote are rc -2 lines")
    finally:
        errf.close()
        sbx.stop()

    with open(stderr_log, encoding="utf-8", errors="replace") as f:
        text = f.read()
    check("Sanitizer" not in text and "runtime error:" not in text,
          "no sanitizer report in pmp-host's stderr")
    passed = sum(1 for ok, _ in CHECKS if ok)
    failed = len(CHECKS) - passed
    print("%d passed, %d failed" % (passed, failed))
    if failed:
        print("pmp-host stderr:\n" + text[-4000:])
        return 1
    subprocess.run(["rm", "-rf", work], check=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
