"""One case as titled sections of literal text (header, input, output,
scores, review, feedback, metadata): what the case detail screen and the
review screen both show. Logged text goes through safe_text, never markup."""

from __future__ import annotations

import json

from rich.text import Text

from evaltop.core.model.money import format_usd
from evaltop.core.views import cases as dc
from evaltop.core.views.costs import text_lines
from evaltop.tui.format import when
from evaltop.tui.widgets.safe_text import cell, join, safe


def _score_line(s: dict) -> Text:
    if s["status"] == "error":
        verdict = Text("ERROR", style="bold yellow")
    else:
        verdict = (
            Text("PASS", style="bold green") if s["passed"] else Text("FAIL", style="bold red")
        )
    score = "" if s["score"] is None else f" {s['score']:g}"
    t = join(verdict, score, "  ", cell(s["judge"], 30, style="bold"), (f" ({s['kind']})", "dim"))
    if s.get("same_family"):
        t.append(" same family as judged model", style="yellow")
    body = s["error"] if s["status"] == "error" else s["reason"]
    if body:
        t.append("\n    ")
        t.append_text(safe(body))
    return t


def render_detail(d: dc.CaseDetail) -> list[tuple[str, Text]]:
    """The case as titled sections of literal text."""
    o = d.output
    est = Text(" estimated", style="yellow") if o["usage_estimated"] else Text("")
    cost = Text(format_usd(o["cost_pusd"]), style="yellow" if o["cost_pusd"] is None else "")
    head = join(
        ("id ", "dim"), cell(o["id"], 60),
        ("  at ", "dim"), when(o["ts"], "%Y-%m-%d %H:%M:%S"), " UTC\n",
        ("model ", "dim"), cell(o["model"], 40),
        ("  provider ", "dim"), cell(o["provider"], 20), "\n",
        ("task ", "dim"), cell(o["task"], 30), ("  prompt ", "dim"), cell(o["prompt_version"], 20),
        ("  variant ", "dim"), cell(o["variant"] or "-", 20), "\n",
        ("tokens ", "dim"), f"in {o['input_tokens']:,} (cached {o['cached_input_tokens']:,}) "
        f"out {o['output_tokens']:,} (reasoning {o['reasoning_tokens']:,})", est, "\n",
        ("cost ", "dim"), cost, ("  latency ", "dim"),
        "n/a" if o["latency_ms"] is None else f"{o['latency_ms']:,.0f} ms",
    )
    if o.get("finish_reason"):
        head.append("  finish ", style="dim")
        head.append_text(cell(o["finish_reason"], 20))
    sections = [("Case", head)]
    inp = Text()
    for m in d.messages:
        inp.append_text(cell(m["role"], 20, style="bold magenta"))
        inp.append("\n")
        content = m["content"] if isinstance(m["content"], str) else json.dumps(m["content"])
        inp.append_text(safe(content))
        inp.append("\n")
    sections.append(("Input", inp))
    out = safe(o["output_text"]) if o["output_text"] else Text("(empty)", style="dim")
    if o["error"]:
        out = join(("error: ", "bold red"), safe(o["error"]), "\n", out)
    sections.append(("Output", out))
    scores = (
        Text("\n").join(_score_line(s) for s in d.scores)
        if d.scores
        else Text("not judged", style="dim")
    )
    for old in d.replaced:  # kept as history by `score --rescore`; not counted anywhere
        scores.append("\n")
        scores.append_text(join(("replaced ", "dim"), when(old["replaced_at"]), (": ", "dim")))
        scores.append_text(_score_line(old))
    sections.append(("Scores", scores))
    if d.cost is not None:  # literal text: names in it are cleaned of control characters
        sections.append(("Cost", Text("\n".join(text_lines(d.cost)[2:]))))
    if d.label:
        lab = join(("human label ", "dim"), (d.label["label"].upper(), "bold"),
                   ("  by ", "dim"), cell(d.label.get("reviewer") or "?", 30))
    else:
        lab = Text("no human label (a = pass, r = fail)", style="dim")
    if d.sample:
        lab.append("\nsampled as ", style="dim")
        lab.append_text(cell(d.sample.get("strata") or "?", 40))
        lab.append(f" (p={d.sample['probability']:g}, {d.sample['status']})", style="dim")
    sections.append(("Review", lab))
    fb = Text()
    for f in d.feedback:
        value = f["value_text"] if f["value_text"] is not None else f["value_num"]
        fb.append_text(
            join(when(f["ts"]), "  ", cell(f["name"], 30, style="bold"), " = ", cell(value, 60))
        )
        fb.append("\n")
    sections.append(("Feedback", fb if d.feedback else Text("none", style="dim")))
    meta = json.dumps(d.metadata, ensure_ascii=False, indent=1, default=str) if d.metadata else "{}"
    tags = ", ".join(str(t) for t in d.tags)
    sections.append(("Metadata", join(("tags ", "dim"), safe(tags or "-"), "\n", safe(meta))))
    return sections
