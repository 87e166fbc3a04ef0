# SPDX-License-Identifier: Apache-2.0
"""Every SQL query a user may copy from the docs runs: each fenced ```sql block of README.md and
docs/*.md against a synced SQLite database and a synced PostgreSQL schema, and the demo's
example queries are the README's."""

import glob
import os
import re
import sqlite3
import unittest

import harness as h
import pg_server

TOKEN = "e2e-docs-token-4e3d2c1b0a"
FENCE = re.compile(r"^```sql[ \t]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


def doc_files():
    return [os.path.join(h.su.REPO, "README.md")] + sorted(
        glob.glob(os.path.join(h.su.REPO, "docs", "*.md")))


def statements(block):
    """The statements of one block, split on ';' at line ends (no block quotes one)."""
    return [s.strip() for s in re.split(r";[ \t]*(?:\n|$)", block) if s.strip()]


def doc_queries():
    """[(file:line, statement)] for every statement of every ```sql block."""
    out = []
    for path in doc_files():
        with open(path, encoding="utf-8") as f:
            text = f.read()
        for match in FENCE.finditer(text):
            line = text.count("\n", 0, match.start()) + 1
            for statement in statements(match.group(1)):
                out.append((f"{os.path.relpath(path, h.su.REPO)}:{line}", statement))
    return out


def one_line(sql):
    return " ".join(sql.split()).rstrip(";")


class DocsQueries(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.queries = doc_queries()
        cls.dir = h.TempDir()
        cls.tmp = cls.dir.__enter__()
        cls.sim = h.start_simulator(TOKEN)
        cls.db = os.path.join(cls.tmp, "segment.db")
        result = h.sync(cls.sim, cls.db)
        assert result.returncode == 0, result.stderr
        cls.pg = pg_server.PgServer()
        result = h.run_segsync(["sync", "--api-url", f"http://127.0.0.1:{cls.sim.port}",
                                "--destination", cls.pg.uri(schema="segment")],
                               env={"SEGMENT_API_TOKEN": TOKEN})
        assert result.returncode == 0, result.stderr

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()
        cls.sim.stop()
        cls.dir.__exit__(None, None, None)

    def test_the_docs_have_queries(self):
        self.assertGreaterEqual(len(self.queries), 4, self.queries)

    def test_every_query_runs_on_sqlite(self):
        con = sqlite3.connect(self.db)
        try:
            for where, sql in self.queries:
                with self.subTest(where=where, sql=sql):
                    try:
                        rows = con.execute(sql).fetchall()
                    except sqlite3.Error as e:
                        self.fail(f"{where}: {e}")
                    self.assertTrue(rows, f"{where}: no rows")
        finally:
            con.close()

    def test_every_query_runs_on_postgres(self):
        for where, sql in self.queries:
            with self.subTest(where=where, sql=sql):
                try:
                    result = self.pg.psql("SET search_path = segment; " + sql)
                except RuntimeError as e:
                    self.fail(f"{where}: {e}")
                self.assertTrue(result.strip(), f"{where}: no rows")

    def test_postgres_rejects_what_the_docs_avoid(self):
        # The habit the README asks for is needed: unquoted camelCase is folded and not found.
        with self.assertRaisesRegex(RuntimeError, "sourceid"):
            self.pg.psql("SET search_path = segment; SELECT sourceId FROM destinations")

    def test_the_demo_prints_the_readmes_queries(self):
        with h.TempDir() as d:
            result = h.run_segsync(["demo", "--quiet"], cwd=d)
        self.assertEqual(result.returncode, 0, result.stderr)
        printed = [line.strip().split(" ", 2)[2][1:-1] for line in result.stdout.splitlines()
                   if line.strip().startswith("sqlite3 ")]
        readme = [one_line(sql) for where, sql in self.queries if where.startswith("README")]
        self.assertEqual(len(printed), 3)
        self.assertEqual([one_line(q) for q in printed], readme[:3])


if __name__ == "__main__":
    unittest.main()
