"""Config text shared by the suites that run the real CLI."""

STORE_AND_SOURCE = """[store]
path = "{db}"

[[sources]]
name = "app"
path = "{logs}"
format = "native"
"""


def config_text(db, logs, extra: str = "") -> str:
    """A config with one native source at ``logs`` (a glob) plus ``extra`` TOML."""
    return STORE_AND_SOURCE.format(db=db, logs=logs) + extra
