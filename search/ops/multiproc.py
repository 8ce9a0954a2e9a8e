"""Prometheus multiprocess set-up for ``mpsearch serve``.

prometheus-client picks its value storage when it is first imported, from
``PROMETHEUS_MULTIPROC_DIR``; so this module never imports it, and ``serve`` calls
:func:`prepare` before the server (and so any worker) loads the app.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(directory: Path) -> Path:
    """Empty ``directory`` (stale files of a previous run would add up) and point workers at it."""
    shutil.rmtree(directory, ignore_errors=True)
    directory.mkdir(parents=True, exist_ok=True)
    os.environ[ENV] = str(directory)
    return directory
