"""The recovery kit: a runnable axon regenerated from a stored snapshot (docs/recovery.md).

``build_kit(payload, where)`` renders the templates in ``recovery_templates/`` with Jinja2
and zips them with a copy of the SDK, so the kit runs where only Python and paho-mqtt are
installed. The token is never in it: the script reads ``SYNAPSE_TOKEN`` from the environment.

Agent text is data, never template source. Templates are loaded only from
``recovery_templates/``; every ``{{ ... }}`` must end in one of the filters below, which return
``Safe`` strings, and the environment's ``finalize`` refuses any other output, so a value that
skipped its filter fails the render instead of reaching the script:

- ``py``: a Python literal (``ascii()`` of a checked JSON value), so the script is pure ASCII;
- ``json``: one line of ASCII JSON;
- ``sh``: a POSIX shell word (``shlex.quote``);
- ``text``: one line of printable ASCII for prose (README, comments), with controls escaped.

Identifiers (function names) come from ``hub.recovery_blueprint.identifier`` and are ``Safe``.
"""

from __future__ import annotations

import io
import json
import re
import shlex
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2

from hub.errors import NotFoundError
from hub.recovery_blueprint import (
    PARAM_TYPES,
    ActionSpec,
    Blueprint,
    ParamSpec,
    WidgetSpec,
    blueprint,
)
from hub.registry import Registry
from hub.sdk_dist import REQUIRES, build_wheel
from hub.settings import Settings

#: beside the hub package: the repo in a checkout or an editable install, site-packages when
#: installed from a wheel (pyproject ships recovery_templates/ as package data)
TEMPLATES = Path(__file__).resolve().parent.parent / "recovery_templates"
_EPOCH = (1980, 1, 1, 0, 0, 0)
MAX_LITERAL_DEPTH = 16
#: a placeholder value per widget type for the shell reporter's examples
EXAMPLES = {"text": "TODO", "status": "ok", "bool": "true"}


class Safe(str):
    """Template output that went through a literal filter (or is a sanitised identifier)."""

    __slots__ = ()


@dataclass(frozen=True)
class HubAddress:
    """Where the restored axon finds the hub; written into the kit as defaults it can override."""

    mqtt_url: str
    http_url: str
    prefix: str = "synapse"

    @classmethod
    def from_settings(cls, settings: Settings, host: str) -> HubAddress:
        """``host`` is how the caller reached the hub (the request's host name, or the CLI's)."""
        if not re.fullmatch(r"[A-Za-z0-9.:-]{1,253}", host):
            host = "localhost"
        elif ":" in host:  # an IPv6 address
            host = f"[{host}]"
        mqtt_port = settings.mqtt_port or 1883
        http_port = settings.http_port or 8080
        mqtt_url = settings.broker_url or f"mqtt://{host}:{mqtt_port}"
        return cls(mqtt_url, f"http://{host}:{http_port}", settings.topic_prefix)


@dataclass(frozen=True)
class RecoveryKit:
    blueprint: Blueprint
    files: dict[str, str]  # name inside the kit -> text

    @property
    def script(self) -> str:
        return self.files["axon.py"]

    @property
    def filename(self) -> str:
        return f"{self.blueprint.slug}-recovery-kit.zip"

    def zip(self) -> bytes:
        """The kit as a zip: one folder named after the axon, the SDK copied inside it."""
        buffer = io.BytesIO()
        root = f"{self.blueprint.slug}-recovery-kit"
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            entries = {name: text.encode() for name, text in self.files.items()}
            entries.update(_sdk_files())
            for name, data in sorted(entries.items()):
                info = zipfile.ZipInfo(f"{root}/{name}", date_time=_EPOCH)
                info.compress_type = zipfile.ZIP_DEFLATED
                mode = 0o755 if name in ("axon.py", "reporter.sh") else 0o644
                info.external_attr = mode << 16
                archive.writestr(info, data)
        return buffer.getvalue()


