"""The OTLP/HTTP receiver (``evaltop receive``; docs/receiver.md).

``body`` reads and inflates a request within its limits, ``decode`` turns
it into records (the GenAI mapping of ``formats.genai``, and Collector-
forwarded log lines through the file formats), ``writer`` stores the
requests that arrive together in one transaction and acknowledges each only
after its COMMIT, ``server`` speaks HTTP (uvicorn) and ``service`` runs it.
"""
