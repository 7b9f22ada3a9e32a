"""Failed calls providers do not bill (docs/pricing.md "Failed calls"): an
error, no output and no usage in the log store zero usage (not estimated)
and cost 0 with cost_source "unbilled-error"; everything else is counted
and priced as before."""

from __future__ import annotations

from ingest_helpers import native, source_config, write_lines

from evaltop.core.ingest.pipeline import ingest_once
from evaltop.store.rollups import hourly as rollups

COLS = ("input_tokens, output_tokens, cached_input_tokens, reasoning_tokens, usage_estimated, "
        "cost_pusd, cost_source")


def _rows(conn) -> dict[str, tuple]:
    return {r[0]: tuple(r[1:]) for r in conn.execute(f"SELECT id, {COLS} FROM outputs")}


def test_native_failed_calls(tmp_path, make_config, conn):
    write_lines(
        tmp_path / "app.jsonl",
        [
            # unbilled
            native(1, usage=False, output="", error={"message": "rate limited"}, pad=50),
            native(2, usage=False, output=None, error="timeout after 30s", pad=50),  # unbilled
            native(
                3,
                usage=False,
                output="I can't help with that.",
                error="refusal",
                finish_reason="refusal",
            ),
            native(4, output="", error="content_filter"),  # usage reported: priced by it
            native(5, usage=False, output=""),  # empty answer, no error: the prompt was billed
            # the log's cost wins
            native(6, usage=False, output="", error="upstream 502", cost_usd=0.002),
            # unbilled, even unpriced
            native(7, usage=False, model="no-such-model", output="", error="boom"),
        ],
    )
    s = ingest_once(source_config(make_config, "app.jsonl"), conn)
    assert (s.outputs, s.rejected) == (7, 0)
    rows = _rows(conn)
    zero = (0, 0, 0, 0, 0, 0, "unbilled-error")
    assert rows["o1"] == rows["o2"] == rows["o7"] == zero
    refusal = rows["o3"]
    assert refusal[4] == 1 and refusal[0] > 0 and refusal[1] > 0  # counted (estimated) ...
    assert refusal[5] > 0 and refusal[6] == "builtin"  # ... and priced as usual
    assert rows["o4"][:2] == (104, 14) and rows["o4"][4] == 0 and rows["o4"][5] > 0
    assert rows["o5"][0] > 0 and rows["o5"][1] == 0 and rows["o5"][4] == 1 and rows["o5"][5] > 0
    assert rows["o6"][:5] == (0, 0, 0, 0, 0) and rows["o6"][5:] == (2_000_000_000, "reported")
    hourly = conn.execute("SELECT SUM(errors), SUM(estimated_outputs), SUM(unpriced_outputs), "
                          "SUM(cost_pusd) FROM rollup_hourly").fetchone()
    priced = conn.execute("SELECT SUM(cost_pusd) FROM outputs").fetchone()[0]
    # unbilled calls are priced at 0, not unpriced; only the real counts are estimates
    assert tuple(hourly) == (6, 2, 0, priced)
    assert rollups.totals_match_outputs(conn)


def test_batch_error_lines_of_openai_and_anthropic(tmp_path, make_config, conn):
    write_lines(
        tmp_path / "batch.jsonl",
        [
            b'{"id": "batch_req_1", "custom_id": "c1", "response": null, '
            b'"error": {"code": "server_error", "message": "boom"}}\n',
            b'{"custom_id": "c2", "result": {"type": "errored", "error": {"type": "error", '
            b'"error": {"type": "invalid_request_error", "message": "bad"}}}}\n',
            b'{"custom_id": "c3", "result": {"type": "expired"}}\n',
            b'{"id": "batch_req_4", "custom_id": "c4", "response": {"status_code": 200, "body": '
            b'{"id": "chatcmpl-4", "object": "chat.completion", "created": 1767225600, '
            b'"model": "gpt-4o-mini", "choices": [{"index": 0, "message": {"role": "assistant", '
            b'"content": "ok"}, "finish_reason": "stop"}], '
            b'"usage": {"prompt_tokens": 9, "completion_tokens": 1}}}, "error": null}\n',
        ],
    )
    s = ingest_once(source_config(make_config, "batch.jsonl", format="auto"), conn)
    assert (s.outputs, s.rejected) == (4, 0)
    got = {r[0]: (r[1], r[2], r[3]) for r in conn.execute(
        "SELECT id, error IS NOT NULL, cost_source, usage_estimated FROM outputs")}
    unbilled = sorted(k for k, v in got.items() if v[1] == "unbilled-error")
    assert len(unbilled) == 3 and all(got[k][0] == 1 and got[k][2] == 0 for k in unbilled)
    assert got["chatcmpl-4"] == (0, "builtin", 0)
    costs = {
        r[0]
        for r in conn.execute("SELECT cost_pusd FROM outputs WHERE cost_source = 'unbilled-error'")
    }
    assert costs == {0}
