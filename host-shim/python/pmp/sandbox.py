"""Run the local paid-sandbox for tests and examples.

    with pmp.sandbox.Sandbox("build/sandbox/paid-sandbox") as sbx:
        sbx.write_config("paid.yaml")          # plugin configuration for it
        with pmp.Method("build/plugin/libpmp_paid.so", "paid.yaml") as paid:
            ...
        sbx.admin("POST", "clock/advance", days=1)

The sandbox listens on 127.0.0.1 only, with a fresh CA in a temporary state
directory and an in-memory database. The configuration written by
:meth:`Sandbox.write_config` reads the shop password from the environment
variable PAID_SHOP_PASS (set it to :attr:`Sandbox.password`), so the file
holds no secret. Nothing here is needed in production.
"""

import json
import os
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

__all__ = ["Sandbox", "SandboxError"]


class SandboxError(RuntimeError):
    """The sandbox could not be started or answered an admin call badly."""


class Sandbox:
    """A running paid-sandbox process (start() / stop(), or ``with``)."""

    def __init__(self, executable, *, shop_id="tshop00000001", password="sbxpass01",
                 extra_args=(), ready_timeout=20.0, keep=False):
        self.executable = os.fspath(executable)
        self.shop_id = shop_id
        #: The sandbox's shop password (a test value, never a real one).
        self.password = password
        self.extra_args = list(extra_args)
        self.ready_timeout = ready_timeout
        self.keep = keep
        self.url = self.ca = self.base = None
        self.workdir = None
        self._proc = None
        self._log = None
        self._ssl = None

    def start(self):
        """Starts the sandbox and waits for its ready file."""
        self.workdir = tempfile.mkdtemp(prefix="pmp-sandbox.")
        ready = os.path.join(self.workdir, "ready")
        self._log = open(os.path.join(self.workdir, "sandbox.log"), "wb")
        args = [self.executable, "--port", "0", "--state-dir",
                os.path.join(self.workdir, "state"), "--db", ":memory:", "--ready-file", ready,
                "--quiet", "--shop", f"{self.shop_id}:{self.password}", *self.extra_args]
        # A preloaded sanitizer runtime (the bindings' tests in a sanitizer
        # build) is for this interpreter; the sandbox links its own.
        env = {k: v for k, v in os.environ.items() if k != "LD_PRELOAD"}
        self._proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + self.ready_timeout
        values = {}
        while time.monotonic() < deadline:
            status = self._proc.poll()
            if status is not None:
                log = self.log_text()
                self.stop()
                raise SandboxError(f"paid-sandbox exited with status {status}: {log.strip()}")
            if os.path.exists(ready):
                with open(ready, encoding="utf-8") as f:
                    for line in f:
                        k, _, v = line.strip().partition("=")
                        values[k] = v
                if values.get("PAID_SANDBOX_READY") == "1":
                    break
            time.sleep(0.02)
        else:
            self.stop()
            raise SandboxError("paid-sandbox did not become ready in time")
        self.url = values["PAID_SANDBOX_URL"]
        self.ca = values.get("PAID_SANDBOX_CA")
        self.base = self.url[:-len("payment/")] if self.url.endswith("payment/") else self.url
        if self.ca:
            self._ssl = ssl.create_default_context(cafile=self.ca)
        return self

    def log_text(self):
        """What the sandbox printed so far (its stdout and stderr)."""
        try:
            with open(os.path.join(self.workdir, "sandbox.log"), "rb") as f:
                return f.read().decode("utf-8", "replace")
        except (OSError, TypeError):
            return ""

    def stop(self):
        """Stops the sandbox (SIGTERM, then SIGKILL after 5 s) and removes its
        directory unless ``keep``."""
        if self._proc is not None and self._proc.poll() is None:
            self._proc.send_signal(signal.SIGTERM)
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
        self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self.workdir and not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def config_text(self, *, base_url=None, ca_file=None, extra=""):
        """Plugin configuration YAML for this sandbox. The password is
        ``${PAID_SHOP_PASS}``: set that variable to :attr:`password`."""
        lines = ["gateway:", f"  base_url: {base_url or self.url}"]
        ca = ca_file if ca_file is not None else self.ca
        if ca:
            lines.append(f"  ca_file: {ca}")
        lines += ["  connect_timeout_ms: 2000", "  timeout_ms: 10000", "shop:",
                  f"  id: {self.shop_id}", "  password: ${PAID_SHOP_PASS}",
                  "logging:", "  level: warn"]
        return "\n".join(lines) + "\n" + extra

    def write_config(self, path, **kwargs):
        """Writes :meth:`config_text` to path and returns path."""
        with open(path, "w", encoding="utf-8") as f:
            f.write(self.config_text(**kwargs))
        return path

    def admin(self, method, path, **query):
        """Calls the admin API (``/_sandbox/<path>``) and returns its JSON."""
        url = self.base + "_sandbox/" + path.lstrip("/")
        if query:
            url += "?" + urllib.parse.urlencode(query)
        req = urllib.request.Request(url, method=method, data=b"" if method != "GET" else None)
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=30) as resp:
                return json.loads(resp.read().decode("utf-8"))
        except urllib.error.HTTPError as e:
            raise SandboxError(f"{method} {path}: HTTP {e.code}: "
                               f"{e.read().decode('utf-8', 'replace')}") from None
