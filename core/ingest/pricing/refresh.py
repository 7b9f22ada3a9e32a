"""Rebuild the built-in price table from a LiteLLM price file (a maintainer tool).

    python -m evaltop.core.ingest.pricing.refresh PRICES.json --version 1.110.2 \\
        [--as-of 2026-12-06] [--previous OLD.json] [--out core/data/prices.json] [--check]

``PRICES.json`` is ``litellm/model_prices_and_context_window_backup.json``
from the LiteLLM wheel of ``--version``. The same file and date always give
the same table, byte for byte. What is kept, left out or added by hand is
data in ``refresh_rules.py``; the rates are converted exactly (Decimal, USD
per token to USD per million tokens). Models of the previous table that the
file no longer has keep their last price (``retired``). ``--check`` writes
nothing and fails when ``--out`` differs from what would be written.
docs/pricing.md says how to review the result before committing it.
"""

from __future__ import annotations

import argparse
import copy
import json
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from evaltop.core.ingest.pricing import refresh_rules as rules
from evaltop.core.ingest.pricing.book import candidate_names
from evaltop.core.ingest.pricing.sources import LITELLM_KEY

BUILTIN = Path(__file__).resolve().parents[2] / "data" / "prices.json"
_WRITE_STEMS = ("cache_write", "cache_write_1h")


class RefreshError(Exception):
    """A refresh that cannot go on: the message names the file or entry and why."""


@dataclass
class Source:
    """One first-party entry of the LiteLLM file."""

    key: str  # as in the file: gemini/gemini-2.5-pro
    provider: str  # ours: google
    entry: dict[str, Any]


def per_mtok(usd_per_token: float | int) -> Decimal:
    """Exact: ``3e-06`` is 3, ``1.25e-07`` is 0.125 (the float's shortest repr, x 10^6)."""
    return (Decimal(str(usd_per_token)) * 10**6).normalize()


def first_party(data: dict[str, Any]) -> dict[str, Source]:
    """The file's first-party text models, by name without provider prefix."""
    out: dict[str, Source] = {}
    for key, entry in data.items():
        if not isinstance(entry, dict) or entry.get("mode") not in rules.MODES:
            continue
        spec = rules.PROVIDERS.get(entry.get("litellm_provider"))
        if spec is None or "input_cost_per_token" not in entry \
                or "output_cost_per_token" not in entry:
            continue
        provider, prefix = spec
        prefixed = bool(prefix) and key.startswith(prefix)
        bare = key[len(prefix):] if prefixed else key
        if rules.LEFT_OUT_RE.search(bare):
            continue
        if bare in out and not prefixed:  # `gemini/x` and `x`: the prefixed key wins
            continue
        out[bare] = Source(key, provider, entry)
    return out


def convert(src: Source, version: str) -> tuple[dict[str, Any], list[str]]:
    """One LiteLLM entry as a table entry, and the cost keys it has that no rule prices."""
    base: dict[str, Any] = {}
    tiers: dict[int, dict[str, Any]] = {}
    unpriced: list[str] = []
    origin: dict[tuple[int, str], str] = {}  # (tier or 0, our key) -> file key
    for key, value in src.entry.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or "cost" not in key:
            continue
        m = LITELLM_KEY.match(key)
        if m is None:
            if src.entry.get(rules.SAME_AS.get(key, "")) == value:
                continue
            if "token" in key and not any(w in key for w in ("audio", "image", "video")):
                unpriced.append(key)
            continue
        name = rules.STEMS[m.group(1)] + "_per_mtok"
        if m.group(3):
            name = f"{rules.MODE_NAMES[m.group(3)]}_{name}"
        above = int(m.group(2)) * 1000 if m.group(2) else 0
        (tiers.setdefault(above, {}) if above else base)[name] = per_mtok(value)
        origin[above, name] = key
    e: dict[str, Any] = {"provider": src.provider, **base}
    if tiers:
        e["tiers"] = [{"above_input_tokens": a, **r} for a, r in sorted(tiers.items())]
    notes = [f"its {origin[above, k]} of {v} left out ({_why(src.provider)})"
             for above, k, v in drop_impossible_writes(e)]
    e["ref"] = "; ".join([f"litellm {version}: {src.key}", *notes])
    return e, unpriced


def drop_impossible_writes(e: dict[str, Any]) -> list[tuple[int, str, Any]]:
    """Remove every cache write of $0 or below its cache read (see WRITE_LEFT_OUT_WHY);
    return (tier threshold or 0, key, rate) of each."""
    dropped = []
    for above, rates in [(0, e), *((t["above_input_tokens"], t) for t in e.get("tiers", []))]:
        for mode in ("", "batch_", "flex_", "priority_"):
            read = rates.get(f"{mode}cached_input_per_mtok")
            for stem in _WRITE_STEMS:
                key = f"{mode}{stem}_per_mtok"
                w = rates.get(key)
                if w is not None and (w == 0 or (read is not None and w < read)):
                    dropped.append((above, key, rates.pop(key)))
    return dropped


