"""The ``goldcrest`` command: serve, doctor, eval, and --version."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from pathlib import Path
from typing import BinaryIO

from . import __version__
from .collector import settle


def _serve(args: argparse.Namespace) -> int:
    from .server import create_server

    # stderr gets warnings and errors only; the editor's log gets the rest (window/logMessage).
    to_stderr = logging.StreamHandler(sys.stderr)
    to_stderr.setLevel(logging.WARNING)
    to_stderr.setFormatter(logging.Formatter("goldcrest %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[to_stderr])
    logging.getLogger("goldcrest").setLevel(logging.INFO)
    server = create_server()
    # What importing made lives as long as the process: kept out of the collector's full
    # passes (about 87,000 objects, 40 ms a pass, which would otherwise land on a keystroke).
    settle()
    if args.tcp:
        host, _, port = args.tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io(sys.stdin.buffer, _private_stdout())
    return 0


def _private_stdout() -> BinaryIO:
    """The protocol's own copy of stdout; fd 1 then points at stderr.

    llama.cpp silences model loading by pointing fd 1 at /dev/null for a moment; on the shared fd
    that swallowed whatever the server wrote meanwhile (a lost request hangs its caller forever).
    Native prints now land in the log instead of corrupting the protocol stream.
    """
    protocol = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    return protocol


def _doctor(args: argparse.Namespace) -> int:
    from .doctor import run_doctor

    try:
        overrides = json.loads(args.settings) if args.settings else None
    except json.JSONDecodeError as exc:
        print(f"--settings is not valid JSON: {exc}", file=sys.stderr)
        return 2
    return asyncio.run(run_doctor(Path(args.workspace).resolve(), print, overrides))


def _eval(args: argparse.Namespace) -> int:
    from .evaluation.command import run_command

    return run_command(args)


def _stats(args: argparse.Namespace) -> int:
    from .config import load_files
    from .stats_report import report

    settings, problems = load_files(Path(args.workspace).resolve())
    for problem in problems:
        print(problem, file=sys.stderr)
    path = Path(args.db) if args.db else settings.spend_path()
    status = report(path, args.days, args.json, print)
    if not args.json:
        from .stats import FILE_NAME, print_timings
        from .stats_report import report_acceptance

        report_acceptance(path.with_name(settings.acceptance_path().name), args.days, print)
        print_timings(path.with_name(FILE_NAME), print)
    return status


def _export(args: argparse.Namespace) -> int:
    from .config import load_files
    from .learning.command import run_export

    settings, problems = load_files(Path(args.workspace).resolve())
    for problem in problems:
        print(problem, file=sys.stderr)
    return run_export(args, settings.acceptance_path(), print)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="goldcrest",
        description="A language server that makes small local code models useful in the editor.",
    )
    parser.add_argument("--version", action="version", version=f"goldcrest {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the language server (stdio by default)")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead, for debugging")
    serve.add_argument("--stdio", action="store_true", help="talk over stdio (the default)")
    serve.set_defaults(run=_serve)

    doctor = commands.add_parser("doctor", help="say which backends answer and what to fix")
    doctor.add_argument("--workspace", default=".", help="folder whose goldcrest.toml applies")
    doctor.add_argument(
        "--settings", metavar="JSON", help="settings as an editor sends them, applied last"
    )
    doctor.set_defaults(run=_doctor)

    stats = commands.add_parser(
        "stats", help="requests, tokens, validations, escalations and cloud cost per tier"
    )
    stats.add_argument("--workspace", default=".", help="folder whose goldcrest.toml applies")
    stats.add_argument("--db", help="counters file (default: spend.database or the state dir)")
    stats.add_argument("--days", type=int, help="only the last N days (default: all)")
    stats.add_argument("--json", action="store_true", help="machine-readable output")
    stats.set_defaults(run=_stats)

    export = commands.add_parser(
        "export",
        help="write the suggestions you accepted as a training set (chat and FIM JSONL)",
        description="Write what you accepted (suggestions, fixes and refactors you kept) as "
        "JSON lines: chat.jsonl (system/user/assistant) and fim.jsonl (prefix/suffix/middle), "
        "each with a held-out split (*.heldout.jsonl) for `goldcrest eval --data`. Prompts "
        "are exactly as Goldcrest sent them, redacted as for the cloud; duplicates are dropped.",
    )
    export.add_argument("--out", default="goldcrest-export", metavar="DIR", help="output folder")
    export.add_argument("--since", metavar="YYYY-MM-DD", help="only what was accepted from then")
    export.add_argument("--task", action="append", metavar="TASKS", help="complete, fix, refactor")
    export.add_argument("--min-chars", type=int, default=1, metavar="N", help="skip shorter ones")
    export.add_argument("--log", help="acceptance log (default: beside spend.database)")
    export.add_argument("--workspace", default=".", help="folder whose goldcrest.toml applies")
    export.set_defaults(run=_export)

    evaluate = commands.add_parser(
        "eval",
        help="score models on test-backed task suites, with and without Goldcrest",
        description="Run task suites through the engine the editor features use, score the "
        "answers with the suites' tests (sandboxed), and write a table, report.json (every "
        "item, for diffing runs) and chart.png. Results are cached per item in the output "
        "folder: an interrupted run resumes where it stopped.",
    )
    evaluate.add_argument(
        "--models",
        action="append",
        metavar="SPECS",
        help="comma-separated: embedded, embedded:/path/model.gguf, ollama:<tag>, or routed "
        "(the tiers in goldcrest.toml) (default: embedded)",
    )
    evaluate.add_argument(
        "--suite",
        action="append",
        metavar="NAMES",
        help="comma-separated suites (default: all): completion-single, completion-multi, "
        "completion-span (HumanEval infilling), bugs, bugs-correct (false alarms on the correct "
        "programs), fix (QuixBugs), refactor (all four "
        "refactor/KIND suites on QuixBugs' correct programs) or refactor/KIND",
    )
    evaluate.add_argument(
        "--baseline",
        action="append",
        metavar="NAME",
        help="also run a reference on the same model (repeatable): naive = a one-line "
        "instruction and the code, raw output, no context or validation; fim-raw = the "
        "model's own FIM prompt, raw output (completion only); no-context = Goldcrest without "
        "its labelled facts (completion only); goldcrest+tests = Goldcrest with the program's "
        "tests available as a project's own tests (bugs, fix, refactor); open-tabs = Goldcrest "
        "with the open files' text instead of the index, goldcrest+TUNING = other retrieval "
        "options (crossfile only)",
    )
    evaluate.add_argument("--limit", type=int, metavar="N", help="at most N items per suite")
    evaluate.add_argument(
        "--sample", type=int, metavar="SEED", help="shuffle items with SEED before --limit"
    )
    evaluate.add_argument(
        "--split",
        choices=("tune", "report"),
        help="only one fixed half of every suite (the same items every time): tune on one, "
        "report the other (default: all items)",
    )
    evaluate.add_argument(
        "--repeats",
        type=int,
        default=3,
        metavar="N",
        help="runs per item, for consistency (default: 3)",
    )
    evaluate.add_argument(
        "--data",
        metavar="DIR",
        help="evaluation data folder (default: ../shared/eval), or a `goldcrest export` folder: "
        "its held-out split is then the suite 'accepted' (your own accepted suggestions)",
    )
    evaluate.add_argument(
        "--out",
        default="goldcrest-eval",
        metavar="DIR",
        help="where results go (default: ./goldcrest-eval)",
    )
    evaluate.add_argument(
        "--fresh", action="store_true", help="ignore cached results in --out and start over"
    )
    evaluate.add_argument(
        "--test-timeout",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds one item's tests may run (default: 10)",
    )
    evaluate.add_argument("--workspace", default=".", help="folder whose goldcrest.toml applies")
    evaluate.set_defaults(run=_eval)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
