# SPDX-License-Identifier: Apache-2.0
"""Progress and summary (issue 19): the live line on a terminal (done of total, streams done of
selected, elapsed time, an estimate of the time left), the summary (rows written beside rows
changed, the run id, wall time, within 100 columns, the not-entitled reason once), and JSON logs
whose facts are keys, in `sync` and in `check`."""

import fcntl
import json
import os
import pty
import re
import select
import sqlite3
import struct
import termios
import time
import unittest
import urllib.parse

import harness as h

TOKEN = "e2e-progress-token-7e6d5c4b3a"
ANSI_REDRAW = "\r\x1b[K"


def run_on_a_terminal(args, columns=200, timeout=300):
    """Run segsync with stdout and stderr on a pseudo-terminal `columns` wide; returns (exit
    code, everything it wrote)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.environ["SEGMENT_API_TOKEN"] = TOKEN
        os.execv(h.BIN, [h.BIN] + list(args))
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 50, columns, 0, 0))
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def latest_run_id(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("SELECT MAX(run_id) FROM _segsync_runs").fetchone()[0]
    finally:
        con.close()


class LiveProgress(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        # Slow enough that the run takes a few seconds, so an estimate can be made.
        cls.sim = h.start_simulator(TOKEN, "--latency-ms", "120")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def sync_args(self, db):
        return ["sync", "--api-url", f"http://127.0.0.1:{self.sim.port}", "--destination",
                "sqlite:" + db, "--max-concurrency", "2",
                "--streams", "sources,users,destination_subscriptions"]

    def test_on_a_terminal_one_line_says_how_far_and_how_long(self):
        with h.TempDir() as d:
            code, screen = run_on_a_terminal(self.sync_args(os.path.join(d, "s.db")))
        self.assertEqual(code, 0, screen[-3000:])
        self.assertNotIn(TOKEN, screen)
        drawn = [part.split("\r")[0] for part in screen.split(ANSI_REDRAW)[1:]]
        progress = [line for line in drawn if line.startswith("  ") and not line.startswith("    ")]
        self.assertTrue(progress, screen[-3000:])
        # A second line, when streams are read ahead meanwhile: their parts read of all.
        for line in drawn:
            if line.startswith("    "):
                self.assertRegex(line, r"^    reading ahead: [a-z_]+ \d+/\d+(, [a-z_]+ \d+/\d+)*$")
        # A list: its rows of the total the API gives (pagination.totalEntries).
        sources = len(h.dump(self.sim)["sources"])
        self.assertIn(f"  sources: {sources}/{sources} rows, 1 pages, ", screen)
        # A stream read per parent: parents read of all of them.
        self.assertRegex(screen, r"destination_subscriptions: \d+ rows, \d+ pages, \d+ requests, "
                                 r"\d+/\d+ destinations read")
        # Streams done of selected, and the time since the start.
        for line in progress:
            self.assertRegex(line, r" \| [0-3]/3 streams done, \d+s", line)
            self.assertLessEqual(len(line), 199, line)
        # Once a share of the run is done, the time left.
        self.assertTrue(any(re.search(r", about \d+s left$", line) for line in progress),
                        progress[-10:])
        # The progress line is erased before each stream's line and the summary.
        self.assertIn(ANSI_REDRAW + "segsync: sources: ok,", screen)

    def test_a_narrow_terminal_gets_a_line_cut_to_its_width(self):
        with h.TempDir() as d:
            code, screen = run_on_a_terminal(self.sync_args(os.path.join(d, "s.db")), columns=50)
        self.assertEqual(code, 0, screen[-3000:])
        progress = [part.split("\r")[0].split("\n")[0] for part in screen.split(ANSI_REDRAW)[1:]
                    if part.startswith("  ")]
        self.assertTrue(progress)
        for line in progress:
            self.assertLess(len(line), 50, line)

    def test_off_a_terminal_nothing_live_is_printed(self):
        with h.TempDir() as d:
            result = h.run_segsync(self.sync_args(os.path.join(d, "s.db")),
                                   env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn("\r", result.stderr)
        self.assertNotIn("\x1b", result.stderr)
        self.assertNotIn("streams done", result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 3, result.stderr)


def update(sim, stream, item_id, field, value):
    h.admin(sim, "/__sim/update?" + urllib.parse.urlencode(
        {"stream": stream, "id": item_id, "field": field, "value": json.dumps(value)}))


def summary_table(stdout):
    """{stream: its row's columns} and the total row of a summary."""
    lines = stdout.splitlines()
    self_total = next(i for i, line in enumerate(lines) if line.startswith("total "))
    rows = {line.split()[0]: line.split() for line in lines[1:self_total]}
    return lines[0].split(), rows, lines[self_total].split(), lines


class Summary(unittest.TestCase):
    def test_rows_written_beside_rows_changed_and_the_run_id(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            db = os.path.join(d, "s.db")
            first = h.sync(sim, db, "--streams", "sources,users,audit_events")
            self.assertEqual(first.returncode, 0, first.stderr)
            header, rows, total, lines = summary_table(first.stdout)
            self.assertEqual(header, ["stream", "rows", "changed", "deleted", "requests",
                                      "retries", "time", "outcome"])
            users = len(h.dump(sim)["users"])
            sources = len(h.dump(sim)["sources"])
            # First run: every row is new.
            self.assertEqual(rows["users"][1:4], [str(users), str(users), "0"])
            # audit_events keeps no history (incremental): its changes are not claimed.
            self.assertEqual(rows["audit_events"][2], "-")
            self.assertIn(f"changes: {users + sources} added, 0 updated, 0 deleted", first.stdout)
            self.assertIn(f"run {latest_run_id(db)}: ok in ", first.stdout)
            self.assertEqual(total[-1], "ok")
            self.assertRegex(total[-2], r"^\d+\.\ds$")  # the wall time

            # One user renamed, one deleted: rows written are all of them, the changes two.
            user_ids = [u["id"] for u in h.dump(sim)["users"]]
            update(sim, "users", user_ids[0], "name", "Renamed In Progress Test")
            h.admin(sim, f"/__sim/delete?stream=users&id={user_ids[1]}")
            second = h.sync(sim, db, "--streams", "sources,users")
            self.assertEqual(second.returncode, 0, second.stderr)
            _, rows, total, _ = summary_table(second.stdout)
            self.assertEqual(rows["users"][1:4], [str(users - 1), "1", "1"])
            self.assertEqual(rows["sources"][1:4], [str(sources), "0", "0"])
            self.assertIn("changes: 0 added, 1 updated, 1 deleted", second.stdout)
            run_id = latest_run_id(db)
            self.assertEqual(run_id, 2)
            self.assertRegex(second.stdout, rf"\nrun {run_id}: ok in \d+\.\ds, 2 streams: 2 ok\n")

    def test_fits_100_columns_and_says_the_not_entitled_reason_once(self):
        with h.TempDir() as d, h.start_simulator(TOKEN, "--plan", "team",
                                                 "--no-protocols") as sim:
            result = h.sync(sim, os.path.join(d, "s.db"))
        self.assertEqual(result.returncode, 0, result.stderr)
        for line in result.stdout.splitlines():
            if not line.startswith("destination: "):  # a path is as long as it is
                self.assertLessEqual(len(line), 100, line)
        _, rows, total, lines = summary_table(result.stdout)
        self.assertEqual(rows["audit_events"][-1], "not_entitled")
        self.assertEqual(rows["transformations"][-1], "not_entitled")
        notes = [line for line in lines if line.startswith("not_entitled: ")]
        self.assertEqual(len(notes), 1, result.stdout)
        self.assertIn("audit_events needs", result.stdout)
        self.assertIn("transformations needs", result.stdout)
        # The API's own text for each is not repeated, in the summary or in the stream lines.
        self.assertNotIn("Forbidden", result.stdout + result.stderr)
        gated = {"transformations", "audit_events", "tracking_plans", "tracking_plan_rules",
                 "tracking_plan_sources", "destination_filters"}  # Team plan, no Protocols
        self.assertEqual({name for name, r in rows.items() if r[-1] == "not_entitled"}, gated)
        gated = len(gated)
        self.assertRegex(result.stdout, rf"\nrun \d+: ok in \d+\.\ds, {len(h.su.STREAMS)} "
                                        rf"streams: {gated} not_entitled, "
                                        rf"{len(h.su.STREAMS) - gated} ok\n")


class JsonLogs(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.start_simulator(TOKEN, "--plan", "team")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_sync_logs_each_stream_and_the_run_with_fields_as_keys(self):
        with h.TempDir() as d:
            db = os.path.join(d, "s.db")
            result = h.sync(self.sim, db, "--streams", "sources,users,audit_events",
                            "--log-format", "json")
            self.assertEqual(result.returncode, 0, result.stderr)
            entries = [json.loads(line) for line in result.stderr.strip().splitlines()]
            run_id = latest_run_id(db)
        streams = {e["stream"]: e for e in entries if e.get("event") == "stream_done"}
        self.assertEqual(set(streams), {"sources", "users", "audit_events"})
        users = streams["users"]
        self.assertEqual(users["outcome"], "ok")
        self.assertEqual(users["rows"], len(h.dump(self.sim)["users"]))
        self.assertEqual(users["requests"], 1)
        self.assertEqual(users["rows_added"], users["rows"])
        self.assertIsInstance(users["duration_ms"], int)
        self.assertEqual(streams["audit_events"]["outcome"], "not_entitled")
        self.assertIn("reason", streams["audit_events"])
        done = [e for e in entries if e.get("event") == "run_done"]
        self.assertEqual(len(done), 1)
        self.assertEqual(done[0]["run_id"], run_id)
        self.assertEqual(done[0]["outcome"], "ok")
        self.assertEqual(done[0]["exit_code"], 0)
        self.assertEqual(done[0]["rows"], sum(s["rows"] for s in streams.values()))
        self.assertIsInstance(done[0]["wall_ms"], int)

    def test_text_logs_keep_their_sentences(self):
        with h.TempDir() as d:
            result = h.sync(self.sim, os.path.join(d, "s.db"), "--streams", "users")
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stderr, r"^segsync: users: ok, \d+ rows, 1 requests\n$")

    def test_check_honours_the_json_log_format(self):
        with h.TempDir() as d:
            result = h.run_segsync(["check", "--api-url", f"http://127.0.0.1:{self.sim.port}",
                                    "--destination", "sqlite:" + os.path.join(d, "x.db"),
                                    "--log-format", "json"],
                                   env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertNotIn(TOKEN, result.stdout + result.stderr)
        entries = [json.loads(line) for line in result.stdout.strip().splitlines()]
        self.assertTrue(all({"time", "level", "message"} <= set(e) for e in entries))
        self.assertEqual(entries[0]["region"], "us")
        self.assertEqual(entries[0]["host"], f"http://127.0.0.1:{self.sim.port}")
        self.assertTrue(entries[0]["token"].startswith("****"))
        self.assertEqual(entries[1]["outcome"], "ok")
        self.assertTrue(entries[1]["destination"].startswith("SQLite file "))
        streams = {e["stream"]: e for e in entries if "stream" in e}
        self.assertEqual(set(streams), {s.name for s in h.su.STREAMS})
        self.assertEqual(streams["sources"]["outcome"], "ok")
        self.assertEqual(streams["audit_events"]["outcome"], "not_entitled")
        self.assertEqual(streams["audit_events"]["level"], "info")


if __name__ == "__main__":
    unittest.main()
