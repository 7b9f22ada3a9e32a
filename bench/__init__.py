"""evaltop's benchmarks (not tests: they measure, print, and write JSON under
bench/results/). ``python -m bench`` runs every module here that defines
``main(argv)``; ``python -m bench ingest judges`` runs the named ones.
Tools that are not benchmarks (``gen`` and its ``gen_*`` helpers, ``peers``)
are skipped."""
