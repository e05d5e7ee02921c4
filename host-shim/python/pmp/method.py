"""pmp.Method: one configured payment method (one plugin context).

Loading follows docs/ABI.md section 3, like the C loader: dlopen with
RTLD_NOW | RTLD_LOCAL, ``pmp_get_api(1)``, then the table is accepted only if
it says ABI major 1, is large enough for every v1 member and has none NULL.
"""

import contextlib
import ctypes
import json
import logging
import os
import threading

from . import _abi
from .errors import (InternalError, InvalidArgumentError, InvalidRequestError, LoaderError,
                     error_for_code)
from .results import RESULT_TYPES

__all__ = ["Method", "Plugin", "CONFIG_MAX"]

#: Largest configuration file read, in bytes (as PMP_LOADER_CONFIG_MAX).
CONFIG_MAX = 1024 * 1024

_LOG_LEVELS = {
    _abi.LOG_ERROR: logging.ERROR,
    _abi.LOG_WARN: logging.WARNING,
    _abi.LOG_INFO: logging.INFO,
    _abi.LOG_DEBUG: logging.DEBUG,
}

_plugins = {}
_plugins_lock = threading.Lock()


class Plugin:
    """A loaded plugin shared object and its verified function table.

    Plugins are cached by path: opening the same path twice returns the same
    object (ctypes never unloads a library, and neither does this class).
    """

    def __init__(self, path):
        path = os.fspath(path)
        if not path:
            raise InvalidArgumentError("plugin path is empty", code=_abi.E_INVALID_ARG)
        self.path = path
        try:
            self._lib = ctypes.CDLL(path, mode=os.RTLD_NOW | os.RTLD_LOCAL)
        except OSError as e:
            raise LoaderError(str(e), code=LoaderError.OPEN) from None
        try:
            get_api = _abi.GET_API_FN(("pmp_get_api", self._lib))
        except AttributeError:
            raise LoaderError(f"{path}: no symbol pmp_get_api",
                              code=LoaderError.SYMBOL) from None
        table = ctypes.POINTER(_abi.Api)()
        rc = get_api(_abi.ABI_MAJOR, ctypes.byref(table))
        if rc != _abi.OK:
            raise error_for_code(rc, f"{path}: pmp_get_api({_abi.ABI_MAJOR}) refused with code "
                                     f"{rc}")
        if not table:
            raise LoaderError(f"{path}: pmp_get_api returned 0 but no table",
                              code=LoaderError.TABLE)
        api = table.contents
        if api.abi_major != _abi.ABI_MAJOR:
            raise LoaderError(f"{path}: pmp_get_api({_abi.ABI_MAJOR}) returned a table for ABI "
                              f"major {api.abi_major}", code=LoaderError.TABLE)
        if api.struct_size < _abi.V1_API_SIZE:
            raise LoaderError(f"{path}: function table is {api.struct_size} bytes, ABI 1.0 "
                              f"needs at least {_abi.V1_API_SIZE}", code=LoaderError.TABLE)
        for member in _abi.V1_MEMBERS:
            if not getattr(api, member):
                raise LoaderError(f"{path}: function table member {member} is NULL",
                                  code=LoaderError.TABLE)
        self.api = api
        #: The payment method's short name, e.g. "paid".
        self.method_name = api.method_name.decode()
        #: The plugin's release version (semver).
        self.version = api.plugin_version.decode()
        #: (abi_major, abi_minor) of the plugin.
        self.abi = (api.abi_major, api.abi_minor)

    @classmethod
    def open(cls, path):
        """The plugin at path, loaded once per process."""
        key = os.fspath(path)
        with _plugins_lock:
            plugin = _plugins.get(key)
            if plugin is None:
                plugin = _plugins[key] = cls(key)
            return plugin

    def strerror(self, code):
        """The plugin's static English text for a return code."""
        text = self.api.strerror(code)
        return text.decode("utf-8", "replace") if text else "unknown error"


