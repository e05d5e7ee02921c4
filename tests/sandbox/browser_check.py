#!/usr/bin/env python3
"""Helper of browser_test.sh: drives a scripted month through paid-sandbox's
protocol and clock (``drive``), then checks the management screen's DOM as
dumped by headless Chromium against the sandbox's own JSON (``check``).

Usage:
    browser_check.py drive READY_FILE
    browser_check.py check READY_FILE DOM_FILE SCREENSHOT

Only the Python standard library is used. Every HTTPS call verifies the
sandbox's generated CA (PAID_SANDBOX_CA).
"""
import html.parser
import json
import ssl
import sys
import urllib.parse
import urllib.request

SHOP = {"ShopID": "tshop00000001", "ShopPass": "sbxpass01"}


class Sandbox:
    def __init__(self, ready_file):
        env = {}
        with open(ready_file, encoding="utf-8") as f:
            for line in f:
                key, _, value = line.strip().partition("=")
                env[key] = value
        self.url = env["PAID_SANDBOX_URL"]
        self.base = self.url[: self.url.index("/payment/")]
        self.ctx = ssl.create_default_context(cafile=env["PAID_SANDBOX_CA"])

    def _open(self, req):
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return r.read()

    def op(self, name, **fields):
        """One idPass operation; returns the answer as a dict."""
        body = urllib.parse.urlencode({**SHOP, **fields}, encoding="cp932").encode()
        req = urllib.request.Request(
            f"{self.url}{name}.idPass", data=body, method="POST",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        raw = self._open(req).decode("cp932")
        answer = dict(p.split("=", 1) for p in raw.split("&") if "=" in p)
        if "ErrCode" in answer:
            raise RuntimeError(f"{name}: {raw}")
        return answer

    def admin(self, method, path):
        req = urllib.request.Request(f"{self.base}/_sandbox/{path}", method=method)
        return json.loads(self._open(req))


def drive(sb):
    """October 2097 to early December: three buyers, orders, a return after
    invoicing, one buyer never paying. Same calendar as tests/sandbox's
    settlement test (deposit dates are weekdays here)."""
    sb.admin("POST", "clock/set?to=2097-10-01T10:00:00")
    buyers = [("alice", "alice", ""), ("nina", "nina-paynever", ""), ("tom", "tom", "20")]
    for buyer_id, local, closing in buyers:
        sb.op("SavePaidBuyer", PaidBuyerID=buyer_id, CompanyName=f"{buyer_id.title()} 株式会社",
              CompanyNameKana="テスト", ZipCode="1000001", Prefecture="東京都",
              Address1="千代田区", Address2="1-1", Tel="0312345678",
              Email=f"{local}@example.com", ClosingDay=closing)
    orders = [("BR-ALICE-1", "alice", 10000, 1000, "20971005"),
              ("BR-ALICE-2", "alice", 20000, 2000, "20971020"),
              ("BR-ALICE-3", "alice", 5000, 500, None),  # cancelled
              ("BR-NINA-1", "nina", 40000, 4000, "20971010"),
              ("BR-TOM-1", "tom", 7000, 700, "20971015")]
    keys = {}
    for order_id, buyer, amount, tax, fixed in orders:
        entry = sb.op("EntryTranPaid", OrderID=order_id, Amount=amount, Tax=tax)
        k = {"AccessID": entry["AccessID"], "AccessPass": entry["AccessPass"],
             "OrderID": order_id}
        keys[order_id] = k
        sb.op("ExecTranPaid", **k, PaidBuyerID=buyer, ClientFieldFlag="0",
              Contents="商品")
        if fixed is None:
            sb.op("PaidCancel", **k)
        else:
            sb.op("PaidSales", **k, FixedAt=fixed)
    sb.admin("POST", "clock/set?to=2097-11-01T10:00:00")      # a month later
    sb.op("PaidReturn", **keys["BR-ALICE-2"])                 # after invoicing
    sb.admin("POST", "clock/set?to=2097-12-06T10:00:00")      # due, dunning, deposit


class Dom(html.parser.HTMLParser):
    """Collects the data rows: kind -> id -> {col: (data-value, text)}."""

    def __init__(self):
        super().__init__()
        self.rows = {}
        self.cards = {}
        self.now = None
        self._row = None
        self._col = None
        self._text = []
        self._in_now = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr" and "data-kind" in a:
            self._row = self.rows.setdefault(a["data-kind"], {}).setdefault(a["data-id"], {})
        elif tag == "td" and self._row is not None and "data-col" in a:
            self._col = (a["data-col"], a.get("data-value"))
            self._text = []
        elif tag == "div" and "data-card" in a:
            self.cards[a["data-card"]] = int(a["data-value"])
        elif tag == "b" and a.get("id") == "now":
            self.now = a.get("data-value")

    def handle_endtag(self, tag):
        if tag == "td" and self._col is not None:
            col, value = self._col
            self._row[col] = (value, "".join(self._text).strip())
            self._col = None
        elif tag == "tr":
            self._row = None

    def handle_data(self, data):
        if self._col is not None:
            self._text.append(data)


class Checker:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def eq(self, what, got, want):
        if got == want:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}: screen {got!r}, expected {want!r}")


def yen(v):
    return f"{v:,}"


