"""Authentication: username = axon id, password = token; refusals are slow after failures."""

from __future__ import annotations

import logging
import time

import pytest

from hub.ports import HUB_USERNAME
from tests.broker import rawmqtt
from tests.broker.conftest import HUB_TOKEN, TOKENS

pytestmark = pytest.mark.timeout(30)
NOT_AUTHORIZED = 5


def test_an_axon_logs_in_with_its_id_and_token(make_broker, make_client) -> None:
    running = make_broker()
    client = make_client(running.port, "nas-01", TOKENS["nas-01"])
    client.publish("synapse/report/nas-01", b'{"cpu": 4}')
    assert running.sink.wait_for("synapse/report/nas-01").username == "nas-01"


def test_the_hub_logs_in_with_its_own_username(make_broker, make_client) -> None:
    running = make_broker()
    assert make_client(running.port, HUB_USERNAME, HUB_TOKEN).connack == 0


def test_an_anonymous_client_is_refused(make_broker, make_client) -> None:
    running = make_broker()
    assert make_client(running.port, None, None, expect=NOT_AUTHORIZED)
    assert running.stats["auth_failures"] == 1


@pytest.mark.parametrize(
    ("username", "password"),
    [("nas-01", "wrong"), ("nas-01", TOKENS["cam-02"]), ("ghost", "anything"), (HUB_USERNAME, "x")],
)
def test_a_wrong_token_is_refused_with_not_authorized(
    make_broker, make_client, username: str, password: str
) -> None:
    running = make_broker()
    make_client(running.port, username, password, expect=NOT_AUTHORIZED)
    assert running.stats["refused_connects"] == 1


def _login_seconds(port: int, password: str) -> tuple[int, float]:
    client = rawmqtt.RawClient(port)
    started = time.monotonic()
    client.send(rawmqtt.connect("nas-01", "nas-01", password))
    code = client.connack()
    client.close()
    return code, time.monotonic() - started


def test_repeated_failures_are_answered_later_but_a_good_token_still_gets_in_at_once(
    make_broker,
) -> None:
    running = make_broker(auth_delay_max=0.4)
    first = [_login_seconds(running.port, "wrong") for _ in range(2)]
    third = _login_seconds(running.port, "wrong")
    good = _login_seconds(running.port, TOKENS["nas-01"])

    assert [code for code, _ in first] == [NOT_AUTHORIZED] * 2
    assert all(seconds < 0.3 for _, seconds in first)
    assert third[0] == NOT_AUTHORIZED and 0.35 <= third[1] < 2
    assert good[0] == 0 and good[1] < 0.3
    # the address is still on record: a failure for another axon from here waits too
    delay = running.run(running.broker.router.throttle.delay_for, "cam-02", "127.0.0.1")
    assert delay > 0


def test_passwords_never_appear_in_the_log(make_broker, make_client, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    running = make_broker()
    make_client(running.port, "nas-01", "guess-" + TOKENS["cam-02"], expect=NOT_AUTHORIZED)
    make_client(running.port, "nas-01", TOKENS["nas-01"])
    running.call(running.broker.stop())
    assert "refused login" in caplog.text
    for secret in (*TOKENS.values(), HUB_TOKEN):
        assert secret not in caplog.text
