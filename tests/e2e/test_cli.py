# SPDX-License-Identifier: Apache-2.0
"""What a person at the terminal meets (issue 8): check, progress, summary, output modes, help,
and every error message naming what failed, what it affected and what to do, never the token."""

import json
import os
import shutil
import sqlite3
import subprocess
import unittest

import harness as h

TOKEN = "e2e-cli-token-5d4c3b2a1f"
COMMANDS = ["sync", "check", "discover", "demo", "simulate", "singer", "airbyte"]


class Check(unittest.TestCase):
    def test_check_reports_token_region_host_and_each_stream(self):
        with h.start_simulator(TOKEN, "--plan", "team") as sim:
            result = h.run_segsync(["check", "--api-url", f"http://127.0.0.1:{sim.port}"],
                                   env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 0, result.stderr)
        out = result.stdout
        self.assertIn("region: us", out)
        self.assertIn(f"host:   http://127.0.0.1:{sim.port}", out)
        self.assertNotIn(TOKEN, out + result.stderr)
        lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
        for stream in h.su.STREAMS:
            self.assertIn(stream.name, lines)
        self.assertIn("not_entitled", lines["audit_events"])
        self.assertIn("Audit Trail", lines["audit_events"])
        self.assertIn("not_entitled", lines["destination_filters"])
        self.assertIn("Destination Filters", lines["destination_filters"])
        self.assertRegex(lines["sources"], r"sources\s+ok$")

    def test_check_with_a_rejected_token_exits_3_and_suggests_the_other_region(self):
        with h.start_simulator(TOKEN) as sim:
            result = h.run_segsync(["check", "--api-url", f"http://127.0.0.1:{sim.port}"],
                                   env={"SEGMENT_API_TOKEN": "not-the-token-00000"})
        self.assertEqual(result.returncode, 3)
        self.assertIn("rejected", result.stderr)
        self.assertIn('region "eu"', result.stderr)
        self.assertNotIn("not-the-token-00000", result.stdout + result.stderr)

    def test_check_writes_nothing(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            result = h.run_segsync(["check", "--api-url", f"http://127.0.0.1:{sim.port}",
                                    "--destination", "sqlite:" + os.path.join(d, "x.db")],
                                   env={"SEGMENT_API_TOKEN": TOKEN})
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(os.listdir(d), [])


class Output(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.start_simulator(TOKEN, "--latency-ms", "5")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def sync(self, *args):
        with h.TempDir() as d:
            return h.sync(self.sim, os.path.join(d, "s.db"), "--streams",
                          "sources,users,source_connected_destinations", *args)

    def test_off_a_terminal_one_line_per_stream_then_a_summary_table(self):
        result = self.sync()
        self.assertEqual(result.returncode, 0, result.stderr)
        lines = result.stderr.strip().splitlines()
        self.assertEqual(len(lines), 3, result.stderr)
        self.assertTrue(lines[0].startswith("segsync: sources: ok,"), lines)
        self.assertNotIn("\r", result.stderr)
        header = result.stdout.splitlines()[0].split()
        self.assertEqual(header, ["stream", "rows", "changed", "deleted", "requests", "retries",
                                  "time", "outcome"])

    def test_quiet_prints_nothing_on_success(self):
        result = self.sync("--quiet")
        self.assertEqual(result.returncode, 0)
        self.assertEqual(result.stdout, "")
        self.assertEqual(result.stderr, "")

    def test_json_logs_are_one_object_per_line(self):
        result = self.sync("--log-format", "json")
        self.assertEqual(result.returncode, 0)
        for line in result.stderr.strip().splitlines():
            entry = json.loads(line)
            # The line's own keys, and the facts it reports as keys of their own
            # (test_progress.JsonLogs checks them).
            self.assertLessEqual({"time", "level", "message"}, set(entry))
            self.assertIn(entry["event"], ("stream_done", "run_done"))

    def test_verbose_shows_each_request_without_the_token(self):
        result = self.sync("--verbose")
        self.assertEqual(result.returncode, 0)
        self.assertRegex(result.stderr, r"GET /sources\?pagination\.count=1000 -> 200 \(\d+ ms\)")
        self.assertNotIn(TOKEN, result.stderr)

    @unittest.skipUnless(shutil.which("script"), "script(1) from bsdutils runs it under a pty")
    def test_on_a_terminal_progress_is_redrawn_in_place(self):
        with h.TempDir() as d:
            db = os.path.join(d, "s.db")
            command = (f"{h.BIN} sync --api-url http://127.0.0.1:{self.sim.port} "
                       f"--destination sqlite:{db} --streams sources,source_connected_destinations")
            typescript = os.path.join(d, "typescript")
            result = subprocess.run(["script", "-qefc", command, typescript],
                                    env=dict(os.environ, SEGMENT_API_TOKEN=TOKEN),
                                    capture_output=True, timeout=120, stdin=subprocess.DEVNULL)
            self.assertEqual(result.returncode, 0, result.stdout[-2000:])
            with open(typescript, "rb") as f:
                screen = f.read().decode("utf-8", "replace")
        # Each page redraws the line: carriage return, erase to end of line, new counts.
        self.assertIn("\r\x1b[K  source_connected_destinations: ", screen)
        self.assertRegex(screen, r"source_connected_destinations: \d+ rows, \d+ pages, \d+ requests")
        self.assertIn("outcome", screen)
        self.assertNotIn(TOKEN, screen)


class Help(unittest.TestCase):
    def test_every_command_has_help(self):
        for command in COMMANDS:
            with self.subTest(command=command):
                result = h.run_segsync([command, "--help"])
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn("Usage", result.stdout + result.stderr)

    def test_an_unknown_flag_exits_2_and_points_to_help(self):
        result = h.run_segsync(["sync", "--no-such-flag"])
        self.assertEqual(result.returncode, 2)
        self.assertIn("--help", result.stderr)


class ErrorMessages(unittest.TestCase):
    """Each names what failed, what it affected and what to do, and never the token."""

    def assert_message(self, result, code, *needles):
        self.assertEqual(result.returncode, code, result.stderr)
        for needle in needles:
            self.assertIn(needle, result.stderr)
        self.assertNotIn(TOKEN, result.stdout + result.stderr)

    def test_unreachable_host(self):
        # A writable destination: it is verified before the API, and must pass to reach it.
        with h.TempDir() as d:
            result = h.run_segsync(["sync", "--api-url", "http://127.0.0.1:9", "--max-retries",
                                    "1", "--destination", "sqlite:" + os.path.join(d, "x.db")],
                                   env={"SEGMENT_API_TOKEN": TOKEN})
        self.assert_message(result, 1, "could not reach the API", "127.0.0.1:9", "Check the network",
                            "nothing was written")
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)

    def test_unwritable_destination(self):
        with h.start_simulator(TOKEN) as sim:
            result = h.sync(sim, "/nonexistent-dir/x.db", "--streams", "users")
        self.assert_message(result, 1, "users", "/nonexistent-dir/x.db", "directory")

    def test_a_stream_that_keeps_failing(self):
        with h.start_simulator(TOKEN, "--faults", "1") as sim, h.TempDir() as d:
            result = h.sync(sim, os.path.join(d, "x.db"), "--streams", "users",
                            "--max-retries", "0", "--request-timeout", "2")
        self.assert_message(result, 1, "users", "failed after 1 attempt:")

    def test_bad_values_name_key_value_and_accepted_forms(self):
        cases = [
            (["--start-date", "13/45/2024"], ["start_date", "13/45/2024", "MM/DD/YYYY"]),
            (["--region", "mars"], ["region", "mars", "us, eu"]),
            (["--streams", "sources,bogus"], ["streams", "bogus", "audit_events"]),
            (["--destination", "mysql://x"], ["destination", "mysql://x", "sqlite:PATH"]),
            (["--delivery-metrics-window", "9d"], ["delivery_metrics_window", "7d"]),
            (["--api-url", "ftp://x"], ["api_url", "ftp://x", "https://"]),
        ]
        for args, needles in cases:
            with self.subTest(args=args):
                result = h.run_segsync(["sync"] + args, env={"SEGMENT_API_TOKEN": TOKEN})
                self.assert_message(result, 2, *needles)
                self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)


class Demo(unittest.TestCase):
    def test_demo_prints_a_summary_and_example_queries_that_run(self):
        with h.TempDir() as d:
            result = h.run_segsync(["demo"], cwd=d)
            self.assertEqual(result.returncode, 0, result.stderr)
            queries = [line.strip() for line in result.stdout.splitlines()
                       if line.strip().startswith("sqlite3 ")]
            self.assertEqual(len(queries), 3)
            con = sqlite3.connect(os.path.join(d, "segsync-demo.db"))
            for line in queries:
                sql = line.split(" ", 2)[2].strip("'\"")
                self.assertTrue(con.execute(sql).fetchall(), sql)
            con.close()


if __name__ == "__main__":
    unittest.main()
