# SPDX-License-Identifier: Apache-2.0
"""Bookmarks, month stepping, the audit window, parents and children (issue 3), end to end."""

import datetime
import json
import os
import sqlite3
import unittest
import urllib.parse

import harness as h

TOKEN = "e2e-incremental-token-42"
USAGE_PATHS = ("/usage/api-calls/daily", "/usage/api-calls/sources/daily", "/usage/mtu/daily",
               "/usage/mtu/sources/daily")


def query_of(entry):
    return {k: v[0] for k, v in urllib.parse.parse_qs(entry["query"]).items()}


def state_of(db, stream):
    con = sqlite3.connect(db)
    try:
        row = con.execute("SELECT state FROM _segsync_state WHERE stream = ?", (stream,)).fetchone()
        return json.loads(row[0]) if row else None
    finally:
        con.close()


class SecondRun(unittest.TestCase):
    """Run twice with nothing changed upstream; the second run reads only what it must."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        d = cls.tmp.__enter__()
        cls.db = os.path.join(d, "segment.db")
        cls.start = (datetime.date.today().replace(day=1) - datetime.timedelta(days=95)).replace(
            day=17)
        streams = "audit_events," + ",".join(s.name for s in h.su.STREAMS
                                             if s.name.startswith("usage_"))
        log = os.path.join(d, "requests.jsonl")
        args = ["--start-date", cls.start.strftime("%m/%d/%Y"), "--streams", streams]
        # One simulator for both runs: upstream does not change between them.
        with h.start_simulator(TOKEN, "--seed", "21", "--request-log", log) as sim:
            cls.first = h.sync(sim, cls.db, *args)
            first_requests = len(h.read_request_log(log))
            cls.second = h.sync(sim, cls.db, *args)
            cls.truth = h.dump(sim)
        entries = h.read_request_log(log)
        cls.run1, cls.run2 = entries[:first_requests], entries[first_requests:]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_both_runs_succeed(self):
        self.assertEqual(self.first.returncode, 0, self.first.stderr)
        self.assertEqual(self.second.returncode, 0, self.second.stderr)

    def test_first_run_steps_month_by_month_from_the_start_dates_month(self):
        expected = h.months_since(self.start)
        self.assertEqual(expected[0], self.start.strftime("%Y-%m-01"))
        for path in USAGE_PATHS:
            periods = sorted({query_of(e)["period"] for e in self.run1
                              if e["path"] == path})
            self.assertEqual(periods, expected, path)

    def test_second_run_starts_at_the_bookmarks_month(self):
        for stream in ("usage_api_calls_workspace_daily", "usage_mtu_per_source_daily"):
            bookmark = state_of(self.db, stream)["bookmark"]
            self.assertTrue(h.su.is_rfc3339(bookmark), bookmark)
        for path in USAGE_PATHS:
            periods = {query_of(e)["period"] for e in self.run2
                       if e["path"] == path}
            self.assertEqual(periods, {datetime.date.today().strftime("%Y-%m-01")}, path)

    def test_second_run_asks_for_no_audit_event_older_than_the_bookmark(self):
        audit = [query_of(e) for e in self.run2 if e["path"] == "/audit-events"]
        self.assertTrue(audit)
        newest = max(e["timestamp"] for e in self.truth["audit_events"])
        bookmark = state_of(self.db, "audit_events")["bookmark"]
        self.assertEqual(bookmark, newest)
        # startTime is exclusive on the server: 1 ms before the bookmark asks for nothing older
        # than the bookmark, and re-reads events that share its instant.
        overlap = datetime.timedelta(milliseconds=1)
        for q in audit:
            self.assertGreaterEqual(h.parse_time(q["startTime"]), h.parse_time(bookmark) - overlap)
        # One pinned endTime for the whole read.
        self.assertEqual(len({q.get("endTime") for q in audit}), 1)

    def test_rows_are_unique_and_equal_the_simulator(self):
        # The trail from the start date on (the simulator keeps 200 days by default).
        start = datetime.datetime.combine(self.start, datetime.time(), datetime.timezone.utc)
        trail = [e for e in self.truth["audit_events"] if h.parse_time(e["timestamp"]) > start]
        truth = dict(self.truth, audit_events=trail)
        self.assertEqual(h.diff_stream(self.db, truth, "audit_events"), [])
        months = h.months_since(self.start)
        for s in h.su.STREAMS:
            if s.name.startswith("usage_"):
                self.assertEqual(h.diff_stream(self.db, self.truth, s.name, months=months), [])


class ParentsAndChildren(unittest.TestCase):
    def test_selecting_a_child_alone_reads_its_parent_without_writing_it(self):
        with h.TempDir() as d, h.start_simulator(TOKEN, "--seed", "8") as sim:
            db = os.path.join(d, "segment.db")
            result = h.sync(sim, db, "--streams", "source_connected_warehouses")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertNotIn("sources", h.tables(db))
            self.assertEqual(h.diff_stream(db, h.dump(sim), "source_connected_warehouses"), [])
            self.assertTrue(all(r["sourceId"] for r in h.rows(db, "source_connected_warehouses")))

    def test_injected_ids_are_present_and_keys_unique(self):
        with h.TempDir() as d, h.start_simulator(TOKEN, "--seed", "9") as sim:
            db = os.path.join(d, "segment.db")
            result = h.sync(sim, db, "--streams",
                            "source_connected_warehouses,destination_delivery_metrics_summary")
            self.assertEqual(result.returncode, 0, result.stderr)
            con = sqlite3.connect(db)
            for table, key in (("source_connected_warehouses", '"sourceId", id'),
                               ("destination_delivery_metrics_summary",
                                '"sourceId", "destinationId"')):
                total, distinct, nulls = con.execute(
                    f'SELECT COUNT(*), COUNT(DISTINCT {key.replace(", ", " || char(0) || ")}), '
                    f'SUM({" IS NULL OR ".join(key.split(", "))} IS NULL) FROM {table}').fetchone()
                self.assertGreater(total, 0, table)
                self.assertEqual(total, distinct, table)
                self.assertEqual(nulls, 0, table)
            # A source connected to several warehouses keeps one row per warehouse.
            multi = con.execute('SELECT COUNT(*) FROM (SELECT "sourceId" FROM '
                                'source_connected_warehouses GROUP BY "sourceId" '
                                'HAVING COUNT(*) > 1)').fetchone()[0]
            self.assertGreater(multi, 0)
            con.close()

    def test_a_parent_deleted_mid_run_skips_that_parent_not_the_stream(self):
        with h.TempDir() as d:
            db, log = os.path.join(d, "segment.db"), os.path.join(d, "requests.jsonl")
            with h.start_simulator(TOKEN, "--seed", "10", "--request-log", log) as sim:
                truth = h.dump(sim)
                victim = next(s["id"] for s in truth["sources"]
                              if truth["source_connected_destinations"].get(s["id"]))
                h.admin(sim, "/__sim/delete?stream=sources&when=after_list&id="
                        + urllib.parse.quote(victim))
                result = h.sync(sim, db, "--streams", "sources,source_connected_destinations")
                self.assertEqual(result.returncode, 0, result.stderr)
                after = h.dump(sim)
            statuses = [e["status"] for e in h.read_request_log(log)
                        if e["path"] == f"/sources/{victim}/connected-destinations"]
            self.assertEqual(statuses, [404])
            children = h.rows(db, "source_connected_destinations")
            self.assertFalse([r for r in children if r["sourceId"] == victim])
            self.assertEqual(h.diff_stream(db, after, "source_connected_destinations"), [])


if __name__ == "__main__":
    unittest.main()
