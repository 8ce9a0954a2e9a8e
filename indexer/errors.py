"""Errors raised by the indexer.

IndexerError                 base: a message that says what was wrong and what is allowed
├── UserError                caused by input the caller can fix
│   ├── CatalogError         a catalog file cannot be read at all (missing, not a file)
│   ├── DictionaryError      a malformed line in dictionaries/
│   ├── RejectsError         --strict and some lines were rejected
│   └── VersionError         unknown, incomplete, corrupt or unsafe index version
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


class IncompatibleIndexError(IndexerError):
    """An index version built by an analyzer with another fingerprint."""


class ChangeLogUnavailable(IndexerError):
    """The change log (named in the message) cannot be reached, or did not confirm a commit:
    nothing is acknowledged; retry once it is back."""


class StoreUnavailable(IndexerError):
    """The version store (named in the message) cannot be reached."""
