"""Definition ⊕ overrides: what the axon says, with the user's policy laid over it.

The axon owns its definition (ids, action ids, widget ids and types, action styles); the user owns
policy (name, icon, docs, labels, units, monitors, TTL, tags, parent). Overrides are stored as a
sparse JSON object and edited with JSON merge-patch semantics:

* a field that is **absent** inherits the axon's value;
* a field set to **null** in a patch is removed, i.e. reset to the axon's default;
* a field set to an **empty** value ("" or []) is an explicit override that clears it.

An override always wins, so a re-registering axon never undoes an edit. An override for a widget
or action the axon no longer declares is kept and reported as orphaned.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pydantic import Field

from hub.errors import ValidationError
from hub.schema import (
    MAX_TTL,
    MIN_TTL,
    Id,
    Label,
    Monitor,
    Registration,
    Tag,
    _Strict,
    parse_model,
)

#: fields of the definition layer; a patch that touches one is refused with its path
DEFINITION_FIELDS = {
    "id",
    "auth_token",
    "sdk",
    "type",
    "style",
    "params",
    "every",
    "timeout",
    "confirm",
}


class WidgetOverride(_Strict):
    label: Label | None = None
    unit: str | None = Field(None, max_length=16)
    monitors: list[Monitor] | None = Field(None, max_length=16)


class ActionOverride(_Strict):
    label: Label | None = None
    description: str | None = Field(None, max_length=500)


class Overrides(_Strict):
    name: Label | None = None
    icon: str | None = Field(None, max_length=64)
    docs: str | None = Field(None, max_length=64 * 1024)
    ttl: int | None = Field(None, ge=MIN_TTL, le=MAX_TTL)
    tags: list[Tag] | None = Field(None, max_length=16)
    parent: Id | None = None
    widgets: dict[Id, WidgetOverride] = Field(default_factory=dict, max_length=256)
    actions: dict[Id, ActionOverride] = Field(default_factory=dict, max_length=64)


@dataclass(frozen=True)
class Effective:
    """The merged view, plus which overrides point at things the axon no longer has."""

    axon: Registration
    orphaned: list[str] = field(default_factory=list)


def apply_patch(current: dict[str, Any], patch: Any) -> dict[str, Any]:
    """Apply a JSON merge-patch to stored overrides and return the validated result."""
    if not isinstance(patch, dict):
        raise ValidationError("the overrides patch must be a JSON object")
    _refuse_definition_fields(patch, "")
    merged = _merge_patch(copy.deepcopy(current), patch)
    validated = parse_model(Overrides, merged, what="overrides")
    return _prune(validated.model_dump(mode="json", by_alias=True, exclude_unset=True))


def reset(current: dict[str, Any], path: str) -> dict[str, Any]:
    """Remove one override by dotted path (``name``, ``widgets.cpu.label``, ``widgets.cpu``)."""
    parts = [p for p in path.split(".") if p]
    if not parts:
        raise ValidationError("name the override to reset, e.g. 'name' or 'widgets.cpu.label'")
    patch: dict[str, Any] = {}
    cursor = patch
    for part in parts[:-1]:
        cursor = cursor.setdefault(part, {})
    cursor[parts[-1]] = None
    if _lookup(current, parts) is _MISSING:
        raise ValidationError(f"there is no override at {path!r}")
    return _prune(_merge_patch(copy.deepcopy(current), patch))


def merge(definition: dict[str, Any], overrides: dict[str, Any]) -> Effective:
    """Lay ``overrides`` over ``definition``; both are the stored JSON forms."""
    result = copy.deepcopy(definition)
    for key in ("name", "icon", "docs", "ttl", "tags", "parent"):
        if key in overrides:
            result[key] = overrides[key]
    orphaned: list[str] = []
    for kind in ("widgets", "actions"):
        by_id = {item["id"]: item for item in result.get(kind, [])}
        for item_id, changes in overrides.get(kind, {}).items():
            target = by_id.get(item_id)
            if target is None:
                orphaned.append(f"{kind}.{item_id}")
                continue
            target.update(changes)
    return Effective(axon=Registration.model_validate(result), orphaned=orphaned)


def _refuse_definition_fields(patch: dict[str, Any], prefix: str) -> None:
    for key, value in patch.items():
        path = f"{prefix}{key}"
        if key in DEFINITION_FIELDS:
            raise ValidationError(
                f"{path} is part of the axon's definition and cannot be overridden"
            )
        if key in ("widgets", "actions") and not prefix and isinstance(value, dict):
            for item_id, item in value.items():
                if isinstance(item, dict):
                    _refuse_definition_fields(item, f"{key}.{item_id}.")


def _merge_patch(target: dict[str, Any], patch: dict[str, Any]) -> dict[str, Any]:
    for key, value in patch.items():
        if value is None:
            target.pop(key, None)
        elif (
            isinstance(value, dict)
            and key in ("widgets", "actions")
            or (isinstance(value, dict) and isinstance(target.get(key), dict))
        ):
            target[key] = _merge_patch(target.get(key) or {}, value)
        else:
            target[key] = value
    return target


def _prune(overrides: dict[str, Any]) -> dict[str, Any]:
    """Drop empty per-item override objects so 'no overrides' is always ``{}``."""
    for kind in ("widgets", "actions"):
        items = {k: v for k, v in overrides.get(kind, {}).items() if v}
        if items:
            overrides[kind] = items
        else:
            overrides.pop(kind, None)
    return overrides


_MISSING = object()


def _lookup(data: dict[str, Any], parts: list[str]) -> Any:
    cursor: Any = data
    for part in parts:
        if not isinstance(cursor, dict) or part not in cursor:
            return _MISSING
        cursor = cursor[part]
    return cursor
