# SPDX-License-Identifier: Apache-2.0
"""Where the audit trail's read starts, under each thing a server may do with an old startTime
(`segsync simulate --audit-old-start`): keep everything, ignore it, or refuse it with 422."""

import datetime
import json
import os
import unittest
import urllib.parse

import harness as h

TOKEN = "e2e-token-audit-3f9a1c"
# Older than the 90 days a server may keep, newer than the 200 days `keep-all` has.
START = datetime.date.today() - datetime.timedelta(days=150)
START_TIME = datetime.datetime.combine(START, datetime.time(), datetime.timezone.utc)
RETENTION = datetime.timedelta(days=90)
# What segsync adds to the oldest time a server accepts (sync/partitions.cc), and some slack for
# the time between the simulator's answer and the test's look at its clock.
RETRY_MARGIN = datetime.timedelta(minutes=10)
SLACK = datetime.timedelta(minutes=2)


def audit_requests(log):
    return [(e["status"], {k: v[0] for k, v in urllib.parse.parse_qs(e["query"]).items()})
            for e in h.read_request_log(log) if e["path"] == "/audit-events"]


def refusal_lines(stderr):
    return [line for line in stderr.splitlines() if "refused startTime" in line]


class AuditStart(unittest.TestCase):
    """One simulator per behaviour, one sync of the audit trail from a start date 150 days ago."""

    runs = {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        cls.dir = cls.tmp.__enter__()
        for mode in ("keep-all", "ignore", "reject"):
            db = os.path.join(cls.dir, mode + ".db")
            log = os.path.join(cls.dir, mode + ".jsonl")
            with h.start_simulator(TOKEN, "--seed", "5", "--audit-events", "2500",
                                   "--audit-old-start", mode, "--request-log", log) as sim:
                result = h.sync(sim, db, "--streams", "audit_events",
                                "--start-date", START.isoformat(), timeout=60)
                truth = h.dump(sim)["audit_events"]
                now = datetime.datetime.now(datetime.timezone.utc)
            runs = h.rows(db, "_segsync_runs")
            report = {s["stream"]: s for s in json.loads(runs[-1]["streams"])}["audit_events"]
            cls.runs[mode] = {"result": result, "db": db, "truth": truth, "now": now,
                              "requests": audit_requests(log), "report": report,
                              "status": runs[-1]["status"]}

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def assert_rows_are_the_truth_after(self, run, start):
        trail = [e for e in run["truth"] if h.parse_time(e["timestamp"]) > start]
        self.assertTrue(trail)
        self.assertEqual(h.diff_stream(run["db"], {"audit_events": trail}, "audit_events"), [])

    def assert_clean(self, run):
        result = run["result"]
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(run["status"], "ok")
        self.assertEqual(run["report"]["outcome"], "ok")

    def test_every_sync_asks_first_from_the_start_date(self):
        for mode, run in self.runs.items():
            with self.subTest(mode=mode):
                self.assert_clean(run)
                first = run["requests"][0][1]
                self.assertEqual(h.parse_time(first["startTime"]), START_TIME)

    def test_a_server_keeping_everything_gives_every_event_after_the_start_date(self):
        run = self.runs["keep-all"]
        self.assertTrue(all(status == 200 for status, _ in run["requests"]))
        # Events between the start date and 90 days ago exist, and are synced: nothing clamps.
        older = [e for e in run["truth"]
                 if START_TIME < h.parse_time(e["timestamp"]) < run["now"] - RETENTION]
        self.assertTrue(older)
        self.assert_rows_are_the_truth_after(run, START_TIME)
        # Events before the start date are kept by the server but not asked for.
        self.assertTrue(any(h.parse_time(e["timestamp"]) <= START_TIME for e in run["truth"]))

    def test_a_server_ignoring_an_old_start_gives_what_it_keeps(self):
        run = self.runs["ignore"]
        self.assertTrue(all(status == 200 for status, _ in run["requests"]))
        self.assertTrue(all(h.parse_time(e["timestamp"]) >= run["now"] - RETENTION - SLACK
                            for e in run["truth"]))
        self.assert_rows_are_the_truth_after(run, START_TIME)

    def test_no_warning_where_the_server_took_the_start(self):
        for mode in ("keep-all", "ignore"):
            with self.subTest(mode=mode):
                run = self.runs[mode]
                self.assertEqual(refusal_lines(run["result"].stderr), [])
                self.assertNotIn("warning", run["report"])
                starts = {q["startTime"] for _, q in run["requests"]}
                self.assertEqual(len(starts), 1)

    def test_a_refused_start_is_retried_from_the_oldest_kept_with_one_warning(self):
        run = self.runs["reject"]
        statuses = [status for status, _ in run["requests"]]
        self.assertEqual(statuses[0], 422)
        self.assertTrue(all(status == 200 for status in statuses[1:]), statuses)
        retried = {q["startTime"] for _, q in run["requests"][1:]}
        self.assertGreater(len(statuses), 2)  # the retried read follows `next`
        self.assertEqual(len(retried), 1)  # every page of the retried read sends the same start
        start = h.parse_time(retried.pop())
        self.assertGreater(start, run["now"] - RETENTION - SLACK)
        self.assertLess(start, run["now"] - RETENTION + RETRY_MARGIN)
        self.assert_rows_are_the_truth_after(run, start)
        # One warning line on stderr, and the same words in _segsync_runs.
        lines = refusal_lines(run["result"].stderr)
        self.assertEqual(len(lines), 1, run["result"].stderr)
        self.assertIn("warning", lines[0])
        self.assertIn("audit_events", lines[0])
        self.assertIn(start.strftime("%Y-%m-%dT%H:%M:%S"), lines[0])
        self.assertIn("refused startTime", run["report"]["warning"])
        self.assertNotIn("message", run["report"])


if __name__ == "__main__":
    unittest.main()
