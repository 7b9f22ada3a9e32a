"""evaltop.core: the domain and the engine. Never imports textual."""
