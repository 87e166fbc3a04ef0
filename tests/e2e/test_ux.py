# SPDX-License-Identifier: Apache-2.0
"""What a person at the terminal meets, round two (issue 19): nothing overwritten by surprise,
SQLite URI forms with one meaning each, the destination verified before the API, the start date
against bookmarks and --full-refresh, and errors that say what was meant."""

import datetime
import json
import os
import re
import sqlite3
import unittest

import harness as h
import pg_server

TOKEN = "e2e-ux-token-19a8b7c6d5"
DEMO_APPLICATION_ID = 0x73656764  # "segd", src/cli/demo.h


def application_id(path):
    con = sqlite3.connect(path)
    try:
        return con.execute("PRAGMA application_id").fetchone()[0]
    finally:
        con.close()


def requests_made(log):
    return [r for r in h.read_request_log(log) if not r.get("path", "").startswith("/__sim")]


class DemoNeverOverwrites(unittest.TestCase):
    def test_a_text_file_is_left_alone_with_one_line(self):
        with h.TempDir() as d:
            notes = os.path.join(d, "notes.txt")
            with open(notes, "w", encoding="utf-8") as f:
                f.write("my notes\n")
            result = h.run_segsync(["demo", "--db", notes])
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn("not created by segsync demo", result.stderr)
            self.assertIn("--db", result.stderr)
            with open(notes, encoding="utf-8") as f:
                self.assertEqual(f.read(), "my notes\n")
            self.assertEqual(sorted(os.listdir(d)), ["notes.txt"])

    def test_a_synced_database_is_left_alone(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            db = os.path.join(d, "segment.db")
            self.assertEqual(h.sync(sim, db, "--streams", "users").returncode, 0)
            con = sqlite3.connect(db)
            con.execute("CREATE TABLE my_notes (x TEXT)")
            con.commit()
            con.close()
            result = h.run_segsync(["demo", "--db", db])
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("my_notes", h.tables(db))
            self.assertEqual(len(h.rows(db, "_segsync_runs")), 1)

    def test_a_file_an_earlier_demo_created_is_replaced(self):
        with h.TempDir() as d:
            db = os.path.join(d, "demo.db")
            first = h.run_segsync(["demo", "--db", db, "--quiet"])
            self.assertEqual(first.returncode, 0, first.stderr)
            self.assertEqual(application_id(db), DEMO_APPLICATION_ID)
            second = h.run_segsync(["demo", "--db", db, "--quiet"])
            self.assertEqual(second.returncode, 0, second.stderr)
            self.assertEqual(application_id(db), DEMO_APPLICATION_ID)
            self.assertEqual(len(h.rows(db, "_segsync_runs")), 1)  # a new file, not a second run


class SqliteUriForms(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = h.start_simulator(TOKEN)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def sync_in(self, cwd, destination):
        return h.run_segsync(["sync", "--api-url", f"http://127.0.0.1:{self.sim.port}",
                              "--streams", "users", "--destination", destination],
                             env={"SEGMENT_API_TOKEN": TOKEN}, cwd=cwd)

    def test_each_form_means_one_file_and_the_summary_names_it(self):
        with h.TempDir() as d:
            d = os.path.realpath(d)
            cases = [("sqlite:a.db", "a.db"), ("sqlite:///b.db", "b.db"),
                     (f"sqlite:{d}/c.db", "c.db"), (f"sqlite:///{d}/e.db", "e.db")]
            for destination, name in cases:
                with self.subTest(destination=destination):
                    result = self.sync_in(d, destination)
                    self.assertEqual(result.returncode, 0, result.stderr)
                    self.assertIn("users", h.tables(os.path.join(d, name)))
                    self.assertIn(f"destination: SQLite file {d}/{name}\n", result.stdout)

    def test_the_summary_ends_with_totals_and_the_destination(self):
        with h.TempDir() as d:
            result = self.sync_in(d, "sqlite:t.db")
            self.assertEqual(result.returncode, 0, result.stderr)
            lines = result.stdout.splitlines()
            self.assertTrue(lines[-1].startswith("destination: SQLite file "), lines)
            at_total = next(i for i, line in enumerate(lines) if line.startswith("total "))
            total = lines[at_total].split()
            streams = [line.split() for line in lines[1:at_total]]
            self.assertEqual(total[0], "total")
            # rows, changed, deleted, requests, retries: the streams' sums.
            for column in (1, 2, 3, 4, 5):
                self.assertEqual(int(total[column]), sum(int(r[column]) for r in streams))
            self.assertEqual(total[7:], ["ok"])
            # The run line: how many streams ended each way.
            self.assertRegex(lines[-2], rf"^run \d+: ok in \d+\.\ds, {len(streams)} streams: "
                                        rf"{len(streams)} ok$")

    def test_the_host_form_is_refused_with_the_forms_to_use(self):
        with h.TempDir() as d:
            result = self.sync_in(d, "sqlite://segment.db")
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn("sqlite:segment.db", result.stderr)
            self.assertIn("host", result.stderr)
            self.assertEqual(os.listdir(d), [])
        self.assertFalse(os.path.exists("/segment.db"))


class DestinationFirst(unittest.TestCase):
    def assert_failed_before_the_api(self, destination, *needles):
        with h.TempDir() as d:
            log = os.path.join(d, "requests.jsonl")
            with h.start_simulator(TOKEN, "--request-log", log) as sim:
                result = h.run_segsync(["sync", "--api-url", f"http://127.0.0.1:{sim.port}",
                                        "--destination", destination],
                                       env={"SEGMENT_API_TOKEN": TOKEN})
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            for needle in needles:
                self.assertIn(needle, result.stderr)
            self.assertEqual(requests_made(log), [])

    def test_a_missing_sqlite_directory_fails_once_with_no_request(self):
        self.assert_failed_before_the_api("sqlite:/nonexistent-dir/x.db", "/nonexistent-dir",
                                          "does not exist", "Nothing was read")

    def test_an_unreachable_postgres_fails_once_with_no_request(self):
        self.assert_failed_before_the_api(
            "postgresql://segsync@127.0.0.1:1/postgres?connect_timeout=5", "127.0.0.1",
            "Nothing was read")

    def test_check_checks_the_destination(self):
        with h.start_simulator(TOKEN) as sim:
            for destination in ("sqlite:/nonexistent-dir/x.db",
                                "postgresql://segsync@127.0.0.1:1/postgres?connect_timeout=5"):
                with self.subTest(destination=destination):
                    result = h.run_segsync(["check", "--api-url", f"http://127.0.0.1:{sim.port}",
                                            "--destination", destination],
                                           env={"SEGMENT_API_TOKEN": TOKEN})
                    self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
                    self.assertRegex(result.stdout, r"(?m)^dest: .*: error: ")
            with h.TempDir() as d:
                result = h.run_segsync(["check", "--api-url", f"http://127.0.0.1:{sim.port}",
                                        "--destination", "sqlite:" + os.path.join(d, "x.db")],
                                       env={"SEGMENT_API_TOKEN": TOKEN})
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertRegex(result.stdout, r"(?m)^dest: +SQLite file .*x\.db: ok$")
                self.assertEqual(os.listdir(d), [])

    def test_check_reports_a_role_without_the_right_to_create_tables(self):
        with pg_server.PgServer() as pg, h.start_simulator(TOKEN) as sim:
            pg.psql("CREATE ROLE reader LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC")
            base = ["--api-url", f"http://127.0.0.1:{sim.port}", "--streams", "users"]
            env = {"SEGMENT_API_TOKEN": TOKEN}
            result = h.run_segsync(["check", "--destination", pg.uri(user="reader")] + base,
                                   env=env)
            self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
            self.assertIn("may not create", result.stdout)
            result = h.run_segsync(["check", "--destination", pg.uri()] + base, env=env)
            self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
            self.assertIn(": ok", result.stdout)
            self.assertEqual(pg.psql("SELECT count(*) FROM pg_namespace WHERE nspname = "
                                     "'segment'").strip(), "0")

    def test_not_entitled_streams_get_their_empty_table(self):
        with h.TempDir() as d, h.start_simulator(TOKEN, "--plan", "team") as sim:
            db = os.path.join(d, "segment.db")
            result = h.sync(sim, db, "--streams", "users,audit_events")
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertIn("audit_events", h.tables(db))
            self.assertEqual(h.rows(db, "audit_events"), [])
            con = sqlite3.connect(db)
            columns = {r[1] for r in con.execute("PRAGMA table_info(audit_events)")}
            con.close()
            self.assertTrue({"id", "timestamp", "type", "_extracted_at"} <= columns, columns)


class StartDateAndFullRefresh(unittest.TestCase):
    def test_an_earlier_start_date_says_the_bookmark_wins_and_full_refresh_rereads(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            db = os.path.join(d, "segment.db")
            recent = (datetime.datetime.now(datetime.timezone.utc).date() -
                      datetime.timedelta(days=30)).isoformat()
            first = h.sync(sim, db, "--streams", "audit_events", "--start-date", recent)
            self.assertEqual(first.returncode, 0, first.stderr)
            count_recent = len(h.rows(db, "audit_events"))
            again = h.sync(sim, db, "--streams", "audit_events", "--start-date", "2024-01-01")
            self.assertEqual(again.returncode, 0, again.stderr)
            notes = [line for line in again.stderr.splitlines() if "bookmark wins" in line]
            self.assertEqual(len(notes), 1, again.stderr)
            self.assertIn("audit_events", notes[0])
            self.assertIn("--full-refresh", notes[0])
            self.assertEqual(len(h.rows(db, "audit_events")), count_recent)
            full = h.sync(sim, db, "--streams", "audit_events", "--start-date", "2024-01-01",
                          "--full-refresh", "audit_events")
            self.assertEqual(full.returncode, 0, full.stderr)
            self.assertNotIn("bookmark wins", full.stderr)
            self.assertGreater(len(h.rows(db, "audit_events")), count_recent)

    def test_full_refresh_of_a_stream_not_selected_is_refused(self):
        result = h.run_segsync(["sync", "--streams", "users", "--full-refresh", "usres"],
                               env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("did you mean 'users'?", result.stderr)


class ErrorsSayWhatWasMeant(unittest.TestCase):
    def run_sync(self, *args, cwd=None):
        return h.run_segsync(["sync"] + list(args), env={"SEGMENT_API_TOKEN": TOKEN}, cwd=cwd)

    def assert_one_line(self, result, code, *needles):
        self.assertEqual(result.returncode, code, result.stderr)
        for needle in needles:
            self.assertIn(needle, result.stderr)

    def test_mistyped_command_flag_and_stream(self):
        self.assert_one_line(h.run_segsync(["sycn"]), 2, "'sycn'", "did you mean 'sync'?")
        self.assert_one_line(self.run_sync("--strat-date", "2024-01-01"), 2, "'--strat-date'",
                             "did you mean '--start-date'?")
        self.assert_one_line(self.run_sync("--streams", "usres"), 2, "'usres'",
                             "did you mean 'users'?")
        self.assert_one_line(h.run_segsync(["airbyte", "read", "--confg", "x"]), 2,
                             "segsync airbyte read", "did you mean '--config'?")

    def test_an_unknown_config_key_is_an_error_naming_the_nearest(self):
        with h.TempDir() as d:
            path = os.path.join(d, "segsync.json")
            with open(path, "w", encoding="utf-8") as f:
                json.dump({"start-date": "2024-01-01"}, f)
            self.assert_one_line(self.run_sync("--config", path), 2, "unknown key 'start-date'",
                                 "did you mean 'start_date'?")

    def test_region_is_case_insensitive(self):
        with h.TempDir() as d:
            # Nothing listens on port 9: the region was accepted if the API was tried.
            result = self.run_sync("--region", "EU", "--api-url", "http://127.0.0.1:9",
                                   "--max-retries", "0", "--destination",
                                   "sqlite:" + os.path.join(d, "x.db"))
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("could not reach the API", result.stderr)
        check = h.run_segsync(["check", "--region", "Eu", "--api-url", "http://127.0.0.1:9",
                               "--max-retries", "0"], env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertIn("region: eu", check.stdout)

    def test_an_impossible_date_says_it_does_not_exist(self):
        self.assert_one_line(self.run_sync("--start-date", "2025-02-30"), 2, "2025-02-30",
                             "does not exist", "February 2025 has 28 days")
        self.assert_one_line(self.run_sync("--start-date", "02/30/2024"), 2,
                             "February 2024 has 29 days")

    def test_a_window_too_long_says_the_limit_in_the_users_unit(self):
        self.assert_one_line(self.run_sync("--delivery-metrics-window", "30d"), 2, "'30d'",
                             "at most 7d")
        self.assert_one_line(self.run_sync("--delivery-metrics-window", "200h"), 2, "'200h'",
                             "at most 168h")
        self.assert_one_line(self.run_sync("--delivery-metrics-window", "192h"), 2,
                             "--delivery-metrics-granularity DAY")

    def test_simulate_help_shows_the_token_and_defaults(self):
        result = h.run_segsync(["simulate", "--help"])
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("sim-token", result.stdout)
        self.assertRegex(result.stdout, r"--seed\s+UINT=1")


class ProtocolModes(unittest.TestCase):
    def test_about_text_is_plain_text_and_markdown_is_markdown(self):
        text = h.run_segsync(["singer", "--about", "--format", "text"])
        self.assertEqual(text.returncode, 0, text.stderr)
        self.assertNotIn("`", text.stdout)
        self.assertNotRegex(text.stdout, r"(?m)^#")
        self.assertNotRegex(text.stdout, r"(?m)^- ")
        for setting in ("api_token", "region", "start_date", "max_concurrency", "streams"):
            self.assertRegex(text.stdout, rf"(?m)^  {setting}( \(required\))?: ")
        self.assertEqual(h.run_segsync(["singer", "--about"]).stdout, text.stdout)
        markdown = h.run_segsync(["singer", "--about", "--format", "markdown"])
        self.assertTrue(markdown.stdout.startswith("# tap-segsync\n"), markdown.stdout)
        self.assertIn("- `start_date`: ", markdown.stdout)

    def test_airbyte_spec_has_a_documentation_url_and_a_start_date_pattern(self):
        result = h.run_segsync(["airbyte", "spec"])
        self.assertEqual(result.returncode, 0, result.stderr)
        spec = json.loads(result.stdout)["spec"]
        self.assertRegex(spec.get("documentationUrl") or "", r"^(https://|file:///)\S+$")
        start = spec["connectionSpecification"]["properties"]["start_date"]
        pattern = re.compile(start["pattern"])
        for good in ("2024-01-31", "01/31/2024", "2024-01-31T00:00:00Z",
                     "2024-01-31T10:00:00.5+02:00"):
            self.assertTrue(pattern.search(good), good)
        for bad in ("2024/01/31", "31.01.2024", "yesterday", "2024-1-31"):
            self.assertFalse(pattern.search(bad), bad)

    def test_meltano_docs_list_every_setting(self):
        with open(os.path.join(h.su.REPO, "docs", "meltano.md"), encoding="utf-8") as f:
            text = f.read()
        block = text[text.index("    settings:\n"):text.index("    settings_group_validation:")]
        documented = set(re.findall(r"(?m)^    - name: (\w+)$", block))
        about = json.loads(h.run_segsync(["singer", "--about", "--format", "json"]).stdout)
        self.assertEqual(documented, set(about["settings"]["properties"]))


if __name__ == "__main__":
    unittest.main()
