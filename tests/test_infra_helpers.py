"""The deployment tests' own helpers (tests/infra.py): a missing tool is a skip, or a failure under its switch."""

from __future__ import annotations

import pytest
from infra import nginx_binary


@pytest.fixture
def no_nginx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("infra.shutil.which", lambda _name: None)
    monkeypatch.setattr("infra.os.access", lambda _path, _mode: False)


@pytest.mark.parametrize("switch", ["REQUIRE_NGINX", "REQUIRE_PRODUCTION_SMOKE"])
def test_a_missing_nginx_fails_under_the_callers_switch_and_skips_without_it(no_nginx, monkeypatch, switch):
    for name in ("REQUIRE_NGINX", "REQUIRE_PRODUCTION_SMOKE"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"nginx is not installed.*CI sets {switch}=1"):
        nginx_binary(switch)

    monkeypatch.setenv(switch, "1")
    with pytest.raises(pytest.fail.Exception, match=f"{switch}=1 but nginx is not installed"):
        nginx_binary(switch)
    other = "REQUIRE_NGINX" if switch != "REQUIRE_NGINX" else "REQUIRE_PRODUCTION_SMOKE"
    with pytest.raises(pytest.skip.Exception):  # another test's switch does not make this one fail
        nginx_binary(other)


def test_nginx_is_found_where_debian_installs_it() -> None:
    found = nginx_binary()
    assert found.endswith("/nginx")
