"""Registrations for recovery-kit tests and helpers to read a generated script."""

from __future__ import annotations

import ast
import io
import zipfile
from typing import Any

from hub.recovery import HubAddress, RecoveryKit, build_kit
from hub.registry import content_hash
from hub.schema import Registration

WHERE = HubAddress("mqtt://hub.lan:1883", "http://hub.lan:8080")

#: exercises every branch of the script template: params, choices, confirm, timeout,
#: description, schedule, monitors with message, for and recover
RICH: dict[str, Any] = {
    "id": "lab-01",
    "name": "Lab box",
    "ttl": 30,
    "docs": "# Lab box\n\nRuns the `lab` stack.\n" + "A long line of docs. " * 10,
    "actions": [
        {"id": "restart-now", "label": "Restart now", "style": "danger", "confirm": True},
        {
            "id": "scale",
            "label": "Scale",
            "description": "Scale the stack",
            "timeout": 30,
            "params": [
                {"id": "replicas", "type": "integer", "required": True, "label": "Replicas"},
                {"id": "mode", "type": "string", "choices": ["fast", "safe"]},
            ],
        },
        {"id": "class", "label": "A keyword", "params": [{"id": "from", "type": "boolean"}]},
    ],
    "widgets": [
        {
            "id": "temp",
            "type": "gauge",
            "label": "Temperature",
            "unit": "C",
            "every": 10,
            "monitors": [
                {
                    "condition": "value > 80",
                    "severity": "critical",
                    "message": "Too hot",
                    "for": 60,
                    "recover": "value < 70",
                }
            ],
        },
        {"id": "restart_now", "type": "status", "label": "Collides with an action"},
    ],
}


def kit_of(payload: Any, overrides: dict[str, Any] | None = None) -> RecoveryKit:
    try:
        digest: str | None = content_hash(Registration.model_validate(payload).definition())
    except Exception:  # hostile payloads the hub would refuse: no stored hash to compare
        digest = None
    return build_kit(payload, WHERE, digest, overrides)


def called_names(source: str) -> set[str]:
    """Dotted names of everything the script calls: ``axon.action``, ``os.environ.get``."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Call):
            names.add(ast.unparse(node.func))
    return names


def string_constants(source: str) -> list[str]:
    return [
        n.value
        for n in ast.walk(ast.parse(source))
        if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}
