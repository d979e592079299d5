"""Settings from initializationOptions, workspace files and workspace/didChangeConfiguration."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import to_fs_path

from ..config import ConfigError, load_files, merge
from . import learning
from .workspace import start_indexing

if TYPE_CHECKING:
    from ..server import GoldcrestServer


def _workspace_root(params: types.InitializeParams) -> Path | None:
    if params.workspace_folders:
        path = to_fs_path(params.workspace_folders[0].uri)
        return Path(path) if path else None
    if params.root_uri:
        path = to_fs_path(params.root_uri)
        return Path(path) if path else None
    return None


def _section(settings: Any) -> dict[str, Any] | None:
    """Clients send either ``{goldcrest: {...}}`` or the object itself."""
    if isinstance(settings, dict) and isinstance(settings.get("goldcrest"), dict):
        return settings["goldcrest"]
    return settings if isinstance(settings, dict) and settings else None


def register(server: GoldcrestServer) -> None:
    @server.feature(types.INITIALIZE)
    def initialize(ls: GoldcrestServer, params: types.InitializeParams) -> None:
        """Read settings files and initializationOptions; report each bad source once."""
        settings, problems = load_files(_workspace_root(params))
        try:
            settings = merge(
                settings, _section(params.initialization_options), "initializationOptions"
            )
        except ConfigError as exc:
            problems.append(str(exc))
        ls.use_settings(settings)
        for problem in problems:
            ls.show(problem, types.MessageType.Error)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: GoldcrestServer, params: types.InitializedParams) -> None:
        """Choose a backend in the background so the first completion need not wait; start
        indexing the workspace."""
        asyncio.get_running_loop().create_task(ls.warm_up())
        start_indexing(ls)
        learning.seed_router(ls)

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    def did_change_configuration(
        ls: GoldcrestServer, params: types.DidChangeConfigurationParams
    ) -> None:
        """Overlay the new settings; keep the last good ones when they are invalid."""
        ls.apply_settings(_section(params.settings), "workspace/didChangeConfiguration")
