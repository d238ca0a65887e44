"""A throwaway PostgreSQL cluster under bench/work/pg and a full-text search engine on it."""

import glob
import hashlib
import os
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from bench.engines import BUILD_VERSION, MODES, plain_words

PORT = 54329  # tried first; another free loopback port if something else has it
USER = "bench"
CONFIGS = {"ru": "russian", "uk": "simple"}  # PostgreSQL has no Ukrainian configuration


def bindir() -> Path | None:
    """Folder of initdb/pg_ctl, installing Debian's postgresql first if root and missing."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(p.split("/")[4]) if p.split("/")[4].isdigit() else 0)
    if not found and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "install", "-y", "-qq", "postgresql"], check=False,
                       stdout=subprocess.DEVNULL, env={**os.environ,
                                                       "DEBIAN_FRONTEND": "noninteractive"})
        return bindir() if glob.glob("/usr/lib/postgresql/*/bin/initdb") else None
    return Path(found[-1]).parent if found else None


def _others_can_enter(path: Path) -> bool:
    """True if every folder from / down to path lets other users pass (o+x)."""
    for folder in [path, *path.parents]:
        try:
            if not folder.stat().st_mode & stat.S_IXOTH:
                return False
        except OSError:
            return False
    return True


def free_port() -> int:
    """PORT if nothing listens on it, else a port the system picks."""
    for port in (PORT, 0):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return s.getsockname()[1]
    raise OSError("no free loopback port")


class Cluster:
    """initdb + pg_ctl start on a loopback port, as a non-root user."""

    def __init__(self, root):
        self.root = Path(root).resolve()
        if os.geteuid() == 0 and not _others_can_enter(self.root.parent):
            # The postgres user cannot reach a folder under a private one (a CI clone in a
            # mode-700 temp dir): keep the cluster in a place it can.
            # One per checkout: two checkouts' runs must not share (or stop) one cluster.
            tag = hashlib.sha256(str(self.root).encode()).hexdigest()[:8]
            self.root = Path(tempfile.gettempdir()) / f"newsearch-bench-pg-{tag}"
        self.data = self.root / "data"
        self.bin = None
        self.started = False
        self.port = PORT

    def _run(self, *args):
        cmd = [str(self.bin / args[0]), *map(str, args[1:])]
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        # cwd "/": initdb and pg_ctl, run as postgres, fail if they cannot enter the cwd.
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd="/")

    def start(self) -> str | None:
        """Start the cluster; None on success, else why it could not be started."""
        self.bin = bindir()
        if self.bin is None:
            return "PostgreSQL is not installed (and could not be installed)"
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        if not (self.data / "PG_VERSION").exists():
            r = self._run("initdb", "-D", self.data, "-A", "trust", "-U", USER, "-E", "UTF8",
                          "--locale=C.UTF-8")
            if r.returncode:
                return f"initdb failed: {r.stderr.strip()[-400:]}"
        if self._run("pg_ctl", "-D", self.data, "status").returncode == 0:
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")  # a killed run's
        self.port = free_port()
        r = self._run("pg_ctl", "-D", self.data, "-l", self.root / "log", "-w", "-t", "60",
                      "-o", f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1",
                      "start")
        if r.returncode:
            log = (self.root / "log").read_text(errors="replace")[-400:] \
                if (self.root / "log").exists() else ""
            return f"pg_ctl start failed: {r.stderr.strip()[-300:]} {log}"
        self.started = True
        return None

    def connect(self):
        import psycopg

        for _ in range(20):
            try:
                return psycopg.connect(host="127.0.0.1", port=self.port, user=USER,
                                       dbname="postgres", autocommit=True)
            except psycopg.OperationalError:
                time.sleep(0.5)
        return psycopg.connect(host="127.0.0.1", port=self.port, user=USER, dbname="postgres",
                               autocommit=True)

    def stop(self):
        if self.started:
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")
            self.started = False


class Postgres:
    """PostgreSQL tsvector (title weight A, body B), websearch_to_tsquery, ts_rank_cd."""

    name = "postgres"
    modes = MODES

    def __init__(self, cluster: Cluster):
        self.cluster = cluster
        self.conn = None
        self.table = None

    def cache_key(self) -> str:
        return f"{self.name}:{BUILD_VERSION}:{self.cluster.data}"

    def reuse(self, path) -> bool:
        """Search the table already loaded for path; False if there is none."""
        self.build(None, path)
        with self.conn.cursor() as cur:
            cur.execute("SELECT to_regclass(%s) IS NOT NULL", (self.table,))
            return cur.fetchone()[0]

    def build(self, docs, path):
        """Load docs into a table named for path; with docs None, use the table already there."""
        # Named for the size folder too: the quick and the full sets share one cluster.
        name = f"{Path(path).parent.parent.name}_{Path(path).name}"
        self.table = "t_" + "".join(c if c.isalnum() else "_" for c in name)
        self.conn = self.conn or self.cluster.connect()
        if docs is None:
            return
        t = self.table
        with self.conn.cursor() as cur:
            cur.execute(f"DROP TABLE IF EXISTS {t}, {t}_raw")
            cur.execute(f"CREATE UNLOGGED TABLE {t}_raw"
                        " (id text, lang text, title text, body text)")
            with cur.copy(f"COPY {t}_raw FROM STDIN") as copy:
                for doc in docs:
                    copy.write_row((doc.id, doc.lang, doc.title, doc.body))
            cases = " ".join(f"WHEN '{lang}' THEN '{cfg}'" for lang, cfg in CONFIGS.items())
            cur.execute(
                f"CREATE TABLE {t} AS SELECT id, lang, "
                f"setweight(to_tsvector(CASE lang {cases} END::regconfig, title), 'A') || "
                f"setweight(to_tsvector(CASE lang {cases} END::regconfig, body), 'B') AS tsv "
                f"FROM {t}_raw")
            cur.execute(f"DROP TABLE {t}_raw")
            cur.execute(f"CREATE INDEX ON {t} USING gin (tsv)")
            cur.execute(f"ANALYZE {t}")

    def size(self) -> int:
        with self.conn.cursor() as cur:
            cur.execute("SELECT pg_total_relation_size(%s)", (self.table,))
            return cur.fetchone()[0]

    def search(self, text, lang, k=10, mode="and"):
        words = plain_words(text)
        if not words:
            return []
        # websearch_to_tsquery: words side by side are all required; "or" between them, any.
        # Ties are broken by id: the scan order of equal ranks differs from run to run.
        joiner = " " if mode == "and" else " or "
        q = joiner.join(w.replace('"', "").lstrip("-") for w in words)
        with self.conn.cursor() as cur:
            cur.execute(
                f"SELECT id FROM {self.table}, websearch_to_tsquery(%s::regconfig, %s) q "
                "WHERE tsv @@ q AND lang = %s ORDER BY ts_rank_cd(tsv, q) DESC, id LIMIT %s",
                (CONFIGS[lang], q, lang, k))
            return [r[0] for r in cur.fetchall()]

    def close(self):
        if self.conn is not None:
            self.conn.close()
            self.conn = None
