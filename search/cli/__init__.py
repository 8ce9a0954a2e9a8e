"""The ``mpsearch`` command line."""

from search.cli.commands import app

__all__ = ["app"]
