"""Run the benchmarks: every ``bench/<name>.py`` with a ``main(argv)``, or the
names given on the command line (``python -m bench ingest``)."""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time
from pathlib import Path

# the data generators (gen and its helper modules, otlp_gen), the peer comparisons (make
# bench-peers) and the receiver bench's helper modules
NOT_BENCHES = {"gen", "gen_tables", "gen_traffic", "otlp_gen", "peers", "peers_phoenix",
               "procstats", "receiver_ceiling"}
OPT_IN = {"soak", "regressions_time"}  # soak: ten minutes; regressions_time: needs the 1M database


def available() -> list[str]:
    here = str(Path(__file__).resolve().parent)
    return sorted(m.name for m in pkgutil.iter_modules([here])
                  if not m.name.startswith("_") and m.name not in NOT_BENCHES)


def main(argv: list[str]) -> int:
    names = argv or [n for n in available() if n not in OPT_IN]
    unknown = [n for n in names if n not in available()]
    if unknown:
        print(
            f"bench: no benchmark {unknown[0]!r} (have: {', '.join(available())})", file=sys.stderr
        )
        return 2
    status = 0
    for name in names:
        mod = importlib.import_module(f"bench.{name}")
        run = getattr(mod, "main", None)
        if run is None:
            continue
        print(f"== bench.{name}", flush=True)
        started = time.monotonic()
        rc = run([])
        print(f"== bench.{name} took {time.monotonic() - started:.0f} s", flush=True)
        status = status or (rc or 0)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