def _why(provider: str) -> str:
    return rules.WRITE_LEFT_OUT_WHY.get(provider, rules.WRITE_LEFT_OUT_DEFAULT)


def rates_only(e: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in e.items() if k not in ("ref", "provider")}


def from_file(fp: dict[str, Source], version: str, warn: list[str]) -> dict[str, dict]:
    """One entry per model: snapshots grouped under their peeled name; a snapshot is
    kept apart only when its rates differ from the group's canonical entry."""
    groups: dict[str, list[tuple[str, Source]]] = {}
    for bare, src in fp.items():
        groups.setdefault(candidate_names(bare)[-1], []).append((bare, src))
    out: dict[str, dict] = {}
    canon_name: dict[str, str] = {}
    for base, members in groups.items():
        # canonical: the base name itself, else a -latest alias, else a -preview, else shortest
        members.sort(key=lambda m: (m[0] != base, not m[0].endswith("-latest"),
                                    "-preview" not in m[0], len(m[0])))
        canon, unpriced = convert(members[0][1], version)
        out[base], canon_name[base] = canon, members[0][0]
        if unpriced:
            warn.append(f"{members[0][1].key}: cost keys no rule prices: {', '.join(unpriced)}")
        for bare, src in members[1:]:
            e, unpriced = convert(src, version)
            if rates_only(e) != rates_only(canon):
                out[bare] = e
                if unpriced:
                    warn.append(f"{src.key}: cost keys no rule prices: {', '.join(unpriced)}")
    for alias in rules.KEEP_FULL_NAME:
        if alias in out:
            out[canon_name[alias]] = out.pop(alias)
    return out


def add_rules(models: dict[str, dict], warn: list[str]) -> None:
    """Apply ADDED_TIERS and BATCH_FROM_SNAPSHOT (refresh_rules.py)."""
    for name, (tier, why) in rules.ADDED_TIERS.items():
        e = models.get(name)
        if e is None:
            warn.append(f"ADDED_TIERS: {name} is not in the file: rule not applied")
        elif "tiers" not in e:
            e["tiers"] = [dict(tier)]
            e["ref"] += f"; {why}"
    for name, snap in rules.BATCH_FROM_SNAPSHOT.items():
        e, s = models.get(name), models.get(snap)
        if e is None or s is None or "batch_input_per_mtok" in e:
            continue
        same = all(e.get(k) == s.get(k) for k in ("input_per_mtok", "output_per_mtok"))
        if same and "batch_input_per_mtok" in s:
            e["batch_input_per_mtok"] = s["batch_input_per_mtok"]
            e["batch_output_per_mtok"] = s["batch_output_per_mtok"]
            e["ref"] += f"; batch rates from {snap} (same model and rates) in the same file"
        else:
            warn.append(f"BATCH_FROM_SNAPSHOT: {name} and {snap} differ: no batch rates copied")


def retire(models: dict[str, dict], previous: dict[str, Any], version: str) -> None:
    """Keep, at their last price, the previous table's models the file no longer has."""
    prev_as_of = previous.get("as_of", "?")
    for name, old in previous.get("models", {}).items():
        if name in models:
            continue
        if not isinstance(old, dict):
            raise RefreshError(f"previous table: {name}: dated entries (a list) are not"
                               " carried over by the refresh; edit them by hand")
        e = copy.deepcopy(old)
        if not str(e.get("ref", "")).startswith(f"{rules.RETIRED}:"):
            e["ref"] = (f"{rules.RETIRED}: not among LiteLLM {version}'s first-party entries;"
                        " last price kept from the previous built-in table"
                        f" (as of {prev_as_of}, ref: {e.get('ref', 'none')})")
        for above, key, v in drop_impossible_writes(e):
            where = f" above {above} prompt tokens" if above else ""
            what = key.removesuffix("_per_mtok").replace("_", " ")
            e["ref"] += (f"; its {what} of ${number(v, name)}{where} left out"
                         f" ({_why(e.get('provider', ''))})")
        models[name] = e


def drop_repeats(models: dict[str, dict]) -> None:
    """A name whose nearest peeled name has the same rates is left out: lookup reaches it."""
    for name in list(models):
        for cand in candidate_names(name)[1:]:
            if cand in models:
                if rates_only(models[cand]) == rates_only(models[name]):
                    del models[name]
                break


def number(v: Any, where: str) -> int | float:
    """A rate as JSON writes it: an int when whole, else a float whose repr is exact."""
    d = (v if isinstance(v, Decimal) else Decimal(str(v))).normalize()
    if d == d.to_integral_value():
        return int(d)
    f = float(d)
    if Decimal(repr(f)) != d:
        raise RefreshError(f"{where}: {d} has no exact float spelling")
    return f


