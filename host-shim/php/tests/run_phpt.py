#!/usr/bin/python3
"""Runs the extension's .phpt tests with PHP's own run-tests.php against a
fresh paid-sandbox, through the real plugin, and prints one plain line
"N passed, M failed[, K skipped]". Exit status 0 only when nothing failed
and at least one test passed.

The sandbox, the plugin configurations and the methods files are prepared
here and handed to the tests through the environment (see helper.inc);
the tests are copied to --work first, because run-tests.php writes its
.out/.diff/.log files next to them.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "python"))

from pmp.sandbox import Sandbox  # noqa: E402


def closed_port():
    """A loopback port nobody listens on (bound, then released)."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def passed_line_missing(out):
    return re.search(r"^Tests passed\s*:", out, re.M) is None


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--skip":
        # meson's exit status for "skipped", with the reason in the log.
        print(f"php suite skipped: {sys.argv[2]}")
        return 77
    ap = argparse.ArgumentParser()
    for opt in ("php", "run-tests", "extension", "plugin", "fake-plugin", "fake-badtable-plugin",
                "sandbox", "tests", "work"):
        ap.add_argument("--" + opt, required=True)
    ap.add_argument("filter", nargs="*", help="only these .phpt files (names)")
    a = ap.parse_args()
    for opt in ("work", "tests", "extension", "plugin", "fake_plugin", "fake_badtable_plugin",
                "sandbox"):
        setattr(a, opt, os.path.abspath(getattr(a, opt)))

    if os.path.isdir(a.work):
        shutil.rmtree(a.work)
    tests = os.path.join(a.work, "tests")
    os.makedirs(tests)
    for name in sorted(os.listdir(a.tests)):
        if name.endswith((".phpt", ".inc")) and (not a.filter or name.endswith(".inc")
                                                  or name in a.filter):
            shutil.copy(os.path.join(a.tests, name), tests)
    corpus_src = os.path.join(HERE, "..", "..", "loader", "testdata", "methods")

    # When the sandbox can send result notifications, they go to a port that
    # 012-notify-from-sandbox.phpt listens on (nobody else does: the sends
    # of other tests' orders are refused and resent every second, harmless).
    helptext = subprocess.run([a.sandbox, "--help"], capture_output=True, text=True,
                              env={k: v for k, v in os.environ.items()
                                   if k != "LD_PRELOAD"}).stdout
    notify_port = str(closed_port()) if "--notify-url" in helptext else ""
    extra = ["--notify-url", f"http://127.0.0.1:{notify_port}/notify",
             "--notify-interval", "1"] if notify_port else []
    with Sandbox(a.sandbox, extra_args=extra) as sbx:
        cfg = os.path.join(a.work, "paid.yaml")
        sbx.write_config(cfg)
        sbx.write_config(os.path.join(a.work, "paid-network.yaml"),
                         base_url=f"https://127.0.0.1:{closed_port()}/payment/")
        # A CA that did not sign the sandbox's certificate.
        sbx.write_config(os.path.join(a.work, "paid-tls.yaml"),
                         ca_file="/etc/ssl/certs/ca-certificates.crt")
        with open(os.path.join(a.work, "paid-bad.yaml"), "w") as f:
            f.write(sbx.config_text().replace("shop:\n", "shop:\n  colour: blue\n"))
        plugin = os.path.abspath(a.plugin)
        with open(os.path.join(a.work, "methods.yaml"), "w") as f:
            f.write(f"""# Two entries on the one real plugin (paid) prove the list: the second has
# its own label and its own configuration file (the same shop here).
methods:
  - name: paid
    label: "Paid (invoice, month-end)"
    plugin: {plugin}
    config: paid.yaml
  - name: paid-second-shop
    label: 'Paid, second shop'
    plugin: {plugin}
    config: {cfg}
  - name: paid-off
    label: Switched off
    plugin: /nonexistent/libnothing.so
    config: nowhere.yaml
    enabled: false
""")
        corpus = os.path.join(a.work, "corpus")
        os.makedirs(corpus)
        for name in sorted(os.listdir(corpus_src)):
            with open(os.path.join(corpus_src, name), encoding="utf-8") as f:
                text = f.read().replace("@PLUGIN@", plugin).replace("@CONFIG@", cfg)
            with open(os.path.join(corpus, name), "w", encoding="utf-8") as f:
                f.write(text)

        env = dict(os.environ)
        env.update({
            "PAID_SHOP_PASS": sbx.password,
            "PMP_PLUGIN": plugin,
            "PMP_FAKE_PLUGIN": a.fake_plugin,
            "PMP_FAKE_BADTABLE_PLUGIN": a.fake_badtable_plugin,
            "PMP_CONFIG": cfg,
            "PMP_WORK": a.work,
            "PMP_METHODS": os.path.join(a.work, "methods.yaml"),
            "PMP_METHODS_CORPUS": corpus,
            "PMP_SANDBOX_BASE": sbx.base,
            "PMP_SANDBOX_CA": sbx.ca or "",
            "PMP_NOTIFY_PORT": notify_port,
            "PMP_RUN_ID": str(int(time.time() * 1000) % 10**9),
            "TEST_PHP_EXECUTABLE": a.php,
            "NO_COLOR": "1",
        })
        cmd = [a.php, "-n", "-d", "variables_order=EGPCS", a.run_tests,
               "-p", a.php, "-n", "-d", f"extension={os.path.abspath(a.extension)}",
               "-q", "--show-diff", "--no-color", "-j1",
               # e.g. PMP_RUN_TESTS_ARGS=-m: every test under valgrind memcheck
               *os.environ.get("PMP_RUN_TESTS_ARGS", "").split(), tests]
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, cwd=a.work)
        out = proc.stdout.decode("utf-8", "replace")
        sys.stdout.write(out)
        leaked = [s for s in (sbx.password,) if s in out]

    counts = {}
    for key in ("passed", "failed", "skipped", "warned", "leaked", "borked"):
        m = re.search(r"^Tests " + key + r"\s*:\s*(\d+)", out, re.M | re.I)
        counts[key] = int(m.group(1)) if m else 0
    m = re.search(r"^Expected fail\s*:\s*(\d+)", out, re.M)
    failed = counts["failed"] + counts["leaked"] + counts["borked"] + counts["warned"]
    if leaked:
        print("the shop password appeared in the test output")
        failed += 1
    if passed_line_missing(out):
        print("run-tests.php printed no summary")
        failed += 1
    if proc.returncode not in (0, 1) and failed == 0:
        print(f"run-tests.php exited with status {proc.returncode}")
        failed += 1
    passed = counts["passed"]
    print(f"{passed} passed, {failed} failed, {counts['skipped']} skipped")
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
