"""Methods as configuration: the methods file, capabilities per method, and
the eligible methods for a cart."""

import os
import re

import pytest

import pmp
from conftest import CORPUS, enroll, uid


@pytest.fixture
def methods_file(tmp_path, plugin_path, config):
    path = tmp_path / "methods.yaml"
    path.write_text(f"""# Two entries on the one real plugin (paid): the second has its own
# label and configuration file, which proves the list; the third is off.
methods:
  - name: paid
    label: "Paid (invoice, month-end)"
    plugin: {plugin_path}
    config: {config}
  - name: paid-second-shop
    label: 'Paid, second shop'
    plugin: {plugin_path}
    config: {config}
  - name: paid-off
    label: Switched off
    plugin: /nonexistent/libnothing.so
    config: nowhere.yaml
    enabled: false
""")
    return path


def test_list_and_capabilities(methods_file):
    with pmp.Methods(methods_file) as ms:
        assert len(ms) == 2 and ms.names() == ["paid", "paid-second-shop"]
        assert "paid" in ms and "paid-off" not in ms
        d = ms.describe()
        assert [x["label"] for x in d] == ["Paid (invoice, month-end)", "Paid, second shop"]
        assert d[0]["capabilities"]["payer_enrollment"] is True and d[0]["method"] == "paid"
        assert ms.capabilities("paid").payer_enrollment
        m = ms["paid"]
        assert (m.name, m.label) == ("paid", "Paid (invoice, month-end)")
        assert [x.name for x in ms] == ["paid", "paid-second-shop"]
        with pytest.raises(KeyError):
            ms["card"]
    assert m.closed


def test_eligibility(methods_file):
    with pmp.Methods(methods_file) as ms:
        b = enroll(ms["paid"])
        offers = ms.offers(buyer_id=b, amount=120000, tax=12000)
        assert [(o.name, o.eligible, o.reason, o.rest_amount) for o in offers] == [
            ("paid", True, "ok", 1_000_000), ("paid-second-shop", True, "ok", 1_000_000)]
        assert ms.eligible(buyer_id=b, amount=990000, tax=99000) == []
        assert ms.check("paid", buyer_id=b, amount=990000, tax=99000).reason == \
            "credit_line_exceeded"
        o = ms.check("paid", buyer_id=uid("NB"), amount=1000)
        assert (o.eligible, o.reason) == (False, "buyer_not_enrolled")
        assert isinstance(o.error, pmp.NotFoundError)
        rej = enroll(ms["paid"], "reject@example.jp")
        assert ms.check("paid", buyer_id=rej, amount=1000).reason == "buyer_rejected"
        rev = enroll(ms["paid"], "review@example.jp")
        assert ms.check("paid", buyer_id=rev, amount=1000).reason == "buyer_screening"
        assert ms.check("paid", amount=1000).reason == "no_buyer"
        assert ms.check("paid", buyer_id=b, amount=0).reason == "amount_out_of_range"
        with pytest.raises(pmp.InvalidArgumentError):
            ms.check("paid", buyer_id=b, amount=-1)


def test_a_second_kind_of_plugin(tmp_path, plugin_path, config, fake_plugin):
    """The test-only fake plugin does not screen buyers (amounts 1..1000)."""
    path = tmp_path / "mixed.yaml"
    path.write_text(f"methods:\n  - name: paid\n    label: Paid\n    plugin: {plugin_path}\n"
                    f"    config: {config}\n  - name: other\n    label: Other (fake)\n"
                    f"    plugin: {fake_plugin}\n    config: /dev/null\n")
    with pmp.Methods(path) as ms:
        b = enroll(ms["paid"])
        assert [o.name for o in ms.eligible(amount=500)] == ["other"]
        assert [o.name for o in ms.eligible(buyer_id=b, amount=500)] == ["paid", "other"]
        assert [o.name for o in ms.eligible(buyer_id=b, amount=5000)] == ["paid"]


def test_relative_paths_resolve_against_the_file(tmp_path, plugin_path, config):
    sub = tmp_path / "shop"
    sub.mkdir()
    (sub / "paid.yaml").write_text(open(config).read())
    (sub / "methods.yaml").write_text(
        f"methods:\n  - name: paid\n    label: Paid\n    plugin: {plugin_path}\n"
        f"    config: paid.yaml\n")
    entries = pmp.read_methods_file(sub / "methods.yaml")
    assert entries[0].config == os.path.join(str(sub), "paid.yaml")
    with pmp.Methods(sub / "methods.yaml") as ms:
        assert ms.names() == ["paid"]


def test_a_broken_method_fails_the_whole_list(tmp_path, plugin_path, sandbox):
    bad = tmp_path / "bad.yaml"
    bad.write_text(sandbox.config_text().replace("shop:\n", "shop:\n  colour: blue\n"))
    path = tmp_path / "methods.yaml"
    path.write_text(f"methods:\n  - name: paid\n    label: Paid\n    plugin: {plugin_path}\n"
                    f"    config: bad.yaml\n")
    with pytest.raises(pmp.ConfigError) as ei:
        pmp.Methods(path)
    assert re.search(r"methods\.yaml:2: paid: .*bad\.yaml:\d+: shop\.colour", str(ei.value))


def _corpus():
    return sorted(f for f in os.listdir(CORPUS) if f.endswith(".yaml"))


@pytest.mark.parametrize("name", _corpus())
def test_corpus_shared_with_the_c_loader(name, tmp_path, plugin_path, config):
    with open(os.path.join(CORPUS, name), encoding="utf-8") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    path = tmp_path / name
    path.write_text(text.replace("@PLUGIN@", plugin_path).replace("@CONFIG@", config),
                    encoding="utf-8")
    m = re.match(r"# expect: ok (\d+)$", first)
    if m:
        with pmp.Methods(path) as ms:
            assert len(ms) == int(m.group(1))
        return
    m = re.match(r"# expect: error (\d+): (.*)$", first)
    assert m, "no expect line"
    with pytest.raises(pmp.PmpError) as ei:
        pmp.Methods(path)
    assert f"{name}:{m.group(1)}: {m.group(2)}" in str(ei.value)


def test_corpus_styles_are_read_exactly(tmp_path, plugin_path, config):
    text = open(os.path.join(CORPUS, "ok-styles.yaml"), encoding="utf-8").read()
    path = tmp_path / "styles.yaml"
    path.write_text(text.replace("@PLUGIN@", plugin_path).replace("@CONFIG@", config))
    e = pmp.read_methods_file(path)
    assert [x.label for x in e] == ['Paid "BtoB" 請求書', "It's Paid # not a comment"]


@pytest.mark.parametrize("text, message", [
    ("methods: [{name: x}]\n", "1: methods: must be a list"),
    ("methods:\n  - name: &a paid\n", "not supported"),
    ("methods:\n  - name: paid\n    label: |\n      x\n", "not supported"),
    ("methods:\n\t- name: paid\n", "tabs"),
    ("methods:\n  - name: paid\n    label: Paid: invoice\n", "quote it"),
    ("methods:\n  - name: paid\n    label: 'open\n", "unterminated"),
], ids=["flow", "anchor", "block-scalar", "tab", "colon", "unterminated"])
def test_python_reader_refuses_what_it_does_not_read(tmp_path, text, message):
    path = tmp_path / "m.yaml"
    path.write_text(text)
    with pytest.raises(pmp.MethodsFileError) as ei:
        pmp.read_methods_file(path)
    assert message in str(ei.value)
