"""Loading plugins and configurations; lifetime of a Method."""

import ctypes
import gc
import pickle

import pytest

import pmp
from pmp import _abi


def test_layout_matches_the_frozen_v1_layout():
    assert ctypes.sizeof(_abi.Error) == 624
    assert ctypes.sizeof(_abi.InitArgs) == 40
    assert ctypes.sizeof(_abi.HostServices) == 48
    assert ctypes.sizeof(_abi.Api) == 168
    assert _abi.V1_API_SIZE == 168


def test_missing_plugin_is_a_loader_error(config):
    with pytest.raises(pmp.LoaderError) as ei:
        pmp.Method("/nonexistent/libpmp_x.so", config)
    assert ei.value.code == pmp.LoaderError.OPEN
    assert "/nonexistent/libpmp_x.so" in str(ei.value)


def test_library_without_pmp_get_api(config):
    with pytest.raises(pmp.LoaderError) as ei:
        pmp.Method("/usr/lib/x86_64-linux-gnu/libc.so.6", config)
    assert ei.value.code == pmp.LoaderError.SYMBOL


def test_table_for_another_major_is_refused(fake_badtable_plugin):
    with pytest.raises(pmp.LoaderError) as ei:
        pmp.Method.from_config_text(fake_badtable_plugin, "")
    assert ei.value.code == pmp.LoaderError.TABLE
    assert "ABI major 2" in ei.value.message


def test_missing_config_file(plugin_path):
    with pytest.raises(pmp.LoaderError) as ei:
        pmp.Method(plugin_path, "/nonexistent/paid.yaml")
    assert ei.value.code == pmp.LoaderError.CONFIG_FILE


def test_bad_config_names_file_line_and_key(plugin_path, sandbox, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(sandbox.config_text().replace("shop:\n", "shop:\n  colour: blue\n"))
    with pytest.raises(pmp.ConfigError) as ei:
        pmp.Method(plugin_path, bad)
    e = ei.value
    assert e.code == -3 and not e.retryable and e.operation == "init"
    assert "bad.yaml:" in e.message and "shop.colour" in e.message


def test_from_config_text_names_its_origin(plugin_path, config):
    with pytest.raises(pmp.ConfigError) as ei:
        pmp.Method.from_config_text(plugin_path, "shop:\n  id: x\n  bogus: 1\n", origin="db")
    assert ei.value.message.startswith("db:")
    with open(config) as f:
        with pmp.Method.from_config_text(plugin_path, f.read()) as m:
            assert m.capabilities().status == "ok"


def test_exactly_one_config_source(plugin_path, config):
    with pytest.raises(TypeError):
        pmp.Method(plugin_path)
    with pytest.raises(TypeError):
        pmp.Method(plugin_path, config, config_text="x")


def test_identity_and_close(plugin_path, config):
    m = pmp.Method(plugin_path, config)
    assert m.name == "paid" and m.label == "paid"
    assert m.plugin.method_name == "paid" and m.plugin.abi[0] == pmp.ABI_MAJOR
    assert "open" in repr(m)
    m.close()
    m.close()
    assert m.closed and "closed" in repr(m)
    with pytest.raises(pmp.InvalidArgumentError) as ei:
        m.status(order_id="X-1")
    assert ei.value.operation == "status"


def test_context_manager_closes(plugin_path, config):
    with pmp.Method(plugin_path, config) as m:
        pass
    assert m.closed


def test_plugin_is_loaded_once(plugin_path):
    assert pmp.Plugin.open(plugin_path) is pmp.Plugin.open(plugin_path)


def test_many_methods_are_released(plugin_path, config):
    for _ in range(50):
        m = pmp.Method(plugin_path, config)
        m.capabilities()
        del m
    gc.collect()


def test_exceptions_pickle():
    e = pmp.errors.error_for_code(-5, "lost", gateway_code="E01|E02", retryable=True,
                                  operation="authorize")
    e2 = pickle.loads(pickle.dumps(e))
    assert type(e2) is pmp.OutcomeUnknownError
    assert (e2.code, e2.gateway_codes, e2.retryable, e2.operation) == \
        (-5, ("E01", "E02"), True, "authorize")
