"""Methods as configuration: a merchant's methods file, loaded as a list.

The file format and its rules are those of the C loader
(host-shim/loader/pmp_loader.h, "Methods as configuration")::

    methods:
      - name: paid
        label: "Paid (invoice, month-end)"
        plugin: /usr/lib/x86_64-linux-gnu/libpmp_paid.so.1
        config: /etc/shop/paid.yaml
        enabled: true        # optional

The Python standard library has no YAML reader, so this module reads the
block-style YAML that such a file is written in: comments, one ``methods:``
key holding a ``- `` list (or ``[]``) of ``key: value`` entries, values
plain, 'single-' or "double-quoted". Flow collections, anchors, tags and
multi-line scalars are refused with an error naming the line, never
misread. The C loader, which uses libyaml, accepts any YAML spelling of the
same structure.
"""

import os
import re
import threading
from dataclasses import dataclass, field
from typing import Optional

from .errors import (MethodsFileError, NotFoundError, PmpError, UnsupportedError,
                     InvalidArgumentError)
from .method import Method

__all__ = ["MethodEntry", "Methods", "Offer", "read_methods_file", "METHODS_MAX"]

METHODS_MAX = 64
_NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}\Z")
_KEYS = ("name", "label", "plugin", "config", "enabled")
_FILE_MAX = 1024 * 1024


@dataclass(frozen=True)
class MethodEntry:
    """One entry of a methods file, paths resolved."""
    name: str
    label: str
    plugin: str
    config: str
    enabled: bool
    line: int


# -- the reader --------------------------------------------------------------

class _Line:
    __slots__ = ("no", "indent", "text")

    def __init__(self, no, indent, text):
        self.no, self.indent, self.text = no, indent, text


def _strip_comment(text, no, path):
    """Removes a trailing comment outside quotes; returns the content."""
    out, quote, i = [], None, 0
    while i < len(text):
        c = text[i]
        if quote == "'":
            if c == "'" and text[i + 1:i + 2] == "'":
                out.append("''")
                i += 2
                continue
            if c == "'":
                quote = None
        elif quote == '"':
            if c == "\\":
                out.append(text[i:i + 2])
                i += 2
                continue
            if c == '"':
                quote = None
        elif c == "#" and (i == 0 or text[i - 1] in " \t"):
            break
        elif c in "'\"" and (i == 0 or text[i - 1] in " \t:-"):
            quote = c
        out.append(c)
        i += 1
    return "".join(out).rstrip()


def _scalar(raw, no, path, key):
    """Decodes one scalar value; returns (text, plain?)."""
    v = raw.strip()
    if not v:
        return "", True
    if v[0] == "'":
        if len(v) < 2 or v[-1] != "'":
            raise _err(path, no, f"{key}: unterminated quoted value")
        body = v[1:-1]
        if re.search(r"(?<!')'(?!')", body.replace("''", "")):
            raise _err(path, no, f"{key}: unexpected text after a quoted value")
        return body.replace("''", "'"), False
    if v[0] == '"':
        if len(v) < 2 or v[-1] != '"':
            raise _err(path, no, f"{key}: unterminated quoted value")
        return _unescape(v[1:-1], no, path, key), False
    if v[0] in "[]{}&*!|>%@`," or v.startswith(("- ", "? ")) or v in ("-", "?"):
        raise _err(path, no, f"{key}: this YAML form is not supported in a methods file "
                             "(write the value plain or quoted)")
    if ": " in v or v.endswith(":"):
        raise _err(path, no, f"{key}: a plain value may not contain ': ' (quote it)")
    if v in ("~", "null", "Null", "NULL"):
        return "", True
    return v, True


_ESCAPES = {"0": "\0", "a": "\a", "b": "\b", "t": "\t", "\t": "\t", "n": "\n", "v": "\v",
            "f": "\f", "r": "\r", "e": "\x1b", " ": " ", '"': '"', "/": "/", "\\": "\\",
            "N": "\x85", "_": "\xa0", "L": "\u2028", "P": "\u2029"}


