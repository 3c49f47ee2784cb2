"""Agent text is hostile: a corpus of registrations that try to break out of the generated kit.

Each hostile string is put in every field of a snapshot (ids included) and in the overrides.
The kit must still parse, pass ruff, call nothing the template does not call, be pure ASCII, and
carry each hostile string only as a literal; the shell variant and unit file must stay inert.
"""

from __future__ import annotations

import ast
import io
import re
import subprocess
import sys
import time
import tokenize
from pathlib import Path
from typing import Any

import pytest

from hub.recovery import build_kit
from tests.recovery.kits import RICH, WHERE, called_names, kit_of, string_constants, unzip

HOSTILE = [
    "'''; import os; os.system('id'); '''",
    '"""\nimport os\nos.system("id")\n"""',
    "\\",
    "ends in a backslash \\",
    "\\'); import os #",
    '"); import os; ("',
    "{{ 7 * 7 }}",
    "{% for x in range(9) %}{{ x }}{% endfor %}",
    "{{ self.__init__.__globals__.__builtins__.__import__('os').system('id') }}",
    "{# unclosed comment",
    "# -*- coding: rot13 -*-",
    "\n# coding: latin-1\nimport os",
    "nul \x00 inside",
    "carriage\rreturn import os",
    "line\u2028separator\u2029paragraph\x0cformfeed\x0bvtab",
    "\u0430xon",  # Cyrillic a
    "evil\u202e)(metsys.so",  # right-to-left override (trojan source)
    "\ufeffbom \u200bzero width \uff02fullwidth quote\uff02",
    "$(rm -rf /) `id` ${PATH} '; rm -rf / #",
    "x\nExecStartPre=/bin/sh -c id\n[Install]",
    "<script>alert(1)</script>](javascript:alert(1))",
    "restart-now",  # a plain id that collides with the benign action
    "",
]


def hostile_registration(s: str) -> dict[str, Any]:
    return {
        "id": s,
        "name": s,
        "ttl": s,
        "docs": s,
        "icon": s,
        "tags": [s],
        "parent": s,
        "actions": [
            {
                "id": s,
                "label": s,
                "description": s,
                "style": s,
                "timeout": s,
                "params": [{"id": s, "label": s, "type": s, "choices": [s]}],
            },
            {"id": "restart-now", "label": "Restart now", "style": "danger"},
        ],
        "widgets": [
            {
                "id": s,
                "type": s,
                "label": s,
                "unit": s,
                "every": s,
                "monitors": [{"condition": s, "message": s, "severity": s, "recover": s, "for": s}],
            }
        ],
    }


def hostile_overrides(s: str) -> dict[str, Any]:
    return {"name": s, "docs": s, "widgets": {s or "w": {"label": s, "monitors": [{s: s}]}}}


def code_words(source: str) -> set[str]:
    """The names in a script, leaving out what is inside string literals and comments."""
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return {t.string for t in tokens if t.type == tokenize.NAME}


BENIGN_CALLS = called_names(kit_of(RICH).script)
BENIGN_WORDS = code_words(kit_of(RICH).script)
BENIGN_HEAD = kit_of(RICH).script.splitlines()[:2]


def unit_keys(unit: str) -> set[str]:
    return {line.split("=")[0] for line in unit.splitlines() if not line.startswith("#")}


UNIT_KEYS = unit_keys(kit_of(RICH).files["synapse-axon-lab-01.service"])


def ruff(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """The repo's lint rules, run on generated files outside the repo's config."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "--isolated",
            "--no-cache",
            "--target-version",
            "py311",
            "--select",
            "E,F,I,B,UP,PIE,T20,S",
            "--ignore",
            "E501",
            *map(str, paths),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("s", HOSTILE, ids=lambda s: ascii(s)[:30])
def test_a_hostile_snapshot_gives_a_kit_that_carries_it_only_as_data(s: str) -> None:
    kit = build_kit(hostile_registration(s), WHERE, None, hostile_overrides(s))
    script = kit.script
    assert script.isascii(), "the script is pure ASCII: no cookie, confusable or bidi survives"
    ast.parse(script)
    assert called_names(script) <= BENIGN_CALLS
    constants = string_constants(script)
    if s:
        assert s in constants  # the name, the label, the docs...: each a literal
    generated = set()
    for node in ast.walk(ast.parse(script)):
        if isinstance(node, ast.FunctionDef | ast.arg):
            name = node.name if isinstance(node, ast.FunctionDef) else node.arg
            assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name)
            generated.add(name)
    # outside string literals and comments, only the template's own words and the sanitised
    # function and argument names appear
    assert code_words(script) <= BENIGN_WORDS | generated
    assert script.splitlines()[:2] == BENIGN_HEAD  # no coding cookie can reach lines 1-2
    for name, text in kit.files.items():
        assert text.isascii(), name
    unit = kit.files[f"synapse-axon-{kit.blueprint.slug}.service"]
    assert unit_keys(unit) == UNIT_KEYS
    shell = subprocess.run(["sh", "-n"], input=kit.files["reporter.sh"], text=True, check=False)
    assert shell.returncode == 0
    for name in unzip(kit.zip()):
        assert re.fullmatch(r"[a-z0-9_-]+-recovery-kit/[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)?", name)
        assert ".." not in name.split("/")


def test_every_hostile_kit_passes_ruff(tmp_path: Path) -> None:
    paths = []
    for index, s in enumerate(HOSTILE):
        path = tmp_path / f"kit_{index}.py"
        path.write_text(
            build_kit(hostile_registration(s), WHERE, None, hostile_overrides(s)).script
        )
        paths.append(path)
    done = ruff(paths)
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_one_mebibyte_hostile_docs_is_carried_whole_as_one_literal(tmp_path: Path) -> None:
    piece = "".join(HOSTILE)
    docs = (piece * (1024 * 1024 // len(piece) + 1))[: 1024 * 1024]
    started = time.monotonic()
    kit = build_kit({**RICH, "docs": docs}, WHERE, None)
    elapsed = time.monotonic() - started
    module = ast.parse(kit.script)
    [assigned] = [
        n.value.value
        for n in module.body
        if isinstance(n, ast.Assign) and ast.unparse(n.targets[0]) == "DOCS"
    ]
    assert assigned == docs
    assert called_names(kit.script) <= BENIGN_CALLS
    path = tmp_path / "big.py"
    path.write_text(kit.script)
    assert ruff([path]).returncode == 0
    assert elapsed < 10, f"rendering 1 MiB of docs took {elapsed:.1f}s"


@pytest.mark.parametrize(
    "payload",
    [
        None,
        "a string",
        [1, 2],
        {"actions": "x", "widgets": [1, None, {"id": 5}, {"id": "ok"}]},
        {"id": "x", "ttl": float("nan"), "widgets": [{"id": "w", "every": float("inf")}]},
        {"id": "x", "actions": [{"id": f"a{i}"} for i in range(10_000)]},
    ],
    ids=["none", "string", "list", "wrong-types", "non-finite", "too-many"],
)
def test_any_object_gives_a_bounded_kit_that_parses(payload: Any) -> None:
    kit = build_kit(payload, WHERE, None)
    ast.parse(kit.script)
    assert len(kit.blueprint.actions) <= 64
