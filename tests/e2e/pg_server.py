# SPDX-License-Identifier: Apache-2.0
"""A private PostgreSQL server for the end-to-end tests and the benchmark.

`initdb` in a temporary folder, `pg_ctl start` listening only on a Unix socket inside that folder
(no TCP port to collide with anything), stopped and removed by stop() -- or, if this process dies
first, by a small watcher process. As root (CI) the server runs as the `postgres` system user that
Debian's postgresql package creates (else `nobody`), because initdb refuses to run as root.

The superuser is `segsync` (trust). stdlib only: queries go through `psql`.
"""

import glob
import json
import os
import pwd
import shutil
import subprocess
import tempfile
import urllib.parse


def bin_dir():
    """$SEGSYNC_PG_BINDIR, else the newest /usr/lib/postgresql/N/bin holding initdb."""
    env = os.environ.get("SEGSYNC_PG_BINDIR")
    if env:
        return env
    found = [d for d in glob.glob("/usr/lib/postgresql/*/bin")
             if os.path.exists(os.path.join(d, "initdb"))]
    if not found:
        raise RuntimeError("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin; "
                           "run scripts/install-deps (Debian package postgresql)")
    return max(found, key=lambda d: int(d.split("/")[-2].split(".")[0]))


class PgServer:
    """A running private server; always stop() it (also a context manager)."""

    def __init__(self, durable=False):
        """durable: keep PostgreSQL's default fsync and full-page writes (for benchmarks)."""
        self.bin = bin_dir()
        self.dir = tempfile.mkdtemp(prefix="segsync-pg-", dir="/tmp")  # short socket path
        self.data = os.path.join(self.dir, "data")
        self._prefix = []
        self._watcher = None
        if os.geteuid() == 0:
            try:
                user = pwd.getpwnam("postgres")
            except KeyError:
                user = pwd.getpwnam("nobody")
            os.chown(self.dir, user.pw_uid, user.pw_gid)
            self._prefix = ["runuser", "-u", user.pw_name, "--"]
        self._started = False
        try:
            self._run([os.path.join(self.bin, "initdb"), "-D", self.data, "-U", "segsync",
                       "-A", "trust", "-E", "UTF8", "--locale=C", "-N"])
            # No TCP. Durability off unless asked for: a test server holds nothing worth an fsync.
            options = f"-k {self.dir} -c listen_addresses= -c max_connections=40"
            if not durable:
                options += " -F -c full_page_writes=off"
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-l",
                       os.path.join(self.dir, "postgres.log"), "-w", "-t", "60", "-o", options,
                       "start"])
            self._started = True
            self._start_watcher()
        except BaseException:
            self.stop()
            raise

    def _run(self, argv):
        result = subprocess.run(self._prefix + argv, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv[:2])} failed ({result.returncode}): "
                               f"{result.stdout[-1000:]}{result.stderr[-1000:]}")

    def _stop_command(self):
        return self._prefix + [os.path.join(self.bin, "pg_ctl"), "-D", self.data, "-m",
                               "immediate", "-w", "stop"]

    def _start_watcher(self):
        """Stop the server and remove its folder once this process is gone, however it ends."""
        stop = " ".join(self._stop_command())
        script = (f"while kill -0 {os.getpid()} 2>/dev/null; do sleep 1; done; "
                  f"{stop} >/dev/null 2>&1; rm -rf {self.dir}")
        self._watcher = subprocess.Popen(["sh", "-c", script], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                         start_new_session=True)

    def uri(self, database="postgres", user="segsync", password=None, **params):
        """A libpq URI for this server; params become query parameters (schema=..., ...)."""
        auth = urllib.parse.quote(user, safe="")
        if password is not None:
            auth += ":" + urllib.parse.quote(password, safe="")
        query = urllib.parse.urlencode({"host": self.dir, **params}, safe="/")
        return f"postgresql://{auth}@/{urllib.parse.quote(database, safe='')}?{query}"

    def psql(self, sql, database="postgres", check=True):
        """Run sql as the superuser; returns psql's unaligned, tuples-only output."""
        env = dict(os.environ, PGTZ="UTC")
        result = subprocess.run(
            [os.path.join(self.bin, "psql"), "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1",
             "-d", self.uri(database), "-c", sql],
            capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=300)
        if check and result.returncode != 0:
            raise RuntimeError(f"psql failed: {sql[:200]}: {result.stderr}")
        return result.stdout

    def json(self, sql, database="postgres"):
        """The single JSON value sql returns (e.g. SELECT json_agg(t) FROM t)."""
        out = self.psql(sql, database).strip()
        return json.loads(out) if out else None

    def stop(self):
        if self._started:
            subprocess.run(self._stop_command(), capture_output=True, stdin=subprocess.DEVNULL,
                           timeout=60)
            self._started = False
        if self._watcher is not None:
            self._watcher.kill()
            self._watcher.wait()
            self._watcher = None
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
