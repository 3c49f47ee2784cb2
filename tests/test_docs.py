"""Docs that tests keep true: every setting is in the README's table."""

from __future__ import annotations

import re
from pathlib import Path

from hub.settings import Settings

README = (Path(__file__).parent.parent / "README.md").read_text()


def test_every_setting_is_documented_in_the_readme() -> None:
    documented = set(re.findall(r"^\| `(SYNAPSE_[A-Z_]+)` \|", README, flags=re.M))
    expected = {Settings.env_name(name) for name in Settings.model_fields}
    assert expected - documented == set(), "undocumented settings"
    assert documented - expected == set(), "README documents settings that do not exist"


def test_every_documented_default_is_the_real_default() -> None:
    for name, field in Settings.model_fields.items():
        row = re.search(rf"^\| `{Settings.env_name(name)}` \| ([^|]+) \|", README, flags=re.M)
        assert row is not None
        shown = row.group(1).strip().strip("`")
        default = field.default
        real = "" if default in ("", None) or hasattr(default, "get_secret_value") else str(default)
        assert shown in (real, real.lower(), "(empty)" if real == "" else real), name


def test_the_topic_table_matches_the_hubs_handlers(tmp_path: Path) -> None:
    from hub.clock import ManualClock
    from hub.hub import Hub
    from hub.storage import Storage
    from hub.topics import Kind
    from tests.factories import make_settings

    wire = (Path(__file__).parent.parent / "docs" / "wire.md").read_text()
    rows = re.findall(r"^\| `synapse/([a-z]+)/\{id\}[^`]*` \| [^|]+ \| ([^|]+) \|", wire, re.M)
    documented: dict[str, set[str]] = {}
    for kind, handled in rows:
        documented.setdefault(kind, set()).add(handled.strip())
    assert set(documented) == {k.value for k in Kind}
    settings = make_settings(tmp_path)
    hub = Hub(settings, Storage(settings.effective_database_url), ManualClock())
    handled_now = {"register", "report", "status"} | {k.value for k in hub.ingest.handlers}
    hub.storage.dispose()
    for kind, marks in documented.items():
        if kind in ("command", "error"):
            assert marks == {"(hub publishes)"}
        else:
            assert marks == ({"yes"} if kind in handled_now else {"not yet"}), kind


def test_the_quickstart_shows_the_example_as_it_is() -> None:
    root = Path(__file__).parent.parent
    quickstart = (root / "docs" / "quickstart.md").read_text()
    shown = quickstart.split("```python\n", 1)[1].split("```", 1)[0]
    example = (root / "examples" / "restart_service.py").read_text()
    assert example.endswith(shown)  # the file adds only its docstring
    assert len([line for line in shown.splitlines() if line.strip()]) == 10
