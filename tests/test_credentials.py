"""search.http.credentials and the checks that use them (search.http.deps), over the sample
index through a TestClient.

Properties checked:
1. A host keys file ``{key: host}`` and an admin tokens file ``{token: name}`` are read
   into what they say; MPSEARCH_ADMIN_TOKEN keeps working beside the file, recorded as
   MPSEARCH_ADMIN_NAME. Lookups match only whole secrets, and no repr shows a secret.
2. A file that cannot be used is refused naming the file and the line: invalid JSON, not an
   object, a short or non-ASCII key, a host that is not a host app, a repeated key, a name
   that is not a string, an empty object, a missing file. No message quotes a secret.
3. With host keys, the read endpoints (search, suggest, discover, listings) need
   X-Mpsearch-Key: no
   key or an unknown one is 401 (WWW-Authenticate names the header), a key asking for
   another host 403, its own host 200; a request without `host` reads its key's host; a
   listing not in the key's host is 404. /healthz and /readyz stay open.
4. Without host keys, `host` is required (422 naming it, listing the hosts).
5. An app whose keys file is malformed is not created, and `mpsearch serve` exits at once
   naming the file and the line, without printing the keys.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from indexer.settings import Settings
from search.http.app import create_app
from search.http.credentials import CredentialsError, load_credentials
from tests.server_support import home_serving, run_cli

JD_KEY = "jd-key-4f1c9a7e20b3d865"
SAMSUNG_KEY = "samsung-key-8d02b7c41e9f"
ADMIN_TOKEN = "ops-token-19a8c3e4f0d2"
STARBUCKS = "wx9426f5912f0aad45"  # online in jd and qqbrowser, not in samsung


def write_json(path: Path, data: object) -> Path:
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    return path


@pytest.fixture()
def keys_file(tmp_path: Path) -> Path:
    return write_json(tmp_path / "keys.json", {JD_KEY: "jd", SAMSUNG_KEY: "samsung"})


def test_files_are_read(tmp_path: Path, keys_file: Path) -> None:
    tokens = write_json(tmp_path / "tokens.json", {ADMIN_TOKEN: "ops-alice"})
    creds = load_credentials(
        Settings(
            home=tmp_path,
            host_keys=keys_file,
            admin_tokens=tokens,
            admin_token="legacy-token-0000",
            admin_name="catalog-bot",
        )
    )
    assert creds.keys_required and creds.admin_required
    assert creds.host_of(JD_KEY) == "jd" and creds.host_of(SAMSUNG_KEY) == "samsung"
    assert creds.host_of(JD_KEY[:-1]) is None and creds.host_of(JD_KEY + "0") is None
    assert creds.host_of(ADMIN_TOKEN) is None  # an admin token is no host key
    assert creds.admin_name(ADMIN_TOKEN) == "ops-alice"
    assert creds.admin_name("legacy-token-0000") == "catalog-bot"
    assert creds.admin_name(JD_KEY) is None
    for secret in (JD_KEY, SAMSUNG_KEY, ADMIN_TOKEN, "legacy-token-0000"):
        assert secret not in repr(creds)
    open_ = load_credentials(Settings(home=tmp_path))
    assert not open_.keys_required and not open_.admin_required


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ('{\n  "jd-key-4f1c9a7e20b3d865": "jd",\n  "x" "jd"\n}', 3, "not valid JSON"),
        ('["jd-key-4f1c9a7e20b3d865"]', 1, "must be a JSON object"),
        ('{\n  "jd-key-4f1c9a7e20b3d865": "jd",\n  "short-key": "jd"\n}', 3, "16 to 256"),
        ('{\n\n  "jd-key-4f1c9a7e20b3d8 5": "jd"\n}', 3, "printable ASCII only"),
        ('{"jd-key-4f1c9a7e20b3d865": "jd",\n "tiktok-key-4f1c9a7e2": "tiktok"}', 2, "'tiktok'"),
        ('{\n"jd-key-4f1c9a7e20b3d865": "jd",\n"jd-key-4f1c9a7e20b3d865": "jd"}', 3, "twice"),
        ('{\n  "jd-key-4f1c9a7e20b3d865": ["jd"]\n}', 2, "must be a string"),
        ("{ }", 1, "holds no host key"),
    ],
)
def test_malformed_keys_file(tmp_path: Path, text: str, line: int, reason: str) -> None:
    path = tmp_path / "keys.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(
        CredentialsError, match=f"^{re.escape(str(path))}:{line}: .*{reason}"
    ) as caught:
        load_credentials(Settings(home=tmp_path, host_keys=path))
    assert "4f1c9a7e2" not in str(caught.value)  # never the key itself


def test_malformed_tokens_file(tmp_path: Path) -> None:
    path = write_json(tmp_path / "tokens.json", {ADMIN_TOKEN: "", "other-token-5e6f7a8b9c": "x"})
    with pytest.raises(
        CredentialsError, match=f"^{re.escape(str(path))}:2: the name must be a non-empty"
    ):
        load_credentials(Settings(home=tmp_path, admin_tokens=path))
    missing = tmp_path / "nope.json"
    with pytest.raises(
        CredentialsError, match=f"^{re.escape(str(missing))}: cannot read the admin token file"
    ):
        load_credentials(Settings(home=tmp_path, admin_tokens=missing))


@pytest.fixture(scope="module")
def keyed(sample_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    folder = tmp_path_factory.mktemp("keyed")
    home_serving(sample_home, folder / "home")
    keys = write_json(folder / "keys.json", {JD_KEY: "jd", SAMSUNG_KEY: "samsung"})
    with TestClient(create_app(Settings(home=folder / "home", host_keys=keys))) as c:
        yield c


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v1/search", {"q": "星巴克", "host": "jd"}),
        ("/v1/suggest", {"q": "星巴", "host": "jd"}),
        ("/v1/discover", {"host": "jd"}),
        (f"/v1/listings/{STARBUCKS}", {}),
    ],
)
def test_read_endpoints_need_a_key(keyed: TestClient, path: str, params: dict[str, str]) -> None:
    for headers in ({}, {"X-Mpsearch-Key": "not-a-key-at-all-0000"}, {"X-Mpsearch-Key": ""}):
        resp = keyed.get(path, params=params, headers=headers)
        assert resp.status_code == 401, resp.text
        assert resp.headers["www-authenticate"] == "X-Mpsearch-Key"
        assert resp.json()["error"] == "unauthorized"
    own = keyed.get(path, params=params, headers={"X-Mpsearch-Key": JD_KEY})
    assert own.status_code == 200, own.text
    if params:  # another host's key asking for jd
        other = keyed.get(path, params=params, headers={"X-Mpsearch-Key": SAMSUNG_KEY})
        assert other.status_code == 403 and other.json()["error"] == "forbidden"


def test_a_key_pins_its_host(keyed: TestClient) -> None:
    jd = keyed.get("/v1/search", params={"q": "星巴克"}, headers={"X-Mpsearch-Key": JD_KEY})
    assert jd.status_code == 200 and jd.json()["host"] == "jd"
    assert jd.json()["brand_zone"]["card"]["appid"] == STARBUCKS
    samsung = keyed.get(
        "/v1/search", params={"q": "星巴克"}, headers={"X-Mpsearch-Key": SAMSUNG_KEY}
    )
    assert samsung.status_code == 200 and samsung.json()["host"] == "samsung"
    assert STARBUCKS not in [c["appid"] for c in samsung.json()["results"]]
    found = keyed.get("/v1/discover", headers={"X-Mpsearch-Key": SAMSUNG_KEY})
    assert found.status_code == 200 and found.json()["host"] == "samsung"
    listing = keyed.get(f"/v1/listings/{STARBUCKS}", headers={"X-Mpsearch-Key": SAMSUNG_KEY})
    assert listing.status_code == 404  # not a listing of samsung
    unknown = keyed.get(
        "/v1/search", params={"q": "星巴克", "host": "xx"}, headers={"X-Mpsearch-Key": JD_KEY}
    )
    assert unknown.status_code == 422 and unknown.json()["field"] == "host"
    for path in ("/healthz", "/readyz"):
        assert keyed.get(path).status_code == 200


def test_host_is_required_without_keys(client_open: TestClient) -> None:
    resp = client_open.get("/v1/search", params={"q": "星巴克"})
    assert resp.status_code == 422
    body = resp.json()
    assert body["field"] == "host" and body["allowed"] == ["jd", "qqbrowser", "samsung"]


@pytest.fixture(scope="module")
def client_open(sample_home: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(home=sample_home))) as c:
        yield c


def test_malformed_keys_file_stops_the_start(tmp_path: Path) -> None:
    keys = tmp_path / "keys.json"
    keys.write_text(f'{{\n  "{JD_KEY}": "jd",\n  "{SAMSUNG_KEY}": "tiktok"\n}}\n', "utf-8")
    with pytest.raises(CredentialsError, match=f"{re.escape(str(keys))}:3"):
        create_app(Settings(home=tmp_path, host_keys=keys))
    env = {"MPSEARCH_HOME": str(tmp_path), "MPSEARCH_HOST_KEYS": str(keys), "PATH": "/usr/bin"}
    run = run_cli(env, "serve", "--port", "1")
    assert run.returncode == 2, run.stdout + run.stderr
    assert f"{keys}:3: host 'tiktok' is not a host app" in " ".join(run.stderr.split())
    assert JD_KEY not in run.stdout + run.stderr and SAMSUNG_KEY not in run.stdout + run.stderr
