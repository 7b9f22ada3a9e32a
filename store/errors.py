"""The store's one exception, shared by the connection code and the schema runner."""


class StoreError(Exception):
    """A store problem worth showing to a user (bad path, newer schema...)."""
