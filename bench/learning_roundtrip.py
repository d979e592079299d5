"""Learning from use, end to end: a scripted session, its export, and the eval on the split.

A user who always takes the right rest of the line is played by a fake Ollama that answers each
hole with the code that was really there: holes are cut after ``return `` or `` = `` in real
Python files (Goldcrest's own source by default), one suggestion per hole over stdio, each
accepted through the item's command. Then ``goldcrest export`` writes the training set and the
held-out split, and the command that scores a real model on that split is printed:

    python bench/learning_roundtrip.py [--files 40] [--holes 3] [--out /tmp/goldcrest-learning]
    flock /tmp/model.lock nice -n 5 goldcrest eval --data /tmp/goldcrest-learning/export \\
        --models embedded --baseline fim-raw --repeats 1 --out /tmp/goldcrest-learning/eval
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "bench"))

from lsprotocol import types  # noqa: E402

from bench_completion import start  # noqa: E402
from conftest import inline_items, open_doc  # noqa: E402
from fake_ollama import FakeOllama, Reply  # noqa: E402

MARKERS = ("return ", " = ")


def holes(text: str, count: int, rng: random.Random) -> list[tuple[str, str, types.Position]]:
    """Up to ``count`` (text cut after a marker, the rest of that line, the cursor) from
    ``text``."""
    lines = text.split("\n")
    found = []
    for n, line in enumerate(lines):
        for marker in MARKERS:
            at = line.find(marker)
            rest = line[at + len(marker) :] if at >= 0 else ""
            if at >= 0 and 8 <= len(rest.strip()) <= 60 and not line.lstrip().startswith("#"):
                head = line[: at + len(marker)]
                cut = "\n".join([*lines[:n], head, *lines[n + 1 :]])
                column = len(head.encode("utf-16-le")) // 2
                found.append((cut, rest, types.Position(line=n, character=column)))
                break
    return rng.sample(found, min(count, len(found)))


async def session(files: list[Path], count: int, out: Path) -> int:
    """Ask and accept one suggestion per hole; the number accepted."""
    rng = random.Random(0)
    accepted = 0
    with FakeOllama() as fake:
        options = {
            "backend": "ollama",
            "ollama": {"host": fake.url, "model": "qwen2.5-coder:7b", "timeout_s": 5},
            "completion": {"timeout_s": 5},
            "spend": {"database": str(out / "state" / "spend.sqlite")},
            "cache": {"enabled": False},
        }
        lsp = await start(options, out)
        for file in files:
            for text, rest, at in holes(file.read_text(), count, rng):
                fake.push(Reply(chunks=[rest]))
                path = out / "work" / file.relative_to(ROOT)  # holes of a file: one group
                uri = open_doc(lsp, path, text, "python")
                for item in await inline_items(lsp, uri, at):
                    await lsp.workspace_execute_command_async(
                        types.ExecuteCommandParams(
                            command=item.command.command, arguments=item.command.arguments
                        )
                    )
                    accepted += 1
                lsp.text_document_did_close(
                    types.DidCloseTextDocumentParams(
                        text_document=types.TextDocumentIdentifier(uri=uri)
                    )
                )
        await lsp.shutdown_session()
        await lsp.stop()
    return accepted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--holes", type=int, default=3)
    parser.add_argument("--source", default=str(ROOT / "server" / "goldcrest"))
    parser.add_argument("--out", default="/tmp/goldcrest-learning")
    args = parser.parse_args()
    out = Path(args.out)
    files = sorted(Path(args.source).rglob("*.py"))[: args.files]
    accepted = asyncio.run(session(files, args.holes, out))
    log = out / "state" / "acceptance.jsonl"
    export = out / "export"
    done = subprocess.run(
        [sys.executable, "-m", "goldcrest", "export", "--log", str(log), "--out", str(export)],
        capture_output=True,
        text=True,
        check=True,
    )
    print(f"accepted {accepted} suggestions in {len(files)} files")
    print(done.stdout, end="")
    held = [json.loads(x) for x in (export / "fim.heldout.jsonl").read_text().splitlines()]
    print(f"held out: {len(held)} FIM examples")


if __name__ == "__main__":
    main()
