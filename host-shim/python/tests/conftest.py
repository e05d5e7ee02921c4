"""Fixtures: one paid-sandbox per session (over HTTPS, fresh CA), plugin
configurations for it, and helpers. Paths come from the environment that
`meson test --suite python` sets (PMP_PLUGIN, PMP_SANDBOX, PMP_FAKE_PLUGIN,
PMP_FAKE_BADTABLE_PLUGIN); a missing one is an error, not a skip."""

import itertools
import os
import socket
import sys
import time
import urllib.parse

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

import pmp  # noqa: E402
from pmp.sandbox import Sandbox  # noqa: E402

CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "loader",
                      "testdata", "methods")


def _env(name):
    value = os.environ.get(name)
    if not value:
        raise RuntimeError(f"{name} is not set: run the tests with `meson test --suite python`")
    return value


@pytest.fixture(scope="session")
def plugin_path():
    return os.path.abspath(_env("PMP_PLUGIN"))


@pytest.fixture(scope="session")
def fake_plugin():
    return os.path.abspath(_env("PMP_FAKE_PLUGIN"))


@pytest.fixture(scope="session")
def fake_badtable_plugin():
    return os.path.abspath(_env("PMP_FAKE_BADTABLE_PLUGIN"))


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory):
    with Sandbox(_env("PMP_SANDBOX")) as sbx:
        os.environ["PAID_SHOP_PASS"] = sbx.password
        sbx.dir = tmp_path_factory.mktemp("cfg")
        yield sbx


@pytest.fixture(scope="session")
def config(sandbox):
    return sandbox.write_config(str(sandbox.dir / "paid.yaml"))


@pytest.fixture
def paid(plugin_path, config):
    with pmp.Method(plugin_path, config) as m:
        yield m


_counter = itertools.count(1)
_run = format(int(time.time() * 1000) % 10**9, "x")


def uid(prefix):
    """A short unique ID (buyer IDs may have 20 characters, order IDs 27)."""
    return f"{prefix}-{_run}{os.getpid() % 4096:x}-{next(_counter)}"


BUYER = {
    "company_name": "株式会社テスト商事", "company_name_kana": "カブシキガイシャテストショウジ",
    "zip_code": "1500002", "prefecture": "東京都", "address1": "渋谷区渋谷",
    "address2": "1-2-3", "tel": "03-1234-5678",
}


def enroll(method, email="buyer@example.jp"):
    buyer_id = uid("B")
    method.enroll(BUYER, buyer_id=buyer_id, email=email)
    return buyer_id


def notification(**fields):
    """A result notification body as the gateway sends it (protocol.md 7)."""
    base = {
        "ShopID": "tshop00000001", "ShopPass": "*" * 10, "AccessID": "", "AccessPass": "*" * 32,
        "OrderID": "", "Status": "", "JobCd": "", "Amount": "0", "Tax": "0", "Currency": "JPN",
        "PayType": "29", "TranDate": time.strftime("%Y%m%d%H%M%S"), "ErrCode": "",
        "ErrInfo": "", "PaidBuyerID": "", "PaidCode": "", "PaidCancelAmount": "",
        "PaidCancelTax": "",
    }
    base.update({k: str(v) for k, v in fields.items()})
    return urllib.parse.urlencode(base, encoding="cp932").encode("ascii")


def closed_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port
