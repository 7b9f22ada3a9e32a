"""Trying a candidate model: corpus, export, replay, compare, shadow mode."""
