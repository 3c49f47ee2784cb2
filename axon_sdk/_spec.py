"""What an axon declares: its actions, widgets, monitors and action params.

Each is a frozen value object that checks itself when built, so a mistake surfaces as a
``ConfigError`` when the script starts, not as a rejection from the hub minutes later.
``to_wire()`` gives the object's part of the registration payload (ARCHITECTURE.md).
"""

from __future__ import annotations

import inspect
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._errors import ConfigError

#: an axon id, an action id, a widget id: 1–64 chars of [a-z0-9][a-z0-9_.-]*
ID_RE = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,63}$")
WIDGET_TYPES = ("stat", "gauge", "text", "status", "bool", "chart")
ACTION_STYLES = ("default", "primary", "danger")
SEVERITIES = ("info", "warning", "error", "critical")
#: Python type of an action param -> its name on the wire
PARAM_TYPES: dict[type, str] = {str: "string", int: "integer", float: "number", bool: "boolean"}
MAX_LABEL = 200


def check_id(kind: str, value: object) -> str:
    if not isinstance(value, str) or not ID_RE.match(value):
        raise ConfigError(
            f"{kind} must be 1-64 chars of [a-z0-9][a-z0-9_.-]* (lowercase), got {value!r}"
        )
    return value


def check_label(kind: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_LABEL:
        raise ConfigError(f"{kind} must be a non-empty string of at most {MAX_LABEL} chars")
    return value


def default_label(ident: str) -> str:
    return re.sub(r"[_.-]+", " ", ident).strip().capitalize()


def check_seconds(kind: str, value: object, *, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigError(f"{kind} must be a number of seconds, got {value!r}")
    if not low <= value <= high:
        raise ConfigError(f"{kind} must be between {low:g} and {high:g} seconds, got {value!r}")
    return float(value)


@dataclass(frozen=True, slots=True)
class Monitor:
    """An alert rule the hub evaluates on each report of the widget, e.g. ``"value > 90"``.

    ``for_seconds``: the condition must hold this long before the alert fires.
    """

    condition: str
    severity: str = "warning"
    message: str | None = None
    for_seconds: float | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.condition, str) or not self.condition.strip():
            raise ConfigError(
                f"monitor condition must be a non-empty string, got {self.condition!r}"
            )
        if len(self.condition) > 500:
            raise ConfigError("monitor condition is too long (max 500 chars)")
        if self.severity not in SEVERITIES:
            raise ConfigError(
                f"monitor severity must be one of {', '.join(SEVERITIES)}, got {self.severity!r}"
            )
        if self.message is not None:
            check_label("monitor message", self.message)
        if self.for_seconds is not None:
            check_seconds("monitor for_seconds", self.for_seconds, low=0, high=7 * 86400)

    @classmethod
    def coerce(cls, value: object) -> Monitor:
        """Accept a Monitor, a bare condition string, or a dict like the wire format."""
        if isinstance(value, Monitor):
            return value
        if isinstance(value, str):
            return cls(value)
        if isinstance(value, Mapping):
            unknown = set(value) - {"condition", "severity", "message", "for"}
            if unknown or "condition" not in value:
                raise ConfigError(
                    "a monitor dict needs 'condition' and may have 'severity', 'message', "
                    f"'for'; got keys {sorted(value)}"
                )
            return cls(
                value["condition"],
                value.get("severity", "warning"),
                value.get("message"),
                value.get("for"),
            )
        raise ConfigError(f"a monitor must be a Monitor, a string or a dict, got {value!r}")

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"condition": self.condition, "severity": self.severity}
        if self.message is not None:
            wire["message"] = self.message
        if self.for_seconds is not None:
            wire["for"] = self.for_seconds
        return wire


