"""Real processes for the fault tests: a private redis-server and Celery workers."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from celery import current_app

PROJECT = Path(__file__).resolve().parents[1]
CELERY = Path(sys.executable).with_name("celery")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, *, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


class RedisServer:
    """A redis-server of the test's own on a free loopback port: stopped and started at will."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                return conn.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_until(self._answers, timeout=10):
            raise RuntimeError(f"redis-server did not start on port {self.port}")
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None


class ProcessGroup:
    """A child process in its own process group, its output in a log file."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen | None = None

    def spawn(self, ready, *, timeout: float, what: str) -> None:
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.args,
            cwd=PROJECT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if not wait_until(ready, timeout=timeout):
            self.stop()
            raise RuntimeError(f"{what} did not get ready:\n{self.log()}")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-6000:]

    def kill(self) -> None:
        """SIGKILL the whole group, main process and children: no goodbye, no ack."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()


class CeleryWorker(ProcessGroup):
    """``celery worker`` in its own process group, on a given database and broker."""

    def __init__(
        self,
        *,
        name: str,
        database_url: str,
        broker_url: str,
        workdir: Path,
        beat: bool = False,
        concurrency: int = 1,
        settings_module: str = "tests.worker_settings",
    ):
        self.name = name
        self.log_path = workdir / f"{name}.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": settings_module,
            "DATABASE_URL": database_url,
            "REDIS_URL": broker_url,
            "VAR_DIR": str(workdir / "var"),
            "PYTHONPATH": str(PROJECT),
        }
        self.args = [
            str(CELERY),
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            f"--concurrency={concurrency}",
            "--loglevel=INFO",
            f"--hostname={name}@%h",
            "--without-mingle",
            "--without-gossip",
        ]
        if beat:
            self.args += ["--beat", "--schedule", str(workdir / f"{name}-beat")]
        self.process: subprocess.Popen | None = None

    def start(self, *, timeout: float = 60) -> "CeleryWorker":
        self.spawn(
            lambda: b" ready." in self.log_path.read_bytes(), timeout=timeout, what=self.name
        )
        return self


def use_broker(url: str) -> None:
    """Point this process's Celery producer at ``url`` (connections are made afresh)."""
    current_app.conf.broker_url = url
    current_app._after_fork()


class Gunicorn(ProcessGroup):
    """The web server as the run script starts it, on a free loopback port and a given database."""

    def __init__(self, *, database_url: str, workdir: Path, **env: str):
        self.port = free_port()
        self.log_path = workdir / "gunicorn.log"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings.test",
            "DATABASE_URL": database_url,
            "VAR_DIR": str(workdir / "var"),
            "PYTHONPATH": str(PROJECT),
            "WEB_CONCURRENCY": "1",
            **env,
        }
        self.args = [
            str(Path(sys.executable).with_name("gunicorn")),
            "--config",
            "config/gunicorn_conf.py",
            "--bind",
            f"127.0.0.1:{self.port}",
            "config.wsgi:application",
        ]
        self.process: subprocess.Popen | None = None

    def _answers(self) -> bool:
        """A worker has loaded the application and answers its liveness probe."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=5) as conn:
                conn.sendall(
                    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
                )
                return conn.recv(16).startswith(b"HTTP/1.1 200")
        except OSError:
            return False

    def start(self, *, timeout: float = 60) -> "Gunicorn":
        self.spawn(self._answers, timeout=timeout, what="gunicorn")
        return self
