"""Exactly-once tailing: file identity, checkpoints, complete lines."""
