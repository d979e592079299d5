"""Thin LSP handlers: decode params, call a task, encode the answer. One module per capability."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..server import GoldcrestServer


def register_all(server: GoldcrestServer) -> None:
    from . import code_actions, commands, completion, configuration, documents, hover, workspace

    modules = (configuration, documents, completion, commands, code_actions, hover, workspace)
    for module in modules:
        module.register(server)
