"""The synapse command: serve, mint tokens and API keys, list axons.

Secrets are printed alone on the last line of stdout, once, so ``$(synapse token create x | tail
-1)`` works; everything else goes to stderr. Errors are one line on stderr and exit status 2.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from collections.abc import Sequence

from hub.clock import SystemClock
from hub.errors import SynapseError
from hub.hub import Hub
from hub.settings import Settings
from hub.storage import Storage


def _hub(settings: Settings) -> Hub:
    return Hub(settings, Storage(settings.effective_database_url), SystemClock())


def cmd_serve(settings: Settings, _args: argparse.Namespace) -> int:
    from synapse.runtime import Runtime  # the web and broker stacks load only for `serve`

    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("amqtt").setLevel(logging.WARNING)
    asyncio.run(Runtime(settings).serve_forever())
    return 0


def cmd_token_create(settings: Settings, args: argparse.Namespace) -> int:
    token = _hub(settings).mint_axon_token(args.axon_id)
    print(
        f"Token for axon {args.axon_id!r} (shown once; set it as SYNAPSE_TOKEN):", file=sys.stderr
    )
    print(token)
    return 0


def cmd_apikey_create(settings: Settings, args: argparse.Namespace) -> int:
    key = _hub(settings).mint_api_key(args.name, args.role)
    print(
        f"{args.role.capitalize()} API key {args.name!r} (shown once; send it as "
        "'Authorization: Bearer <key>'):",
        file=sys.stderr,
    )
    print(key)
    return 0


def cmd_axons(settings: Settings, _args: argparse.Namespace) -> int:
    hub = _hub(settings)
    hub.registry.load()
    rows = [("ID", "NAME", "STATUS", "APPROVAL", "LAST SEEN", "TTL")]
    now = time.time()
    for axon in hub.axons():
        seen = "never" if axon.last_seen_at is None else f"{now - axon.last_seen_at:.0f}s ago"
        rows.append((axon.id, axon.name, axon.status, axon.approval, seen, f"{axon.ttl}s"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if len(rows) == 1:
        print("(no axons yet)", file=sys.stderr)
    return 0


def cmd_kit(settings: Settings, args: argparse.Namespace) -> int:
    """The recovery kit from the hub's database: a zip, or one script on stdout."""
    import socket
    from pathlib import Path

    hub = _hub(settings)
    hub.registry.load()
    kit = hub.recovery_kit(args.axon_id, args.snapshot, host=args.host or socket.gethostname())
    if args.script or args.shell:
        sys.stdout.write(kit.files["reporter.sh" if args.shell else "axon.py"])
        return 0
    path = Path(args.output or kit.filename)
    path.write_bytes(kit.zip())
    exact = "exact" if kit.blueprint.exact else "not exact (see its README)"
    print(f"Recovery kit of {args.axon_id!r}, {exact}; no token inside:", file=sys.stderr)
    print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="synapse", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="run the hub: broker, API and dashboard").set_defaults(
        func=cmd_serve
    )
    token = sub.add_parser("token", help="axon tokens").add_subparsers(dest="verb", required=True)
    create = token.add_parser("create", help="mint a token for an axon id (approved at first use)")
    create.add_argument("axon_id")
    create.set_defaults(func=cmd_token_create)
    apikey = sub.add_parser("apikey", help="admin API keys").add_subparsers(
        dest="verb", required=True
    )
    key_create = apikey.add_parser("create", help="mint an admin API key")
    key_create.add_argument("--name", default="admin")
    key_create.add_argument(
        "--role", default="admin", choices=["admin", "viewer"], help="viewer: read-only"
    )
    key_create.set_defaults(func=cmd_apikey_create)
    sub.add_parser("axons", help="list the axons the hub knows").set_defaults(func=cmd_axons)
    kit = sub.add_parser("kit", help="write an axon's recovery kit (docs/recovery.md)")
    kit.add_argument("axon_id")
    kit.add_argument("-o", "--output", help="zip path (default: ./<id>-recovery-kit.zip)")
    kit.add_argument("--script", action="store_true", help="print axon.py to stdout instead")
    kit.add_argument("--shell", action="store_true", help="print reporter.sh to stdout instead")
    kit.add_argument("--snapshot", type=int, help="a snapshot id (default: the one in force)")
    kit.add_argument("--host", help="the hub's address as the axon sees it (default: hostname)")
    kit.set_defaults(func=cmd_kit)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env()
        return int(args.func(settings, args))
    except SynapseError as exc:
        print(f"synapse: {exc.message}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