def build_kit(
    payload: Any,
    where: HubAddress,
    content_hash: str | None = None,
    overrides: dict[str, Any] | None = None,
) -> RecoveryKit:
    """Render every file of the kit from a snapshot payload (any object; see the blueprint).

    ``overrides`` (the user's policy the hub keeps) appear as comments only: the hub applies
    them again when the axon returns, so the script must not send them.
    """
    bp = blueprint(payload, content_hash)
    env = environment()
    context = {
        **_script_context(bp, overrides or {}),
        "bp": bp,
        "hub": where,
        "requires": [Safe(r) for r in REQUIRES],
        "wheel": Safe(build_wheel()[0]),  # the SDK's file name under /sdk/ on the hub
        "registration_json": Safe(_registration_json(bp)),
        **_mqtt_host_port(where.mqtt_url),
    }
    files = {
        "axon.py": env.get_template("axon.py.j2").render(context),
        "reporter.sh": env.get_template("reporter.sh.j2").render(context),
        "README.md": env.get_template("README.md.j2").render(context),
        "requirements.txt": env.get_template("requirements.txt.j2").render(context),
        f"synapse-axon-{bp.slug}.service": env.get_template("axon.service.j2").render(context),
        "registration.json": context["registration_json"] + "\n",
    }
    return RecoveryKit(bp, files)


def _mqtt_host_port(url: str) -> dict[str, Any]:
    parts = urlsplit(url)
    try:
        port = parts.port or 1883
    except ValueError:
        port = 1883
    return {"mqtt_host": parts.hostname or "localhost", "mqtt_port": port}


def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # noqa: S701 - nothing here is HTML; values enter through literal filters
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_only_safe,
    )
    env.filters.update(py=py_literal, json=json_literal, sh=shell_word, text=one_line)
    return env


def _only_safe(value: Any) -> Any:
    if isinstance(value, Safe) or (isinstance(value, int) and not isinstance(value, bool)):
        return value
    raise TypeError(f"template output {str(value)[:60]!r} did not pass through a literal filter")


def py_literal(value: Any) -> Safe:
    """A Python literal for a JSON-like value, ASCII only; anything else is refused."""
    if isinstance(value, jinja2.Undefined):
        str(value)  # StrictUndefined: raises UndefinedError naming the missing variable
    _check_literal(value, 0)
    return Safe(ascii(value))


def _check_literal(value: Any, depth: int) -> None:
    if depth > MAX_LITERAL_DEPTH:
        raise ValueError("value is nested too deeply for a literal")
    if value is None or isinstance(value, bool | int | str):
        return
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError("a non-finite number has no literal")
        return
    if isinstance(value, list | tuple):
        for item in value:
            _check_literal(item, depth + 1)
        return
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError("dict keys must be strings")
            _check_literal(item, depth + 1)
        return
    raise ValueError(f"{type(value).__name__} has no literal")


def json_literal(value: Any) -> Safe:
    return Safe(json.dumps(value, ensure_ascii=True, allow_nan=False, separators=(", ", ": ")))


def shell_word(value: Any) -> Safe:
    """One shell word; an id is unchanged, anything with controls or non-ASCII is escaped."""
    return Safe(shlex.quote(json.dumps(str(value), ensure_ascii=True)[1:-1]))


def one_line(value: Any) -> Safe:
    """Printable ASCII on one line: quotes kept, controls and non-ASCII escaped as in JSON."""
    text = json.dumps(str(value), ensure_ascii=True)[1:-1]
    return Safe(text.replace("`", "'"))


def _registration_json(bp: Blueprint) -> str:
    """The snapshot as the shell variant re-sends it: exactly what the axon sent, minus token."""
    payload = {k: v for k, v in bp.payload.items() if k != "auth_token"}  # never a token
    try:
        return json.dumps(payload, ensure_ascii=True, allow_nan=False)
    except (TypeError, ValueError):
        return json.dumps({"id": bp.id}, ensure_ascii=True)


def _sdk_files() -> dict[str, bytes]:
    """The SDK's modules, taken from the wheel the hub serves, as ``axon_sdk/*.py``."""
    _, data = build_wheel()
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        return {n: wheel.read(n) for n in wheel.namelist() if n.startswith("axon_sdk/")}