@dataclass(frozen=True, slots=True)
class Param:
    """A typed parameter of an action: ``Param(str)``, ``Param(int, required=False)``.

    ``choices`` limits the value to a fixed set (shown as a drop-down by the dashboard).
    """

    type: type
    required: bool = True
    label: str | None = None
    choices: tuple[Any, ...] | None = None

    def __post_init__(self) -> None:
        if self.type not in PARAM_TYPES:
            raise ConfigError(f"param type must be str, int, float or bool, got {self.type!r}")
        if self.label is not None:
            check_label("param label", self.label)
        if self.choices is not None:
            choices = tuple(self.choices)
            if not choices or any(not self.accepts(c) for c in choices):
                raise ConfigError(f"param choices must be values of type {self.type.__name__}")
            object.__setattr__(self, "choices", choices)

    @classmethod
    def coerce(cls, value: object) -> Param:
        if isinstance(value, Param):
            return value
        if isinstance(value, type):
            return cls(value)
        raise ConfigError(
            f"a param must be a type (str, int, float, bool) or a Param, got {value!r}"
        )

    def accepts(self, value: object) -> bool:
        """True when ``value`` (already decoded from JSON) has this param's type."""
        if self.type is bool:
            return isinstance(value, bool)
        if isinstance(value, bool):
            return False
        if self.type is float:
            return isinstance(value, int | float) and math.isfinite(value)
        return isinstance(value, self.type)

    def to_wire(self, ident: str) -> dict[str, Any]:
        wire: dict[str, Any] = {"id": ident, "type": PARAM_TYPES[self.type]}
        wire["required"] = self.required
        if self.label is not None:
            wire["label"] = self.label
        if self.choices is not None:
            wire["choices"] = list(self.choices)
        return wire


@dataclass(frozen=True, slots=True)
class Action:
    """A button on the dashboard bound to one function of this axon."""

    id: str
    function: Callable[..., Any] = field(repr=False, compare=False)
    label: str
    style: str = "default"
    params: Mapping[str, Param] = field(default_factory=dict)
    timeout: float = 60.0
    confirm: bool = False

    def __post_init__(self) -> None:
        check_id("action id", self.id)
        check_label(f"label of action {self.id!r}", self.label)
        if self.style not in ACTION_STYLES:
            raise ConfigError(
                f"style of action {self.id!r} must be one of {', '.join(ACTION_STYLES)}, "
                f"got {self.style!r}"
            )
        check_seconds(f"timeout of action {self.id!r}", self.timeout, low=0.01, high=86400)
        for name in self.params:
            check_id(f"param name of action {self.id!r}", name)
            if not name.isidentifier():
                raise ConfigError(f"param name {name!r} must be a Python identifier")
        _check_signature(self.id, self.function, self.params)

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"id": self.id, "label": self.label, "style": self.style}
        if self.params:
            wire["params"] = [p.to_wire(name) for name, p in self.params.items()]
        if self.confirm:
            wire["confirm"] = True
        return wire


def _check_signature(action_id: str, fn: Callable[..., Any], params: Mapping[str, Param]) -> None:
    if not callable(fn):
        raise ConfigError(f"action {action_id!r} must decorate a function, got {fn!r}")
    if inspect.iscoroutinefunction(fn):
        raise ConfigError(f"action {action_id!r}: async functions are not supported, use a def")
    try:
        signature = inspect.signature(fn)
    except (TypeError, ValueError):  # some builtins have none; accept them as they are
        return
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in signature.parameters.values())
    for name in params:
        if name not in signature.parameters and not takes_kwargs:
            raise ConfigError(
                f"action {action_id!r} declares param {name!r} but its function "
                f"{fn.__name__}() has no such argument"
            )
    for name, p in signature.parameters.items():
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) or p.default is not p.empty:
            continue
        if name not in params or not params[name].required:
            raise ConfigError(
                f"{fn.__name__}() requires argument {name!r}: declare it as a required param "
                f"of action {action_id!r} (params={{{name!r}: str}}) or give it a default"
            )


@dataclass(frozen=True, slots=True)
class Widget:
    """A value shown on the dashboard; ``function`` (if any) is polled every ``every`` seconds."""

    id: str
    type: str
    label: str
    unit: str | None = None
    every: float | None = None
    monitors: tuple[Monitor, ...] = ()
    function: Callable[[], Any] | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_id("widget id", self.id)
        if self.type not in WIDGET_TYPES:
            raise ConfigError(
                f"type of widget {self.id!r} must be one of {', '.join(WIDGET_TYPES)}, "
                f"got {self.type!r}"
            )
        check_label(f"label of widget {self.id!r}", self.label)
        if self.unit is not None and (not isinstance(self.unit, str) or len(self.unit) > 32):
            raise ConfigError(f"unit of widget {self.id!r} must be a string of at most 32 chars")
        if self.every is not None:
            check_seconds(f"every of widget {self.id!r}", self.every, low=0.1, high=86400)
        if isinstance(self.monitors, str | Mapping) or not isinstance(self.monitors, Sequence):
            raise ConfigError(f"monitors of widget {self.id!r} must be a list")
        object.__setattr__(self, "monitors", tuple(Monitor.coerce(m) for m in self.monitors))

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {"id": self.id, "type": self.type, "label": self.label}
        if self.unit is not None:
            wire["unit"] = self.unit
        wire["monitors"] = [m.to_wire() for m in self.monitors]
        return wire