def _unescape(body, no, path, key):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c == '"':
            raise _err(path, no, f"{key}: unexpected text after a quoted value")
        if c != "\\":
            out.append(c)
            i += 1
            continue
        e = body[i + 1:i + 2]
        if e in _ESCAPES:
            out.append(_ESCAPES[e])
            i += 2
            continue
        width = {"x": 2, "u": 4, "U": 8}.get(e)
        digits = body[i + 2:i + 2 + width] if width else ""
        if not width or len(digits) != width or not all(d in "0123456789abcdefABCDEF"
                                                         for d in digits):
            raise _err(path, no, f"{key}: bad escape in a double-quoted value")
        out.append(chr(int(digits, 16)))
        i += 2 + width
    return "".join(out)


def _err(path, no, what):
    return MethodsFileError(f"{path}:{no}: {what}")


def _lines(text, path):
    result = []
    for no, raw in enumerate(text.split("\n"), 1):
        raw = raw.rstrip("\r")
        stripped = raw.lstrip(" ")
        if stripped.startswith("\t") or ("\t" in raw[:len(raw) - len(stripped)]):
            raise _err(path, no, "tabs are not allowed for indentation")
        content = _strip_comment(stripped, no, path)
        if not content:
            continue
        if content == "---" and not result:
            continue  # the document start marker, before any content
        if content in ("---", "..."):
            raise _err(path, no, "a methods file holds one YAML document")
        if content.startswith("%"):
            raise _err(path, no, "YAML directives are not supported in a methods file")
        result.append(_Line(no, len(raw) - len(stripped), content))
    return result


def _split_key(line, path):
    m = re.match(r"([A-Za-z0-9_.-]+):(?:\s+(.*))?\Z", line.text)
    if not m:
        raise _err(path, line.no, "expected 'key: value'")
    return m.group(1), m.group(2) or ""


