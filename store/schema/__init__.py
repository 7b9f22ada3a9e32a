"""The schema: released DDL (v1), frozen forward steps, the runner."""
