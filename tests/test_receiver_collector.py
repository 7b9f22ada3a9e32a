"""Many hosts through real OpenTelemetry Collectors: two otelcol-contrib
processes tail two hosts' JSONL folders and forward every line (otlphttp:
protobuf, gzip, retry, sending queue, bearer token) to a real `evaltop receive`.
evaltop is stopped mid-stream (SIGTERM, kill -9) and started again on the same
port: the Collectors' retries deliver everything, each line is stored once, and
each output keeps its host. A Collector restart re-reads its file (this build
has no offset storage): ids de-duplicate the re-sent lines."""

from __future__ import annotations

import json
import signal
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from collector_helpers import (
    Collector,
    Receiver,
    free_port,
    skip_reason,
    wait_for,
    write_config,
)
from ingest_helpers import BASE_TS, native

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

TOKEN = "fan-in-test-token"
HOSTS = ("host-a", "host-b")
OPENAI = json.loads(
    (Path(__file__).resolve().parent / "data" / "formats" / "openai.jsonl")
    .read_text().splitlines()[0])
RETRYING = "Exporting failed. Will retry"


def _line(host: str, i: int) -> tuple[str, str]:
    """(JSONL line, the output id evaltop gives it): native lines carry their id,
    OpenAI chat-completion responses their response id."""
    if i % 2:
        rec = dict(OPENAI, id=f"chatcmpl-{host}-{i}", created=int(BASE_TS) + i)
        return json.dumps(rec), rec["id"]
    rec = native(i, id=f"{host}-n{i}", model="gpt-4o-mini")
    return json.dumps(rec), rec["id"]


class FanIn:
    def __init__(self, tmp_path: Path) -> None:
        self.tmp = tmp_path
        self.db = tmp_path / "evaltop.db"
        cfg = tmp_path / "evaltop.toml"
        cfg.write_text(f'[store]\npath = "{self.db}"\n\n'
                       '[receiver]\nhost = "127.0.0.1"\ntoken_env = "EVALTOP_TOKEN"\n')
        self.receiver = Receiver(cfg, tmp_path / "receive.log", token=TOKEN)
        self.collectors: dict[str, Collector] = {}
        self.next = dict.fromkeys(HOSTS, 0)
        self.expected: dict[str, str] = {}  # output id -> host
        self._lock = threading.Lock()
        for host in HOSTS:
            (tmp_path / host).mkdir()

    def write(self, host: str, n: int) -> None:
        """Append n lines to the host's log, one write per line."""
        with open(self.tmp / host / "app.jsonl", "a") as fh:
            for _ in range(n):
                with self._lock:
                    i = self.next[host]
                    self.next[host] += 1
                text, oid = _line(host, i)
                self.expected[oid] = host
                fh.write(text + "\n")
                fh.flush()

    def start_collectors(self) -> None:
        for host in HOSTS:
            cfg = write_config(self.tmp / f"{host}.yaml", host=host, folder=self.tmp / host,
                               endpoint=self.receiver.endpoint, metrics_port=free_port())
            self.collectors[host] = Collector(cfg, self.tmp / f"{host}.log", token=TOKEN).start()

    def rows(self) -> list[tuple[str, str]]:
        if not self.db.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute("SELECT id, metadata_json FROM outputs").fetchall()
        except sqlite3.OperationalError:  # schema not created yet
            return []
        finally:
            conn.close()

    def counter(self, name: str) -> int:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True, timeout=30)
        try:
            row = conn.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        finally:
            conn.close()
        return row[0] if row else 0

    def wait_stored(self, n: int, what: str) -> list[tuple[str, str]]:
        return wait_for(lambda: (r := self.rows()) and len(r) >= n and r, timeout=60, what=what)

    def assert_exact(self) -> None:
        rows = self.rows()
        ids = [oid for oid, _ in rows]
        assert len(ids) == len(set(ids)), "an id stored twice"
        assert sorted(ids) == sorted(self.expected)
        for oid, meta in rows:
            # The Collector's resource attribute host.name is the `host` segment.
            assert json.loads(meta)["host"] == self.expected[oid], oid
        # Every record evaltop acknowledged is either stored or a counted duplicate.
        assert self.counter("otlp.logs.rejected") == 0
        assert (self.counter("otlp.logs") - self.counter("otlp.logs.duplicates")
                == len(rows))

    def close(self) -> None:
        for col in self.collectors.values():
            col.kill()
        self.receiver.kill()


@pytest.fixture
def fan_in(tmp_path):
    f = FanIn(tmp_path)
    try:
        yield f
    finally:
        f.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "kill9"])
def test_receiver_restart_mid_stream_loses_and_doubles_nothing(fan_in, sig):
    for host in HOSTS:
        fan_in.write(host, 20)  # written before anything runs: start_at beginning
    fan_in.receiver.start()
    fan_in.start_collectors()
    fan_in.wait_stored(40, "the existing lines")

    # Both hosts keep writing while evaltop goes down and comes back.
    writers = [threading.Thread(target=_trickle, args=(fan_in, host, 40)) for host in HOSTS]
    for w in writers:
        w.start()
    try:
        wait_for(lambda: len(fan_in.rows()) > 40, what="lines written live")
        fan_in.receiver.stop(sig)
        logs = {h: c.log_text().count(RETRYING) for h, c in fan_in.collectors.items()}
        # Each Collector met the stopped receiver and is retrying.
        wait_for(lambda: all(c.log_text().count(RETRYING) > logs[h]
                             for h, c in fan_in.collectors.items()), what="retries")
        fan_in.receiver.start()
    finally:
        for w in writers:
            w.join()
    for host in HOSTS:
        fan_in.write(host, 5)
    fan_in.wait_stored(len(fan_in.expected), "every line after the restart")
    for col in fan_in.collectors.values():
        # What the Collectors had acked is what is stored: nothing left in flight.
        wait_for(lambda c=col: c.metric("otelcol_exporter_queue_size") == 0, what="empty queue")
    fan_in.assert_exact()


def _trickle(fan_in: FanIn, host: str, n: int) -> None:
    for _ in range(n):
        fan_in.write(host, 1)
        time.sleep(0.02)


def test_collector_restart_rereads_its_file_and_ids_deduplicate(fan_in):
    for host in HOSTS:
        fan_in.write(host, 30)
    fan_in.receiver.start()
    fan_in.start_collectors()
    fan_in.wait_stored(60, "the first pass")

    # evaltop goes down; host-a writes 4 more lines, which its Collector holds
    # in its in-memory queue, retrying, until it is killed: that queue is gone.
    col = fan_in.collectors["host-a"]
    fan_in.receiver.stop()
    retries = col.log_text().count(RETRYING)
    fan_in.write("host-a", 4)
    wait_for(lambda: col.log_text().count(RETRYING) > retries, what="host-a retrying")
    col.kill()
    fan_in.receiver.start()
    col.start()
    # No offset storage: the restarted Collector sends all 34 lines again and
    # evaltop acknowledges them (200), storing only the 4 it had not seen.
    wait_for(lambda: col.metric("otelcol_exporter_sent_log_records_total") >= 34,
             what="the re-sent lines acknowledged")
    assert len(fan_in.rows()) == 64
    assert fan_in.counter("otlp.logs.duplicates") == 30
    fan_in.assert_exact()
