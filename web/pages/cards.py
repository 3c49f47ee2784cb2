"""What the pages show about axons, built from the registry's in-memory state (no queries)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hub.registry import AxonState

MAX_CARD_VALUES = 4


def widget_list(state: AxonState) -> list[dict[str, Any]]:
    if state.effective is None:
        return [{"id": w, "label": w, "unit": "", "type": "stat"} for w in sorted(state.values)]
    return [
        {"id": w.id, "label": w.label or w.id, "unit": w.unit, "type": w.type}
        for w in state.effective.axon.widgets
    ]


def card(state: AxonState) -> dict[str, Any]:
    eff = state.effective.axon if state.effective else None
    widgets = widget_list(state)[:MAX_CARD_VALUES]
    tags = list(eff.tags) if eff else list(state.overrides.get("tags", []))
    parent = eff.parent if eff else state.overrides.get("parent")
    spark = next(
        (
            w["id"]
            for w in widgets
            if isinstance(state.values.get(w["id"]), int | float)
            and not isinstance(state.values.get(w["id"]), bool)
        ),
        None,
    )
    return {
        "id": state.id,
        "name": (eff.name if eff else "") or state.id,
        "approval": state.approval,
        "status": state.status,
        "since": state.status_since,
        "group": tags[0] if tags else (f"under {parent}" if parent else ""),
        "tags": tags,
        "widgets": widgets,
        "values": {w["id"]: state.values.get(w["id"]) for w in widgets},
        "spark": spark,
        "last_error": state.last_error,
    }


@dataclass(slots=True)
class CardView:
    """A card ready to render: attribute access and preformatted text keep 1,000 cards fast."""

    id: str
    name: str
    approval: str
    status: str
    badge: str
    since: float
    since_iso: str
    since_text: str
    search: str
    rows: list[tuple[str, str, str, str]]  # widget id, label, value, unit
    spark: str | None
    last_error: str | None
    firing: int = 0


def card_view(c: dict[str, Any], firing: int = 0) -> CardView:
    since = dt.datetime.fromtimestamp(c["since"], dt.UTC) if c["since"] else None
    return CardView(
        id=c["id"],
        name=c["name"],
        approval=c["approval"],
        status=c["status"],
        badge=c["status"] if c["approval"] == "approved" else c["approval"],
        since=c["since"],
        since_iso=since.isoformat(timespec="seconds") if since else "",
        since_text=since.strftime("%Y-%m-%d %H:%M:%S UTC") if since else "never",
        search=f"{c['id']} {c['name']} {' '.join(c['tags'])}".lower(),
        rows=[
            (
                w["id"],
                w["label"],
                "—" if c["values"][w["id"]] is None else str(c["values"][w["id"]]),
                w["unit"],
            )
            for w in c["widgets"]
        ],
        spark=c["spark"],
        last_error=c["last_error"],
        firing=firing,
    )


def grouped(cards: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Approved cards by their first tag (or parent); the ungrouped last."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for c in sorted(cards, key=lambda c: (c["name"].lower(), c["id"])):
        groups.setdefault(c["group"], []).append(c)
    return sorted(groups.items(), key=lambda item: (item[0] == "", item[0]))
