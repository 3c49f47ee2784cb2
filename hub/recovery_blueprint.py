"""What a recovery kit is generated from: a stored snapshot read defensively into plain values.

A snapshot is what an agent sent, so it is hostile input. ``blueprint()`` accepts any object:
a snapshot that the hub's schema accepts is read through it (so every default is the one the hub
stored); anything else is read field by field, keeping what has the right type and bounding
every list and string. Nothing here produces code: identifiers are sanitised
(``restart-now`` -> ``restart_now``) and the templates turn every other value into a literal.

``sdk_registration()`` gives the registration the generated script will send, built from the
SDK's own value objects; ``Blueprint.exact`` says whether its content hash equals the stored
one, and ``Blueprint.notes`` names each difference in a sentence.
"""

from __future__ import annotations

import keyword
import math
import re
from dataclasses import dataclass, field
from typing import Any, TypeGuard

from axon_sdk import ConfigError
from axon_sdk._spec import Action as SdkAction
from axon_sdk._spec import Monitor as SdkMonitor
from axon_sdk._spec import Param as SdkParam
from axon_sdk._spec import Widget as SdkWidget
from hub.errors import ValidationError
from hub.registry import content_hash
from hub.schema import MAX_ACTIONS, MAX_MONITORS, MAX_WIDGETS, Registration, parse_model

#: a kit is bounded whatever the snapshot holds: longer strings are cut and the cut is noted
MAX_TEXT = 4096
MAX_KIT_DOCS = 2 * 1024 * 1024
MAX_PARAMS = 16
PARAM_TYPES = {"string": str, "integer": int, "number": float, "boolean": bool}
#: names the script template defines or uses; a generated function never takes one of them
RESERVED = frozenset(
    {"axon", "Axon", "Monitor", "Param", "DOCS", "HUB", "PREFIX", "main", "os", "params"}
)


@dataclass(frozen=True)
class MonitorSpec:
    condition: str
    severity: str
    message: str
    for_seconds: float
    recover: str | None


@dataclass(frozen=True)
class ParamSpec:
    id: str
    type: str
    required: bool
    label: str
    choices: list[Any] | None


@dataclass(frozen=True)
class ActionSpec:
    id: str
    ident: str
    label: str
    style: str
    description: str
    params: list[ParamSpec]
    timeout: float | None
    confirm: bool

    @property
    def params_as_arguments(self) -> bool:
        """True when every param name can be a Python argument; else the stub takes **params."""
        return all(_is_plain_name(p.id) for p in self.params)


@dataclass(frozen=True)
class WidgetSpec:
    id: str
    ident: str
    type: str
    label: str
    unit: str
    every: float | None
    monitors: list[MonitorSpec]


@dataclass
class Blueprint:
    id: str
    slug: str
    name: str
    ttl: int | float
    docs: str
    icon: str
    tags: list[str]
    parent: str | None
    actions: list[ActionSpec]
    widgets: list[WidgetSpec]
    #: the snapshot exactly as stored, for the shell variant (which re-sends it verbatim)
    payload: dict[str, Any]
    content_hash: str | None
    notes: list[str] = field(default_factory=list)
    exact: bool = False


def blueprint(payload: Any, stored_hash: str | None = None) -> Blueprint:
    """Read a snapshot payload (any object) into a bounded ``Blueprint``."""
    raw = payload if isinstance(payload, dict) else {}
    notes: list[str] = []
    try:
        source = parse_model(Registration, raw, what="the snapshot").definition()
    except ValidationError as exc:
        notes.append(f"The snapshot does not pass the hub's schema ({exc.message}).")
        source = raw
    names = _Names()
    axon_id = _text(source.get("id"), notes, "the axon id") or "axon"
    ttl = source.get("ttl")
    bp = Blueprint(
        id=axon_id,
        slug=re.sub(r"[^a-z0-9_-]+", "-", axon_id.lower()).strip("-")[:64] or "axon",
        name=_text(source.get("name"), notes, "the name"),
        ttl=ttl if _is_number(ttl) and 5 <= ttl <= 86400 else 60,
        docs=_text(source.get("docs"), notes, "the docs", MAX_KIT_DOCS),
        icon=_text(source.get("icon"), notes, "the icon"),
        tags=[t for t in _items(source.get("tags"), 16) if isinstance(t, str)],
        parent=source.get("parent") if isinstance(source.get("parent"), str) else None,
        actions=[],
        widgets=[],
        payload=raw,
        content_hash=stored_hash,
        notes=notes,
    )
    for item in _items(source.get("actions"), MAX_ACTIONS):
        if isinstance(item, dict) and (ident := _text(item.get("id"), notes, "an action id")):
            bp.actions.append(_action(item, ident, names, notes))
    for item in _items(source.get("widgets"), MAX_WIDGETS):
        if isinstance(item, dict) and (ident := _text(item.get("id"), notes, "a widget id")):
            bp.widgets.append(_widget(item, ident, names, notes))
    _check_fidelity(bp, stored_hash)
    return bp