def tidy(e: dict[str, Any], where: str) -> dict[str, Any]:
    order = {k: i for i, k in enumerate(rules.KEY_ORDER)}
    out: dict[str, Any] = {}
    for k in sorted(e, key=lambda k: order.get(k, len(order))):
        v = e[k]
        if k == "tiers":
            v = [tidy(t, f"{where} tier {i}") for i, t in enumerate(v)]
        elif k.endswith("_per_mtok"):
            v = number(v, f"{where}.{k}")
        out[k] = v
    return out


def build(litellm: dict[str, Any], previous: dict[str, Any], *, version: str, as_of: str
          ) -> tuple[dict[str, Any], list[str]]:
    """The new table (``as_of``, ``note``, ``models``) and warnings for the maintainer."""
    warn: list[str] = []
    models = from_file(first_party(litellm), version, warn)
    add_rules(models, warn)
    retire(models, previous, version)
    drop_repeats(models)
    note = (f"List prices in USD per million tokens, from the LiteLLM {version} price file"
            f" (PyPI), read {as_of}; docs/pricing.md names the source of each rate and the"
            " rules added or left out. Prices change: set [pricing.models] or [pricing].file"
            " to override; config wins.")
    table = {"as_of": as_of, "note": note,
             "models": {n: tidy(models[n], n) for n in sorted(models)}}
    return table, warn


def render(table: dict[str, Any]) -> str:
    return json.dumps(table, indent=1, ensure_ascii=False) + "\n"


def summary(previous: dict[str, Any], table: dict[str, Any]) -> list[str]:
    """What changed, model by model, for the review of the diff."""
    old, new = previous.get("models", {}), table["models"]
    retired = [n for n, e in new.items() if str(e.get("ref", "")).startswith("retired:")
               and not str(old.get(n, {}).get("ref", "")).startswith("retired:")]
    changed = [n for n in new if n in old and isinstance(old[n], dict)
               and rates_only(tidy(old[n], n)) != rates_only(new[n])]
    return [f"{len(new)} models ({len(old)} before)",
            f"added ({len([n for n in new if n not in old])}): "
            + ", ".join(n for n in new if n not in old),
            f"gone, lookup reaches another entry ({len([n for n in old if n not in new])}): "
            + ", ".join(n for n in old if n not in new),
            f"newly retired ({len(retired)}): " + ", ".join(retired),
            f"rates changed ({len(changed)}): " + ", ".join(changed)]


def _read_json(path: Path, what: str) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RefreshError(f"{path}: cannot read {what}: {exc.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RefreshError(f"{path}: {what} is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise RefreshError(f"{path}: {what}: expected a JSON object")
    return data


def _as_of(text: str) -> str:
    try:
        return date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2026-12-06, got {text!r}") from None


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evaltop.core.ingest.pricing.refresh",
                                description="Rebuild the built-in price table from a LiteLLM"
                                " price file (docs/pricing.md).")
    p.add_argument("litellm", type=Path, help="LiteLLM's model_prices_and_context_window"
                   "_backup.json, from the wheel of --version")
    p.add_argument("--version", required=True, help="the LiteLLM release the file comes from")
    p.add_argument("--as-of", type=_as_of, default=datetime.now(UTC).date().isoformat(),
                   help="the day the file was read (default: today, UTC)")
    p.add_argument("--out", type=Path, default=BUILTIN, help="default: core/data/prices.json")
    p.add_argument("--previous", type=Path, help="the table whose retired models are kept"
                   " (default: --out)")
    p.add_argument("--check", action="store_true",
                   help="write nothing; exit 1 when --out differs from the result")
    a = p.parse_args(argv)
    try:
        litellm = _read_json(a.litellm, "LiteLLM price file")
        prev_path = a.previous or a.out
        previous = _read_json(prev_path, "previous table") if prev_path.exists() else {}
        table, warn = build(litellm, previous, version=a.version, as_of=a.as_of)
        text = render(table)
    except RefreshError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for w in warn:
        print(f"warning: {w}", file=sys.stderr)
    for line in summary(previous, table):
        print(line, file=sys.stderr)
    current = a.out.read_text(encoding="utf-8") if a.out.exists() else None
    if a.check:
        same = current == text
        print(f"{a.out}: {'up to date' if same else 'differs from the refresh'}")
        return 0 if same else 1
    tmp = a.out.with_name(a.out.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(a.out)
    print(f"wrote {len(table['models'])} models to {a.out} (as of {a.as_of}). Next: set"
          f" **{a.as_of}** in docs/pricing.md, review `git diff {a.out}`, run"
          " tests/test_prices_builtin.py")
    return 0


if __name__ == "__main__":
    sys.exit(main())
