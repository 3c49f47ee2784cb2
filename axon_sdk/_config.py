"""Where an axon's settings come from: arguments first, then ``SYNAPSE_*`` environment variables.

- the hub: ``hub=`` or ``SYNAPSE_HUB``, default ``mqtt://localhost:1883``; ``mqtts://`` uses TLS
- the token: ``token=``, else ``SYNAPSE_TOKEN``, else the file named by ``SYNAPSE_TOKEN_FILE``
- the docs: a markdown string, or a path (``Path`` or a one-line ``"*.md"`` string) to read
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from ._errors import ConfigError

DEFAULT_HUB = "mqtt://localhost:1883"
MAX_DOCS_BYTES = 256 * 1024
_SCHEMES = {"mqtt": (1883, False), "tcp": (1883, False), "mqtts": (8883, True), "ssl": (8883, True)}


@dataclass(frozen=True, slots=True)
class HubAddress:
    host: str
    port: int
    tls: bool

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


def hub_address(hub: str | None, env: Mapping[str, str]) -> HubAddress:
    raw = hub if hub is not None else env.get("SYNAPSE_HUB", DEFAULT_HUB)
    source = "hub" if hub is not None else "SYNAPSE_HUB"
    if not isinstance(raw, str) or not raw.strip():
        raise ConfigError(f"{source} must be a URL like mqtt://host:1883, got {raw!r}")
    text = raw.strip() if "://" in raw else f"mqtt://{raw.strip()}"
    try:
        url = urlsplit(text)
        port = url.port
    except ValueError as exc:
        raise ConfigError(f"{source} is not a valid URL ({exc}): {raw!r}") from None
    if url.scheme not in _SCHEMES:
        raise ConfigError(f"{source} must start with mqtt:// or mqtts://, got {raw!r}")
    if url.username or url.password:
        raise ConfigError(
            f"{source} must not carry credentials; pass the token as token= or SYNAPSE_TOKEN"
        )
    if not url.hostname or url.path not in ("", "/") or url.query:
        raise ConfigError(f"{source} must be scheme://host[:port] only, got {raw!r}")
    default_port, tls = _SCHEMES[url.scheme]
    return HubAddress(url.hostname, port or default_port, tls)


def token_from(token: str | None, env: Mapping[str, str]) -> str:
    if token is None:
        token = env.get("SYNAPSE_TOKEN")
        if not token and env.get("SYNAPSE_TOKEN_FILE"):
            path = Path(env["SYNAPSE_TOKEN_FILE"])
            try:
                token = path.read_text(encoding="utf-8").strip()
            except OSError as exc:
                raise ConfigError(
                    f"SYNAPSE_TOKEN_FILE cannot be read: {path} ({exc.strerror})"
                ) from None
        if not token:
            raise ConfigError(
                "no token: pass token=... or set SYNAPSE_TOKEN (or SYNAPSE_TOKEN_FILE); "
                "the hub shows an axon's token when you create it"
            )
    if not isinstance(token, str) or not token.strip() or len(token) > 1024:
        raise ConfigError("token must be a non-empty string of at most 1024 chars")
    return token


def load_docs(docs: str | os.PathLike[str] | None) -> str:
    """Markdown docs: the string itself, or the file it names (``Path`` or ``"*.md"``)."""
    if docs is None:
        return ""
    if isinstance(docs, str) and not (docs.endswith(".md") and "\n" not in docs):
        text = docs
    elif isinstance(docs, str | os.PathLike):
        path = _find(Path(docs))
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"docs file cannot be read: {path} ({exc})") from None
    else:
        raise ConfigError(f"docs must be a markdown string or a file path, got {docs!r}")
    if len(text.encode()) > MAX_DOCS_BYTES:
        raise ConfigError(f"docs are too long (max {MAX_DOCS_BYTES // 1024} KiB)")
    return text


def _find(path: Path) -> Path:
    """A relative path is looked up in the working directory, then beside the main script."""
    if path.is_absolute() or path.exists():
        return path
    main = getattr(sys.modules.get("__main__"), "__file__", None)
    if main:
        beside = Path(main).resolve().parent / path
        if beside.exists():
            return beside
    raise ConfigError(
        f"docs file not found: {str(path)!r} (looked in {Path.cwd()} and beside the main script)"
    )