def read_methods_file(path):
    """Reads and checks a methods file. Returns every entry (disabled ones
    too) as :class:`MethodEntry`, paths resolved against the file's
    directory. Raises :class:`MethodsFileError` naming file, line and key."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read(_FILE_MAX + 1)
    except OSError as e:
        raise MethodsFileError(f"{path}: {e.strerror}") from None
    if len(data) > _FILE_MAX:
        raise MethodsFileError(f"{path}: larger than {_FILE_MAX} bytes")
    if b"\0" in data:
        raise MethodsFileError(f"{path}: contains a NUL byte, not a YAML file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        raise MethodsFileError(f"{path}:{line}: not valid UTF-8 text") from None
    text = text.lstrip("\ufeff")
    lines = _lines(text, path)
    directory = os.path.dirname(path) or "."
    if not lines:
        raise _err(path, 1, "methods: missing")
    top = lines[0]
    if top.indent != 0:
        raise _err(path, top.no, "the top level must be a mapping with the key 'methods'")
    key, value = _split_key(top, path)
    if key != "methods":
        raise _err(path, top.no, f"{key}: unknown key")
    rest = lines[1:]
    raw_entries = []
    if value.strip() == "[]":
        if rest:
            extra = rest[0]
            k = _split_key(extra, path)[0] if extra.indent == 0 and ":" in extra.text else None
            if k == "methods":
                raise _err(path, extra.no, "methods: duplicate key")
            raise _err(path, extra.no, f"{k}: unknown key" if k else "unexpected text")
    elif value.strip():
        raise _err(path, top.no, "methods: must be a list")
    else:
        raw_entries = _parse_list(rest, path, top.no)
    if len(raw_entries) > METHODS_MAX:
        raise _err(path, top.no, f"methods: more than {METHODS_MAX} entries")

    entries, seen = [], {}
    for idx, (line_no, pairs) in enumerate(raw_entries):
        entries.append(_check_entry(idx, line_no, pairs, path, directory))
        name = entries[-1].name
        if name in seen:
            raise _err(path, line_no, f"methods[{idx}].name: '{name}' is already the name of "
                                      f"methods[{seen[name]}]")
        seen[name] = idx
    return entries


def _parse_list(lines, path, top_no):
    if not lines:
        raise _err(path, top_no, "methods: must be a list")
    entries = []
    seq_indent = None
    current = None
    key_indent = None
    for line in lines:
        is_item = line.text == "-" or line.text.startswith("- ")
        if line.indent == 0 and not (is_item and seq_indent in (None, 0)):
            # Another top-level key ("methods:\n- name: x" is valid YAML too).
            m = re.match(r"([A-Za-z0-9_.-]+):(?:\s|\Z)", line.text)
            key = m.group(1) if m else None
            if key == "methods":
                raise _err(path, line.no, "methods: duplicate key")
            raise _err(path, line.no, f"{key}: unknown key" if key else "unexpected text")
        if is_item:
            if seq_indent is None:
                seq_indent = line.indent
            elif line.indent != seq_indent:
                raise _err(path, line.no, "list entries must line up")
            body = line.text[1:].lstrip(" ")
            current = (line.no, [])
            entries.append(current)
            key_indent = None
            if body:
                key_indent = line.indent + (len(line.text) - len(body))
                _add_pair(current, line.no, body, path, len(entries) - 1)
            continue
        if seq_indent is None:
            raise _err(path, line.no, "methods: must be a list")
        if current is None or line.indent <= seq_indent:
            raise _err(path, line.no, "unexpected text; each entry starts with '- '")
        if key_indent is None:
            key_indent = line.indent
        elif line.indent != key_indent:
            raise _err(path, line.no, "keys of an entry must line up (a value spread over "
                                      "several lines is not supported)")
        _add_pair(current, line.no, line.text, path, len(entries) - 1)
    return entries


def _add_pair(entry, no, text, path, idx):
    m = re.match(r"([A-Za-z0-9_.-]+):(?:\s+(.*))?\Z", text)
    if not m:
        raise _err(path, no, f"methods[{idx}]: must be a mapping with name, label, plugin and "
                             "config")
    entry[1].append((no, m.group(1), m.group(2) or ""))


def _check_entry(idx, line_no, pairs, path, directory):
    values, lines, plain = {}, {}, {}
    for no, key, raw in pairs:
        if key not in _KEYS:
            raise _err(path, no, f"methods[{idx}].{key[:60]}: unknown key")
        if key in values:
            raise _err(path, no, f"methods[{idx}].{key}: duplicate key")
        values[key], plain[key] = _scalar(raw, no, path, f"methods[{idx}].{key}")
        lines[key] = no
    enabled = True
    if "enabled" in values:
        if not plain["enabled"] or values["enabled"] not in ("true", "false"):
            raise _err(path, lines["enabled"], f"methods[{idx}].enabled: must be true or false")
        enabled = values["enabled"] == "true"
    for key in _KEYS[:4]:
        if key not in values:
            raise _err(path, line_no, f"methods[{idx}].{key}: missing")
        if values[key] == "":
            raise _err(path, lines[key], f"methods[{idx}].{key}: empty")
    if not _NAME_RE.match(values["name"]):
        raise _err(path, lines["name"], f"methods[{idx}].name: 1 to 32 of a-z, 0-9, '_' and "
                                        "'-', starting with a letter or digit")
    label = values["label"]
    if len(label.encode("utf-8", "surrogatepass")) > 200 or \
            any(ord(c) < 0x20 or ord(c) == 0x7f or 0xd800 <= ord(c) <= 0xdfff for c in label):
        raise _err(path, lines["label"], f"methods[{idx}].label: 1 to 200 bytes of text "
                                         "without control characters")
    if len(values["plugin"]) > 4095 or len(values["config"]) > 4095:
        raise _err(path, line_no, f"methods[{idx}]: path too long")
    plugin = values["plugin"]
    if "/" in plugin and not plugin.startswith("/"):
        plugin = os.path.join(directory, plugin)
    config = values["config"]
    if not config.startswith("/"):
        config = os.path.join(directory, config)
    return MethodEntry(values["name"], label, plugin, config, enabled, line_no)


# -- the list ------------------------------------------------------------------

@dataclass(frozen=True)
class Offer:
    """Whether one method may be offered for a cart.

    ``reason`` is one of ``ok``, ``amount_out_of_range``, ``no_buyer``,
    ``buyer_not_enrolled``, ``buyer_screening``, ``buyer_rejected``,
    ``buyer_suspended``, ``buyer_unknown``, ``credit_line_exceeded`` or
    ``unavailable`` (payer_status failed: ``error`` says how), the same words
    as the C loader's ``pmp_methods_check``."""
    name: str
    label: str
    eligible: bool
    reason: str
    rest_amount: Optional[int] = None
    error: Optional[PmpError] = field(default=None, compare=False)
    method: Optional[Method] = field(default=None, repr=False, compare=False)


