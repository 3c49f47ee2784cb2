"""Registrations: validated whole, stored as snapshots, the last good one kept in force."""

from __future__ import annotations

import json

import pytest

from hub.hub import Hub
from tests.factories import registration, send

BAD_REGISTRATIONS = [
    (registration(ttl=1), "ttl is too small (min 5)"),
    (registration(ttl=10**9), "ttl is too large (max 604800)"),
    (registration(id="other"), "does not match the topic"),
    (registration(tll=60), "tll is not a known field"),
    (registration(actions=[{"id": "a"}, {"id": "a"}]), "action id 'a' appears twice"),
    (registration(widgets=[{"id": "w", "type": "pie"}]), "widgets[0].type must be one of"),
    (registration(actions=[{"id": f"a{i}"} for i in range(65)]), "actions has too many items"),
    (
        registration(widgets=[{"id": "w", "monitors": [{"condition": "9**3999999"}]}]),
        "could explode",
    ),
    (
        registration(widgets=[{"id": "w", "monitors": [{"condition": "value >"}]}]),
        "not a valid expression",
    ),
    (
        registration(widgets=[{"id": "w", "monitors": [{"condition": "__import__('os')"}]}]),
        "not a safe function",
    ),
    (registration(actions=[{"id": "rm -rf /"}]), "actions[0].id must be 1-64 characters"),
    (registration(docs="x" * 70_000), "docs is too long"),
]


@pytest.mark.parametrize(("payload", "sentence"), BAD_REGISTRATIONS)
def test_a_bad_registration_is_rejected_whole_with_one_sentence(
    make_hub, payload, sentence
) -> None:
    hub: Hub = make_hub(auto_approve=True)
    send(hub, "synapse/register/nas-01", registration())
    send(hub, "synapse/register/nas-01", payload)
    hub.flush()
    errors = hub.errors("nas-01")
    assert len(errors) == 1
    assert sentence in errors[0].error
    detail = hub.axon("nas-01")
    assert detail.definition is not None and detail.definition["name"] == "Basement NAS"
    assert sentence in (detail.last_error or "")


@pytest.mark.parametrize(
    "raw", [b"\xff\xfe", b"not json", b"[1, 2]", b'{"id": "nas-01", "ttl": NaN}', b"{" * 5000]
)
def test_undecodable_registrations_are_rejected_not_raised(make_hub, raw) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", raw)
    hub.flush()
    assert len(hub.errors("nas-01")) == 1
    assert hub.ingest.counts["internal_error"] == 0


def test_identical_re_registrations_add_no_snapshot_rows(make_hub) -> None:
    hub: Hub = make_hub()
    for _ in range(3):
        send(hub, "synapse/register/nas-01", registration())
    send(hub, "synapse/register/nas-01", registration(name="Attic NAS"))
    snapshots = hub.axon("nas-01").snapshots
    assert len(snapshots) == 2
    assert snapshots[0].content_hash != snapshots[1].content_hash


def test_the_token_is_never_stored_in_the_snapshot_or_returned(make_hub) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(auth_token="hunter2-secret"))
    detail = hub.axon("nas-01")
    assert "hunter2-secret" not in detail.model_dump_json()
    assert "auth_token" not in json.dumps(hub.snapshot("nas-01"))
    with hub.storage.engine.connect() as conn:
        dump = "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM snapshots"))
        dump += "\n".join(str(row) for row in conn.exec_driver_sql("SELECT * FROM credentials"))
    assert "hunter2-secret" not in dump


def test_a_registration_with_someone_elses_token_is_refused(make_hub) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(auth_token="first-token"))
    send(hub, "synapse/register/nas-01", registration(auth_token="guess", name="Pwned"))
    hub.flush()
    assert hub.axon("nas-01").name == "Basement NAS"
    assert "does not match" in hub.errors("nas-01")[0].error


def test_a_message_on_another_axons_topic_is_refused(make_hub) -> None:
    hub: Hub = make_hub()
    send(hub, "synapse/register/nas-01", registration(), username="nas-01")
    send(hub, "synapse/register/nas-01", registration(name="Spoofed"), username="evil-02")
    assert hub.axon("nas-01").name == "Basement NAS"
    assert hub.ingest.counts["refused_spoof"] == 1


@pytest.mark.parametrize(
    "topic",
    [
        "synapse/register/Nas",
        "synapse/register/nas\x00x",
        "synapse/register/nas\x07",
        "synapse/unknown/nas-01",
        "other/register/nas-01",
        "synapse/register/" + "a" * 65,
    ],
)
def test_topics_outside_the_contract_never_reach_the_registry(make_hub, topic) -> None:
    hub: Hub = make_hub()
    send(hub, topic, registration())
    assert hub.axons() == []
    assert hub.ingest.counts["refused_topic"] == 1


def test_first_contact_waits_pending_unless_the_token_was_minted(make_hub) -> None:
    hub: Hub = make_hub()
    token = hub.mint_axon_token("minted-01")
    send(hub, "synapse/register/minted-01", registration(id="minted-01", auth_token=token))
    send(hub, "synapse/register/claim-01", registration(id="claim-01", auth_token="t0ken"))
    assert hub.axon("minted-01").approval == "approved"
    assert hub.axon("claim-01").approval == "pending"
    assert hub.approve("claim-01").approval == "approved"


def test_auto_approve_approves_a_claimed_id(make_hub) -> None:
    hub: Hub = make_hub(auto_approve=True)
    assert hub.credentials.verify_or_claim("claim-01", "t0ken")
    send(hub, "synapse/register/claim-01", registration(id="claim-01"))
    assert hub.axon("claim-01").approval == "approved"
