"""The schema: v1 DDL (v1.py), frozen steps (steps.py, sql/), the whole current
schema (current.py, current.sql) and the migration runner (runner.py)."""
