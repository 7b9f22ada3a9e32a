"""`evaltop receive`: OTLP/HTTP on 127.0.0.1:4318 into the store (docs/receiver.md).

Prints one line when listening (``listening on http://HOST:PORT``), serves
until Ctrl-C or SIGTERM, then lets the requests in flight finish (each is
answered only after its COMMIT), stores what is queued, and prints what it
did. Refuses a non-loopback address without a token (exit 2).
"""

from __future__ import annotations

import threading
from pathlib import Path

import click

from evaltop.core.ingest.pricing import PriceBook
from evaltop.core.ingest.receiver.service import Receiver, ReceiverError
from evaltop.core.model.config import ConfigError
from evaltop.core.ops.database import StoreError
from evaltop.tui.cli.context import UserError, common_options, get_ctx, stop_on_signals


def start_receiver(cfg, db_path: Path, *, host: str | None = None,
                   port: int | None = None) -> Receiver:
    """A started receiver, or a one-line UserError."""
    try:
        receiver = Receiver(cfg, db_path, host=host, port=port, book=PriceBook.from_config(cfg))
        receiver.start()
    except (ReceiverError, StoreError, ConfigError) as exc:
        raise UserError(str(exc)) from None
    return receiver


@click.command("receive")
@click.option("--host", default=None, help="Address to listen on (default [receiver] host, "
              "127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None,
              help="Port (default [receiver] port, 4318; 0 picks a free one).")
@common_options
def receive(host: str | None, port: int | None, config: Path | None, db: Path | None) -> None:
    """Receive OpenTelemetry (OTLP/HTTP: POST /v1/traces and /v1/logs,
    protobuf or JSON, gzip or not) into the store until Ctrl-C. Point any
    exporter at it: OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318"""
    c = get_ctx(config, db)
    try:
        cfg = c.config
    except ConfigError as exc:
        raise UserError(str(exc)) from None
    stop = threading.Event()
    with stop_on_signals(stop):
        receiver = start_receiver(cfg, c.db_path, host=host, port=port)
        auth = "bearer token required" if receiver.token else "no token"
        click.echo(f"evaltop receive: listening on {receiver.url} (/v1/traces, /v1/logs; "
                   f"{auth}) into {c.db_path}", err=True)
        try:
            while not stop.wait(0.5):
                pass
        finally:
            click.echo("evaltop receive: stopping (finishing requests in flight)", err=True)
            receiver.stop()
    for text in receiver.stats.lines():
        click.echo(f"  {text}", err=True)
    click.echo("evaltop receive: stopped", err=True)


COMMANDS = [receive]
