"""What a real otelcol-contrib sends for tailed JSONL lines, seen by a capture
server: the contract evaltop's receiver parses (docs/receiver-collector.yaml)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml
from collector_helpers import (
    Collector,
    collector_binary,
    components,
    skip_reason,
    wait_for,
    write_config,
)
from otlp_capture import CaptureServer

pytestmark = pytest.mark.skipif(skip_reason() is not None, reason=str(skip_reason()))

DATA = Path(__file__).resolve().parent / "data" / "formats"


def _lines() -> list[str]:
    openai = (DATA / "openai.jsonl").read_text().splitlines()[:2]
    native = (DATA / "native.jsonl").read_text().splitlines()[:2]
    return openai + native


def test_binary_has_the_fan_in_components():
    have = components()
    assert "filelog" in have["receivers"]
    assert {"batch", "memory_limiter"} <= have["processors"]
    assert "otlphttp" in have["exporters"]


def _validate(config: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(collector_binary()), "validate", "--config", str(config)],
                          capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, EVALTOP_TOKEN="t"))


def test_documented_config_validates():
    run = _validate(Path(__file__).resolve().parent.parent / "docs" / "receiver-collector.yaml")
    assert run.returncode == 0, run.stderr


def test_offset_storage_only_where_the_build_has_file_storage(tmp_path):
    """docs/receiver-collector.yaml marks file_storage "full build only": the PyPI
    build refuses it, so there a restarted Collector re-reads (tested below)."""
    cfg = write_config(tmp_path / "s.yaml", host="h", folder=tmp_path,
                       endpoint="http://127.0.0.1:9", storage_dir=tmp_path / "offsets")
    run = _validate(cfg)
    if "file_storage" in components()["extensions"]:
        assert run.returncode == 0, run.stderr
    else:
        assert run.returncode != 0
        assert 'unknown type: "file_storage"' in run.stderr


def test_lines_arrive_as_string_bodies_retried_after_503_and_resent_after_restart(tmp_path):
    folder = tmp_path / "host-a"
    folder.mkdir()
    lines = _lines()
    (folder / "app.jsonl").write_text("\n".join(lines) + "\n")
    with CaptureServer(answers=[(503, "1")]) as server:
        cfg = write_config(tmp_path / "a.yaml", host="host-a", folder=folder,
                           endpoint=server.endpoint)
        col = Collector(cfg, tmp_path / "a.log", token="s3cret")
        try:
            col.start()

            def bodies():
                return [rec.body.string_value for c in server.accepted()
                        for _, rec in c.records()]

            wait_for(lambda: len(bodies()) >= len(lines), what="first delivery")
            assert sorted(bodies()) == sorted(lines)
            first, *rest = server.requests
            assert first.status == 503
            assert any(r.status == 200 for r in rest)
            for c in server.requests:
                assert c.path == "/v1/logs"
                assert c.headers["Content-Type"] == "application/x-protobuf"
                assert c.headers["Content-Encoding"] == "gzip"
                assert c.headers["Authorization"] == "Bearer s3cret"
            for res, rec in (r for c in server.accepted() for r in c.records()):
                assert res == {"host.name": "host-a"}
                attrs = {kv.key: kv.value.string_value for kv in rec.attributes}
                assert attrs == {"log.file.name": "app.jsonl"}
                assert rec.time_unix_nano == 0 and rec.observed_time_unix_nano > 0
            # The 503'd request was retried: its records are among the accepted ones.
            refused = [rec.body.string_value for _, rec in first.records()]
            assert refused and set(refused) <= set(bodies())

            # No offset storage in this build: a restart re-sends every line.
            assert col.stop() == 0
            col.start()
            wait_for(lambda: len(bodies()) >= 2 * len(lines), what="re-read after restart")
            assert sorted(bodies()) == sorted(lines * 2)
        finally:
            col.kill()


def test_a_long_outage_blocks_the_reader_instead_of_dropping_lines(tmp_path):
    """The documented sending_queue (block_on_overflow) and unlimited retries: more
    refused requests than the queue holds, the file rotated (renamed out of the
    include pattern) meanwhile, and still every line of both files arrives once."""
    folder = tmp_path / "host-a"
    folder.mkdir()
    lines = [json.dumps({"id": f"o{i}", "model": "m", "input": "q", "output": "a"})
             for i in range(2000)]
    (folder / "app.jsonl").write_text("\n".join(lines) + "\n")
    with CaptureServer(answers=[(503, "0")] * 10) as server:
        cfg = write_config(tmp_path / "a.yaml", host="host-a", folder=folder,
                           endpoint=server.endpoint)
        doc = yaml.safe_load(cfg.read_text())
        doc["processors"]["batch"].update(send_batch_size=100, send_batch_max_size=100)
        assert doc["exporters"]["otlphttp"]["sending_queue"]["block_on_overflow"] is True
        doc["exporters"]["otlphttp"]["sending_queue"]["queue_size"] = 2  # of 20 requests
        cfg.write_text(yaml.safe_dump(doc))
        col = Collector(cfg, tmp_path / "a.log")
        try:
            col.start()
            wait_for(lambda: len(server.requests) >= 2, what="the outage to start")
            (folder / "app.jsonl").rename(folder / "app.jsonl.1")
            fresh = [json.dumps({"id": f"n{i}", "model": "m", "input": "q", "output": "a"})
                     for i in range(10)]
            (folder / "app.jsonl").write_text("\n".join(fresh) + "\n")

            def bodies():
                return [rec.body.string_value for c in server.accepted()
                        for _, rec in c.records()]

            wait_for(lambda: len(bodies()) >= len(lines) + len(fresh), what="every line")
            assert sorted(bodies()) == sorted(lines + fresh)
            assert sum(c.status == 503 for c in server.requests) == 10
            assert "sending queue is full" not in col.log_text()
        finally:
            col.kill()