# -- what the templates see ----------------------------------------------------------------------


@dataclass(frozen=True)
class _ParamView:
    spec: ParamSpec
    type: Safe  # str, int, float or bool: a name from a fixed table


@dataclass(frozen=True)
class _StubView:
    spec: ActionSpec | WidgetSpec
    ident: Safe
    todo: str
    signature: Safe = Safe("")
    params: tuple[_ParamView, ...] = ()
    example: str = ""  # a value of the widget's type, for the shell reporter


def _script_context(bp: Blueprint, overrides: dict[str, Any]) -> dict[str, Any]:
    actions = [
        _StubView(
            a,
            Safe(a.ident),
            f"action {a.id!r} is a stub from the recovery kit: fill in {a.ident}() in axon.py",
            _signature(a),
            tuple(_ParamView(p, Safe(PARAM_TYPES[p.type].__name__)) for p in a.params),
        )
        for a in bp.actions
    ]
    widgets = [
        _StubView(
            w,
            Safe(w.ident),
            f"widget {w.id!r} is a stub from the recovery kit",
            example=EXAMPLES.get(w.type, "0"),
        )
        for w in bp.widgets
    ]
    imports = ["Axon"]
    if any(w.monitors for w in bp.widgets):
        imports.append("Monitor")
    if any(a.params for a in bp.actions):
        imports.append("Param")
    return {
        "actions": actions,
        "widgets": widgets,
        "sdk_imports": Safe(", ".join(imports)),
        "docs_chunks": _chunks(bp.docs),
        "overrides": _flatten(overrides),
        "slug": Safe(bp.slug),  # [a-z0-9_-] only: safe in paths, unit files and commands
        "root": Safe(f"{bp.slug}-recovery-kit"),
    }


def _signature(a: ActionSpec) -> Safe:
    """``unit, force=None`` from the params; ``**params`` when a name cannot be an argument."""
    if not a.params_as_arguments:
        return Safe("**params")
    required = [p.id for p in a.params if p.required]
    optional = [f"{p.id}=None" for p in a.params if not p.required]
    return Safe(", ".join(required + optional))


def _chunks(text: str, width: int = 72) -> list[str]:
    """Docs cut into short pieces, one literal each, so the script stays readable."""
    pieces: list[str] = []
    for line in text.splitlines(keepends=True):
        pieces.extend(line[i : i + width] for i in range(0, len(line), width))
    return pieces


def _flatten(overrides: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """``{"widgets": {"cpu": {"label": "x"}}}`` -> ``[("widgets.cpu.label", "x")]``."""
    if not isinstance(overrides, dict):
        return []
    rows: list[tuple[str, Any]] = []
    for key, value in overrides.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            rows.extend(_flatten(value, f"{path}."))
        else:
            rows.append((path, value))
    return rows


def kit_for(
    registry: Registry,
    settings: Settings,
    axon_id: str,
    snapshot_id: int | None = None,
    *,
    host: str = "localhost",
) -> RecoveryKit:
    """The kit of a known axon from one of its snapshots.

    By default the snapshot of the definition in force (the newest one if that is unknown),
    since an axon that went back to an earlier definition re-uses that earlier snapshot.
    """
    state = registry.require(axon_id)
    rows = registry.snapshots(axon_id, limit=1000)
    if snapshot_id is not None:
        chosen = next((r for r in rows if r.id == snapshot_id), None)
    else:
        current = [r for r in rows if r.content_hash == state.definition_hash]
        chosen = (current or rows)[0] if rows else None
    if chosen is None:
        which = "no snapshot yet" if snapshot_id is None else f"no snapshot {snapshot_id}"
        raise NotFoundError(f"axon {axon_id!r} has {which} to build a recovery kit from")
    where = HubAddress.from_settings(settings, host)
    return build_kit(chosen.payload, where, chosen.content_hash, state.overrides)


__all__ = ["HubAddress", "RecoveryKit", "Safe", "build_kit", "environment", "kit_for", "py_literal"]
