"""evaltop.toml, validated by pydantic.

A bad key, type or value raises :class:`ConfigError` whose message names the
file, the key path (``judges[1].scale``) and what was expected. The CLI prints
that one line and exits 2. API keys are never in the file: judges and models
name an environment variable (``api_key_env``).
"""

from __future__ import annotations

import logging
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from evaltop.core.model.pricing_config import ModelPrice
from evaltop.core.model.receiver_config import ReceiverConfig
from evaltop.core.model.window import parse_duration

log = logging.getLogger(__name__)

FORMATS = ("auto", "native", "openai", "anthropic", "otel", "litellm", "langfuse")


class ConfigError(Exception):
    """One line a user can act on: file, key path, what was expected."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StoreConfig(_Strict):
    path: str = "evaltop.db"


class SourceConfig(_Strict):
    name: str = Field(min_length=1)
    path: str = Field(min_length=1, description="a file or a glob")
    format: Literal["auto", "native", "openai", "anthropic", "otel", "litellm", "langfuse"] = "auto"
    max_line_bytes: int = Field(1_048_576, gt=0)


class PricingConfig(_Strict):
    file: str = ""
    models: dict[str, ModelPrice] = Field(default_factory=dict)


class Stratum(_Strict):
    rate: float = Field(ge=0, le=1)


class LowConfidence(Stratum):
    threshold: float = Field(0.5, ge=0, le=1)


class EdgeStratum(Stratum):
    tags: list[str] = Field(default_factory=list)
    metadata: dict[str, Any] = Field(default_factory=dict)


class NewVersion(Stratum):
    days: float = Field(3, gt=0)


class LongOutput(Stratum):
    min_chars: int = Field(4000, gt=0)


class Strata(_Strict):
    user_corrected: Stratum = Stratum(rate=1.0)
    low_confidence: LowConfidence = LowConfidence(rate=0.5, threshold=0.5)
    error: Stratum = Stratum(rate=1.0)
    edge: EdgeStratum = EdgeStratum(rate=0.5)
    new_version: NewVersion = NewVersion(rate=0.5, days=3)
    long_output: LongOutput = LongOutput(rate=0.3, min_chars=4000)


class SamplingConfig(_Strict):
    base_rate: float = Field(0.1, ge=0, le=1)
    seed: str = "evaltop"
    strata: Strata = Strata()


class AppliesTo(_Strict):
    tasks: list[str] = Field(default_factory=list)
    models: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


RuleName = Literal[
    "json_valid", "json_schema", "regex", "contains", "not_contains",
    "allowed_fields", "max_length", "max_latency_ms", "refusal",
]


class JudgeConfig(_Strict):
    name: str = Field(min_length=1)
    kind: Literal["llm", "rule", "demo"]
    applies_to: AppliesTo = AppliesTo()
    # rule judges
    rule: RuleName | None = None
    pattern: str | None = None  # regex
    value: str | None = None  # contains / not_contains
    schema_: dict[str, Any] | None = Field(None, alias="schema")  # json_schema, inline
    schema_file: str | None = None  # json_schema, from a file
    fields: list[str] | None = None  # allowed_fields
    max_chars: int | None = Field(None, gt=0)  # max_length
    max_ms: float | None = Field(None, gt=0)  # max_latency_ms
    # llm judges
    provider: Literal["openai", "anthropic"] | None = None
    base_url: str | None = None
    model: str | None = None
    api_key_env: str | None = None
    rubric: str = ""
    scale: tuple[float, float] = (1.0, 5.0)
    pass_threshold: float | None = None
    concurrency: int = Field(4, ge=1, le=256)
    timeout_s: float = Field(30.0, gt=0)
    deadline_s: float = Field(120.0, gt=0)
    max_retries: int = Field(4, ge=0, le=20)
    max_output_tokens: int = Field(300, gt=0)
    json_schema_mode: bool = True  # OpenAI-compatible response_format json_schema
    require_different_family: bool = False

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _check(self) -> JudgeConfig:
        if self.kind == "rule":
            if self.rule is None:
                raise ValueError(
                    "a rule judge needs `rule` (one of json_valid, json_schema, regex, ...)"
                )
            need = {
                "regex": "pattern", "contains": "value", "not_contains": "value",
                "allowed_fields": "fields", "max_length": "max_chars", "max_latency_ms": "max_ms",
            }.get(self.rule)
            if need and getattr(self, need) is None:
                raise ValueError(f"rule {self.rule!r} needs `{need}`")
            if self.rule == "json_schema" and self.schema_ is None and not self.schema_file:
                raise ValueError(
                    "rule 'json_schema' needs `schema` (inline table) or `schema_file`"
                )
        if self.kind == "llm":
            missing = [
                k for k in ("provider", "base_url", "model") if getattr(self, k) in (None, "")
            ]
            if missing:
                raise ValueError(f"an llm judge needs {', '.join(missing)}")
        lo, hi = self.scale
        if not lo < hi:
            raise ValueError(f"scale must be [lo, hi] with lo < hi, got [{lo}, {hi}]")
        if self.pass_threshold is not None and not lo <= self.pass_threshold <= hi:
            raise ValueError(f"pass_threshold {self.pass_threshold} is outside scale [{lo}, {hi}]")
        return self

    @property
    def threshold(self) -> float:
        """pass_threshold, defaulting to the scale's midpoint."""
        if self.pass_threshold is not None:
            return self.pass_threshold
        lo, hi = self.scale
        return (lo + hi) / 2


