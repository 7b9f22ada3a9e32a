"""The running system: the engine's scheduled jobs, the lease, alerts, the inference budget."""
