"""Bounded schemas for what axons and users send, and one-sentence error messages.

Every inbound payload passes through one of these models. A failure becomes a single sentence
that names the field ("ttl is too small (min 5)"), which goes to the axon's error topic and to
the API; the payload never reaches the registry.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

import pydantic
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from hub.errors import ValidationError
from hub.expressions import check_condition

M = TypeVar("M", bound=BaseModel)

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,63}$"
MIN_TTL = 5
MAX_TTL = 7 * 24 * 3600
MAX_ACTIONS = 64
MAX_WIDGETS = 256
MAX_MONITORS = 16
MAX_DOCS = 64 * 1024

WidgetType = Literal["stat", "gauge", "text", "status", "bool", "chart"]
ActionStyle = Literal["default", "primary", "danger"]
Severity = Literal["info", "warning", "error", "critical"]
Id = Annotated[str, Field(pattern=ID_PATTERN)]
Label = Annotated[str, Field(max_length=128)]
Tag = Annotated[str, Field(min_length=1, max_length=32, pattern=r"^[A-Za-z0-9_.:-]+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Monitor(_Strict):
    condition: str = Field(max_length=512)
    severity: Severity = "warning"
    message: str = Field("", max_length=256)
    for_seconds: float = Field(0, ge=0, le=MAX_TTL, alias="for")
    recover: str | None = Field(None, max_length=512)

    @field_validator("condition", "recover")
    @classmethod
    def _bounded_expression(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                check_condition(value, widget_ids=_ANY_WIDGET)
            except ValidationError as exc:
                raise ValueError(exc.message) from None
        return value


class ActionParam(_Strict):
    id: Id
    type: Literal["string", "integer", "number", "boolean"] = "string"
    required: bool = False
    label: Label = ""
    choices: list[Annotated[str, Field(max_length=128)] | int | float] | None = Field(
        None, max_length=64
    )


class Action(_Strict):
    id: Id
    label: Label = ""
    style: ActionStyle = "default"
    description: str = Field("", max_length=500)
    params: list[ActionParam] = Field(default_factory=list, max_length=16)
    timeout: float | None = Field(None, gt=0, le=3600)
    #: ask a person to confirm before the action runs (danger-styled actions always do)
    confirm: bool = False


class Widget(_Strict):
    id: Id
    type: WidgetType = "stat"
    label: Label = ""
    unit: str = Field("", max_length=16)
    every: float | None = Field(None, gt=0, le=MAX_TTL)
    monitors: list[Monitor] = Field(default_factory=list, max_length=MAX_MONITORS)


class Registration(_Strict):
    """The definition an axon sends on ``synapse/register/{id}``."""

    id: Id
    name: Label = ""
    auth_token: SecretStr | None = Field(None, max_length=256)
    ttl: int = Field(60, ge=MIN_TTL, le=MAX_TTL)
    docs: str = Field("", max_length=MAX_DOCS)
    icon: str = Field("", max_length=64)
    tags: list[Tag] = Field(default_factory=list, max_length=16)
    parent: Id | None = None
    sdk: str = Field("", max_length=64)
    actions: list[Action] = Field(default_factory=list, max_length=MAX_ACTIONS)
    widgets: list[Widget] = Field(default_factory=list, max_length=MAX_WIDGETS)

    @model_validator(mode="after")
    def _unique_ids(self) -> Registration:
        for kind, items in (("action", self.actions), ("widget", self.widgets)):
            seen: set[str] = set()
            for item in items:
                if item.id in seen:
                    raise ValueError(f"{kind} id {item.id!r} appears twice")
                seen.add(item.id)
        return self

    @model_validator(mode="after")
    def _monitor_names(self) -> Registration:
        """Names in monitors must be this axon's widgets (the error names the monitor)."""
        from hub.monitors import check_monitor  # the alert engine owns the rules

        ids = frozenset(w.id for w in self.widgets)
        for widget in self.widgets:
            for index, monitor in enumerate(widget.monitors):
                check_monitor(widget.id, index, monitor, ids)
        return self

    def definition(self) -> dict[str, Any]:
        """The stored form: JSON-ready, without the token."""
        return self.model_dump(mode="json", by_alias=True, exclude={"auth_token"})


class _AnyWidget(frozenset[str]):
    """At definition time any widget id is a valid name; the alert engine binds the real ones."""

    def __contains__(self, item: object) -> bool:
        return isinstance(item, str)


_ANY_WIDGET = _AnyWidget()


def parse_model(model: type[M], data: Any, *, what: str) -> M:
    """Validate ``data`` into ``model``; raise ``ValidationError`` with one sentence."""
    if not isinstance(data, dict):
        raise ValidationError(f"{what} must be a JSON object")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise ValidationError(describe(exc)) from None


def describe(exc: pydantic.ValidationError) -> str:
    """The first error of a pydantic failure as one sentence naming the field."""
    err = exc.errors(include_url=False)[0]
    field = _path(err["loc"])
    ctx = err.get("ctx") or {}
    kind = err["type"]
    subject = field or "the payload"
    match kind:
        case "missing":
            return f"{subject} is missing"
        case "extra_forbidden":
            return f"{subject} is not a known field"
        case "greater_than_equal" | "greater_than":
            return f"{subject} is too small (min {ctx.get('ge', ctx.get('gt'))})"
        case "less_than_equal" | "less_than":
            return f"{subject} is too large (max {ctx.get('le', ctx.get('lt'))})"
        case "string_too_long":
            return f"{subject} is too long (max {ctx.get('max_length')} characters)"
        case "too_long":
            return f"{subject} has too many items (max {ctx.get('max_length')})"
        case "string_pattern_mismatch" if ctx.get("pattern") == ID_PATTERN:
            return f"{subject} must be 1-64 characters of a-z, 0-9, '_', '.' or '-', starting with a letter or digit"
        case "string_pattern_mismatch":
            return f"{subject} has characters that are not allowed ({ctx.get('pattern')})"
        case "literal_error":
            return f"{subject} must be one of {ctx.get('expected')}"
        case "value_error" | "assertion_error":
            message = str(ctx.get("error", err["msg"]))
            return f"{subject}: {message}" if field else message
        case _:
            return f"{subject}: {err['msg'].lower()}"


def _path(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out
