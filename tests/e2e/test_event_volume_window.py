# SPDX-License-Identifier: Apache-2.0
"""Event volume's window that holds today, under each startTime/endTime a server may take
(`segsync simulate --volume-end-time`): bucket boundaries only, any time, any time up to now,
or boundaries up to now. Nothing is lost and nothing counted twice under any of them."""

import datetime
import json
import os
import unittest
import urllib.parse
import urllib.request

import harness as h

TOKEN = "e2e-token-volume-8d2e41"
STREAM = "event_volume_daily"
# Three 14-day windows: the last one holds more than today.
START = datetime.date.today() - datetime.timedelta(days=40)
MODES = ("boundary", "any", "past", "boundary-past")
# Refusals of the window's endTime a sync may meet: the documented form, then the next midnight.
MOST_REFUSALS = {"boundary": 1, "any": 0, "past": 0, "boundary-past": 2}


def volume_requests(log):
    return [(e["status"], {k: v[0] for k, v in urllib.parse.parse_qs(e["query"]).items()})
            for e in h.read_request_log(log) if e["path"] == "/events/volume"]


def counts(records):
    """(timestamp, sourceId, eventName, eventType) -> count."""
    return {(r["timestamp"], r["sourceId"], r["eventName"], r["eventType"]): int(r["count"])
            for r in records}


def hourly_today(sim, today, until):
    """The day `today`'s events per (sourceId, eventName, eventType) in whole hours before
    `until`, as the server answers at HOUR granularity (boundaries in the past: every mode takes
    them)."""
    out = {}
    if until <= today:
        return out
    query = urllib.parse.urlencode({
        "granularity": "HOUR", "startTime": today.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "endTime": until.strftime("%Y-%m-%dT%H:%M:%SZ"), "groupBy": "source,eventName,eventType",
        "pagination.count": "1000"})
    req = urllib.request.Request(f"http://127.0.0.1:{sim.port}/events/volume?{query}",
                                 headers={"Authorization": "Bearer " + TOKEN})
    with urllib.request.urlopen(req, timeout=30) as r:
        body = json.loads(r.read())
    for item in body["data"]["result"]:
        key = (item["source"]["id"], item.get("eventName", ""), item["eventType"])
        out[key] = out.get(key, 0) + sum(p["count"] for p in item["series"])
    return out


