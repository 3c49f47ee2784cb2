"""The axon SDK as a wheel the hub serves, so an axon machine installs it without the hub.

``build_wheel()`` zips the installed ``axon_sdk`` package into a pure-Python wheel in memory:
the ``*.py`` files and ``py.typed``, plus ``METADATA`` (requiring paho-mqtt alone), ``WHEEL`` and
a ``RECORD`` with sha256 hashes. The web layer serves it at ``/sdk/<filename>``, so on the axon::

    pip install http://hub:8080/sdk/synapse_axon_sdk-0.1.0-py3-none-any.whl

The bytes are reproducible: entries are sorted and carry a fixed timestamp.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

DIST_NAME = "synapse_axon_sdk"
REQUIRES = ("paho-mqtt>=2.1,<3",)
SUMMARY = "Make a Python program an axon of a Synapse hub: register, report, run actions."
_EPOCH = (1980, 1, 1, 0, 0, 0)


def build_wheel() -> tuple[str, bytes]:
    """``(filename, content)`` of the SDK wheel, built from the installed axon_sdk package."""
    import axon_sdk  # the SDK imports only paho-mqtt, which the hub depends on anyway

    version = axon_sdk.__version__
    package = Path(axon_sdk.__file__).parent
    files = {
        f"axon_sdk/{path.name}": path.read_bytes()
        for path in sorted(package.iterdir())
        if path.is_file() and (path.suffix == ".py" or path.name == "py.typed")
    }
    dist_info = f"{DIST_NAME}-{version}.dist-info"
    files[f"{dist_info}/METADATA"] = _metadata(version).encode()
    files[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: synapse-hub (hub/sdk_dist.py)\n"
        b"Root-Is-Purelib: true\nTag: py3-none-any\n"
    )
    record_name = f"{dist_info}/RECORD"
    record = "".join(f"{name},{_hash(data)},{len(data)}\n" for name, data in files.items())
    files[record_name] = (record + f"{record_name},,\n").encode()

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as wheel:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            wheel.writestr(info, data)
    return f"{DIST_NAME}-{version}-py3-none-any.whl", buffer.getvalue()


def _metadata(version: str) -> str:
    lines = [
        "Metadata-Version: 2.1",
        "Name: synapse-axon-sdk",
        f"Version: {version}",
        f"Summary: {SUMMARY}",
        "License: MIT",
        "Requires-Python: >=3.11",
        *(f"Requires-Dist: {req}" for req in REQUIRES),
    ]
    return "\n".join(lines) + "\n"


def _hash(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
