#!/usr/bin/env python3
"""Black-box test of `pmp-host receive` against a real paid-sandbox that sends
result notifications to it (--notify-url).

    test_receive.py PMP_HOST PLUGIN SANDBOX

The receiver runs as a long-lived service on a fixed loopback port, as a
merchant's would (the gateway is configured with its URL). Checks: the ready
file and the URL on stderr; a sale's notification becomes one JSON line on
stdout and in --out, confirmed by the gateway, and the sandbox records it as
acknowledged ("0"); forged bodies (unknown order, another shop, garbage) are
answered 400 and never stored, a forged state for a real order is stored as
the gateway's state with matches_gateway false and apply false; GET is 405, an
oversized body 413; a resend and a replayed body are answered "0" but stored
once; a cancel is notified; a connectivity test is answered and not stored;
SIGTERM stops it cleanly; a restart reads the keys back from --out (a resend
is not stored twice), --max stops it, a torn last line is cut off; when the
store fails (stdout closed, no --out) the answer is 500 and the sandbox
resends; a non-loopback --bind is refused; no password in any output.
"""
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cli_testlib import (SHOP_PASS, Host, Sandbox, check, die, enroll_request,  # noqa: E402
                         finish, free_port, http_get, http_post, read_ready, sanitizer_clean,
                         wait_for)


def lines_of(path):
    if not os.path.exists(path):
        return []
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
    return out


