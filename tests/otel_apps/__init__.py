"""Small instrumented LLM apps, each run in its own subprocess (two
instrumentations that patch the same client must never share a process).

``app.py`` is the app; ``capture.py`` is a test-only OTLP/HTTP sink that keeps
raw request bodies (used to record the fixtures in tests/data/otlp/)."""
