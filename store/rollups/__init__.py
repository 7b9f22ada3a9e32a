"""Rollup tables: hourly outputs, trigger-kept score and judge-call rollups."""
