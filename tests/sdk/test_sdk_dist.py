"""hub/sdk_dist.py builds a wheel that installs the SDK alone into a fresh environment."""

from __future__ import annotations

import base64
import hashlib
import io
import subprocess
import sys
import zipfile
from pathlib import Path

from hub.sdk_dist import build_wheel


def test_the_wheel_is_named_like_a_pure_python_wheel_and_is_reproducible():
    name, content = build_wheel()
    assert name == "synapse_axon_sdk-0.1.0-py3-none-any.whl"
    assert build_wheel()[1] == content


def test_the_wheel_carries_the_sdk_metadata_and_a_record_with_hashes():
    _, content = build_wheel()
    wheel = zipfile.ZipFile(io.BytesIO(content))
    names = wheel.namelist()
    assert "axon_sdk/__init__.py" in names and "axon_sdk/_axon.py" in names
    assert not [n for n in names if not n.startswith(("axon_sdk/", "synapse_axon_sdk-0.1.0."))]
    metadata = wheel.read("synapse_axon_sdk-0.1.0.dist-info/METADATA").decode()
    assert [line for line in metadata.splitlines() if line.startswith("Requires-Dist")] == [
        "Requires-Dist: paho-mqtt>=2.1,<3"
    ]
    assert "Root-Is-Purelib: true" in wheel.read("synapse_axon_sdk-0.1.0.dist-info/WHEEL").decode()
    record = wheel.read("synapse_axon_sdk-0.1.0.dist-info/RECORD").decode().splitlines()
    assert len(record) == len(names)
    for line in record:
        path, digest, size = line.rsplit(",", 2)
        if path.endswith("RECORD"):
            continue
        data = wheel.read(path)
        expected = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        assert (digest, int(size)) == (f"sha256={expected}", len(data))


def test_the_wheel_installs_the_sdk_without_the_hubs_dependencies(tmp_path: Path):
    name, content = build_wheel()
    (tmp_path / name).write_bytes(content)
    env_dir = tmp_path / "axon-env"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(env_dir)], check=True)
    python = env_dir / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            str(tmp_path / name),
        ],
        check=True,
        timeout=120,
        cwd=tmp_path,
    )
    probe = (
        "import importlib.util, axon_sdk\n"
        "print(axon_sdk.__version__, axon_sdk.__file__)\n"
        "print([m for m in ('fastapi', 'sqlalchemy', 'sqlmodel', 'amqtt', 'hub')"
        " if importlib.util.find_spec(m)])\n"
    )
    out = subprocess.run(
        [str(python), "-c", probe],
        check=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin"},
    ).stdout.splitlines()
    version, location = out[0].split()
    assert version == "0.1.0" and location.startswith(str(env_dir))
    assert out[1] == "[]"
