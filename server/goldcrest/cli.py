"""The ``goldcrest`` command: serve, doctor, and --version."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from . import __version__


def _serve(args: argparse.Namespace) -> int:
    from .server import create_server

    logging.basicConfig(
        stream=sys.stderr,
        level=logging.WARNING,
        format="goldcrest %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("goldcrest").setLevel(logging.INFO)
    server = create_server()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    return asyncio.run(run_doctor(Path(args.workspace).resolve(), print))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goldcrest",
        description="A language server that makes small local code models useful in the editor.",
    )
    parser.add_argument("--version", action="version", version=f"goldcrest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead, for debugging")
    serve.set_defaults(run=_serve)

    doctor = commands.add_parser("doctor", help="say which backends answer and what to fix")
    doctor.add_argument("--workspace", default=".", help="folder whose goldcrest.toml applies")
    doctor.set_defaults(run=_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
