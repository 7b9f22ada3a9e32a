"""`evaltop receive` and `evaltop run` as real processes."""

from __future__ import annotations

import signal
import subprocess
import sys

import httpx
from receiver_helpers import PB, chat_attrs, counter, rows, spawn, traces


def _run(args: list[str], env: dict | None = None) -> subprocess.CompletedProcess:
    import os

    return subprocess.run([sys.executable, "-m", "evaltop.tui.cli.main", *args],
                          capture_output=True, text=True, timeout=60,
                          env={**os.environ, **(env or {})})


def test_a_public_address_without_a_token_is_refused(tmp_path):
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text("[receiver]\nhost = \"0.0.0.0\"\n")
    got = _run(["receive", "--config", str(cfg), "--db", str(tmp_path / "r.db")])
    assert got.returncode == 2
    [line] = got.stderr.strip().splitlines()
    assert "without a token" in line and "token_env" in line
    assert not (tmp_path / "r.db").exists()


def test_a_token_variable_that_is_unset_is_named(tmp_path):
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text("[receiver]\ntoken_env = \"RECV_TOKEN_UNSET\"\n")
    got = _run(["receive", "--config", str(cfg), "--port", "0"], env={"RECV_TOKEN_UNSET": ""})
    assert got.returncode == 2 and "$RECV_TOKEN_UNSET is empty or unset" in got.stderr


def test_a_token_given_instead_of_a_variable_name_is_a_config_error(tmp_path):
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text("[receiver]\ntoken_env = \"s3cr3t-value!\"\n")
    got = _run(["receive", "--config", str(cfg), "--port", "0"])
    assert got.returncode == 2 and "receiver.token_env" in got.stderr


def test_sigterm_stops_after_storing_and_prints_what_it_did(tmp_path):
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text("")
    db = tmp_path / "r.db"
    proc, url = spawn(cfg, db)
    try:
        body = traces([{"span_id": i, "attrs": chat_attrs(n=i)} for i in range(1, 4)])
        assert httpx.post(url + "/v1/traces", content=body.SerializeToString(),
                          headers=PB).status_code == 200
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0
    assert "stored 3 outputs" in err and "evaltop receive: stopped" in err
    assert len(rows(db)) == 3
    status = rows(db, "SELECT url, stopped_at FROM receiver_status")
    assert status[0]["url"] == url and status[0]["stopped_at"] is not None


def test_run_serves_the_receiver_when_enabled(tmp_path):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = tmp_path / "evaltop.toml"
    cfg.write_text(f"[receiver]\nenabled = true\nport = {port}\n")
    db = tmp_path / "r.db"
    proc = subprocess.Popen([sys.executable, "-m", "evaltop.tui.cli.main", "run", "--config",
                             str(cfg), "--db", str(db)], stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert f"listening on http://127.0.0.1:{port}" in line
        body = traces([{"span_id": 9, "attrs": chat_attrs(n=9)}]).SerializeToString()
        resp = httpx.post(f"http://127.0.0.1:{port}/v1/traces", content=body, headers=PB)
        assert resp.status_code == 200
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 0 and "receiver: stored 1 outputs" in out
    assert counter(db, "otlp.spans") == 1
