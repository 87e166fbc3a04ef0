# SPDX-License-Identifier: Apache-2.0
"""`segsync sync` into PostgreSQL (a private server, see pg_server.py) against the simulator: a full
and an incremental sync land the same rows as the same syncs into SQLite, and a server that
cannot be used fails with one clear message and writes nothing."""

import datetime
import json
import math
import os
import re
import sqlite3
import unittest
import urllib.parse

import harness as h
import pg_server

TOKEN = "e2e-token-pg-3e8a71c4d5"
START = datetime.date.today().replace(day=1) - datetime.timedelta(days=70)
SCHEMA = "segment_e2e"
PG_TYPES = {"text", "bigint", "double precision", "boolean", "timestamp with time zone", "jsonb"}


def sync_pg(sim, uri, *extra, token=None):
    return h.run_segsync(["sync", "--api-url", f"http://127.0.0.1:{sim.port}",
                          "--destination", uri] + list(extra),
                         env={"SEGMENT_API_TOKEN": token or sim.token})


def instant(text):
    """An RFC 3339 text (SQLite) or timestamptz JSON text (PostgreSQL) as an aware datetime;
    fractions beyond microseconds are cut, as PostgreSQL keeps microseconds."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00").replace("z", "+00:00"))
    return datetime.datetime.fromisoformat(text)


def same_value(pg_type, pg_value, sqlite_value):
    """Does a PostgreSQL value (from json_agg) hold what SQLite holds (docs/postgres.md, Layout)?"""
    if pg_value is None or sqlite_value is None:
        return pg_value is None and sqlite_value is None
    if pg_type == "timestamp with time zone":
        return instant(pg_value) == instant(sqlite_value)
    if pg_type == "jsonb":
        return h._same(json.loads(sqlite_value), pg_value)
    if pg_type == "boolean":
        return pg_value == bool(sqlite_value)
    if pg_type == "double precision":
        return math.isclose(pg_value, sqlite_value, rel_tol=1e-12, abs_tol=1e-12)
    return pg_value == sqlite_value


def pg_tables(pg):
    """{table: {column: type}} of the schema."""
    rows = pg.json(
        "SELECT json_agg(json_build_array(table_name, column_name, data_type)) FROM "
        f"information_schema.columns WHERE table_schema = '{SCHEMA}'") or []
    tables = {}
    for table, column, data_type in rows:
        tables.setdefault(table, {})[column] = data_type
    return tables


def pg_rows(pg, table):
    return pg.json(f'SELECT coalesce(json_agg(t), \'[]\') FROM "{SCHEMA}"."{table}" t')


def diff_pg_sqlite(pg, db, name, columns):
    """Differences between one stream's PostgreSQL and SQLite tables, as readable lines. Run
    stamps are compared only where both must be set or both unset."""
    key = h.su.STREAMS_BY_NAME[name].key
    ignore = {"_extracted_at"}
    if name == "destination_delivery_metrics_summary":
        ignore |= {"startTime", "endTime"}  # the window each run asked for
    pg_by_key = {h.key_of(r, key): r for r in pg_rows(pg, name)}
    sqlite_rows = h.rows(db, name)
    sqlite_by_key = {}
    for row in sqlite_rows:
        typed = {}
        for column, value in row.items():
            if columns.get(column) == "timestamp with time zone" and value is not None:
                value = instant(value)
            typed[column] = value
        sqlite_by_key[tuple(typed[k] for k in key)] = row
    problems = []
    if set(columns) != set(sqlite_rows[0].keys() if sqlite_rows else columns):
        problems.append(f"{name}: columns differ: {sorted(columns)} vs "
                        f"{sorted(sqlite_rows[0].keys())}")
    for k, row in pg_by_key.items():
        typed_key = tuple(instant(v) if columns[c] == "timestamp with time zone" else v
                          for c, v in zip(key, k))
        other = sqlite_by_key.pop(typed_key, None)
        if other is None:
            problems.append(f"{name} {k}: in PostgreSQL only")
            continue
        for column, pg_type in columns.items():
            if column in ignore:
                continue
            if column == "_deleted_at":
                if (row[column] is None) != (other[column] is None):
                    problems.append(f"{name} {k}: _deleted_at {row[column]!r} vs {other[column]!r}")
            elif not same_value(pg_type, row[column], other.get(column)):
                problems.append(f"{name} {k}: {column} = {row[column]!r} in PostgreSQL, "
                                f"{other.get(column)!r} in SQLite")
        if len(problems) > 20:
            break
    for k in list(sqlite_by_key)[:5]:
        problems.append(f"{name} {k}: in SQLite only")
    return problems


class FullAndIncrementalSyncMatchSqlite(unittest.TestCase):
    """The same two syncs of one simulated workspace, into SQLite and into PostgreSQL; between
    them the workspace loses a user, so the second run marks a deletion."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.db = os.path.join(cls.dir, "segment.db")
        cls.pg = pg_server.PgServer()
        cls.uri = cls.pg.uri(schema=SCHEMA)
        cls.sim = h.start_simulator(TOKEN, "--seed", "3", "--scale", "small")
        args = ("--start-date", START.isoformat())
        cls.sqlite_first = h.sync(cls.sim, cls.db, *args)
        cls.pg_first = sync_pg(cls.sim, cls.uri, *args)
        cls.first = {name: cols for name, cols in pg_tables(cls.pg).items()}
        cls.first_diffs = {name: diff_pg_sqlite(cls.pg, cls.db, name, cls.first[name])
                           for name in cls.first if name in h.su.STREAMS_BY_NAME}
        before = h.dump(cls.sim)
        cls.victim = before["users"][0]["id"]
        h.admin(cls.sim, "/__sim/delete?stream=users&id=" + urllib.parse.quote(cls.victim))
        # A tracking plan (its rules vanish) and a warehouse (its syncs, a log, must stay).
        cls.plan = next(p for p, rules in before["tracking_plan_rules"].items() if rules)
        cls.plan_rules = len(before["tracking_plan_rules"][cls.plan])
        cls.warehouse = next(w for w, syncs in before["warehouse_syncs"].items() if syncs)
        cls.warehouse_syncs = len(before["warehouse_syncs"][cls.warehouse])
        h.admin(cls.sim, "/__sim/delete?stream=tracking_plans&id=" + urllib.parse.quote(cls.plan))
        h.admin(cls.sim, "/__sim/delete?stream=warehouses&id=" + urllib.parse.quote(cls.warehouse))
        cls.sqlite_second = h.sync(cls.sim, cls.db, *args)
        cls.pg_second = sync_pg(cls.sim, cls.uri, *args)
        cls.second = pg_tables(cls.pg)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.pg.stop()
        cls.tmp.__exit__(None, None, None)

    def test_every_run_exits_zero(self):
        for result in (self.sqlite_first, self.pg_first, self.sqlite_second, self.pg_second):
            self.assertEqual(result.returncode, 0, result.stderr)

    def test_one_table_per_stream_plus_history_state_and_runs(self):
        self.assertEqual(set(self.second),
                         {s.name for s in h.su.STREAMS} | {"_segsync_state", "_segsync_runs"} |
                         {name + "_history" for name in h.TRACKS_DELETIONS})

    def test_every_column_has_a_contract_type(self):
        for table, columns in self.second.items():
            for column, data_type in columns.items():
                self.assertIn(data_type, PG_TYPES, f"{table}.{column}")
        self.assertEqual(self.second["usage_api_calls_workspace_daily"]["apiCalls"], "bigint")
        self.assertEqual(self.second["usage_api_calls_workspace_daily"]["timestamp"],
                         "timestamp with time zone")
        self.assertEqual(self.second["sources"]["enabled"], "boolean")
        self.assertEqual(self.second["destinations"]["settings"], "jsonb")
        self.assertEqual(self.second["sources"]["_deleted_at"], "timestamp with time zone")
        self.assertNotIn("_deleted_at", self.second["audit_events"])

    def test_first_sync_lands_the_same_rows_as_sqlite(self):
        self.assertEqual(set(self.first_diffs), {s.name for s in h.su.STREAMS})
        for name, problems in sorted(self.first_diffs.items()):
            with self.subTest(stream=name):
                self.assertEqual(problems, [])
                self.assertTrue(pg_rows(self.pg, name), f"{name} is empty")

    def test_second_sync_lands_the_same_rows_as_sqlite(self):
        for name in sorted(s.name for s in h.su.STREAMS):
            with self.subTest(stream=name):
                self.assertEqual(diff_pg_sqlite(self.pg, self.db, name, self.second[name]), [])

    def test_second_sync_marks_the_removed_user_deleted(self):
        users = {r["id"]: r for r in pg_rows(self.pg, "users")}
        self.assertIsNotNone(users[self.victim]["_deleted_at"])
        self.assertEqual(sum(1 for r in users.values() if r["_deleted_at"]), 1)

    def test_second_sync_marks_vanished_rules_but_never_a_log_or_a_day_series(self):
        rules = [r for r in pg_rows(self.pg, "tracking_plan_rules")
                 if r["trackingPlanId"] == self.plan]
        self.assertEqual(len(rules), self.plan_rules)
        self.assertTrue(all(r["_deleted_at"] for r in rules))
        syncs = [r for r in pg_rows(self.pg, "warehouse_syncs")
                 if r["warehouseId"] == self.warehouse]
        self.assertEqual(len(syncs), self.warehouse_syncs)
        for name in ("warehouse_syncs", "event_volume_daily"):
            self.assertNotIn("_deleted_at", self.second[name], name)
        self.assertEqual(self.second["event_volume_daily"]["timestamp"],
                         "timestamp with time zone")
        self.assertEqual(self.second["event_volume_daily"]["count"], "bigint")

    def test_bookmarks_equal_sqlite(self):
        pg_state = {r["stream"]: r["state"] for r in pg_rows(self.pg, "_segsync_state")}
        sqlite_state = {r["stream"]: r["state"] for r in h.rows(self.db, "_segsync_state")}
        self.assertEqual(pg_state, sqlite_state)
        self.assertIn("audit_events", pg_state)
        self.assertIn("event_volume_daily", pg_state)

    def test_each_run_is_recorded_like_in_sqlite(self):
        def summary(runs):
            return [(r["status"], [(s["stream"], s["outcome"], s["rows_written"],
                                    s["rows_deleted"]) for s in r["streams"]]) for r in runs]
        pg_runs = self.pg.json(f'SELECT json_agg(r ORDER BY run_id) FROM "{SCHEMA}"._segsync_runs r')
        sqlite_runs = [dict(r, streams=json.loads(r["streams"]))
                       for r in h.rows(self.db, "_segsync_runs", "ORDER BY run_id")]
        self.assertEqual(len(pg_runs), 2)
        self.assertEqual(summary(pg_runs), summary(sqlite_runs))
        self.assertLess(instant(pg_runs[0]["started_at"]), instant(pg_runs[1]["started_at"]))

    def test_the_token_appears_nowhere(self):
        for result in (self.pg_first, self.pg_second):
            self.assertNotIn(TOKEN, result.stdout + result.stderr)
        dumped = self.pg.psql(f'SELECT t::text FROM "{SCHEMA}"._segsync_runs t')
        self.assertNotIn(TOKEN, dumped)


