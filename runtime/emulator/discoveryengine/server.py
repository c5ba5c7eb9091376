"""Serving the emulator with uvicorn: in the foreground (the CLI) or on a background thread (tests, demo)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from runtime.emulator.discoveryengine.app import Emulator, create_app
from runtime.emulator.discoveryengine.config import EmulatorConfig


def _server(config: EmulatorConfig, host: str, port: int) -> tuple[uvicorn.Server, Emulator]:
    app, emulator = create_app(config)
    settings = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    return uvicorn.Server(settings), emulator


class _AnnouncingServer(uvicorn.Server):
    """Says where it listens once the socket is bound (with --port 0 the port is known only then)."""

    announce: Callable[[str], None] = print

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started and self.servers:
            address = self.servers[0].sockets[0].getsockname()
            self.announce(f"{address[0]}:{address[1]}")


def serve(config: EmulatorConfig, host: str, port: int, announce: Callable[[str], None]) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM: uvicorn shuts down cleanly and the state file is saved)."""
    app, _ = create_app(config)
    settings = uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, lifespan="on")
    server = _AnnouncingServer(settings)
    server.announce = announce
    server.run()


class BackgroundEmulator:
    """The emulator on a thread, on a free port: `with BackgroundEmulator() as emu: emu.host` (`127.0.0.1:N`)."""

    def __init__(self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.server, self.emulator = _server(config or EmulatorConfig(), host, port)
        self._thread = threading.Thread(target=self.server.run, name="discoveryengine-emulator", daemon=True)
        self.host = ""

    def start(self) -> BackgroundEmulator:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the Discovery Engine emulator did not start")
            time.sleep(0.01)
        address = self.server.servers[0].sockets[0].getsockname()
        self.host = f"{address[0]}:{address[1]}"
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundEmulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