class BudgetsConfig(_Strict):
    judge_daily_usd: float | None = Field(None, ge=0)
    judge_monthly_usd: float | None = Field(None, ge=0)
    inference_daily_usd: float | None = Field(None, ge=0)
    inference_monthly_usd: float | None = Field(None, ge=0)
    alert_at: list[float] = Field(default_factory=lambda: [0.5, 0.8, 1.0])
    webhook_url: str = ""

    @field_validator("alert_at")
    @classmethod
    def _fractions(cls, v: list[float]) -> list[float]:
        for x in v:
            if not 0 < x <= 10:
                raise ValueError(
                    f"alert_at values are fractions of the budget such as 0.8, got {x}"
                )
        return sorted(v)


class ScheduleConfig(_Strict):
    poll_seconds: float = Field(5, gt=0)
    score_seconds: float = Field(30, gt=0)
    maintain_seconds: float = Field(60, gt=0)  # the maintain job (WAL checkpoint, optimize)
    # the old name of maintain_seconds, still accepted (validate() warns); read maintain_seconds
    rollup_seconds: float | None = Field(None, gt=0, exclude=True)
    budget_seconds: float = Field(60, gt=0)
    analysis_seconds: float = Field(60, gt=0)
    lease_seconds: float = Field(30, gt=0)
    score_batch: int = Field(200, gt=0)

    @model_validator(mode="after")
    def _old_maintain_name(self) -> ScheduleConfig:
        if self.rollup_seconds is not None:
            if "maintain_seconds" in self.model_fields_set:
                raise ValueError("rollup_seconds and maintain_seconds are both set; rollup_seconds "
                                 "is the old name of maintain_seconds: keep only maintain_seconds")
            self.maintain_seconds = self.rollup_seconds
        return self


class CandidateModel(_Strict):
    provider: Literal["openai", "anthropic"]
    base_url: str
    model: str
    api_key_env: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    max_output_tokens: int = Field(1024, gt=0)
    concurrency: int = Field(4, ge=1, le=256)
    timeout_s: float = Field(60.0, gt=0)
    max_retries: int = Field(4, ge=0, le=20)


class ShadowConfig(_Strict):
    enabled: bool = False
    candidate: str = ""
    rate: float = Field(0.05, ge=0, le=1)


class AnalysisConfig(_Strict):
    alpha: float = Field(0.05, gt=0, lt=1)
    min_n: int = Field(30, ge=1)
    # the pass-rate drop (absolute) the sequential test is tuned to find fastest
    detect_drop: float = Field(0.05, gt=0, le=1)
    since: str = "24h"
    baseline: str = "7d"

    @field_validator("since", "baseline")
    @classmethod
    def _duration(cls, v: str) -> str:
        try:
            parse_duration(v)
        except ValueError:
            raise ValueError("expected a duration such as 90m, 24h, 7d, 4w or `all`") from None
        return v


