"""The stdio transport with the client's messages read on the event loop itself.

pygls reads stdin in a worker thread, one hand-off per read: three per message (the header
line, the blank line, the body), each a thread wake-up, a GIL exchange and a wake-up of the loop.
A keystroke sends two messages (didChange, then the request), and those hand-offs cost about
0.3 ms of its round trip on a 2-core machine (bench/bench_completion.py). An asyncio pipe
reader gets the same bytes without a thread. Where stdin is not a pipe or socket (a regular
file, a terminal) or the loop cannot watch it, pygls' threaded reader is used as before.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import threading
from typing import TYPE_CHECKING, BinaryIO

from pygls.io_ import StdinAsyncReader, StdoutWriter, run_async

if TYPE_CHECKING:
    from pygls.server import JsonRPCServer

log = logging.getLogger(__name__)
#: Transport faults go where pygls' own go (stderr), not to the client's log.
_transport_log = logging.getLogger("pygls.io_")

#: Bytes buffered before the pipe is paused; a message body may be larger (read in parts).
_BUFFER = 1 << 20


class PipeReader:
    """pygls' async reader interface (``readline``, ``readexactly``) over an asyncio stream,
    connected on first use (the loop must be running); falls back to the threaded reader."""

    def __init__(self, stdin: BinaryIO, server: JsonRPCServer) -> None:
        self._stdin = stdin
        self._server = server
        self._stream: asyncio.StreamReader | None = None
        self._threaded: StdinAsyncReader | None = None

    async def readline(self) -> bytes:
        if (stream := await self._connect()) is None:
            assert self._threaded is not None
            return await self._threaded.readline()
        return await stream.readline()

    async def readexactly(self, n: int) -> bytes:
        """``n`` bytes, or fewer at end of input (as a blocking ``read(n)`` gives)."""
        if (stream := await self._connect()) is None:
            assert self._threaded is not None
            return await self._threaded.readexactly(n)
        try:
            return await stream.readexactly(n)
        except asyncio.IncompleteReadError as exc:
            return exc.partial

    async def _connect(self) -> asyncio.StreamReader | None:
        if self._stream is None and self._threaded is None:
            loop = asyncio.get_running_loop()
            stream = asyncio.StreamReader(limit=_BUFFER)
            try:
                if not _pipe_or_socket(self._stdin):  # (a terminal would be left non-blocking)
                    raise ValueError("stdin is not a pipe or socket")
                await loop.connect_read_pipe(
                    lambda: asyncio.StreamReaderProtocol(stream), self._stdin
                )
            except (OSError, ValueError, NotImplementedError) as exc:
                log.info("stdin read in a thread (%s)", exc)
                self._threaded = StdinAsyncReader(self._stdin, self._server.thread_pool)
            else:
                self._stream = stream
        return self._stream


def _pipe_or_socket(stdin: BinaryIO) -> bool:
    mode = os.fstat(stdin.fileno()).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


def serve(server: JsonRPCServer, stdin: BinaryIO, stdout: BinaryIO) -> None:
    """Run ``server`` over ``stdin``/``stdout`` until the client leaves (as pygls'
    ``start_io`` does, with ``PipeReader``)."""
    server._stop_event = threading.Event()
    server.protocol.set_writer(StdoutWriter(stdout))
    try:
        asyncio.run(
            run_async(
                stop_event=server._stop_event,
                reader=PipeReader(stdin, server),
                protocol=server.protocol,
                logger=_transport_log,
                error_handler=server.report_server_error,
            )
        )
    except BrokenPipeError:
        _transport_log.error("the connection to the client is lost; shutting down")
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.shutdown()
