"""Settings: strict parsing that names the variable, secrets from files, masked in reprs."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import SettingsError
from hub.settings import Settings


def test_defaults_need_no_environment() -> None:
    settings = Settings.from_env({})
    assert (settings.mqtt_port, settings.http_port, settings.topic_prefix) == (
        1883,
        8080,
        "synapse",
    )
    assert settings.effective_database_url == "sqlite:///data/synapse.db"


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"SYNAPSE_HTTP_PORT": "eighty"}, "SYNAPSE_HTTP_PORT='eighty'"),
        ({"SYNAPSE_MQTT_PORT": "70000"}, "SYNAPSE_MQTT_PORT='70000'"),
        ({"SYNAPSE_AUTO_APPROVE": "perhaps"}, "SYNAPSE_AUTO_APPROVE='perhaps'"),
        ({"SYNAPSE_TOPIC_PREFIX": "Has Space"}, "SYNAPSE_TOPIC_PREFIX"),
        ({"SYNAPSE_TTL": "5"}, "SYNAPSE_TTL is not a Synapse setting"),
    ],
)
def test_a_bad_value_names_the_variable_and_the_value(env, message) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env(env)
    assert message in err.value.message


def test_a_secret_can_come_from_a_file_and_never_shows(tmp_path: Path) -> None:
    secret = tmp_path / "pw"
    secret.write_text("s3cret-broker-pw\n")
    settings = Settings.from_env({"SYNAPSE_BROKER_PASSWORD_FILE": str(secret)})
    assert settings.broker_password.get_secret_value() == "s3cret-broker-pw"
    assert "s3cret" not in repr(settings) and "s3cret" not in str(settings)


def test_a_missing_secret_file_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({"SYNAPSE_BROKER_PASSWORD_FILE": str(tmp_path / "nope")})
    assert "cannot read it" in err.value.message
