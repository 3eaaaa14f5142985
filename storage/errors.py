"""Named storage errors, so callers can turn them into one calm sentence at the edge."""


class StorageError(Exception):
    """Base class: a storage rule was broken by the caller's request (not a crash)."""


class NotFound(StorageError):
    """The named thing does not exist (or is not visible to the asking partner)."""


class AlreadyExists(StorageError):
    """The named thing, or a unique part of it, is already stored."""


class InvalidTransition(StorageError):
    """A status change the data does not allow (e.g. bringing a revoked key back)."""
