"""Whether Goldcrest may run a workspace's tests, and running them for an action.

Running the tests runs the project's code, so it is opt-in per workspace (``actions.tests``):
"off" never, "on" always, "ask" asks once per workspace, as VS Code's workspace trust does. An
"Allow" is remembered on disk (the state dir), a "Not now" for this session only.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import platformdirs
from lsprotocol import types

from ..config import APP
from ..documents import Document
from ..routing.features import file_of
from ..tasks.test_evidence import Note, TestEvidence, gather
from .workspace import roots

if TYPE_CHECKING:
    from ..server import GoldcrestServer

log = logging.getLogger(__name__)

ALLOW, NOT_NOW = "Allow", "Not now"
_declined: set[Path] = set()


def trust_file() -> Path:
    """Where the workspaces the user allowed to run tests are kept."""
    return Path(platformdirs.user_state_dir(APP)) / "test-trust.json"


def _trusted() -> set[str]:
    try:
        return set(json.loads(trust_file().read_text()))
    except (OSError, ValueError, TypeError):
        return set()


def _remember(root: Path) -> None:
    try:
        path = trust_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(sorted(_trusted() | {str(root)})))
    except OSError as exc:  # asked again next session: annoying, not harmful
        log.warning("cannot remember test trust for %s: %s", root, exc)


async def _allowed(ls: GoldcrestServer, root: Path) -> bool:
    setting = ls.settings.actions.tests
    if setting != "ask":
        return setting == "on"
    if str(root) in _trusted():
        return True
    if root in _declined:
        return False
    answer = await ls.window_show_message_request_async(
        types.ShowMessageRequestParams(
            type=types.MessageType.Info,
            message=f"Goldcrest can run the tests of {root.name} to check its bug findings and "
            "fixes. This runs the project's code (on a copy, with no network).",
            actions=[types.MessageActionItem(ALLOW), types.MessageActionItem(NOT_NOW)],
        )
    )
    if answer is not None and answer.title == ALLOW:
        _remember(root)
        return True
    _declined.add(root)
    return False


def _root_of(ls: GoldcrestServer, file: Path) -> Path | None:
    """The workspace folder holding ``file`` (the innermost, when folders nest)."""
    holding = [r for r in roots(ls) if file.is_relative_to(r)]
    return max(holding, key=lambda r: len(r.parts), default=None)


async def evidence_for(
    ls: GoldcrestServer, doc: Document, names: list[str], note: Note | None = None
) -> TestEvidence | None:
    """The tests of ``names`` (functions in ``doc``) run on its text, when tests may run."""
    if ls.settings.actions.tests == "off" or not names:
        return None
    file = file_of(doc.uri)
    root = _root_of(ls, file) if file is not None else None
    if file is None or root is None or not await _allowed(ls, root):
        return None
    return await gather(root, file, doc.text, names, ls.settings.actions, note)
