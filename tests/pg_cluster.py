"""A throwaway PostgreSQL server for the tests (and bench/bench_db.py): initdb in a temp folder, pg_ctl on a
free port of 127.0.0.1, password logins (scram-sha-256), stopped and removed afterwards.

The server binaries are found on PATH or under /usr/lib/postgresql/*/bin (Debian's packages, which
`.ci/run` installs when missing). PostgreSQL refuses to run as root: as root the cluster is run by the
``postgres`` user (or ``nobody``) through ``runuser``.
"""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

USER, PASSWORD = "synth", "pw-Zq8#t!r"  # a password with characters a URL must percent-encode


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl"):
        return Path(os.path.realpath(found)).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    return Path(versions[-1]).parent if versions else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    runner: list[str]
    bindir: Path

    def url(self, database: str = "postgres", password: str | None = PASSWORD, user: str = USER) -> str:
        from urllib.parse import quote

        auth = f"{user}:{quote(password, safe='')}" if password is not None else user
        return f"postgresql://{auth}@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run([*self.runner, str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                        "stop"], capture_output=True, timeout=60)
        shutil.rmtree(self.folder, ignore_errors=True)


def start_cluster() -> Cluster | str:
    """A running cluster, or the reason there can be none here (a string)."""
    bindir = server_binaries()
    if bindir is None:
        return "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or in /usr/lib/postgresql/*/bin"
    runner: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="synth-pg-"))
    if os.geteuid() == 0:  # initdb and postgres refuse root
        import pwd

        user = next((u for u in ("postgres", "nobody") if _has_user(u, pwd)), None)
        if user is None or shutil.which("runuser") is None:
            return "running as root without a postgres/nobody user and runuser: PostgreSQL cannot be started"
        shutil.chown(folder, user)
        runner = ["runuser", "-u", user, "--"]
    folder.chmod(0o755)
    pwfile = folder / "pw"
    pwfile.write_text(PASSWORD + "\n")
    if runner:
        shutil.chown(pwfile, runner[2])
    init = subprocess.run([*runner, str(bindir / "initdb"), "-D", str(folder / "data"), "-U", USER, "--pwfile", str(pwfile),
                           "--auth", "scram-sha-256", "-E", "UTF8", "--locale", "C", "--no-sync"],
                          capture_output=True, text=True, timeout=120)
    if init.returncode != 0:
        return f"initdb failed: {init.stderr.strip()[-300:]}"
    port = _free_port()
    options = (f"-p {port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
               "-c full_page_writes=off -c max_wal_size=4GB -c shared_buffers=256MB")
    start = subprocess.run([*runner, str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-o", options,
                            "-l", str(folder / "log"), "-w", "-t", "60", "start"], capture_output=True, text=True, timeout=90)
    if start.returncode != 0:
        log = (folder / "log").read_text() if (folder / "log").exists() else ""
        return f"pg_ctl start failed: {start.stderr.strip()[-200:]} {log[-300:]}"
    return Cluster(folder, port, runner, bindir)


def _has_user(name: str, pwd) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False