class EventVolumeWindow(unittest.TestCase):
    """One simulator per behaviour: check, then two syncs of event volume into one database."""

    @classmethod
    def setUpClass(cls):
        cls.runs = {mode: cls.read(mode, cls.enterClassContext(h.TempDir())) for mode in MODES}

    @staticmethod
    def read(mode, tmp):
        """What one simulator in `mode` answered a check and two syncs."""
        db, log = os.path.join(tmp, "volume.db"), os.path.join(tmp, "requests.jsonl")
        with h.start_simulator(TOKEN, "--seed", "7", "--volume-end-time", mode,
                               "--request-log", log) as sim:
            check = h.run_segsync(["check", "--api-url", f"http://127.0.0.1:{sim.port}",
                                   "--streams", STREAM], env={"SEGMENT_API_TOKEN": TOKEN},
                                  timeout=60)
            checked = len(volume_requests(log))
            started = datetime.datetime.now(datetime.timezone.utc)
            first = h.sync(sim, db, "--streams", STREAM, "--start-date", START.isoformat(),
                           timeout=60)
            first_rows = counts(h.rows(db, STREAM))
            synced = len(volume_requests(log))
            second = h.sync(sim, db, "--streams", STREAM, "--start-date", START.isoformat(),
                            timeout=60)
            done = len(volume_requests(log))
            # From today only: the window is today alone (nothing before it to fall back on).
            today_db = os.path.join(tmp, "today.db")
            today_only = h.sync(sim, today_db, "--streams", STREAM, "--start-date",
                                started.date().isoformat(), timeout=60)
            today_rows = counts(h.rows(today_db, STREAM))
            today_done = len(volume_requests(log))
            truth = h.dump(sim)
            # Whole hours before the sync began, less one for the minute's lag.
            hourly = hourly_today(
                sim, started.replace(hour=0, minute=0, second=0, microsecond=0),
                started.replace(minute=0, second=0, microsecond=0)
                - datetime.timedelta(hours=1))
        requests = volume_requests(log)
        return {
            "check": check, "first": first, "second": second, "db": db,
            "truth": counts(h.expected_records(truth, STREAM, days_from=START)),
            "first_rows": first_rows, "rows": counts(h.rows(db, STREAM)),
            "hourly": hourly, "started": started,
            "check_requests": requests[:checked],
            "sync_requests": [requests[checked:synced], requests[synced:done],
                              requests[done:today_done]],
            "runs": h.rows(db, "_segsync_runs"),
            "today_only": today_only, "today_rows": today_rows,
            "today_runs": h.rows(today_db, "_segsync_runs")}

    def today(self, run):
        return run["started"].strftime("%Y-%m-%dT00:00:00Z")

    def test_every_sync_exits_0_with_the_stream_ok(self):
        for mode, run in self.runs.items():
            with self.subTest(mode=mode):
                for result in (run["first"], run["second"]):
                    self.assertEqual(result.returncode, 0, result.stderr)
                self.assertEqual(len(run["runs"]), 2)
                for stored in run["runs"]:
                    self.assertEqual(stored["status"], "ok")
                    report = {s["stream"]: s for s in json.loads(stored["streams"])}[STREAM]
                    self.assertEqual(report["outcome"], "ok")
                    self.assertNotIn("warning", report)

    def test_a_sync_from_today_exits_0_with_today_at_most_the_truth(self):
        for mode, run in self.runs.items():
            with self.subTest(mode=mode):
                self.assertEqual(run["today_only"].returncode, 0, run["today_only"].stderr)
                self.assertEqual([r["status"] for r in run["today_runs"]], ["ok"])
                today = self.today(run)
                self.assertTrue(all(k[0] == today for k in run["today_rows"]))
                for key, count in run["today_rows"].items():
                    self.assertLessEqual(count, run["truth"][key], key)
                if mode == "boundary":
                    self.assertEqual(run["today_rows"],
                                     {k: v for k, v in run["truth"].items() if k[0] == today})
                elif mode == "boundary-past":
                    # Neither the documented endTime nor the next midnight is taken, and today's
                    # midnight would ask for nothing: today waits for a later run.
                    self.assertEqual(run["today_rows"], {})
                    self.assertIn("today is read on a later run", run["today_only"].stderr)
                else:
                    self.assertTrue(run["today_rows"] or not run["hourly"])

    def test_check_passes(self):
        for mode, run in self.runs.items():
            with self.subTest(mode=mode):
                self.assertEqual(run["check"].returncode, 0, run["check"].stderr)
                line = [l for l in run["check"].stdout.splitlines() if l.startswith(STREAM)]
                self.assertEqual(len(line), 1, run["check"].stdout)
                self.assertRegex(line[0], STREAM + r"\s+ok$")
                self.assertLessEqual(len(run["check_requests"]), 1 + MOST_REFUSALS[mode])

    def test_days_before_today_are_the_truth(self):
        for mode, run in self.runs.items():
            with self.subTest(mode=mode):
                today = self.today(run)
                for rows in (run["first_rows"], run["rows"]):
                    past = {k: v for k, v in rows.items() if k[0] < today}
                    expected = {k: v for k, v in run["truth"].items() if k[0] < today}
                    self.assertGreater(len(expected), 100)
                    self.assertEqual(past, expected)
                    self.assertFalse([k for k in rows if k[0] > today], "no future days")

    def test_today_is_never_more_than_the_truth(self):
        for mode, run in self.runs.items():
            with self.subTest(mode=mode):
                today = self.today(run)
                got = {k[1:]: v for k, v in run["rows"].items() if k[0] == today}
                truth = {k[1:]: v for k, v in run["truth"].items() if k[0] == today}
                self.assertTrue(truth)
                for key, count in got.items():
                    self.assertLessEqual(count, truth.get(key, 0), key)
                if mode == "boundary":
                    # The next midnight is taken: today whole, as the server counts it so far.
                    self.assertEqual(got, truth)
                elif mode == "boundary-past":
                    # Only today's midnight is taken: today waits for a later run.
                    self.assertEqual(got, {})
                else:
                    # A minute behind the clock: at least every hour before the sync's last.
                    for key, count in run["hourly"].items():
                        self.assertGreaterEqual(got.get(key, 0), count, key)

    def test_only_the_windows_endtime_is_refused_and_at_most_twice_a_sync(self):
        for mode, run in self.runs.items():
            with self.subTest(mode=mode):
                for requests in run["sync_requests"]:
                    self.assertTrue(requests)
                    refused = [q for status, q in requests if status != 200]
                    self.assertTrue(all(status in (200, 422) for status, _ in requests))
                    self.assertLessEqual(len(refused), MOST_REFUSALS[mode])
                    for query in refused:
                        # Only the window holding today, which ends after today's midnight.
                        self.assertGreater(query["endTime"], self.today(run))
                    # Every window asked for was answered once.
                    answered = [q["startTime"] for status, q in requests
                                if status == 200 and "pagination.cursor" not in q]
                    self.assertEqual(len(answered), len(set(answered)))


if __name__ == "__main__":
    unittest.main()
