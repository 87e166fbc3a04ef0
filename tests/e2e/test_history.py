# SPDX-License-Identifier: Apache-2.0
"""Configuration history (issue 16): `<stream>_history` in SQLite and PostgreSQL and
`segsync changes`, over a first run, renames, a settings change, an enabled flag, a deletion, a
restore and a run with no change, each checked row by row and line by line."""

import datetime
import json
import os
import re
import time
import unittest
import urllib.parse

import harness as h
import pg_server

TOKEN = "e2e-history-token-51c0a9"
# AllStreams order (src/streams/streams.cc), which `changes` keeps for changes detected at once.
STREAMS = ["sources", "destinations", "catalog_warehouses", "users"]
SCHEMA = "segment_hist"


def moment(text):
    """An RFC 3339 or PostgreSQL JSON timestamp as `changes` prints it (milliseconds, Z)."""
    text = re.sub(r"(\.\d{6})\d+", r"\1", text.replace("Z", "+00:00"))
    t = datetime.datetime.fromisoformat(text).astimezone(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def key_of(name, row):
    return tuple(row[k] for k in h.su.STREAMS_BY_NAME[name].key)


def update(sim, stream, item_id, field, value):
    h.admin(sim, "/__sim/update?" + urllib.parse.urlencode(
        {"stream": stream, "id": item_id, "field": field, "value": json.dumps(value)}))


class SqliteDb:
    def __init__(self, path):
        self.path = path
        self.uri = "sqlite:" + path

    def rows(self, table):
        return h.rows(self.path, table) if table in h.tables(self.path) else []


class PgDb:
    def __init__(self, pg):
        self.pg = pg
        self.uri = pg.uri(schema=SCHEMA)

    def rows(self, table):
        exists = self.pg.json(
            f"SELECT to_json(to_regclass('\"{SCHEMA}\".\"{table}\"') IS NOT NULL)")
        if not exists:
            return []
        return self.pg.json(f'SELECT coalesce(json_agg(t), \'[]\') FROM "{SCHEMA}"."{table}" t')


class Scenario:
    """One workspace through seven runs; each step checks the history and `changes`."""

    def __init__(self, test, sim, db):
        self.t = test
        self.sim = sim
        self.db = db
        self.history = {name: [] for name in STREAMS}  # what each history table held last
        self.seen_times = set()

    def sync(self):
        r = h.run_segsync(["sync", "--api-url", f"http://127.0.0.1:{self.sim.port}",
                           "--destination", self.db.uri, "--streams", ",".join(STREAMS), "-q"],
                          env={"SEGMENT_API_TOKEN": self.sim.token})
        self.t.assertEqual(r.returncode, 0, r.stderr)
        runs = self.db.rows("_segsync_runs")
        last = max(runs, key=lambda run: run["run_id"])
        return moment(last["started_at"]), moment(last["ended_at"])

    def changes(self, *extra):
        r = h.run_segsync(["changes", "--destination", self.db.uri, "--format", "json"] +
                          list(extra))
        self.t.assertEqual(r.returncode, 0, r.stderr)
        return [json.loads(line) for line in r.stdout.splitlines()]

    def check_history(self, window, changed=(), deleted=(), opened=()):
        """Each stream's history must be the last one with exactly these edits: `changed` keys
        (stream, key) get their version closed and a new one, `deleted` closed, `opened` a new
        one. Returns {stream: the moment its commit stamped}."""
        stamps = {}
        for name in STREAMS:
            table = {key_of(name, r): r for r in self.db.rows(name)}
            history = self.db.rows(name + "_history")
            times = {moment(r[c]) for r in history for c in ("_valid_from", "_valid_to")
                     if r[c] is not None} - self.seen_times
            self.t.assertLessEqual(len(times), 1, f"{name}: one commit moment per run")
            stamp = next(iter(times), None)
            if stamp is not None:
                self.t.assertTrue(window[0] <= stamp <= window[1], f"{name}: {stamp} {window}")
                raw = next(r[c] for r in history for c in ("_valid_from", "_valid_to")
                           if r[c] is not None and moment(r[c]) == stamp)
                stamps[name] = stamp
            expected = [dict(r) for r in self.history[name]]
            edits = {k for s, k in changed if s == name} | {k for s, k in deleted if s == name}
            for r in expected:
                if r["_valid_to"] is None and key_of(name, r) in edits:
                    r["_valid_to"] = raw
            news = {k for s, k in changed if s == name} | {k for s, k in opened if s == name}
            if not self.history[name]:
                news = set(table)  # the first run opens every row
            for k in news:
                row = {c: v for c, v in table[k].items() if c != "_deleted_at"}
                row.update(_valid_from=raw, _valid_to=None)
                expected.append(row)

            def order(r):
                return (key_of(name, r), moment(r["_valid_from"]))
            self.t.assertEqual(sorted(history, key=order), sorted(expected, key=order), name)
            if history and table:
                self.t.assertEqual(set(history[0]), set(next(iter(table.values()))) -
                                   {"_deleted_at"} | {"_valid_from", "_valid_to"})
            self.history[name] = history
            self.seen_times |= times
        return stamps

    @staticmethod
    def line(stamps, stream, key, change, fields=None):
        names = h.su.STREAMS_BY_NAME[stream].key
        return {"detected_at": stamps[stream], "stream": stream,
                "key": dict(zip(names, key)), "change": change, "fields": fields or {}}

    @staticmethod
    def ordered(lines):
        return sorted(lines, key=lambda c: (c["detected_at"], STREAMS.index(c["stream"]),
                                            tuple(c["key"].values())))

    def run(self):
        t = self.t
        # 1. The first run: every row is added.
        first_window = window = self.sync()
        stamps = self.check_history(window)
        truth = h.dump(self.sim)
        expected = []
        for name in STREAMS:
            for item in truth[name]:
                record = h.su.to_record(h.su.STREAMS_BY_NAME[name], item)
                expected.append(self.line(stamps, name, key_of(name, record), "added"))
        t.assertEqual(self.changes(), self.ordered(expected))
        text = h.run_segsync(["changes", "--destination", self.db.uri]).stdout
        t.assertNotIn("catalog_warehouses", text)  # catalogs only when asked for
        t.assertIn("catalog_warehouses", h.run_segsync(
            ["changes", "--destination", self.db.uri, "--stream", "catalog_warehouses"]).stdout)

        sources = sorted(truth["sources"], key=lambda s: s["id"])
        renamed, toggled = sources[0], sources[1]
        destination = sorted(truth["destinations"], key=lambda d: d["id"])[0]
        user = sorted(truth["users"], key=lambda u: u["id"])[0]
        dest_key = key_of("destinations", destination)
        settings = {"apiKey": "k-1", "region": "eu", "nested": {"a": 1, "b": [1, 2]}}

        # 2. A rename, an enabled flag, new settings and a deletion.
        update(self.sim, "sources", renamed["id"], "name", "Renamed Source")
        update(self.sim, "sources", toggled["id"], "enabled", not toggled["enabled"])
        update(self.sim, "destinations", destination["id"], "settings", settings)
        h.admin(self.sim, f"/__sim/delete?stream=users&id={user['id']}")
        window = self.sync()
        stamps = self.check_history(
            window,
            changed={("sources", (renamed["id"],)), ("sources", (toggled["id"],)),
                     ("destinations", dest_key)},
            deleted={("users", (user["id"],))})
        t.assertEqual(self.changes(), self.ordered([
            self.line(stamps, "sources", (renamed["id"],), "updated",
                      {"name": {"old": renamed["name"], "new": "Renamed Source"}}),
            self.line(stamps, "sources", (toggled["id"],), "updated",
                      {"enabled": {"old": toggled["enabled"], "new": not toggled["enabled"]}}),
            self.line(stamps, "destinations", dest_key, "updated",
                      {"settings": {"old": destination["settings"], "new": settings}}),
            self.line(stamps, "users", (user["id"],), "deleted"),
        ]))
        text = h.run_segsync(["changes", "--destination", self.db.uri]).stdout
        t.assertIn(f'Renamed Source ({renamed["id"]}): name ', text)
        t.assertIn('\u2192 "Renamed Source"', text)
        t.assertEqual(len(text.splitlines()), 4, text)

        # 3. The user comes back, renamed while it was away: restored, against its last version.
        h.admin(self.sim, f"/__sim/restore?stream=users&id={user['id']}")
        update(self.sim, "users", user["id"], "name", "Back Again")
        window = self.sync()
        stamps = self.check_history(window, opened={("users", (user["id"],))})
        t.assertEqual(self.changes(), [
            self.line(stamps, "users", (user["id"],), "restored",
                      {"name": {"old": user["name"], "new": "Back Again"}})])

        # 4. No change, but the same settings written in another key order: no version, no line.
        update(self.sim, "destinations", destination["id"], "settings",
               {"nested": {"b": [1, 2], "a": 1}, "region": "eu", "apiKey": "k-1"})
        window = self.sync()
        t.assertEqual(self.check_history(window), {})
        t.assertEqual(self.changes(), [])
        text = h.run_segsync(["changes", "--destination", self.db.uri])
        t.assertIn("no changes detected since", text.stdout)

        # --since: every change after the first run, in order; --stream keeps one stream.
        since = self.changes("--since", first_window[1])
        t.assertEqual(since, self.ordered(since))
        t.assertEqual(sorted(c["change"] for c in since),
                      ["deleted", "restored", "updated", "updated", "updated"])
        only = self.changes("--since", first_window[1], "--stream", "users")
        t.assertEqual([c["change"] for c in only], ["deleted", "restored"])


class HistorySqlite(unittest.TestCase):
    def test_versions_and_changes_in_sqlite(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            Scenario(self, sim, SqliteDb(os.path.join(d, "segment.db"))).run()

    def test_audit_events_between_the_bracketing_runs_are_shown(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            db = "sqlite:" + os.path.join(d, "segment.db")
            args = ["sync", "--api-url", f"http://127.0.0.1:{sim.port}", "--destination", db,
                    "--streams", "sources,audit_events", "-q"]
            env = {"SEGMENT_API_TOKEN": TOKEN}
            self.assertEqual(h.run_segsync(args, env=env).returncode, 0)
            first = [json.loads(x) for x in h.run_segsync(
                ["changes", "--destination", db, "--format", "json"]).stdout.splitlines()]
            # The first run has no run before it: no audit events are attributed.
            self.assertTrue(first and all(c["audit"] == [] for c in first))
            time.sleep(1.1)  # the simulator stamps audit events to the second
            source = sorted(h.dump(sim)["sources"], key=lambda s: s["id"])[0]
            update(sim, "sources", source["id"], "name", "Audited")
            self.assertEqual(h.run_segsync(args, env=env).returncode, 0)
            lines = [json.loads(x) for x in h.run_segsync(
                ["changes", "--destination", db, "--format", "json"]).stdout.splitlines()]
            self.assertEqual(len(lines), 1, lines)
            audit = lines[0]["audit"]
            self.assertEqual([a["action"] for a in audit], ["Source Modified"])
            self.assertTrue(audit[0]["actor"])
            text = h.run_segsync(["changes", "--destination", db]).stdout
            self.assertIn("Source Modified", text)

    def test_metrics_only_when_asked_and_jsonl_has_no_history(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            db = "sqlite:" + os.path.join(d, "segment.db")
            r = h.run_segsync(["sync", "--api-url", f"http://127.0.0.1:{sim.port}",
                               "--destination", db, "--streams",
                               "destination_delivery_metrics_summary", "-q"],
                              env={"SEGMENT_API_TOKEN": TOKEN})
            self.assertEqual(r.returncode, 0, r.stderr)
            base = ["changes", "--destination", db, "--format", "json"]
            self.assertEqual(h.run_segsync(base).stdout, "")
            metrics = h.run_segsync(base + ["--stream", "destination_delivery_metrics_summary"])
            lines = [json.loads(x) for x in metrics.stdout.splitlines()]
            self.assertEqual(len(lines), len(h.dump(sim)["destination_delivery_metrics_summary"]))
            self.assertEqual({c["change"] for c in lines}, {"added"})
            jsonl = h.run_segsync(["changes", "--destination", "jsonl:" + d])
            self.assertEqual(jsonl.returncode, 2)
            self.assertEqual(len(jsonl.stderr.strip().splitlines()), 1, jsonl.stderr)
            self.assertIn("keeps no history", jsonl.stderr)
            bad = h.run_segsync(["changes", "--destination", db, "--stream", "audit_events"])
            self.assertEqual(bad.returncode, 2)

    def test_a_destination_that_is_not_a_segsync_database_is_one_line_and_exit_2(self):
        with h.TempDir() as d:
            path = h.foreign_sqlite(d)
            # Every sqlite: form sync accepts names the same file.
            for uri in ("sqlite:" + path, "sqlite:///" + os.path.relpath(path)):
                r = h.run_segsync(["changes", "--destination", uri])
                self.assertEqual(r.returncode, 2, r.stderr)
                self.assertEqual(len(r.stderr.strip().splitlines()), 1, r.stderr)
                self.assertIn("holds no segsync tables", r.stderr)
                self.assertIn(path, r.stderr)
            # A bare path: the form to write instead.
            r = h.run_segsync(["changes", "--destination", path])
            self.assertEqual(r.returncode, 2, r.stderr)
            self.assertIn("write sqlite:" + path, r.stderr)


class HistoryPostgres(unittest.TestCase):
    def test_versions_and_changes_in_postgres(self):
        with pg_server.PgServer() as pg, h.start_simulator(TOKEN) as sim:
            Scenario(self, sim, PgDb(pg)).run()


if __name__ == "__main__":
    unittest.main()
