"""``goldcrest eval`` from parsed arguments: check them, then run, with plain-words errors."""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from ..config import ConfigError, load_files
from . import sandbox
from .data import default_data_dir
from .models import settings_for
from .runner import EvalOptions, evaluate
from .scoring import missing_modules
from .suites import build_suites
from .suites.accepted import accepted_suites
from .suites.base import Suite


def _names(values: list[str] | None) -> list[str]:
    """Repeated and comma-separated option values, in order, without duplicates."""
    names = [n.strip() for v in values or () for n in v.split(",") if n.strip()]
    return list(dict.fromkeys(names))


def _expand(wanted: list[str], known: dict[str, Suite]) -> list[str]:
    """Suite names, where a family name ("refactor") stands for all its suites ("refactor/…")."""
    names = []
    for name in wanted:
        family = [k for k in known if k.startswith(f"{name}/")]
        names += family if name not in known and family else [name]
    return list(dict.fromkeys(names))


def scorer_problem(suites: Sequence[Suite]) -> str | None:
    """Why these suites could not be scored here, with the install that fixes it; None if they
    can. Scoring with a missing module would report every answer as failed instead."""
    users: dict[str, list[str]] = {}
    for suite in suites:
        for module in suite.needs:
            users.setdefault(module, []).append(suite.name)
    missing = {module: users[module] for module in missing_modules(users)}
    if importlib.util.find_spec("matplotlib") is None:
        missing["matplotlib"] = ["the chart"]
    if not missing:
        return None
    what = "; ".join(f"{m} (for {', '.join(names)})" for m, names in missing.items())
    return (
        f"cannot score: {sandbox.PYTHON} lacks {what}. Install what the evaluation needs, from"
        f' the Goldcrest checkout: {sandbox.PYTHON} -m pip install ".[eval]"'
    )


def _fail(message: str) -> int:
    print(f"goldcrest eval: {message}", file=sys.stderr)
    return 2


def run_command(args: argparse.Namespace) -> int:
    """Exit status 0 when results were produced, 1 when none could be, 2 for bad arguments."""
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING, format="%(name)s: %(message)s")
    data_dir = Path(args.data).expanduser() if args.data else default_data_dir()
    if data_dir is None or not data_dir.is_dir():
        return _fail(f"no evaluation data at {data_dir or '../shared/eval'}; point --data at it.")
    if args.repeats < 1 or (args.limit is not None and args.limit < 1):
        return _fail("--repeats and --limit must be at least 1.")
    settings, problems = load_files(Path(args.workspace).resolve())
    for problem in problems:
        print(f"! {problem}", file=sys.stderr)
    # a `goldcrest export` folder is its own suite; else the benchmark suites
    suites = dict(accepted_suites(data_dir, args.test_timeout)) or build_suites(
        data_dir, args.test_timeout
    )
    wanted = _expand(_names(args.suite), suites) or list(suites)
    if unknown := [n for n in wanted if n not in suites]:
        return _fail(f"unknown suite {', '.join(unknown)}; known: {', '.join(suites)}.")
    baselines = _names(args.baseline)
    if unknown := [b for b in baselines if not any(b in suites[n].variants for n in wanted)]:
        return _fail(f"no chosen suite has the baseline {', '.join(unknown)}.")
    models = _names(args.models) or ["embedded"]
    try:
        for spec in models:
            settings_for(spec, settings)
        for name in wanted:
            suites[name].items()
    except ConfigError as exc:
        return _fail(str(exc))
    except (OSError, ValueError, KeyError) as exc:
        return _fail(f"cannot read suite data in {data_dir}: {exc}")
    if (problem := scorer_problem([suites[n] for n in wanted])) is not None:
        return _fail(problem)
    options = EvalOptions(
        models=tuple(models),
        suites=tuple(wanted),
        baselines=tuple(baselines),
        data_dir=data_dir,
        out_dir=Path(args.out).resolve(),  # the spend ledger needs an absolute path
        limit=args.limit,
        seed=args.sample,
        split=args.split,
        repeats=args.repeats,
        timeout_s=args.test_timeout,
        fresh=args.fresh,
    )
    results = asyncio.run(evaluate(options, settings, suites))
    return 0 if results else 1