class Methods:
    """The enabled methods of a methods file, each an open :class:`Method`.

    Loading is all or nothing: a method that cannot be loaded raises its
    error (message prefixed with the file, line and entry name) after the
    others are closed. Iterating gives the Methods in file order;
    ``methods["paid"]`` one by name. Close it (or use ``with``) to shut every
    context down.
    """

    def __init__(self, path, *, logger=None):
        self.path = os.fspath(path)
        self._methods = {}
        self._entries = [e for e in read_methods_file(self.path) if e.enabled]
        try:
            for e in self._entries:
                try:
                    self._methods[e.name] = Method(e.plugin, e.config, logger=logger,
                                                   name=e.name, label=e.label)
                except PmpError as err:
                    raise type(err)(f"{self.path}:{e.line}: {e.name}: {err.message}",
                                    code=err.code, gateway_code=err.gateway_code,
                                    retryable=err.retryable, operation=err.operation) from None
            self._caps = {name: m.capabilities() for name, m in self._methods.items()}
        except BaseException:
            self.close()
            raise

    def __len__(self):
        return len(self._methods)

    def __iter__(self):
        return iter(list(self._methods.values()))

    def __contains__(self, name):
        return name in self._methods

    def __getitem__(self, name):
        try:
            return self._methods[name]
        except KeyError:
            raise KeyError(f"no enabled payment method is named {name!r}") from None

    def names(self):
        """The names of the enabled methods, in file order."""
        return list(self._methods)

    def entries(self):
        """The enabled :class:`MethodEntry` records, in file order."""
        return list(self._entries)

    def capabilities(self, name):
        """The :class:`~pmp.results.Capabilities` of a method, asked once at
        load."""
        return self._caps[name]

    def describe(self):
        """One dict per enabled method: name, label, method, plugin_version,
        plugin, config, capabilities (a dict), for a settings page or a log."""
        out = []
        for e in self._entries:
            m = self._methods[e.name]
            out.append({"name": e.name, "label": e.label, "method": m.plugin.method_name,
                        "plugin_version": m.plugin.version, "plugin": e.plugin,
                        "config": e.config, "capabilities": dict(self._caps[e.name].raw)})
        return out

    def check(self, name, *, amount, tax=0, buyer_id=None):
        """Decides whether the method ``name`` may be offered for a cart (see
        :class:`Offer`). Never raises for a gateway problem: the method is
        then hidden with reason ``unavailable``."""
        if not isinstance(amount, int) or isinstance(amount, bool) or amount < 0 or \
                not isinstance(tax, int) or isinstance(tax, bool) or tax < 0:
            raise InvalidArgumentError("amount and tax must be non-negative ints (JPY)",
                                       code=-1)
        m = self[name]
        caps = self._caps[name]

        def offer(eligible, reason, rest=None, error=None):
            return Offer(name, m.label, eligible, reason, rest, error, m)

        if (caps.amount_min is not None and amount < caps.amount_min) or \
                (caps.amount_max is not None and (amount > caps.amount_max or
                                                  tax > caps.amount_max)):
            return offer(False, "amount_out_of_range")
        if not caps.payer_enrollment:
            return offer(True, "ok")
        if not buyer_id:
            return offer(False, "no_buyer")
        request = {"buyer_id": buyer_id, "amount": amount}
        if tax:
            request["tax"] = tax
        try:
            st = m.payer_status(request)
        except UnsupportedError:
            return offer(True, "ok")
        except NotFoundError as e:
            return offer(False, "buyer_not_enrolled", error=e)
        except PmpError as e:
            return offer(False, "unavailable", error=e)
        if st.status != "approved":
            reason = {"screening": "buyer_screening", "rejected": "buyer_rejected",
                      "suspended": "buyer_suspended"}.get(st.status, "buyer_unknown")
            return offer(False, reason, st.rest_amount)
        if st.eligible:
            return offer(True, "ok", st.rest_amount)
        return offer(False, "credit_line_exceeded", st.rest_amount)

    def offers(self, *, amount, tax=0, buyer_id=None):
        """:meth:`check` for every enabled method, in file order."""
        return [self.check(n, amount=amount, tax=tax, buyer_id=buyer_id) for n in self._methods]

    def eligible(self, *, amount, tax=0, buyer_id=None):
        """Only the offers to show for this cart (``eligible`` True)."""
        return [o for o in self.offers(amount=amount, tax=tax, buyer_id=buyer_id) if o.eligible]

    def close(self):
        """Closes every method. Idempotent."""
        for m in list(self._methods.values()):
            m.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __repr__(self):
        return f"<pmp.Methods {self.path!r} {self.names()}>"
