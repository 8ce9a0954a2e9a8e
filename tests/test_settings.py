"""indexer.settings: one place for settings, cheap to import.

Properties checked:
1. Importing the settings loads neither the analyzer nor jieba, OpenCC or pypinyin (a
   fresh interpreter, so nothing else imported them first).
2. Settings come from MPSEARCH_* variables and are validated (a bad port is refused, the
   admin token never shows in a repr).
3. Host apps come from MPSEARCH_HOSTS (comma-separated) or MPSEARCH_HOSTS_FILE (one a line,
   comments and blank lines skipped), in the order given; the three sample hosts by
   default. A bad name, a repeat or an empty list is refused; a problem in the file names
   the file and the line; both settings at once are refused.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from indexer.settings import DEFAULT_HOSTS, Settings


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
    monkeypatch.delenv("MPSEARCH_PORT")
    assert Settings().hosts == DEFAULT_HOSTS


def test_hosts_from_a_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MPSEARCH_HOSTS", " jd , huawei,qqbrowser ")
    assert Settings().hosts == ("jd", "huawei", "qqbrowser")
    for bad, reason in (
        ("jd,JD", "'JD' is not a host name"),
        ("jd,,qqbrowser", "'' is not a host name"),
        ("jd,qqbrowser,jd", "host 'jd' is listed twice"),
        ("jd,q q", "'q q' is not a host name"),
    ):
        monkeypatch.setenv("MPSEARCH_HOSTS", bad)
        with pytest.raises(ValidationError, match=reason):
            Settings()


def test_hosts_from_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    hosts = tmp_path / "hosts.txt"
    hosts.write_text("# host apps\njd\n\nhuawei   # the launcher\nqqbrowser\n", encoding="utf-8")
    monkeypatch.setenv("MPSEARCH_HOSTS_FILE", str(hosts))
    assert Settings().hosts == ("jd", "huawei", "qqbrowser")
    hosts.write_text("jd\nhuawei\nHuawei Mobile\n", encoding="utf-8")
    with pytest.raises(
        ValidationError, match=f"{re.escape(str(hosts))}:3: 'Huawei Mobile' is not a host name"
    ):
        Settings()
    hosts.write_text("jd\n# nothing else\njd\n", encoding="utf-8")
    with pytest.raises(
        ValidationError, match=f"{re.escape(str(hosts))}:3: host 'jd' is listed twice"
    ):
        Settings()
    hosts.write_text("# none\n", encoding="utf-8")
    with pytest.raises(ValidationError, match=f"{re.escape(str(hosts))}: names no host app"):
        Settings()
    monkeypatch.setenv("MPSEARCH_HOSTS_FILE", str(tmp_path / "missing.txt"))
    with pytest.raises(ValidationError, match=r"missing\.txt: cannot read the hosts file"):
        Settings()
    hosts.write_text("jd\n", encoding="utf-8")
    monkeypatch.setenv("MPSEARCH_HOSTS_FILE", str(hosts))
    monkeypatch.setenv("MPSEARCH_HOSTS", "jd")
    with pytest.raises(ValidationError, match="not both"):
        Settings()
