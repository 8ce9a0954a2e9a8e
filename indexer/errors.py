"""Errors raised by the indexer.

IndexerError                 base: a message that says what was wrong and what is allowed
├── UserError                caused by input the caller can fix
│   ├── CatalogError         a catalog file cannot be read at all (missing, not a file)
│   ├── DictionaryError      a malformed line in dictionaries/
│   ├── RejectsError         --strict and some lines were rejected
│   ├── VersionError         unknown, incomplete, corrupt or unsafe index version
│   ├── DecisionConflict     a go-live decision the current state refuses (deciding twice)
│   └── DecisionNotFound     no such go-live application, or not live in that host
├── IncompatibleIndexError   the index was built with another analyzer fingerprint
├── ChangeLogUnavailable     the change log cannot be reached or did not commit
└── StoreUnavailable         the version store cannot be reached
"""


class IndexerError(Exception):
    """Base of every error this package raises on purpose."""


class UserError(IndexerError):
    """Input the caller can fix."""


class CatalogError(UserError):
    """A catalog file cannot be read at all."""


class DictionaryError(UserError):
    """A dictionary file has a malformed line."""


class RejectsError(UserError):
    """Strict build with rejected lines."""


class VersionError(UserError):
    """An index version that does not exist, is incomplete, or has an unsafe name."""


class DecisionConflict(UserError):
    """A go-live decision the current state refuses: the message says why (already live,
    pending, decided, not online)."""


class DecisionNotFound(UserError):
    """No go-live application with that id, or a withdrawal from a host the listing is not
    live in; ``field`` names what the request got wrong."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class IncompatibleIndexError(IndexerError):
    """An index version built by an analyzer with another fingerprint."""


class ChangeLogUnavailable(IndexerError):
    """The change log (named in the message) cannot be reached, or did not confirm a commit:
    nothing is acknowledged; retry once it is back."""


class StoreUnavailable(IndexerError):
    """The version store (named in the message) cannot be reached."""