def _read_config(path):
    """Reads a configuration file into a bytearray that the caller wipes
    (it may hold the shop password)."""
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            if size > CONFIG_MAX:
                raise LoaderError(f"{path}: larger than {CONFIG_MAX} bytes",
                                  code=LoaderError.CONFIG_FILE)
            buf = bytearray(size + 1)
            n = f.readinto(buf)
            if n > size or f.read(1):
                raise LoaderError(f"{path}: changed while read", code=LoaderError.CONFIG_FILE)
            del buf[n:]
            return buf
    except IsADirectoryError:
        raise LoaderError(f"{path}: is a directory", code=LoaderError.CONFIG_FILE) from None
    except OSError as e:
        raise LoaderError(f"{path}: {e.strerror}", code=LoaderError.CONFIG_FILE) from None


def _encode_request(operation, request, fields):
    if request is None:
        request = {}
    elif not isinstance(request, dict):
        try:
            request = dict(request)
        except (TypeError, ValueError):
            raise InvalidRequestError("the request must be a mapping (a JSON object)",
                                      code=_abi.E_INVALID_REQUEST,
                                      operation=operation) from None
    if fields:
        request = {**request, **fields}
    try:
        text = json.dumps(request, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return text.encode("utf-8")
    except (TypeError, ValueError, UnicodeEncodeError) as e:
        raise InvalidRequestError(f"the request cannot be encoded as JSON: {e}",
                                  code=_abi.E_INVALID_REQUEST, operation=operation) from None


class Method:
    """One payment method: a plugin context created from a configuration.

    ``Method(plugin_path, config_path)`` loads the plugin (once per process)
    and initialises a context from the YAML file; :meth:`from_config_text`
    takes the YAML as a string. Use it as a context manager, or call
    :meth:`close`; a Method that is garbage-collected is closed too.

    Operations take the request of docs/operations.md as a mapping and/or
    keyword arguments, and return a typed result (see :mod:`pmp.results`)::

        with pmp.Method("/usr/lib/x86_64-linux-gnu/libpmp_paid.so.1",
                        "/etc/shop/paid.yaml") as paid:
            r = paid.authorize(order_id="ORD-1", buyer_id="B-1", amount=1000)
            if r.status == "declined":
                print(r.decline.reason)

    Threads: every operation may run from any number of threads at once on
    one Method (the plugin allows it, and ctypes releases the GIL during the
    call). :meth:`close` waits for the calls in flight and refuses new ones.

    Logging: the plugin's log lines go to the :mod:`logging` logger given as
    ``logger`` (default ``logging.getLogger("pmp.<method>")``), mapped to
    ERROR, WARNING, INFO and DEBUG. ``logger=False`` gives the plugin no
    logger at all. Log lines never contain secrets.

    Fork: a Method opened before ``os.fork()`` raises :class:`ForkedError`
    in the child; open a new one there.
    """

    def __init__(self, plugin, config=None, *, config_text=None, origin=None, logger=None,
                 name=None, label=None):
        if (config is None) == (config_text is None):
            raise TypeError("give exactly one of config (a file) or config_text")
        self._ctx = None
        self._closed = False
        self._active = 0
        self._cond = threading.Condition()
        self._pid = os.getpid()
        self._plugin = plugin if isinstance(plugin, Plugin) else Plugin.open(plugin)
        self._api = self._plugin.api
        #: The method's name: the methods-file entry's name, else the plugin's.
        self.name = name or self._plugin.method_name
        #: What the buyer sees; the method's name unless a methods file says.
        self.label = label or self.name
        if logger is None:
            logger = logging.getLogger("pmp." + self._plugin.method_name)
        self._logger = logger or None
        # The host services and the callback must outlive the context: they
        # are attributes of this object until close() has shut it down.
        self._log_cb = _abi.LOG_FN(self._log) if self._logger else _abi.LOG_FN()
        self._host = _abi.HostServices()
        self._host.struct_size = ctypes.sizeof(_abi.HostServices)
        self._host.log = self._log_cb

        if config is not None:
            config = os.fspath(config)
            text = _read_config(config)
            origin = origin or config
        else:
            if isinstance(config_text, str):
                config_text = config_text.encode("utf-8")
            text = bytearray(config_text)
            origin = origin or "inline"
        try:
            if b"\0" in text:
                raise LoaderError(f"{origin}: contains a NUL byte, not a YAML text file",
                                  code=LoaderError.CONFIG_FILE)
            # Copied straight from the bytearray into a C buffer (no
            # immutable bytes copy of the password), both wiped below.
            buf = (ctypes.c_char * (len(text) + 1))()
            if text:
                ctypes.memmove(buf, (ctypes.c_char * len(text)).from_buffer(text), len(text))
            try:
                args = _abi.InitArgs()
                args.struct_size = ctypes.sizeof(_abi.InitArgs)
                args.flags = 0
                args.config = ctypes.cast(buf, ctypes.c_void_p)
                args.config_len = len(text)
                args.config_origin = origin.encode("utf-8", "replace")
                args.host = ctypes.pointer(self._host)
                ctx = ctypes.c_void_p()
                err = _abi.Error.new()
                rc = self._api.init(ctypes.byref(args), ctypes.byref(ctx), ctypes.byref(err))
            finally:
                ctypes.memset(buf, 0, len(text) + 1)
        finally:
            text[:] = bytes(len(text))
        if rc != _abi.OK:
            raise self._error(rc, err, "init")
        if not ctx:
            raise InternalError("plugin init returned 0 but no context",
                                code=_abi.E_INTERNAL, operation="init")
        self._ctx = ctx

    @classmethod
    def from_config_text(cls, plugin, text, *, origin="inline", **kwargs):
        """A Method from configuration YAML given as a str or bytes."""
        return cls(plugin, config_text=text, origin=origin, **kwargs)

    # -- plumbing ----------------------------------------------------------

    def _log(self, _user_data, level, msg, length):
        # Called by the plugin, on the thread making a plugin call. ctypes
        # holds the GIL here; an exception must not escape into C.
        try:
            text = ctypes.string_at(msg, length).decode("utf-8", "replace")
            self._logger.log(_LOG_LEVELS.get(level, logging.INFO), "%s", text)
        except Exception:  # noqa: BLE001 - never unwind into the plugin
            pass

    def _error(self, rc, err, operation):
        if err.code == rc:
            message = err.message.decode("utf-8", "replace") or self._plugin.strerror(rc)
            gateway = err.gateway_code.decode("ascii", "replace")
            retryable = bool(err.retryable)
        else:
            message, gateway, retryable = self._plugin.strerror(rc), "", False
        return error_for_code(rc, message, gateway_code=gateway, retryable=retryable,
                              operation=operation)

    @contextlib.contextmanager
    def _in_call(self, operation):
        with self._cond:
            if self._closed or self._ctx is None:
                raise InvalidArgumentError("this Method is closed", code=_abi.E_INVALID_ARG,
                                           operation=operation)
            self._active += 1
        try:
            yield self._ctx
        finally:
            with self._cond:
                self._active -= 1
                if self._active == 0:
                    self._cond.notify_all()

    def _result(self, operation, res):
        """Reads and frees a result (always freed, whatever happens)."""
        api = self._api
        try:
            length = ctypes.c_size_t()
            ptr = api.result_json(res, ctypes.byref(length))
            data = ctypes.string_at(ptr, length.value) if ptr else b""
            status = (api.result_status(res) or b"").decode("utf-8", "replace")
            gateway_errors = (api.result_gateway_errors(res) or b"").decode("ascii", "replace")
        finally:
            api.result_free(res)
        try:
            doc = json.loads(data.decode("utf-8"))
            if not isinstance(doc, dict):
                raise ValueError("not an object")
        except ValueError as e:
            raise InternalError(f"the plugin's result is not a JSON object: {e}",
                                code=_abi.E_INTERNAL, operation=operation) from None
        doc.setdefault("status", status)
        doc.setdefault("operation", operation)
        return RESULT_TYPES[operation].from_json(doc, gateway_errors)

    def _operation(self, operation, member, request, fields):
        payload = _encode_request(operation, request, fields)
        fn = getattr(self._api, member)
        with self._in_call(operation) as ctx:
            res = ctypes.c_void_p()
            err = _abi.Error.new()
            rc = fn(ctx, payload, len(payload), ctypes.byref(res), ctypes.byref(err))
            if rc != _abi.OK:
                self._api.result_free(res)  # NULL by contract; free is NULL-safe
                raise self._error(rc, err, operation)
            return self._result(operation, res)

    # -- the operations ----------------------------------------------------

    def capabilities(self):
        """What the method can do (:class:`~pmp.results.Capabilities`).
        Sends nothing."""
        return self._operation("capabilities", "capabilities", None, None)

    def enroll(self, request=None, /, **fields):
        """Registers a buyer company and starts credit screening
        (SavePaidBuyer). Returns :class:`~pmp.results.Enrollment`."""
        return self._operation("enroll", "enroll", request, fields)

    def payer_status(self, request=None, /, **fields):
        """Is the buyer approved, how much line is left, and (with ``amount``)
        may this cart use the method? Returns :class:`~pmp.results.PayerStatus`."""
        return self._operation("payer_status", "payer_status", request, fields)

    def authorize(self, request=None, /, **fields):
        """Places an order against the buyer's line. Idempotent on
        ``order_id``. Returns :class:`~pmp.results.Authorization` (status
        ``authorized``, ``pending_review`` or ``declined``)."""
        return self._operation("authorize", "authorize", request, fields)

    def capture(self, request=None, /, **fields):
        """Shipping report: fixes the sale, optionally for a lower amount.
        Returns :class:`~pmp.results.Capture`."""
        return self._operation("capture", "capture", request, fields)

    def void(self, request=None, /, **fields):
        """Cancels an order before its sale is fixed. Returns
        :class:`~pmp.results.Void`."""
        return self._operation("void", "void_order", request, fields)

    #: The ABI's name for :meth:`void`.
    void_order = void

    def refund(self, request=None, /, **fields):
        """Returns all (no ``amount``) or part of a fixed sale. Returns
        :class:`~pmp.results.Refund`."""
        return self._operation("refund", "refund", request, fields)

    def adjust(self, request=None, /, **fields):
        """Changes an order's amount; an increase may be declined. Returns
        :class:`~pmp.results.Adjustment`."""
        return self._operation("adjust", "adjust", request, fields)

    def status(self, request=None, /, **fields):
        """The gateway's authoritative state of an order. Returns
        :class:`~pmp.results.OrderStatus`."""
        return self._operation("status", "status", request, fields)

    def notify(self, body, headers=None):
        """Parses and checks a result notification the store received.

        ``body`` is the raw request body as received (bytes; Windows-31J form
        data, do not decode it), ``headers`` the request's headers as a
        mapping of str to str (or None). Returns a
        :class:`~pmp.results.Notification`: store ``event`` durably (drop
        duplicates by ``event_key``), then answer HTTP 200 with exactly
        ``reply_body``. A forged or foreign body raises (typically
        :class:`InvalidRequestError`); answer it with an error status."""
        if isinstance(body, str):
            raise TypeError("notify() takes the raw body as bytes, as received")
        body = bytes(body)
        hdr = None
        if headers:
            items = dict(headers)
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in items.items()):
                raise InvalidRequestError("headers must map str names to str values",
                                          code=_abi.E_INVALID_REQUEST, operation="notify")
            hdr = json.dumps(items, ensure_ascii=False).encode("utf-8")
        with self._in_call("notify") as ctx:
            res = ctypes.c_void_p()
            err = _abi.Error.new()
            rc = self._api.notify(ctx, body, len(body), hdr, len(hdr) if hdr else 0,
                                  ctypes.byref(res), ctypes.byref(err))
            if rc != _abi.OK:
                self._api.result_free(res)
                raise self._error(rc, err, "notify")
            return self._result("notify", res)

    # -- identity and lifetime ---------------------------------------------

    @property
    def plugin(self):
        """The :class:`Plugin` (path, method_name, version, abi)."""
        return self._plugin

    @property
    def closed(self):
        """True once :meth:`close` ran."""
        return self._closed

    def close(self):
        """Shuts the plugin context down. Waits for operations in flight on
        other threads, then refuses new ones. Idempotent."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            while self._active:
                self._cond.wait()
            ctx, self._ctx = self._ctx, None
        # In a forked child the context belongs to the parent: leave it.
        if ctx and os.getpid() == self._pid:
            self._api.shutdown(ctx)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown, half-built object
            pass

    def __repr__(self):
        state = "closed" if self._closed else "open"
        return f"<pmp.Method {self.name!r} ({self._plugin.method_name} " \
               f"{self._plugin.version}) {state}>"
