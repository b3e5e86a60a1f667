"""The store's own failure, importable without the database layer (the CLI names it on every command)."""


class StoreError(Exception):
    """The database cannot be opened or migrated; the message says which and why."""