def identifier(raw: str, taken: set[str] | frozenset[str] = frozenset()) -> str:
    """A Python identifier from an id: ``restart-now`` -> ``restart_now``, ``class`` -> ``class_``.

    Only ASCII letters, digits and ``_`` survive; a leading digit gets ``_``; keywords, soft
    keywords and ``taken`` names get a suffix until the name is free.
    """
    name = re.sub(r"[^A-Za-z0-9_]+", "_", raw).strip("_")[:60] or "unnamed"
    if name[0].isdigit():
        name = f"_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name) or name.startswith("__"):
        name = f"{name}_"
    candidate, n = name, 2
    while candidate in taken or keyword.iskeyword(candidate):
        candidate, n = f"{name}_{n}", n + 1
    return candidate


class _Names:
    """One namespace for every generated function, so action and widget ids never collide."""

    def __init__(self) -> None:
        self.taken: set[str] = set(RESERVED)

    def claim(self, raw: str) -> str:
        name = identifier(raw, self.taken)
        self.taken.add(name)
        return name


def _action(item: dict[str, Any], ident: str, names: _Names, notes: list[str]) -> ActionSpec:
    style = item.get("style")
    timeout = item.get("timeout")
    params = []
    for p in _items(item.get("params"), MAX_PARAMS):
        if isinstance(p, dict) and (pid := _text(p.get("id"), notes, "a param id")):
            ptype = p["type"] if isinstance(p.get("type"), str) else "string"
            ptype = ptype if ptype in PARAM_TYPES else "string"
            choices = p.get("choices")
            params.append(
                ParamSpec(
                    id=pid,
                    type=ptype,
                    required=p.get("required") is True,
                    label=_text(p.get("label"), notes, "a param label"),
                    choices=[c for c in _items(choices, 64) if _is_scalar(c)]
                    if isinstance(choices, list)
                    else None,
                )
            )
    return ActionSpec(
        id=ident,
        ident=names.claim(ident),
        label=_text(item.get("label"), notes, "an action label"),
        style=style if style in ("default", "primary", "danger") else "default",
        description=_text(item.get("description"), notes, "an action description"),
        params=params,
        timeout=float(timeout) if _is_number(timeout) and 0 < timeout <= 86400 else None,
        confirm=item.get("confirm") is True,
    )


def _widget(item: dict[str, Any], ident: str, names: _Names, notes: list[str]) -> WidgetSpec:
    wtype = item.get("type")
    every = item.get("every")
    monitors = []
    for m in _items(item.get("monitors"), MAX_MONITORS):
        if isinstance(m, dict) and (cond := _text(m.get("condition"), notes, "a condition")):
            severity = m.get("severity")
            seconds = m.get("for")
            recover = m.get("recover")
            monitors.append(
                MonitorSpec(
                    condition=cond,
                    severity=severity
                    if severity in ("info", "warning", "error", "critical")
                    else "warning",
                    message=_text(m.get("message"), notes, "a monitor message"),
                    for_seconds=float(seconds) if _is_number(seconds) and seconds >= 0 else 0.0,
                    recover=_text(recover, notes, "a recover condition") or None,
                )
            )
    return WidgetSpec(
        id=ident,
        ident=names.claim(ident),
        type=wtype if wtype in ("stat", "gauge", "text", "status", "bool", "chart") else "stat",
        label=_text(item.get("label"), notes, "a widget label"),
        unit=_text(item.get("unit"), notes, "a unit"),
        every=float(every) if _is_number(every) and 0.1 <= every <= 86400 else None,
        monitors=monitors,
    )


