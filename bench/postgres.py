"""A throwaway PostgreSQL on loopback for the bench, started exactly as RECIPES.md does it."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType


def _pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        raise RuntimeError("no PostgreSQL server: apt-get install -y postgresql")
    return candidates[-1].parent


class PostgresCluster:
    """initdb as the postgres user, pg_ctl start on 127.0.0.1:port, stopped by its data dir."""

    def __init__(self, port: int, database: str = "pds_bench") -> None:
        self.port = port
        self.database = database
        self.bin = _pg_bin()
        self.dir = Path(tempfile.mkdtemp(prefix="pds-bench-pg-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self._as_postgres(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-locale",
        )  # fmt: skip
        # Durable commits as in production (fsync, synchronous_commit on); sized for this box.
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {self.dir} -c shared_buffers=512MB "
            "-c max_connections=200 -c max_wal_size=4GB -c checkpoint_timeout=30min"
        )
        self._as_postgres(
            "pg_ctl", "-D", str(self.data), "-l", str(self.dir / "server.log"), "-w", "-o", options,
            "start",
        )  # fmt: skip
        subprocess.run(
            ["createdb", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", database],
            check=True,
        )

    @property
    def url(self) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{self.database}"

    def _as_postgres(self, program: str, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", str(self.bin / program), *args],
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def stop(self) -> None:
        if self.data.exists():
            self._as_postgres("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> PostgresCluster:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
