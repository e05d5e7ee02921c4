"""Helpers of the pmp-host black-box tests (test_receive.py, test_clock.py):
a paid-sandbox child with its admin API, a plugin configuration for it,
pmp-host runs, and the ok/FAIL bookkeeping."""
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request

SHOP_PASS = "sbxpass01"
CHECKS = []


def check(cond, what):
    CHECKS.append((bool(cond), what))
    print(("ok - " if cond else "FAIL - ") + what, flush=True)
    return cond


def finish(work):
    """Prints the tally; removes work when everything passed, else keeps it."""
    failed = [w for ok, w in CHECKS if not ok]
    print("%d passed, %d failed" % (len(CHECKS) - len(failed), len(failed)), flush=True)
    if failed or not CHECKS:
        print("kept for inspection: " + work, flush=True)
        return 1
    shutil.rmtree(work, ignore_errors=True)
    return 0


def sanitizer_clean(text):
    """No AddressSanitizer, LeakSanitizer or UBSan report in text."""
    return "Sanitizer" not in text and "runtime error:" not in text


def wait_for(pred, timeout=15.0, step=0.05):
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() >= deadline:
            return v
        time.sleep(step)


def free_port():
    """A TCP port nobody listens on right now (the caller binds it soon)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_ready(path):
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        return dict(line.strip().split("=", 1) for line in f if "=" in line)


class Sandbox:
    def __init__(self, exe, work, name="sandbox", extra=()):
        self.ready = os.path.join(work, name + ".ready")
        self.log = open(os.path.join(work, name + ".log"), "w")
        self.proc = subprocess.Popen(
            [exe, "--port", "0", "--state-dir", os.path.join(work, name + "-state"),
             "--ready-file", self.ready, "--quiet"] + list(extra),
            stdout=self.log, stderr=subprocess.STDOUT)
        vals = wait_for(lambda: (read_ready(self.ready).get("PAID_SANDBOX_READY") == "1"
                                 and read_ready(self.ready)) or self.proc.poll() is not None,
                        timeout=20)
        if not isinstance(vals, dict):
            self.stop()
            raise SystemExit("sandbox did not start")
        self.url, self.ca = vals["PAID_SANDBOX_URL"], vals.get("PAID_SANDBOX_CA")
        self.ctx = ssl.create_default_context(cafile=self.ca) if self.ca else None
        self.root = self.url[: self.url.rindex("/payment/") + 1]

    def admin(self, path, method="GET"):
        req = urllib.request.Request(self.root + path, method=method,
                                     data=b"" if method == "POST" else None)
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return json.loads(r.read().decode("utf-8"))

    def config(self, path, base_url=None):
        with open(path, "w") as f:
            f.write("gateway:\n  base_url: \"%s\"\n  ca_file: \"%s\"\n"
                    "shop:\n  id: tshop00000001\n  password: %s\n"
                    % (base_url or self.url, self.ca, SHOP_PASS))
        return path

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Host:
    """Runs pmp-host with one plugin and configuration."""

    def __init__(self, exe, plugin, config, errlog):
        self.exe, self.plugin, self.config, self.errlog = exe, plugin, config, errlog

    def base(self):
        return [self.exe, "--plugin", self.plugin, "--config", self.config]

    def run(self, *args, timeout=60):
        p = subprocess.run(self.base() + list(args), capture_output=True, timeout=timeout)
        out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
        self.errlog.write(err)
        return p.returncode, out, err

    def op(self, name, request):
        rc, out, _ = self.run(name, json.dumps(request, ensure_ascii=False))
        try:
            doc = json.loads(out)
        except ValueError:
            doc = {}
        return rc, doc


def enroll_request(buyer, email):
    return {"buyer_id": buyer, "company_name": "株式会社テスト受信",
            "company_name_kana": "カブシキガイシャテストジュシン", "zip_code": "1500002",
            "prefecture": "東京都", "address1": "渋谷区", "address2": "1-2-3",
            "tel": "03-1234-5678", "email": email}


def http_post(url, body, content_type="application/x-www-form-urlencoded", timeout=30):
    """POSTs body (bytes); returns (status, answer bytes)."""
    req = urllib.request.Request(url, data=body, method="POST",
                                 headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def http_get(url, timeout=30):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def die(msg):
    print("FAIL - " + msg, flush=True)
    sys.exit(1)
