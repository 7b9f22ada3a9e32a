"""The built-in demo: traffic model, texts, the session, its summary."""
