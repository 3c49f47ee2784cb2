"""Reported values: decoded strictly, bounded, and classified as number or text.

A report is a JSON object (widget id → value, optional ``ts``) or, on the per-widget topic, a bare
value (``87``, ``ok``, ``true`` or JSON). Values are numbers, strings and booleans; a small nested
structure is kept as JSON text. NaN/Infinity, non-UTF-8, deep nesting and oversize payloads are
refused with a sentence. This runs on every report, so it is plain Python, not a pydantic model.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from hub.errors import ValidationError
from hub.topics import WIDGET_ID_RE

MAX_REPORT_BYTES = 64 * 1024
MAX_VALUES = 256
MAX_TEXT = 1024
MAX_DEPTH = 3

Scalar = float | int | str | bool


@dataclass(frozen=True, slots=True)
class Report:
    values: dict[str, Scalar]
    #: the axon's own timestamp, when it sent one
    ts: float | None = None


def _no_constants(name: str) -> Any:
    raise ValidationError(f"{name} is not a number the hub accepts")


#: one decoder for every payload: json.loads(..., parse_constant=...) builds a new one per call
_DECODER = json.JSONDecoder(parse_constant=_no_constants)


def decode_json(payload: bytes, *, what: str = "the payload", limit: int = MAX_REPORT_BYTES) -> Any:
    if len(payload) > limit:
        raise ValidationError(f"{what} is too large (max {limit} bytes)")
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationError(f"{what} is not valid UTF-8") from None
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(
            f"{what} is not valid JSON ({exc.msg} at position {exc.pos})"
        ) from None
    except RecursionError:
        raise ValidationError(f"{what} nests too deeply") from None


def parse_report(payload: bytes) -> Report:
    """A JSON object report: ``{"cpu": 41.5, "status": "ok", "ts": 1700000000}``."""
    data = decode_json(payload, what="the report")
    if not isinstance(data, dict):
        raise ValidationError('the report must be a JSON object such as {"cpu": 41.5}')
    ts = data.pop("ts", None)
    if ts is not None and (isinstance(ts, bool) or not isinstance(ts, int | float)):
        raise ValidationError("ts must be a number of seconds since the epoch")
    if len(data) > MAX_VALUES:
        raise ValidationError(f"the report has too many values (max {MAX_VALUES})")
    values: dict[str, Scalar] = {}
    for key, value in data.items():
        if not WIDGET_ID_RE.match(key):
            raise ValidationError(f"{key[:70]!r} is not a valid widget id")
        values[key] = _scalar(key, value)
    return Report(values=values, ts=float(ts) if ts is not None else None)


def parse_bare_value(widget_id: str, payload: bytes) -> Report:
    """A value on ``synapse/report/{id}/{widget}``: JSON if it parses, text otherwise."""
    if not WIDGET_ID_RE.match(widget_id):
        raise ValidationError(f"{widget_id[:70]!r} is not a valid widget id")
    if len(payload) > MAX_REPORT_BYTES:
        raise ValidationError(f"the value is too large (max {MAX_REPORT_BYTES} bytes)")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise ValidationError("the value is not valid UTF-8") from None
    try:
        value = _DECODER.decode(text)
    except (json.JSONDecodeError, RecursionError):
        value = text
    return Report(values={widget_id: _scalar(widget_id, value)})


def _scalar(key: str, value: Any) -> Scalar:
    if isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValidationError(f"{key} is not a finite number")
        return value
    if isinstance(value, str):
        if len(value) > MAX_TEXT:
            raise ValidationError(f"{key} is too long (max {MAX_TEXT} characters)")
        return value
    if value is None:
        raise ValidationError(f"{key} has no value (null)")
    if isinstance(value, dict | list):
        if _depth(value) > MAX_DEPTH:
            raise ValidationError(f"{key} nests too deeply (max {MAX_DEPTH} levels)")
        text = json.dumps(value, separators=(",", ":"))
        if len(text) > MAX_TEXT:
            raise ValidationError(f"{key} is too long (max {MAX_TEXT} characters as JSON)")
        return text
    raise ValidationError(f"{key} has a value of an unsupported type")


def _depth(value: Any, level: int = 1) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level)
    return level - 1