# -- what the generated script sends -----------------------------------------------------------


def sdk_registration(bp: Blueprint) -> dict[str, Any]:
    """The registration (without token) the generated script sends, built by the SDK's classes.

    Raises ``ConfigError`` when the SDK refuses a value, as the script would at start.
    """
    actions = [
        SdkAction(
            a.id,
            _accept_anything,
            a.label or _sdk_default_label(a.id),
            a.style,
            {p.id: _sdk_param(p) for p in a.params},
            a.timeout or 60.0,
            a.confirm,
        ).to_wire()
        for a in bp.actions
    ]
    widgets = [
        SdkWidget(
            w.id,
            w.type,
            w.label or _sdk_default_label(w.id),
            w.unit or None,
            w.every,
            tuple(sdk_monitor(m) for m in w.monitors),
        ).to_wire()
        for w in bp.widgets
    ]
    ttl = float(bp.ttl)
    return {
        "id": bp.id,
        "name": bp.name or bp.id,
        "ttl": int(ttl) if ttl.is_integer() else ttl,
        "docs": bp.docs,
        "actions": actions,
        "widgets": widgets,
    }


def sdk_monitor(m: MonitorSpec) -> SdkMonitor:
    return SdkMonitor(m.condition, m.severity, m.message or None, m.for_seconds or None)


def _sdk_param(p: ParamSpec) -> SdkParam:
    return SdkParam(PARAM_TYPES[p.type], p.required, p.label or None, _sdk_choices(p))


def _sdk_choices(p: ParamSpec) -> tuple[Any, ...] | None:
    return tuple(p.choices) if p.choices else None


def _accept_anything(**_params: Any) -> None:
    return None


def _sdk_default_label(ident: str) -> str:
    return re.sub(r"[_.-]+", " ", ident).strip().capitalize()


def _check_fidelity(bp: Blueprint, stored_hash: str | None) -> None:
    notes = bp.notes
    if not bp.name:
        notes.append("The axon sent no name; the SDK sends its id as the name.")
    if bp.icon or bp.tags or bp.parent:
        notes.append("The axon sent an icon, tags or a parent, which the SDK does not send.")
    for a in bp.actions:
        if not a.label:
            notes.append(f"Action {a.id!r} has no label; the SDK derives one from its id.")
        if a.description:
            notes.append(f"Action {a.id!r} has a description, which the SDK does not send.")
        if a.timeout is not None:
            notes.append(f"Action {a.id!r} sent a timeout; the SDK keeps timeouts local.")
        if not a.params_as_arguments:
            notes.append(f"Action {a.id!r} has param names that are not Python names.")
    for w in bp.widgets:
        if not w.label:
            notes.append(f"Widget {w.id!r} has no label; the SDK derives one from its id.")
        if w.every is not None:
            notes.append(f"Widget {w.id!r} sent its schedule; the SDK keeps schedules local.")
        if any(m.recover for m in w.monitors):
            notes.append(f"A monitor of widget {w.id!r} has a recover condition.")
    try:
        wire = sdk_registration(bp)
        sent = parse_model(Registration, wire, what="the regenerated registration").definition()
    except (ConfigError, ValidationError) as exc:
        notes.append(f"The SDK would refuse this definition: {exc}")
        return
    bp.exact = stored_hash is not None and content_hash(sent) == stored_hash


# -- defensive readers -------------------------------------------------------------------------


def _items(value: Any, limit: int) -> list[Any]:
    return list(value[:limit]) if isinstance(value, list) else []


def _text(value: Any, notes: list[str], what: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str):
        return ""
    if len(value) > limit:
        notes.append(f"{what.capitalize()} was cut to {limit} characters in this kit.")
        return value[:limit]
    return value


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_scalar(value: Any) -> bool:
    return (isinstance(value, str) and len(value) <= 128) or _is_number(value)


def _is_plain_name(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


__all__ = ["Blueprint", "blueprint", "identifier", "sdk_registration"]
