"""pygls' protocol, plus an answer to requests whose params do not fit the LSP types.

pygls drops such a request without replying, which leaves the client waiting forever. We answer
it with InvalidParams instead, as JSON-RPC asks.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pygls.exceptions import JsonRpcInvalidParams
from pygls.protocol import LanguageServerProtocol


@dataclass(frozen=True)
class _MalformedRequest:
    id: int | str
    method: str
    jsonrpc: str = "2.0"


class GoldcrestProtocol(LanguageServerProtocol):
    #: Told (request id, seconds spent writing the response) after each response is written.
    on_response: Callable[[Any, float], None] | None = None

    def _send_response(self, msg_id: Any, result: Any = None, error: Any = None) -> None:
        began = time.perf_counter()
        super()._send_response(msg_id, result, error)
        if self.on_response is not None:
            self.on_response(msg_id, time.perf_counter() - began)

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcInvalidParams:
            if "id" in data and "method" in data:
                return _MalformedRequest(data["id"], str(data["method"]))
            raise

    def handle_message(self, message: Any) -> None:
        if isinstance(message, _MalformedRequest):
            error = JsonRpcInvalidParams(f"Invalid params for {message.method}")
            self._send_response(message.id, None, error.to_response_error())
            return
        super().handle_message(message)
