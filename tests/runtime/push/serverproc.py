"""`runtime serve` as a real process, for tests that signal or kill it."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

from compiler.plan import Plan
from tests.runtime.push.pushplans import TOKENS, write_plan

_LISTENING = re.compile(r"at http://127\.0\.0\.1:(\d+)/")


class ServerProcess:
    def __init__(self, folder: Path, plan: Plan, port: int = 0) -> None:
        self.folder = folder
        self.plan_path = write_plan(folder, plan)
        self.state_dir = folder / "state"
        env = {**os.environ, f"SECRET_{plan.name.upper()}_TOKEN": TOKENS[plan.name]}
        env.pop("GEMINI_SYNC_SECRETS_DIR", None)
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "runtime",
                "serve",
                str(self.plan_path),
                "--port",
                str(port),
                "--state-dir",
                str(self.state_dir),
            ],
            cwd=folder,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.port = self._wait_listening()
        self.url = f"http://127.0.0.1:{self.port}/v1/connectors/{plan.name}/events"

    def _wait_listening(self) -> int:
        assert self.process.stderr is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = self.process.stderr.readline()
            if not line:
                raise AssertionError(f"runtime serve exited early with {self.process.wait()}")
            match = _LISTENING.search(line)
            if match:
                return int(match.group(1))
        raise AssertionError("runtime serve did not start listening within 30 s")

    def rest_of_stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.process.stderr is not None:
            self.process.stderr.close()
