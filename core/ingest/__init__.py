"""A log line becomes a stored output: tailing, formats, tokens, pricing, the batch transaction."""