class UnusableServer(unittest.TestCase):
    """Connection refused, a missing database, a role without rights: exit 1, the reason on one
    line with what to do, no password, and nothing written."""

    @classmethod
    def setUpClass(cls):
        cls.pg = pg_server.PgServer()
        cls.pg.psql("CREATE ROLE no_rights LOGIN")
        cls.sim = h.start_simulator(TOKEN, "--seed", "4")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.pg.stop()

    def check_failure(self, uri, expected, password=None):
        result = sync_pg(self.sim, uri, "--streams", "sources,users,audit_events")
        self.assertEqual(result.returncode, 1, result.stderr)
        reasons = [line for line in result.stderr.splitlines() if "PostgreSQL" in line]
        self.assertTrue(reasons, result.stderr)
        for line in reasons:
            # The whole reason sits on the line that names it, hint included.
            self.assertIn(expected, line)
            self.assertRegex(line, r"; (check|create|grant) ")
        if password:
            self.assertNotIn(password, result.stdout + result.stderr)
            self.assertIn(":****@", result.stderr)
        return result

    def test_refused_connection(self):
        self.check_failure("postgresql://segsync:pw-e2e-91b7@/postgres?host=/tmp/segsync-none",
                           "connecting failed", password="pw-e2e-91b7")

    def test_missing_database(self):
        self.check_failure(self.pg.uri("no_such_db", schema=SCHEMA),
                           'database "no_such_db" does not exist')

    def test_role_without_rights_writes_nothing(self):
        self.check_failure(self.pg.uri(user="no_rights", password="pw-e2e-5c2d", schema=SCHEMA),
                           "permission denied", password="pw-e2e-5c2d")
        self.assertEqual(self.pg.psql(f"SELECT count(*) FROM pg_namespace WHERE nspname = "
                                      f"'{SCHEMA}'").strip(), "0")

    def test_rejected_token_exits_3_and_writes_nothing(self):
        # The destination is verified before the first API request (issue 19, tests/e2e/test_ux.py
        # has the unreachable server): a usable one, then the rejected token, exit 3.
        result = sync_pg(self.sim, self.pg.uri(schema="segment_rejected"),
                         token="wrong-token-e2e-123")
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertIn("rejected", result.stderr)
        self.assertNotIn("PostgreSQL", result.stderr)
        self.assertEqual(self.pg.psql("SELECT count(*) FROM pg_namespace WHERE nspname = "
                                      "'segment_rejected'").strip(), "0")


if __name__ == "__main__":
    unittest.main()
