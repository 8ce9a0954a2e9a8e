"""Errors raised by the indexer.

IndexerError                 base: a message that says what was wrong and what is allowed
├── UserError                caused by input the caller can fix
│   ├── CatalogError         a catalog file cannot be read at all (missing, not a file)
│   ├── DictionaryError      a malformed line in dictionaries/
│   ├── RejectsError         --strict and some lines were rejected
│   └── VersionError         unknown, incomplete or unsafe index version name
└── IncompatibleIndexError   the index was built with another analyzer fingerprint
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
