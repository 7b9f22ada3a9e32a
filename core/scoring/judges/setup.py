"""Build every configured judge once, failing early with a clear error.

A rule with a bad pattern or schema, an LLM/demo judge whose model has no
price (its spend could not be budgeted), or an unset ``api_key_env`` stops
here, at start-up, with ``judges[i] (name)...`` in the message, never mid-run.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from evaltop.core.ingest.pricing import Price, PriceBook
from evaltop.core.ingest.tokens import model_family
from evaltop.core.model.config import Config, ConfigError, JudgeConfig
from evaltop.core.scoring.judges import retry
from evaltop.core.scoring.judges.demo import DEFAULT_MODEL as DEFAULT_DEMO_MODEL
from evaltop.core.scoring.judges.demo import DemoJudge
from evaltop.core.scoring.judges.llm import LLMJudge, api_key_for
from evaltop.core.scoring.judges.rules import RuleCheck, compile_rule


@dataclass
class PaidJudge:
    """An LLM or demo judge with its price (every call is metered)."""

    cfg: JudgeConfig
    client: LLMJudge | DemoJudge
    price: Price

    @property
    def name(self) -> str:
        return self.cfg.name

    @property
    def model(self) -> str:
        return self.client.model

    @property
    def family(self) -> str:
        return model_family(self.client.model)


@dataclass
class JudgeSet:
    rules: dict[str, tuple[JudgeConfig, RuleCheck]] = field(default_factory=dict)
    paid: dict[str, PaidJudge] = field(default_factory=dict)

    def configs(self) -> list[JudgeConfig]:
        return [c for c, _ in self.rules.values()] + [p.cfg for p in self.paid.values()]

    async def aclose(self) -> None:
        for p in self.paid.values():
            await p.client.aclose()


def _model_and_price(j: JudgeConfig, book: PriceBook, where: str) -> tuple[str, Price]:
    model = (j.model or DEFAULT_DEMO_MODEL) if j.kind == "demo" else (j.model or "")
    price = book.lookup(model)
    if price is None:
        raise ConfigError(
            f"{where}.model: {model!r} has no price, so its spend cannot be budgeted; "
            f'add [pricing.models."{model}"] with input_per_mtok and output_per_mtok'
        )
    return model, price


def check_judges(cfg: Config) -> None:
    """Validate every judge (rules compile, paid models priced, API key env
    vars set) without opening anything: for start-up checks."""
    book = PriceBook.from_config(cfg)
    for i, j in enumerate(cfg.judges):
        where = f"judges[{i}] ({j.name})"
        if j.kind == "rule":
            compile_rule(j, cfg, where)
            continue
        if j.kind == "llm":
            api_key_for(j, where)
        _model_and_price(j, book, where)


def build_judge_set(cfg: Config, *, names: set[str] | None = None,
                    backoff_base: float = retry.BACKOFF_BASE_S,
                    rng: random.Random | None = None) -> JudgeSet:
    """Compile rules and open clients for the judges in ``names`` (all by default).

    Call it inside the event loop that will use the clients."""
    book = PriceBook.from_config(cfg)
    out = JudgeSet()
    for i, j in enumerate(cfg.judges):
        if names is not None and j.name not in names:
            continue
        where = f"judges[{i}] ({j.name})"
        if j.kind == "rule":
            out.rules[j.name] = (j, compile_rule(j, cfg, where))
            continue
        key = api_key_for(j, where) if j.kind == "llm" else None
        _, price = _model_and_price(j, book, where)
        client = (
            DemoJudge(j)
            if j.kind == "demo"
            else LLMJudge(j, api_key=key, backoff_base=backoff_base, rng=rng)
        )
        out.paid[j.name] = PaidJudge(j, client, price)
    return out