class DownstreamConfig(_Strict):
    """Feedback event names mapped to downstream metric kinds."""

    task_completion: list[str] = Field(default_factory=lambda: ["task_completed"])
    user_correction: list[str] = Field(default_factory=lambda: ["user_corrected"])
    error: list[str] = Field(default_factory=lambda: ["error"])
    thumbs: list[str] = Field(default_factory=lambda: ["thumbs"])


class RedactionConfig(_Strict):
    enabled: bool = True


class TuiConfig(_Strict):
    bell: bool = True
    refresh_seconds: float = Field(1.0, gt=0)
    keymap: dict[str, str] = Field(default_factory=dict)


class Config(_Strict):
    store: StoreConfig = StoreConfig()
    sources: list[SourceConfig] = Field(default_factory=list)
    pricing: PricingConfig = PricingConfig()
    sampling: SamplingConfig = SamplingConfig()
    judges: list[JudgeConfig] = Field(default_factory=list)
    budgets: BudgetsConfig = BudgetsConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    models: dict[str, CandidateModel] = Field(default_factory=dict)
    shadow: ShadowConfig = ShadowConfig()
    analysis: AnalysisConfig = AnalysisConfig()
    downstream: DownstreamConfig = DownstreamConfig()
    receiver: ReceiverConfig = ReceiverConfig()
    redaction: RedactionConfig = RedactionConfig()
    tui: TuiConfig = TuiConfig()

    # where the file was read from; relative paths in it resolve against its folder
    base_dir: Annotated[Path, Field(exclude=True)] = Path(".")

    @model_validator(mode="after")
    def _unique_names(self) -> Config:
        for what, names in (
            ("sources", [s.name for s in self.sources]),
            ("judges", [j.name for j in self.judges]),
        ):
            seen: set[str] = set()
            for n in names:
                if n in seen:
                    raise ValueError(f"duplicate {what} name {n!r}")
                seen.add(n)
        if self.shadow.enabled and self.shadow.candidate not in self.models:
            raise ValueError(
                f"shadow.candidate {self.shadow.candidate!r} is not a [models.NAME] entry"
            )
        return self

    def resolve(self, p: str) -> Path:
        path = Path(os.path.expanduser(p))
        return path if path.is_absolute() else self.base_dir / path

    @property
    def db_path(self) -> Path:
        return self.resolve(self.store.path)


def _loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part in ("function-after", "function-before") or str(part).startswith(
            ("function-", "literal[")
        ):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _describe(err: dict) -> str:
    kind = err.get("type", "")
    msg = err.get("msg", "")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, "):]
    got = err.get("input")
    if kind not in ("model_type",) and not isinstance(got, dict | list) and got is not None:
        return f"{msg} (got {got!r})"
    return msg


def validate(
    data: dict[str, Any], *, origin: str = "<config>", base_dir: Path = Path(".")
) -> Config:
    try:
        cfg = Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        more = f" (+{len(exc.errors()) - 1} more)" if len(exc.errors()) > 1 else ""
        raise ConfigError(f"{origin}: {_loc(err['loc'])}: {_describe(err)}{more}") from None
    cfg.base_dir = base_dir
    if cfg.schedule.rollup_seconds is not None:
        log.warning("%s: [schedule] rollup_seconds is deprecated; rename it to maintain_seconds",
                    origin)
    return cfg


def load(path: str | Path | None, *, required: bool = False) -> Config:
    """Read and validate a config file.

    A missing file is fine unless ``required`` (defaults then apply, relative to
    the current directory); a present but broken one always raises.
    """
    path = Path(path) if path else Path("evaltop.toml")
    if not path.exists():
        if required:
            raise ConfigError(f"{path}: no such config file (run `evaltop init` to write one)")
        return validate({}, origin=str(path), base_dir=Path("."))
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    return validate(data, origin=str(path), base_dir=path.resolve().parent)


def example_text() -> str:
    """The commented example config shipped with the package."""
    from importlib.resources import files

    return files("evaltop.core.data").joinpath("config.example.toml").read_text(encoding="utf-8")
