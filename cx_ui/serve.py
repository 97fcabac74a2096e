"""Start the dashboard as a real Streamlit server on loopback (tests, screenshots, benchmarks)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cx_metrics.browser import CHROMIUM, CHROMIUM_ARGS

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "Server", "free_port", "peak_rss_mb", "running_dashboard", "running_server"]

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(pid: int | str = "self") -> float:
    """Peak resident memory of process ``pid`` so far (Linux /proc ``VmHWM``), in MB; NaN where it is not known.

    ``VmHWM`` belongs to the address space, which exec replaces; ``ru_maxrss`` is kept across exec on Linux, so a
    process spawned by a large one would report the parent's size."""
    status = Path(f"/proc/{pid}/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


@dataclass(frozen=True)
class Server:
    url: str
    pid: int

    def peak_rss_mb(self) -> float:
        """Peak resident memory of the server process so far, in MB."""
        return peak_rss_mb(self.pid)


@contextmanager
def running_server(db_path: Path, *, port: int | None = None, timeout: float = 60,
                   secrets: Path | None = None, env: dict[str, str] | None = None,
                   script: Path | None = None, address: str = "127.0.0.1",
                   flags: Sequence[str] = ()) -> Iterator[Server]:
    """Serve the dashboard (``app.py``: ``dashboard.py`` behind its HTTP guard) with ``db_path``; yield its URL (always
    on 127.0.0.1) and pid; stop it afterwards.

    ``secrets``: a secrets.toml to use instead of the project's (e.g. an ``[auth]`` section for a login test).
    ``script``: another Streamlit script to serve the same way (the render benchmark's baseline page).
    ``address``: the address to bind (default loopback); a test of the non-loopback refusal binds ``0.0.0.0`` and
    still fetches through 127.0.0.1.
    ``flags``: more ``streamlit run`` options, after (so overriding) the defaults above.
    """
    port = port or free_port()
    env = {**os.environ, "CX_DB_PATH": str(db_path), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false", **(env or {})}
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(script or ROOT / "app.py"),
        "--server.address", address, "--server.port", str(port), "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
        "--client.disableDataExport", "true",
    ]
    if secrets is not None:
        cmd += ["--secrets.files", str(secrets)]
    cmd += list(flags)
    log = Path(os.devnull).open("wb")  # closed in finally
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with code {proc.returncode} before it was healthy")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not become healthy on {url} within {timeout:.0f} s")
            time.sleep(0.3)
        yield Server(url, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


@contextmanager
def running_dashboard(db_path: Path, *, port: int | None = None, timeout: float = 60) -> Iterator[str]:
    """:func:`running_server`, yielding only the URL."""
    with running_server(db_path, port=port, timeout=timeout) as server:
        yield server.url
