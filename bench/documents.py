"""Upload and download of a 20 MiB document: throughput and the web worker's peak memory.

    .venv/bin/python -m bench.documents --rounds 3

One gunicorn sync worker serves ``mekong_bench_documents`` with documents under a temporary
directory; a client in this process streams the file from disk and reads the answer in pieces.
Before each transfer the worker's peak resident size is reset (``/proc/<pid>/clear_refs``), so
the peak after it, less the idle size, is what that one transfer cost the worker.
"""

import argparse
import base64
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import httpx
import psycopg
from psycopg import sql

from bench import run

DATABASE = "mekong_bench_documents"
MIB = 1024 * 1024


def _pdf(path: Path) -> None:
    """A valid PDF of just under 20 MiB, written without holding it in memory."""
    with path.open("wb") as out:
        out.write(b"%PDF-1.4\n1 0 obj\n<< /Length 0 >>\nstream\n")
        block = os.urandom(MIB)
        for _ in range(19):
            out.write(block)
        out.write(os.urandom(MIB - 4096 - 200))
        out.write(b"\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\nstartxref\n9\n%%EOF\n")


def _kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def _reset_peak(pid: int) -> None:
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def _worker_of(master: int) -> int:
    for _ in range(100):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == master:
                    return int(entry.name)
        time.sleep(0.1)
    raise SystemExit("no gunicorn worker")


def _setup(env: dict) -> tuple[dict, dict]:
    """Migrate, and two agencies under an agreement with an officer client each."""
    with psycopg.connect(f"{run.POSTGRES}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(DATABASE)))
    os.environ.update(env)
    import django

    django.setup()
    from django.core.management import call_command

    from agencies.models import Agency, Agreement
    from agencies.services import agency_create
    from bench import probes

    call_command("migrate", verbosity=0)
    Agreement.objects.get_or_create(country_a="KH", country_b="TH")
    clients = {}
    for code, country in (("TH-BENCH", "TH"), ("KH-BENCH", "KH")):
        agency = Agency.objects.filter(code=code).first() or agency_create(
            actor=None, code=code, name=code, country=country, kind="social_welfare"
        )
        clients[code] = probes.api_client_credentials(agency, f"documents-{time.time_ns()}")
    return clients["TH-BENCH"], clients["KH-BENCH"]


def _client(base: str, credentials: dict) -> httpx.Client:
    basic = f"{credentials['client_id']}:{credentials['client_secret']}".encode()
    token = httpx.post(
        f"{base}/o/token/",
        data={"grant_type": "client_credentials", "scope": "referrals:read referrals:write"},
        headers={"Authorization": "Basic " + base64.b64encode(basic).decode()},
    ).json()["access_token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=300)


def _transfer(pid: int, idle_kib: int, size: int, send) -> dict:
    _reset_peak(pid)
    started = time.perf_counter()
    send()
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "mib_per_s": round(size / MIB / seconds, 1),
        "peak_above_idle_mib": round((_kib(pid, "VmHWM") - idle_kib) / 1024, 1),
    }


def _append(into: list, upload, content) -> None:
    into.append(upload("big.pdf", content))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=8791)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    env = {
        **run.server_environment(),
        "DATABASE_URL": f"{run.POSTGRES}/{DATABASE}",
        "STORAGE_URL": f"file://{workdir / 'store'}",
    }
    sender_credentials, recipient_credentials = _setup(env)
    server = subprocess.Popen(  # noqa: S603
        [
            sys.executable,
            "-m",
            "gunicorn",
            "config.wsgi:application",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--timeout",
            "300",
        ],
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{args.port}"
        for _ in range(100):
            try:
                httpx.get(f"{base}/healthz")
                break
            except httpx.HTTPError:
                time.sleep(0.2)
        worker = _worker_of(server.pid)
        sender, recipient = _client(base, sender_credentials), _client(base, recipient_credentials)
        case = sender.post("/api/v1/referrals/", json=run.referral_body("KH-BENCH")).json()
        path = f"/api/v1/referrals/{case['id']}/"
        sender.post(f"{path}send/").raise_for_status()
        big = workdir / "big.pdf"
        _pdf(big)
        size = big.stat().st_size

        def upload(name, content):
            files = {"file": (name, content, "application/pdf")}
            response = sender.post(f"{path}documents/", files=files, data={"kind": "other"})
            response.raise_for_status()
            return response.json()["id"]

        def download(document_id):
            with recipient.stream("GET", f"{path}documents/{document_id}/content/") as response:
                response.raise_for_status()
                received = sum(len(piece) for piece in response.iter_bytes(64 * 1024))
            assert received == size, received

        small = upload("warm.pdf", b"%PDF-1.4\ntrailer\n<< >>\nstartxref\n9\n%%EOF\n")
        recipient.get(f"{path}documents/{small}/content/").raise_for_status()
        idle = _kib(worker, "VmRSS")
        uploads, downloads = [], []
        for _ in range(args.rounds):
            with big.open("rb") as content:
                stored = []
                uploads.append(
                    _transfer(worker, idle, size, partial(_append, stored, upload, content))
                )
            downloads.append(_transfer(worker, idle, size, partial(download, stored[0])))
        result = {
            "file_mib": round(size / MIB, 2),
            "worker_idle_rss_mib": round(idle / 1024, 1),
            "upload": uploads,
            "download": downloads,
            "upload_median_mib_per_s": statistics.median(u["mib_per_s"] for u in uploads),
            "download_median_mib_per_s": statistics.median(d["mib_per_s"] for d in downloads),
            "upload_max_peak_above_idle_mib": max(u["peak_above_idle_mib"] for u in uploads),
            "download_max_peak_above_idle_mib": max(d["peak_above_idle_mib"] for d in downloads),
        }
        json.dump(result, sys.stdout, indent=2)
        print()
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
