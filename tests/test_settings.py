"""indexer.settings: one place for settings, cheap to import.

Properties checked:
1. Importing the settings loads neither the analyzer nor jieba, OpenCC or pypinyin (a
   fresh interpreter, so nothing else imported them first).
2. Settings come from MPSEARCH_* variables and are validated (a bad port is refused, the
   admin token never shows in a repr).
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from indexer.settings import KNOWN_HOSTS, Settings


def test_import_loads_no_analyzer() -> None:
    code = (
        "import sys, indexer.settings; "
        "print(sorted(m for m in ('jieba', 'opencc', 'pypinyin', 'indexer.analysis', 'tantivy') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip() == "[]"


def test_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPSEARCH_PORT", "9001")
    monkeypatch.setenv("MPSEARCH_ADMIN_TOKEN", "tok-secret-1")
    settings = Settings()
    assert settings.port == 9001
    assert "tok-secret-1" not in repr(settings)
    monkeypatch.setenv("MPSEARCH_PORT", "70000")
    with pytest.raises(ValidationError, match="port"):
        Settings()
    assert KNOWN_HOSTS == ("jd", "qqbrowser", "samsung")
