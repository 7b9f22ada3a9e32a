"""`evaltop corpus build|export|add`, `evaltop replay`, `evaltop compare`.

Heavy modules (scipy via compare, httpx via replay, yaml via export) are
imported inside the commands so `evaltop --help` and other commands stay fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from evaltop.core.model.config import Config, ConfigError
from evaltop.core.model.money import format_usd
from evaltop.core.ops.database import StoreError, open_db
from evaltop.core.rollout import corpus as corpus_mod
from evaltop.core.views.runs import UnknownRun, find_run
from evaltop.tui.cli.context import Ctx, UserError, common_options, get_ctx


def _cfg(c: Ctx) -> Config:
    try:
        return c.config
    except ConfigError as exc:
        raise UserError(str(exc)) from None


def _conn(c: Ctx, *, must_exist: bool = True):
    if must_exist and not c.db_path.exists():
        raise UserError(f"{c.db_path}: database does not exist (run `evaltop ingest --once` first)")
    try:
        return open_db(c.db_path)
    except StoreError as exc:
        raise UserError(str(exc)) from None


def _load_corpus(path: Path) -> list[dict]:
    try:
        return corpus_mod.load(path)
    except corpus_mod.CorpusError as exc:
        raise UserError(str(exc)) from None


@click.group()
def corpus() -> None:
    """Build a regression corpus from real traffic and export it."""


@corpus.command("build")
@click.option("--days", type=click.FloatRange(min=0, min_open=True), default=30, show_default=True,
              help="Use outputs from the last N days.")
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("corpus.jsonl"),
    show_default=True,
    help="Corpus file to write (JSON Lines, one case per line).",
)
@click.option("--per-segment", type=click.IntRange(min=1), default=50, show_default=True,
              help="Cases kept per task x outcome (failures and labelled cases: 10x).")
@click.option(
    "--seed", default="evaltop", show_default=True, help="Seed for sampling passing cases."
)
@common_options
def build_cmd(
    days: float, out: Path, per_segment: int, seed: str, config: Path | None, db: Path | None
) -> None:
    """Dedupe, stratify, cap and redact stored outputs into a corpus file."""
    c = get_ctx(config, db)
    cfg = _cfg(c)
    conn = _conn(c)
    try:
        s = corpus_mod.build(cfg, conn, out, days=days, per_segment=per_segment, seed=seed)
    finally:
        conn.close()
    click.echo(
        f"wrote {s.written} cases to {out} from {s.examined} outputs "
        f"({s.distinct_inputs} distinct inputs, {s.near_duplicates} near-duplicates dropped, "
        f"{s.dropped_redaction} dropped because redaction failed; "
        f"redaction {'on' if cfg.redaction.enabled else 'OFF'})"
    )
    for seg, n in sorted(s.by_segment.items()):
        click.echo(f"  {seg}: {n}")


@corpus.command("export")
@click.argument("corpus_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["promptfoo", "jsonl"]),
    default="promptfoo",
    show_default=True,
)
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default promptfooconfig.yaml / promptfoo_tests.jsonl).")
@click.option("--provider", "providers", multiple=True,
              help="promptfoo provider id, e.g. openai:chat:gpt-4.1-mini (repeatable).")
@click.option("--candidate", default=None, help="Use [models.NAME] as the promptfoo provider.")
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=None,
    help="evaluateOptions.maxConcurrency.",
)
@common_options
def export_cmd(corpus_file: Path, fmt: str, out: Path | None, providers: tuple[str, ...],
               candidate: str | None, concurrency: int | None, config: Path | None,
               db: Path | None) -> None:
    """Write a corpus as a promptfoo config (or promptfoo test cases as JSONL)."""
    from evaltop.core.rollout import export as corpus_export

    c = get_ctx(config, db)
    cfg = _cfg(c)
    cases = _load_corpus(corpus_file)
    prov: list = list(providers)
    model = None  # the outputs' model, when one candidate alone will produce them
    if candidate:
        if candidate not in cfg.models:
            raise UserError(
                f"--candidate {candidate!r} is not a [models.NAME] entry in {c.config_path}"
            )
        prov.append(corpus_export.provider_entry(candidate, cfg.models[candidate]))
        concurrency = concurrency or cfg.models[candidate].concurrency
        model = None if providers else cfg.models[candidate].model
    try:
        if fmt == "jsonl":
            path = corpus_export.write_jsonl(cfg, cases, out or Path("promptfoo_tests.jsonl"),
                                             model=model)
        else:
            path = corpus_export.write_promptfoo(cfg, cases, out or Path("promptfooconfig.yaml"),
                                                 corpus_name=corpus_file.name,
                                                 providers=prov or None,
                                                 concurrency=concurrency, model=model)
    except (OSError, ValueError) as exc:
        raise UserError(f"export failed: {exc}") from None
    click.echo(f"wrote {len(cases)} tests to {path}")


@corpus.command("add")
@click.argument("output_id")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Corpus file (default corpus.jsonl next to the config).")
@common_options
def add_cmd(output_id: str, out: Path | None, config: Path | None, db: Path | None) -> None:
    """Append one stored output to a corpus file (idempotent)."""
    c = get_ctx(config, db)
    cfg = _cfg(c)
    conn = _conn(c)
    try:
        path = corpus_mod.add_case(cfg, conn, output_id, out)
    except corpus_mod.CorpusError as exc:
        raise UserError(str(exc)) from None
    finally:
        conn.close()
    click.echo(f"{output_id} is in {path}")


@click.command()
@click.argument("corpus_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--candidate", required=True, help="A [models.NAME] entry to call.")
@click.option("--run", "run_id", required=True, help="Run name; re-use it to resume.")
@click.option("--concurrency", type=click.IntRange(min=1, max=256), default=None,
              help="Parallel calls (default: the model's `concurrency`).")
@click.option(
    "--no-judge", is_flag=True, help="Only call the candidate; judge later by re-running."
)
@common_options
def replay(corpus_file: Path, candidate: str, run_id: str, concurrency: int | None, no_judge: bool,
           config: Path | None, db: Path | None) -> None:
    """Run a candidate model over a corpus and judge it, as run RUN (resumable)."""
    from evaltop.core.rollout.candidates import CandidateError
    from evaltop.core.rollout.replay import replay as do_replay

    c = get_ctx(config, db)
    cfg = _cfg(c)
    try:
        s = do_replay(cfg, c.db_path, corpus_file, candidate, run_id, concurrency=concurrency,
                      judge=not no_judge)
    except (ConfigError, CandidateError, corpus_mod.CorpusError, StoreError) as exc:
        raise UserError(str(exc)) from None
    cost = format_usd(s.cost_pusd) if s.cost_pusd or not s.unpriced else "unpriced"
    click.echo(
        f"run {run_id}: {s.cases} cases; called {s.called} (ok {s.ok}, errors {s.errors}, "
        f"retries {s.retries}); already done {s.already_ok}; "
        f"held by another process {s.held_elsewhere}; "
        f"lost calls from a crashed run {s.lost_calls_taken_over}"
    )
    click.echo(f"inference: {s.input_tokens} input + {s.output_tokens} output tokens, {cost}"
               + (f" ({s.unpriced} unpriced cases)" if s.unpriced else "")
               + (f"; unconfirmed up to {format_usd(s.unconfirmed_pusd)} "
                  f"({s.unconfirmed_attempts} attempts cut off after sending)"
                  if s.unconfirmed_attempts else ""))
    for line in s.error_samples:
        click.echo(f"  error {line}", err=True)
    if s.judging is not None:
        _judging_lines(s.judging)
    if s.errors:
        sys.exit(1)


def _judging_lines(j: dict) -> None:
    click.echo(f"judged: {j['rule_verdicts']} rule verdicts, {j['llm_verdicts']} LLM verdicts")
    llm = j.get("llm")
    if not isinstance(llm, dict):
        return
    click.echo(f"judge spend: {format_usd(llm.get('cost_pusd', 0))} in {llm.get('calls', 0)} calls"
               f" ({llm.get('retries', 0)} retries, {llm.get('errors', 0)} judge errors)")
    left = {
        k: llm.get(k, 0) for k in ("skipped_budget", "deferred", "claimed_elsewhere") if llm.get(k)
    }
    if left:
        why = f"; budget: {llm['budget_reason']}" if llm.get("budget_reason") else ""
        pending = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in left.items())
        click.echo(f"not judged yet (re-run to finish): {pending}{why}", err=True)


@click.command()
@click.argument("run_a")
@click.argument("run_b")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "markdown"]),
    default="text",
    show_default=True,
)
@click.option(
    "--fail-on",
    "fail_on",
    default="",
    help="`regression`: exit 1 on a significant paired regression.",
)
@click.option(
    "--corpus",
    "corpus_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="With RUN_A = `corpus`: the corpus file (default: the one RUN_B replayed).",
)
@common_options
def compare(run_a: str, run_b: str, fmt: str, fail_on: str, corpus_file: Path | None,
            config: Path | None, db: Path | None) -> None:
    """Paired comparison of RUN_B against RUN_A (or `corpus`: production outputs)."""
    from evaltop.core.rollout import compare as compare_mod

    conds = {x.strip() for x in fail_on.split(",") if x.strip()}
    if conds - {"regression"}:
        raise UserError(
            f"--fail-on: unknown condition(s) {', '.join(sorted(conds - {'regression'}))}; "
            "expected `regression`"
        )
    c = get_ctx(config, db)
    cfg = _cfg(c)
    conn = _conn(c)
    try:
        side_a = None if run_a == "corpus" else _run_side(conn, run_a)
        side_b = _run_side(conn, run_b)
        if side_a is None:
            path = corpus_file or Path(find_run(conn, run_b)["corpus"])
            if not path.exists():
                raise UserError(f"{path}: corpus of run {run_b!r} not found; pass --corpus PATH")
            side_a = compare_mod.corpus_side(cfg, _load_corpus(path), name=f"corpus {path.name}")
    finally:
        conn.close()
    result = compare_mod.compare(side_a, side_b, alpha=cfg.analysis.alpha)
    if fmt == "json":
        click.echo(json.dumps(result, indent=2))
    else:
        click.echo(compare_mod.to_markdown(result), nl=False)
    if "regression" in conds and result["regression"]:
        click.echo(f"evaltop: significant paired regression of {run_b} against {run_a}", err=True)
        sys.exit(1)


def _run_side(conn, run_id: str):
    from evaltop.core.rollout import compare as compare_mod

    try:
        find_run(conn, run_id)
    except UnknownRun as exc:
        raise UserError(str(exc)) from None
    return compare_mod.run_side(conn, run_id)


COMMANDS = [corpus, replay, compare]
