"""evaltop.store: SQLite only. Imports nothing of evaltop's other layers."""