def check(sb, dom_file, screenshot):
    dom = Dom()
    with open(dom_file, encoding="utf-8") as f:
        dom.feed(f.read())
    c = Checker()
    rows = dom.rows

    def num(what, row, col, want):
        """A figure on screen: its data-value and the text a person reads."""
        cell = row.get(col, (None, None))
        c.eq(f"{what} {col}", cell[0], str(want))
        c.eq(f"{what} {col} (text)", cell[1], yen(want))

    def text(what, row, col, want):
        c.eq(f"{what} {col}", row.get(col, (None, None))[1], want)

    clock = sb.admin("GET", "clock")
    c.eq("virtual time shown", (dom.now or "")[:13], clock["now"][:13])

    for b in sb.admin("GET", "buyers")["buyers"]:
        row = rows.get("buyer", {}).get(b["buyer_id"], {})
        what = f"buyer {b['buyer_id']}"
        c.eq(f"{what} row", bool(row), True)
        text(what, row, "status", b["status"])
        for col in ("credit_line", "reserved", "rest_amount", "invoiced_amount",
                    "paid_amount", "overdue_amount"):
            num(what, row, col, b[col])
        text(what, row, "dunning_step", b["dunning_step"])
        text(what, row, "closing", b["closing"])
        text(what, row, "payment", b["payment"])

    for t in sb.admin("GET", "transactions")["transactions"]:
        row = rows.get("order", {}).get(t["order_id"], {})
        what = f"order {t['order_id']}"
        c.eq(f"{what} row", bool(row), True)
        text(what, row, "status", t["status"])
        for col in ("amount", "tax", "reserved"):
            num(what, row, col, t[col])
        num(what, row, "total", t["amount"] + t["tax"])
        text(what, row, "invoice_id", t["invoice_id"] or "")
        c.eq(f"{what} has no AccessPass on screen", t["access_pass"] in open(dom_file).read(),
             False)

    for inv in sb.admin("GET", "invoices")["invoices"]:
        row = rows.get("invoice", {}).get(inv["invoice_id"], {})
        what = f"invoice {inv['invoice_id']}"
        c.eq(f"{what} row", bool(row), True)
        for col in ("amount", "tax", "total", "paid_amount", "outstanding"):
            num(what, row, col, inv[col])
        text(what, row, "state", inv["state"])
        text(what, row, "due_date", inv["due_date"])
        text(what, row, "issue_date", inv["issue_date"])
        text(what, row, "dunning_step", inv["dunning_step"])
        lines = row.get("lines", (None, ""))[1]
        for line in inv["lines"]:
            c.eq(f"{what} line {line['order_id']}",
                 f"{line['order_id']} {yen(line['total'])}" in lines, True)

    for d in sb.admin("GET", "deposits")["deposits"]:
        row = rows.get("deposit", {}).get(d["deposit_id"], {})
        what = f"deposit {d['deposit_id']}"
        c.eq(f"{what} row", bool(row), True)
        for col in ("sales", "deductions", "total"):
            num(what, row, col, d[col])
        num(what, row, "lines", len(d["lines"]))
        text(what, row, "deposit_date", d["deposit_date"])
        text(what, row, "state", d["state"])

    for n in sb.admin("GET", "notifications")["notifications"]:
        row = rows.get("notification", {}).get(str(n["id"]), {})
        c.eq(f"notification {n['id']} delivery", row.get("delivery", (None, None))[1],
             n["delivery"])

    # The story itself, independent of the JSON: what a merchant must see.
    buyer = rows.get("buyer", {})
    text("alice", buyer.get("alice", {}), "status", "AVAILABLE")
    num("alice", buyer.get("alice", {}), "rest_amount", 1000000)
    text("nina", buyer.get("nina", {}), "status", "SUSPENDED")
    num("nina", buyer.get("nina", {}), "overdue_amount", 44000)
    text("nina", buyer.get("nina", {}), "dunning_step", "reminder")
    text("order BR-ALICE-2", rows.get("order", {}).get("BR-ALICE-2", {}), "status", "RETURN")
    text("order BR-ALICE-3", rows.get("order", {}).get("BR-ALICE-3", {}), "status", "CANCEL")
    invoices = {(r["buyer_id"][1], r["period"][1][:10]): r for r in rows.get("invoice", {}).values()}
    alice_oct = invoices.get(("alice", "2097-10-01"), {})
    num("alice's October invoice", alice_oct, "total", 33000)
    text("alice's October invoice", alice_oct, "state", "paid")
    alice_nov = invoices.get(("alice", "2097-11-01"), {})
    num("alice's November invoice (the return as a credit)", alice_nov, "total", -22000)
    text("alice's November invoice", alice_nov, "state", "credit")
    nina_oct = invoices.get(("nina", "2097-10-01"), {})
    num("nina's October invoice", nina_oct, "outstanding", 44000)
    text("nina's October invoice", nina_oct, "state", "overdue")
    deposits = {(r["period_end"][1], r["closing"][1]): r
                for r in rows.get("deposit", {}).values()}
    october = deposits.get(("2097-10-31", "end"), {})
    num("October deposit (paid in full, unpaid invoice included)", october, "total", 77000)
    text("October deposit", october, "deposit_date", "2097-12-05")
    text("October deposit", october, "state", "paid")
    tom = deposits.get(("2097-10-20", "20"), {})
    num("tom's 20th-closing deposit", tom, "total", 7700)
    c.eq("cards: buyers", dom.cards.get("buyers"), 3)
    c.eq("cards: overdue", dom.cards.get("overdue"), 44000)

    with open(screenshot, "rb") as f:
        png = f.read()
    c.eq("screenshot is a PNG", png[:8], b"\x89PNG\r\n\x1a\n")
    c.eq("screenshot is not blank", len(png) > 20000, True)

    print(f"{c.passed} passed, {c.failed} failed")
    return 0 if c.failed == 0 else 1


def main(argv):
    if len(argv) >= 3 and argv[1] == "drive":
        drive(Sandbox(argv[2]))
        return 0
    if len(argv) >= 5 and argv[1] == "check":
        return check(Sandbox(argv[2]), argv[3], argv[4])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
