#!/usr/bin/env python3
"""Black-box test of `pmp-host clock` against a real paid-sandbox.

    test_clock.py PMP_HOST PLUGIN SANDBOX

show (text and --json), set to a fixed calendar, advance with the duration
forms (3d, 12h, 1d12h, 90m) and the exact seconds moved, the events a move runs
(a sale of January 2099 closed, invoiced and issued) printed one per line and
in the JSON, refusal of a move backwards (exit 1, the sandbox's reason), usage
errors (exit 2), a configuration whose base_url is not a local sandbox
(refused before anything is sent), ${ENV} values, a plain-HTTP sandbox, and
no password in any output.
"""
import json
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_testlib import (SHOP_PASS, Host, Sandbox, check, enroll_request,  # noqa: E402
                         finish, sanitizer_clean)


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    host_exe, plugin, sandbox_exe = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="pmp-clock-test-")
    sbx = Sandbox(sandbox_exe, work)
    plain = None
    errlog = open(os.path.join(work, "pmp-host.stderr"), "w")
    outputs = []
    try:
        host = Host(host_exe, plugin, sbx.config(os.path.join(work, "config.yaml")), errlog)

        def clock(*args, config=None):
            h = host if config is None else Host(host_exe, plugin, config, errlog)
            rc, out, err = h.run("clock", *args)
            outputs.append(out + err)
            return rc, out, err

        rc, out, _ = clock()
        check(rc == 0 and out.startswith("sandbox clock: ") and "(real time)" in out,
              "clock (show) prints the sandbox's time: " + out.strip())
        rc, out, _ = clock("show", "--json")
        doc = json.loads(out) if rc == 0 else {}
        check(doc.get("offset_seconds") == 0 and "now" in doc, "clock show --json")

        rc, out, _ = clock("set", "2099-01-05T10:00:00", "--json")
        doc = json.loads(out) if rc == 0 else {}
        check(doc.get("now") == "2099-01-05T10:00:00" and doc.get("events") == [],
              "clock set 2099-01-05T10:00:00 moves to that time")
        rc, out, _ = clock()
        check(rc == 0 and "2099-01-05T10:00:" in out and "real time +" in out,
              "show reports the new time and the offset")

        # A January sale, then the month end: closing and invoice.
        buyer = "CLK%d" % (os.getpid() % 100000)
        order = buyer + "-1"
        check(host.op("enroll", enroll_request(buyer, "clock@example.jp"))[0] == 0, "enroll")
        check(host.op("authorize", {"order_id": order, "buyer_id": buyer, "amount": 40000,
                                    "tax": 4000})[0] == 0, "authorize")
        rc, cap = host.op("capture", {"order_id": order, "fixed_at": "2099-01-10"})
        check(rc == 0 and cap.get("result", {}).get("settlement", {})
              .get("invoice_issue_date") == "2099-02-01", "capture (forecast: issued 1 Feb)")
        rc, out, _ = clock("advance", "27d")
        # The virtual clock runs on with real time: seconds may have passed.
        check(rc == 0 and re.search(r"2099-01-05T10:00:\d\d -> 2099-02-01T10:00:\d\d", out),
              "clock advance 27d: " + (out.splitlines()[0] if out else ""))
        lines = out.splitlines()[1:]
        check(any("buyer.closing" in x and buyer in x and "44,000 JPY" in x for x in lines),
              "the closing of the buyer's January is printed with its total")
        check(any("invoice.issue" in x and "INV-" in x for x in lines),
              "the invoice's issue is printed")
        inv = sbx.admin("_sandbox/invoices?buyer_id=" + buyer)["invoices"]
        check(len(inv) == 1 and inv[0]["total"] == 44000 and inv[0]["state"] == "issued",
              "the sandbox has the invoice the events named")

        for arg, secs in (("1d12h", 129600), ("12h", 43200), ("90m", 5400), ("45s", 45),
                          ("2", 172800)):
            rc, out, _ = clock("advance", arg, "--json")
            doc = json.loads(out) if rc == 0 else {}
            check(doc.get("advanced_seconds") == secs, "advance %s moves %d s" % (arg, secs))

        rc, out, err = clock("set", "2099-01-01T00:00:00")
        check(rc == 1 and "only moves forward" in err, "a move backwards is refused (exit 1): "
              + err.strip())
        for bad in (("advance", "1d12"), ("advance", "0"), ("advance", "x"), ("advance", "3651d"),
                    ("set", "2099-1-1"), ("set", "tomorrow"), ("frobnicate",), ("advance",),
                    ("show", "now")):
            rc, _, _ = clock(*bad)
            check(rc == 2, "usage error: clock %s (exit 2)" % " ".join(bad))

        # Only a local sandbox.
        remote = os.path.join(work, "remote.yaml")
        with open(remote, "w") as f:
            f.write("gateway:\n  base_url: https://pt01.mul-pay.jp/payment/\n"
                    "shop:\n  id: tshop00000001\n  password: %s\n" % SHOP_PASS)
        rc, _, err = clock("show", config=remote)
        check(rc == 2 and "refusing" in err, "a configuration for GMO-PG's gateway is refused")
        for bad_url in ("https://127.0.0.1.example.com/payment/", "https://user@127.0.0.1/x/",
                        "https://[::2]:1/payment/", "ftp://127.0.0.1/payment/"):
            with open(remote, "w") as f:
                f.write("gateway:\n  base_url: %s\nshop:\n  id: t\n  password: p\n" % bad_url)
            rc, _, err = clock("show", config=remote)
            check(rc == 2 and "refusing" in err, "refused: " + bad_url)
        nourl = os.path.join(work, "nourl.yaml")
        with open(nourl, "w") as f:
            f.write("shop:\n  id: tshop00000001\n  password: p\n")
        rc, _, err = clock("show", config=nourl)
        check(rc == 2 and "base_url" in err, "a configuration without gateway.base_url is refused")

        envcfg = os.path.join(work, "env.yaml")
        with open(envcfg, "w") as f:
            f.write("gateway:\n  base_url: ${PMP_TEST_BASE}\n  ca_file: ${PMP_TEST_CA}\n"
                    "shop:\n  id: tshop00000001\n  password: ${PAID_SHOP_PASS}\n")
        os.environ["PMP_TEST_BASE"], os.environ["PMP_TEST_CA"] = sbx.url, sbx.ca
        rc, out, _ = clock("show", config=envcfg)
        check(rc == 0 and "2099-" in out, "${ENV} values of the configuration are read")
        del os.environ["PMP_TEST_BASE"]
        rc, _, err = clock("show", config=envcfg)
        check(rc == 2 and "PMP_TEST_BASE" in err, "an unset ${ENV} is named")

        plain = Sandbox(sandbox_exe, work, name="plain", extra=["--http"])
        pcfg = os.path.join(work, "plain.yaml")
        with open(pcfg, "w") as f:
            f.write("gateway:\n  base_url: \"%s\"\nshop:\n  id: tshop00000001\n"
                    "  password: %s\n" % (plain.url, SHOP_PASS))
        rc, out, _ = clock("set", "2099-03-03T03:03:03", config=pcfg)
        check(rc == 0 and "-> 2099-03-03T03:03:03" in out, "a plain-HTTP sandbox (no ca_file)")

        check(all(SHOP_PASS not in o for o in outputs), "no password in any output")
        errlog.flush()
        with open(errlog.name, encoding="utf-8", errors="replace") as f:
            check(sanitizer_clean("".join(outputs) + f.read()),
                  "no sanitizer report from any pmp-host run")
    finally:
        sbx.stop()
        if plain is not None:
            plain.stop()
        errlog.close()
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
