"""The kit generator on its own: what the script declares, what it leaves out, how it is built."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import jinja2
import pytest

from axon_sdk import Axon, Param
from hub.recovery import TEMPLATES, environment
from hub.recovery_blueprint import identifier
from hub.registry import content_hash
from hub.schema import Registration
from tests.recovery.kits import RICH, kit_of, string_constants, unzip

ROOT = Path(__file__).parent.parent.parent


def sdk_made_definition() -> dict[str, Any]:
    """What a real SDK axon sends: the kind of axon a kit must restore exactly."""
    axon = Axon("lab-01", name="Lab box", token="unused", hub="mqtt://127.0.0.1:1", ttl=30)
    axon.docs = "# Lab box\n\nQuotes ''' and \"\"\" and a backslash \\ stay data.\n"

    @axon.action("restart-now", label="Restart now", style="danger", confirm=True)
    def restart_now() -> None: ...

    @axon.action("scale", params={"replicas": int, "mode": Param(str, False, "Mode", ("a", "b"))})
    def scale(replicas: int, mode: str = "a") -> None: ...

    @axon.widget(
        "temp",
        type="gauge",
        label="Temperature",
        unit="C",
        every=10,
        monitors=[
            {"condition": "value > 80", "severity": "critical", "message": "Too hot", "for": 60},
            "value > 95",
        ],
    )
    def temp() -> float:
        return 1.0

    axon.widget("status", type="status")
    return axon.definition()


def definition_sent_by(script: str, tmp_path: Path) -> dict[str, Any]:
    """Load the generated script in a real interpreter (not run) and ask its axon."""
    path = tmp_path / "axon.py"
    path.write_text(script)
    code = "import json, runpy; print(json.dumps(runpy.run_path('axon.py')['axon'].definition()))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env={**os.environ, "SYNAPSE_TOKEN": "from-the-environment"},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_the_script_of_an_sdk_axon_sends_exactly_the_stored_definition(tmp_path: Path) -> None:
    sent = sdk_made_definition()
    stored = Registration.model_validate(sent).definition()
    kit = kit_of(sent)
    assert kit.blueprint.exact and kit.blueprint.notes == []
    regenerated = definition_sent_by(kit.script, tmp_path)
    assert regenerated == sent
    assert content_hash(Registration.model_validate(regenerated).definition()) == content_hash(
        stored
    )


def test_actions_are_stubs_that_say_not_implemented_and_widgets_keep_their_schedule() -> None:
    script = kit_of(RICH).script
    assert "def restart_now():" in script and "def scale(replicas, mode=None):" in script
    assert "def class_(**params):" in script  # a param named 'from' cannot be an argument
    assert "def restart_now_2():" in script  # the widget 'restart_now' collides with the action
    assert script.count("raise NotImplementedError(") == 5 and script.count("# TODO") == 5
    assert "every=10.0," in script and "confirm=True," in script and "timeout=30.0," in script
    assert "# recover: 'value < 70'" in script
    assert "Lab box" in string_constants(script)


def test_identifiers_from_ids_are_sanitised() -> None:
    assert identifier("restart-now") == "restart_now"
    assert identifier("disk.used") == "disk_used"
    assert identifier("class") == "class_"
    assert identifier("match") == "match_"
    assert identifier("9lives") == "_9lives"
    assert identifier("caf\u00e9") == "caf"
    assert identifier("__import__") == "import_"  # dunders stripped, keyword suffixed
    assert identifier("\u0430xon") == "xon"  # a Cyrillic a is not an ASCII letter
    assert identifier("-") == "unnamed"
    assert identifier("axon", {"axon", "axon_2"}) == "axon_3"


def test_overrides_are_shown_as_comments_and_never_sent() -> None:
    overrides = {"name": "Photo vault", "widgets": {"temp": {"monitors": [{"condition": "1"}]}}}
    kit = kit_of(RICH, overrides)
    assert "#   'name': 'Photo vault'" in kit.script
    assert "#   'widgets.temp.monitors': [{'condition': '1'}]" in kit.script
    assert "Photo vault" not in string_constants(kit.script)
    assert '- `name`: `"Photo vault"`' in kit.files["README.md"]


def test_the_token_is_never_in_the_kit() -> None:
    kit = kit_of({**RICH, "auth_token": "s3cret-token"})
    files = unzip(kit.zip())
    assert not [name for name, data in files.items() if b"s3cret-token" in data]
    assert (
        "SYNAPSE_TOKEN" in kit.files["README.md"]
        and "synapse token create" in kit.files["README.md"]
    )


def test_the_zip_carries_the_script_the_sdk_and_everything_to_run_it() -> None:
    kit = kit_of(RICH)
    names = set(unzip(kit.zip()))
    root = "lab-01-recovery-kit/"
    assert {
        f"{root}{n}"
        for n in (
            "axon.py",
            "README.md",
            "requirements.txt",
            "synapse-axon-lab-01.service",
            "reporter.sh",
            "registration.json",
            "axon_sdk/__init__.py",
            "axon_sdk/_axon.py",
        )
    } <= names
    assert kit.files["requirements.txt"].splitlines()[1] == "paho-mqtt>=2.1,<3"
    assert json.loads(kit.files["registration.json"]) == RICH
    assert kit.zip() == kit.zip()  # reproducible bytes


def test_what_the_sdk_cannot_send_is_named_and_the_kit_is_not_called_exact() -> None:
    kit = kit_of(RICH)
    assert not kit.blueprint.exact
    notes = " ".join(kit.blueprint.notes)
    for words in ("keeps timeouts local", "keeps schedules local", "recover condition"):
        assert words in notes
    assert "Not exact" in kit.files["README.md"] and "reporter.sh" in kit.files["README.md"]


def test_the_shell_variant_is_valid_sh_and_resends_the_stored_registration() -> None:
    kit = kit_of(RICH)
    done = subprocess.run(["sh", "-n"], input=kit.files["reporter.sh"], text=True, check=False)
    assert done.returncode == 0
    assert '-f "$HERE/registration.json"' in kit.files["reporter.sh"]
    assert 'pub -t "$PREFIX/report/$AXON_ID/"temp -m 0' in kit.files["reporter.sh"]


def test_a_value_that_skips_its_literal_filter_fails_the_render() -> None:
    env = environment()
    with pytest.raises(TypeError, match="did not pass through a literal filter"):
        env.from_string("x = {{ value }}").render(value="'); import os; ('")
    assert env.from_string("x = {{ value | py }}").render(value="a'b") == 'x = "a\'b"'
    with pytest.raises(jinja2.UndefinedError):
        env.from_string("{{ missing | py }}").render()


def test_every_expression_in_the_templates_ends_in_a_literal_filter_or_is_a_safe_name() -> None:
    import re

    safe_names = {
        "a.ident",
        "view.ident",
        "a.signature",
        "p.type",
        "sdk_imports",
        "slug",
        "root",
        "wheel",
        "requirement",
    }
    for template in TEMPLATES.glob("*.j2"):
        for expression in re.findall(r"\{\{(.*?)\}\}", template.read_text()):
            expression = expression.strip()
            assert re.search(r"\|\s*(py|json|sh|text)$", expression) or expression in safe_names, (
                f"{template.name}: {{{{ {expression} }}}}"
            )


def test_the_templates_are_found_from_an_installed_package() -> None:
    assert environment().loader.searchpath == [str(TEMPLATES)]  # type: ignore[union-attr]
    assert TEMPLATES.parent == Path(__import__("hub").__file__).resolve().parent.parent
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    assert "recovery_templates" in config["packages"]["find"]["include"]
    assert config["package-data"]["recovery_templates"] == ["*.j2"]
    assert (TEMPLATES / "__init__.py").exists()
