"""Rule checks: free, deterministic judges run on every sampled output.

:func:`compile_rule` turns a ``kind = "rule"`` judge config into a callable
``check(subject) -> RuleResult``. Everything that can be wrong in the config
(a bad regex, an invalid JSON Schema, an unreadable ``schema_file``) fails at
compile time with a :class:`ConfigError` naming the judge and key, never
mid-run.

:func:`rule_verdicts` is the one loop that runs compiled rules over subjects
(live scoring, judging of runs, and ``compare corpus`` all use it): it skips
pairs already judged and judges whose ``applies_to`` does not match, and
returns typed :class:`RuleVerdict` rows.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema
from jsonschema.exceptions import SchemaError, best_match

from evaltop.core.model.config import Config, ConfigError, JudgeConfig
from evaltop.core.scoring.judges.subject import Subject, applies


@dataclass(frozen=True)
class RuleResult:
    """``passed`` and ``score`` (1.0/0.0); ``reason`` names what failed.
    ``error`` is set when the rule could not be applied (not a failure)."""

    passed: bool | None
    score: float | None
    reason: str
    error: str | None = None


RuleCheck = Callable[[Subject], RuleResult]


def _ok(reason: str) -> RuleResult:
    return RuleResult(True, 1.0, reason)


def _fail(reason: str) -> RuleResult:
    return RuleResult(False, 0.0, reason)


def _parse(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except ValueError as exc:
        return None, f"not valid JSON: {exc}"


def _json_valid(_: JudgeConfig, __: Config, ___: str) -> RuleCheck:
    def check(s: Subject) -> RuleResult:
        _, err = _parse(s.output_text)
        return _fail(err) if err else _ok("valid JSON")
    return check


def _load_schema(j: JudgeConfig, cfg: Config, where: str) -> dict:
    if j.schema_ is not None:
        schema, key = j.schema_, f"{where}.schema"
    else:
        path = cfg.resolve(j.schema_file or "")
        key = f"{where}.schema_file ({path})"
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{key}: cannot read schema file: {exc.strerror}") from None
        except (UnicodeDecodeError, ValueError) as exc:
            raise ConfigError(f"{key}: not a JSON file: {exc}") from None
    if not isinstance(schema, dict):
        raise ConfigError(f"{key}: a JSON Schema must be an object, got {type(schema).__name__}")
    try:
        jsonschema.validators.validator_for(schema).check_schema(schema)
    except SchemaError as exc:
        raise ConfigError(f"{key}: invalid JSON Schema: {exc.message}") from None
    return schema


def _json_schema(j: JudgeConfig, cfg: Config, where: str) -> RuleCheck:
    schema = _load_schema(j, cfg, where)
    validator = jsonschema.validators.validator_for(schema)(schema)

    def check(s: Subject) -> RuleResult:
        value, err = _parse(s.output_text)
        if err:
            return _fail(err)
        problem = best_match(validator.iter_errors(value))
        if problem is None:
            return _ok("matches the schema")
        at = problem.json_path if hasattr(problem, "json_path") else "$"
        return _fail(f"schema: {problem.message} at {at}")
    return check


def _regex(j: JudgeConfig, _: Config, where: str) -> RuleCheck:
    try:
        pattern = re.compile(j.pattern or "")
    except re.error as exc:
        raise ConfigError(f"{where}.pattern: invalid regular expression: {exc}") from None

    def check(s: Subject) -> RuleResult:
        if pattern.search(s.output_text):
            return _ok(f"matches /{pattern.pattern}/")
        return _fail(f"does not match /{pattern.pattern}/")
    return check


def _contains(j: JudgeConfig, _: Config, __: str) -> RuleCheck:
    needle = j.value or ""

    def check(s: Subject) -> RuleResult:
        return (
            _ok(f"contains {needle!r}") if needle in s.output_text else _fail(f"missing {needle!r}")
        )

    return check


def _not_contains(j: JudgeConfig, _: Config, __: str) -> RuleCheck:
    needle = j.value or ""

    def check(s: Subject) -> RuleResult:
        return _fail(f"contains forbidden {needle!r}") if needle in s.output_text else _ok(
            f"does not contain {needle!r}")
    return check


def _unexpected(obj: dict, allowed: list[str], prefix: str = "") -> str | None:
    """First key of ``obj`` not allowed. ``allowed`` holds top-level names and
    dotted paths (``address.city``); an object under a name with dotted
    children is checked the same way, other nested objects are not."""
    top = {a.split(".", 1)[0] for a in allowed}
    for key, value in obj.items():
        if key not in top:
            return f"{prefix}{key}"
        children = [a.split(".", 1)[1] for a in allowed if a.startswith(f"{key}.")]
        if children:
            items = value if isinstance(value, list) else [value]
            for item in items:
                if isinstance(item, dict):
                    bad = _unexpected(item, children, f"{prefix}{key}.")
                    if bad:
                        return bad
    return None


def _allowed_fields(j: JudgeConfig, _: Config, __: str) -> RuleCheck:
    allowed = list(j.fields or [])

    def check(s: Subject) -> RuleResult:
        value, err = _parse(s.output_text)
        if err:
            return _fail(err)
        objects = value if isinstance(value, list) else [value]
        for obj in objects:
            if not isinstance(obj, dict):
                return _fail(f"expected a JSON object, got {type(obj).__name__}")
            bad = _unexpected(obj, allowed)
            if bad:
                return _fail(f"unexpected field {bad!r}")
        return _ok("only allowed fields")
    return check


def _max_length(j: JudgeConfig, _: Config, __: str) -> RuleCheck:
    limit = int(j.max_chars or 0)

    def check(s: Subject) -> RuleResult:
        n = len(s.output_text)
        if n > limit:
            return _fail(f"output is {n} characters, over the limit of {limit}")
        return _ok(f"{n} characters")
    return check


def _max_latency(j: JudgeConfig, _: Config, __: str) -> RuleCheck:
    limit = float(j.max_ms or 0)

    def check(s: Subject) -> RuleResult:
        if s.latency_ms is None:
            return RuleResult(None, None, "", error="latency was not logged for this output")
        if s.latency_ms > limit:
            return _fail(f"latency {s.latency_ms:g} ms is over the limit of {limit:g} ms")
        return _ok(f"latency {s.latency_ms:g} ms")
    return check


REFUSAL_FINISH = {"content_filter", "refusal"}
_REFUSAL_TEXT = re.compile(
    r"\b(I'?m sorry,? but I (can(?:'|no)?t|won'?t|am unable)|"
    r"I (can(?:'|no)?t|cannot|won'?t|am not able to) "
    r"(help|assist|comply|provide|do that)|I'?m (unable|not able) to (help|assist|comply|provide)|"
    r"as an AI( language model)?,? I (can(?:'|no)?t|cannot|don'?t))",
    re.IGNORECASE,
)
REFUSAL_SCAN_CHARS = 400  # phrasing only counts near the start of the reply


def _refusal(_: JudgeConfig, __: Config, ___: str) -> RuleCheck:
    def check(s: Subject) -> RuleResult:
        finish = (s.finish_reason or "").lower()
        if finish in REFUSAL_FINISH:
            return _fail(f"refusal: finish reason {finish!r}")
        if s.error:
            return _fail(f"refusal: the call failed ({s.error[:120]})")
        text = s.output_text.replace("\u2019", "'")
        m = _REFUSAL_TEXT.search(text[:REFUSAL_SCAN_CHARS])
        if m:
            return _fail(f"refusal phrasing: {m.group(0)!r}")
        if not s.output_text.strip():
            return _fail("refusal: empty output")
        return _ok("no refusal")
    return check


_BUILDERS: dict[str, Callable[[JudgeConfig, Config, str], RuleCheck]] = {
    "json_valid": _json_valid, "json_schema": _json_schema, "regex": _regex,
    "contains": _contains, "not_contains": _not_contains, "allowed_fields": _allowed_fields,
    "max_length": _max_length, "max_latency_ms": _max_latency, "refusal": _refusal,
}


def compile_rule(judge: JudgeConfig, cfg: Config, where: str = "") -> RuleCheck:
    """A check for a ``kind = "rule"`` judge. ``where`` names it in errors
    (default ``judges[<name>]``)."""
    where = where or f"judges[{judge.name}]"
    if judge.kind != "rule" or judge.rule is None:
        raise ConfigError(f"{where}: not a rule judge")
    return _BUILDERS[judge.rule](judge, cfg, where)


CompiledRules = Mapping[str, tuple[JudgeConfig, RuleCheck]]


def compile_rules(cfg: Config) -> dict[str, tuple[JudgeConfig, RuleCheck]]:
    """Every rule judge in the config by name, with its compiled check, in
    config order (errors name ``judges[i]``)."""
    return {j.name: (j, compile_rule(j, cfg, f"judges[{i}] ({j.name})"))
            for i, j in enumerate(cfg.judges) if j.kind == "rule"}


@dataclass(frozen=True)
class RuleVerdict:
    """One rule check on one subject, as stored (``scores``, ``run_scores``).

    ``status`` is ``"ok"`` (``passed``/``score`` set) or ``"error"`` (the rule
    could not be applied; ``error`` says why, never counted as a failure).
    ``reason`` is None when the rule gave none: stores keep NULL, never an
    empty string, and screens and reports show nothing for it."""

    subject_id: str
    judge: str
    status: str
    score: float | None
    passed: bool | None
    reason: str | None
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


def rule_verdicts(rules: CompiledRules, subjects: Iterable[Subject],
                  done: set[tuple[str, str]] | frozenset[tuple[str, str]] = frozenset(),
                  ) -> list[RuleVerdict]:
    """Run every rule on every subject it applies to, skipping ``(subject id,
    judge)`` pairs in ``done``. Judge-major order (the order of ``rules``)."""
    subjects = list(subjects)
    out = []
    for judge, check in rules.values():
        for s in subjects:
            if (s.id, judge.name) in done or not applies(judge, s):
                continue
            r = check(s)
            passed = None if r.passed is None else bool(r.passed)
            out.append(RuleVerdict(s.id, judge.name, "error" if r.error else "ok", r.score, passed,
                                   r.reason or None, r.error))
    return out