class Receiver:
    def __init__(self, host, work, port, out=None, extra=(), tag="r", stdout_pipe=False):
        self.ready = os.path.join(work, tag + ".ready")
        self.stdout_path = os.path.join(work, tag + ".stdout")
        self.stderr_path = os.path.join(work, tag + ".stderr")
        args = host.base() + ["receive", "--port", str(port), "--ready-file", self.ready]
        if out:
            args += ["--out", out]
        args += list(extra)
        self.err = open(self.stderr_path, "w")
        if stdout_pipe:
            self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self.err)
            self.proc.stdout.close()  # the handler's stdout now fails (EPIPE)
            self.outf = None
        else:
            self.outf = open(self.stdout_path, "w")
            self.proc = subprocess.Popen(args, stdout=self.outf, stderr=self.err)
        ok = wait_for(lambda: read_ready(self.ready).get("PMP_RECEIVER_READY") == "1"
                      or self.proc.poll() is not None, timeout=20)
        self.url = read_ready(self.ready).get("PMP_RECEIVER_URL")
        if not ok or self.url is None:
            self.stop()
            die("the receiver did not start: " + self.stderr())

    def stderr(self):
        if not self.err.closed:
            self.err.flush()
        with open(self.stderr_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stdout(self):
        if self.outf is None:
            return ""
        if not self.outf.closed:
            self.outf.flush()
        with open(self.stdout_path, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()
        if self.outf is not None:
            self.outf.close()
        return self.proc.returncode


def notifications(sbx, order):
    return sbx.admin("_sandbox/notifications?order_id=" + order)["notifications"]


def all_acknowledged(sbx):
    return all(n["acknowledged"] for n in sbx.admin("_sandbox/notifications")["notifications"])


def main():
    if len(sys.argv) != 4:
        raise SystemExit(__doc__)
    host_exe, plugin, sandbox_exe = sys.argv[1:]
    work = tempfile.mkdtemp(prefix="pmp-receive-test-")
    port = free_port()
    url = "http://127.0.0.1:%d/" % port
    sbx = Sandbox(sandbox_exe, work, extra=["--notify-url", url + "notify",
                                            "--notify-interval", "1", "--notify-retries", "3"])
    errlog = open(os.path.join(work, "pmp-host.stderr"), "w")
    host = Host(host_exe, plugin, sbx.config(os.path.join(work, "config.yaml")), errlog)
    events = os.path.join(work, "events.jsonl")
    prefix = "RCV%d" % (os.getpid() % 100000)
    receivers = []
    try:
        rc, _, err = host.run("receive", "--bind", "0.0.0.0")
        check(rc == 2 and "loopback" in err, "--bind 0.0.0.0 is refused (exit 2)")
        rc, _, err = host.run("receive", "--bind", "192.168.1.1")
        check(rc == 2, "--bind 192.168.1.1 is refused (exit 2)")

        r = Receiver(host, work, port, out=events)
        receivers.append(r)
        check(r.url == url, "the ready file names the URL %s" % url)
        check(("listening on " + url) in r.stderr(), "the listening URL is printed on start")

        # A sale: its notification becomes one stored JSON line.
        buyer = prefix + "-B"
        check(host.op("enroll", enroll_request(buyer, "recv@example.jp"))[0] == 0, "enroll")
        o1 = prefix + "-1"
        check(host.op("authorize", {"order_id": o1, "buyer_id": buyer, "amount": 1000,
                                    "tax": 100})[0] == 0, "authorize " + o1)
        check(host.op("capture", {"order_id": o1})[0] == 0, "capture " + o1)
        got = wait_for(lambda: [e for e in lines_of(events) if e["order_id"] == o1])
        check(len(got) == 1, "the sale's notification is stored as one line in --out")
        e1 = got[0] if got else {}
        check(e1.get("status") == "captured" and e1.get("notified_status") == "SALES"
              and e1.get("confirmed") is True and e1.get("matches_gateway") is True
              and e1.get("apply") is True,
              "the line: captured, confirmed by the gateway, matches, apply")
        check(re.fullmatch(r"[0-9a-f]{64}", e1.get("event_key", "")) is not None,
              "the line carries the 64-hex event_key")
        check(e1.get("event", {}).get("amount") == 1000 and e1.get("event", {}).get("buyer_id")
              == buyer, "the line carries the gateway's event (amount, buyer)")
        out_lines = [json.loads(x) for x in r.stdout().splitlines() if x.strip()]
        check(out_lines == got, "stdout has the same JSON line")
        n1 = wait_for(lambda: [n for n in notifications(sbx, o1) if n["acknowledged"]])
        check(len(n1) == 1 and n1[0]["last_answer"] == "0" and n1[0]["attempts"] == 1,
              "the sandbox records the notification acknowledged with \"0\" at the first send")

        # Forged and wrong requests.
        forged = ("ShopID=tshop00000001&ShopPass=**********&AccessID=&AccessPass=&OrderID=%s"
                  "&Status=%s&JobCd=%s&Amount=1000&Tax=100&Currency=JPN&PayType=29"
                  "&TranDate=20991231235959&ErrCode=&ErrInfo=&PaidBuyerID=%s&PaidCode="
                  "&PaidCancelAmount=&PaidCancelTax=")
        before = len(lines_of(events))
        st, body = http_post(url, (forged % ("NO-SUCH-ORDER", "SALES", "SALES", buyer)).encode())
        check(st == 400 and body != b"0", "a forged body for an unknown order: 400, not \"0\" "
              "(got %d %r)" % (st, body))
        other = (forged % (o1, "SALES", "SALES", buyer)).replace("tshop00000001", "tshopOTHER")
        st, body = http_post(url, other.encode())
        check(st == 400 and body != b"0", "a body for another shop: 400, not \"0\"")
        st, body = http_post(url, b"\x82\xa0garbage&&==")
        check(st == 400 and body != b"0", "a malformed body: 400, not \"0\"")
        st, body = http_post(url, b"ShopID=tshop00000001", content_type="application/json")
        check(st == 400 and body != b"0", "a body declared as JSON: 400, not \"0\"")
        check(len(lines_of(events)) == before, "none of them was stored")
        st, body = http_post(url, (forged % (o1, "RETURN", "RETURN", buyer)).encode())
        check(st == 200 and body == b"0", "a forged RETURN for a real order is answered \"0\"")
        fl = lines_of(events)[before:]
        check(len(fl) == 1 and fl[0]["status"] == "captured" and fl[0]["matches_gateway"] is False
              and fl[0]["notified_status"] == "RETURN" and fl[0]["apply"] is False,
              "... and stored as the gateway's state (captured), matches_gateway false, apply "
              "false")
        st, _ = http_get(url)
        check(st == 405, "GET is answered 405")
        st, body = http_post(url, b"A=" + b"x" * (70 * 1024))
        check(st == 413 and body != b"0", "a body over 64 KiB is answered 413")

        # Duplicates: the sandbox's resend, and the same bytes posted again.
        lines_before = lines_of(events)
        nid = n1[0]["id"] if n1 else 0
        sbx.admin("_sandbox/notifications/%d/resend" % nid, "POST")
        dup = wait_for(lambda: [a for a in sbx.admin("_sandbox/notifications/%d" % nid)
                                ["attempt_log"] if a["duplicate"]])
        check(len(dup) == 1 and dup[0]["answer"] == "0" and dup[0]["http_status"] == 200,
              "the sandbox's byte-identical resend is answered \"0\"")
        raw = n1[0]["body"].encode("ascii") if n1 else b""
        st, body = http_post(url, raw)
        check(st == 200 and body == b"0", "the same body posted again is answered \"0\"")
        check(lines_of(events) == lines_before, "... and neither was stored a second time")
        check(r.stderr().count("duplicate") >= 2, "the receiver logs them as duplicates")

        # A cancel is notified too.
        o2 = prefix + "-2"
        host.op("authorize", {"order_id": o2, "buyer_id": buyer, "amount": 500})
        check(host.op("void", {"order_id": o2})[0] == 0, "void " + o2)
        got = wait_for(lambda: [e for e in lines_of(events) if e["order_id"] == o2])
        check(len(got) == 1 and got[0]["status"] == "voided"
              and got[0]["notified_status"] == "CANCEL", "the cancel is stored (voided)")

        # GMO-PG's connectivity test: answered, nothing stored.
        count = len(lines_of(events))
        t = sbx.admin("_sandbox/notifications/test", "POST")
        acked = wait_for(lambda: sbx.admin("_sandbox/notifications/%d" % t["id"])["acknowledged"])
        check(acked and len(lines_of(events)) == count,
              "a connectivity test is answered \"0\" and not stored")

        wait_for(lambda: all_acknowledged(sbx))
        rc = r.stop()
        err = r.stderr()
        check(rc == 0 and "stopped by SIGTERM" in err, "SIGTERM stops it (exit 0)")
        m = re.search(r"(\d+) events? stored, (\d+) duplicates?, (\d+) rejected", err)
        check(m is not None and m.group(1) == "3" and int(m.group(2)) >= 2
              and m.group(3) == "5",
              "the summary: 3 stored, 2 duplicates, 5 rejected (%s)" % (m.group(0) if m else err))
        check(not os.path.exists(r.ready), "the ready file is removed at exit")

        # A restart reads the keys back: a resend is still a duplicate.
        stored = lines_of(events)
        r = Receiver(host, work, port, out=events, extra=["--max", "1"], tag="r2")
        receivers.append(r)
        check(("%d events already there" % len(stored)) in r.stderr(),
              "a restart reads the %d stored events back" % len(stored))
        sbx.admin("_sandbox/notifications/%d/resend" % nid, "POST")
        wait_for(lambda: len([a for a in sbx.admin("_sandbox/notifications/%d" % nid)
                              ["attempt_log"] if a["duplicate"]]) == 2)
        dup = [a for a in sbx.admin("_sandbox/notifications/%d" % nid)["attempt_log"]
               if a["duplicate"]]
        check(len(dup) == 2 and dup[-1]["answer"] == "0" and lines_of(events) == stored,
              "after the restart a resend is answered \"0\" and not stored again")
        check(r.proc.poll() is None, "a duplicate does not count towards --max")
        o3 = prefix + "-3"
        host.op("authorize", {"order_id": o3, "buyer_id": buyer, "amount": 700})
        host.op("capture", {"order_id": o3})
        exited = wait_for(lambda: r.proc.poll() is not None)
        check(exited and r.proc.returncode == 0, "--max 1 stops it after one stored event")
        check([e["order_id"] for e in lines_of(events)[len(stored):]] == [o3],
              "... which is the new sale")
        wait_for(lambda: all_acknowledged(sbx))
        check(all_acknowledged(sbx), "the sandbox has every notification acknowledged")
        r.stop()

        # A torn last line (the process died in the write) is cut off.
        with open(events, "rb") as f:
            whole = f.read()
        with open(events, "ab") as f:
            f.write(b'{"received_at":"2099-01-01T00:00:00Z","event_key":"ab')
        r = Receiver(host, work, port, out=events, tag="r3")
        receivers.append(r)
        with open(events, "rb") as f:
            check(f.read() == whole and "unfinished last line" in r.stderr(),
                  "a torn last line in --out is dropped at start")
        r.stop()

        # --out must be a regular file.
        rc, _, err = host.run("receive", "--port", "0", "--out", "/dev/null")
        check(rc == 1 and "not a regular file" in err, "--out /dev/null is refused")

        # The store fails (stdout closed, no --out): 500, and the gateway resends.
        r = Receiver(host, work, port, tag="r4", stdout_pipe=True)
        receivers.append(r)
        o4 = prefix + "-4"
        host.op("authorize", {"order_id": o4, "buyer_id": buyer, "amount": 900})
        host.op("capture", {"order_id": o4})
        att = wait_for(lambda: [a for n in notifications(sbx, o4) for a in n["attempt_log"]
                                if a["http_status"]], timeout=10)
        check(bool(att) and att[0]["http_status"] == 500 and att[0]["answer"] != "0",
              "a failed store is answered 500, not \"0\" (%s)" % (att[:1],))
        again = wait_for(lambda: len([a for n in notifications(sbx, o4)
                                      for a in n["attempt_log"]]) >= 2, timeout=10)
        check(again and not notifications(sbx, o4)[0]["acknowledged"],
              "... so the sandbox sends it again and it stays unacknowledged")
        check("the handler failed" in r.stderr(), "the receiver says the handler failed")
        r.stop()

        everything = "".join(x.stderr() + x.stdout() for x in receivers)
        with open(events, encoding="utf-8") as f:
            everything += f.read()
        check(SHOP_PASS not in everything, "no password in the receiver's output or file")
        errlog.flush()
        with open(errlog.name, encoding="utf-8", errors="replace") as f:
            everything += f.read()
        check(sanitizer_clean(everything), "no sanitizer report from any pmp-host run")
    finally:
        for x in receivers:
            x.stop()
        sbx.stop()
        errlog.close()
    return finish(work)


if __name__ == "__main__":
    sys.exit(main())
