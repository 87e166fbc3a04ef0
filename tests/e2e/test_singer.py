# SPDX-License-Identifier: Apache-2.0
"""`segsync singer` and `tap-segsync` against the simulator: every stdout line a valid Singer
message, records valid against the discovered schemas, state only after the records it covers,
table versions for full-table streams, catalog selection, and Meltano's SIGTERM check."""

import copy
import datetime
import json
import os
import re
import signal
import subprocess
import tempfile
import time
import unittest

import harness as h
import protocol_util as pu

TOKEN = "e2e-singer-token-3f9a1c"
START = datetime.date.today().replace(day=1) - datetime.timedelta(days=40)
INCREMENTAL = {s.name for s in h.su.STREAMS} - h.FULL_TABLE


def singer(*args, binary=None):
    """`segsync singer ARGS`, or `binary ARGS` when run under another name."""
    return pu.run(list(args), binary=binary) if binary else pu.run(["singer"] + list(args))


def select(catalog, streams, deselected_fields=None):
    """The discovered catalog with exactly `streams` selected, as Meltano writes it."""
    deselected_fields = deselected_fields or {}
    out = copy.deepcopy(catalog)
    for entry in out["streams"]:
        name = entry["tap_stream_id"]
        for md in entry["metadata"]:
            crumb = md["breadcrumb"]
            if not crumb:
                md["metadata"]["selected"] = name in streams
            elif crumb[1] in deselected_fields.get(name, ()):
                md["metadata"]["selected"] = False
    return out


def messages_of(stdout):
    return [json.loads(line) for line in stdout.splitlines()]


def by_type(messages, kind, stream=None):
    return [(i, m) for i, m in enumerate(messages)
            if m["type"] == kind and (stream is None or m.get("stream") == stream)]


def last_state(messages):
    states = by_type(messages, "STATE")
    return states[-1][1]["value"] if states else None


class SingerFullSync(unittest.TestCase):
    """One sync of every stream without a catalog, then checks on what it printed."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.sim = h.start_simulator(TOKEN, "--seed", "7")
        cls.config = pu.write_config(cls.dir, cls.sim, START)
        discovered = singer("--config", cls.config, "--discover")
        assert discovered.returncode == 0, discovered.stderr
        cls.catalog = json.loads(discovered.stdout)
        cls.schemas = {e["tap_stream_id"]: e["schema"] for e in cls.catalog["streams"]}
        cls.result = singer("--config", cls.config)
        cls.messages = messages_of(cls.result.stdout)
        cls.truth = h.dump(cls.sim)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.__exit__(None, None, None)

    def records(self, stream):
        return [m["record"] for _, m in by_type(self.messages, "RECORD", stream)]

    def test_sync_exits_zero_and_every_stdout_line_is_a_valid_singer_message(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        validator = pu.schema_validator("singer_message.strict.schema.json")
        messages = pu.protocol_lines(self, self.result.stdout, validator)
        self.assertEqual({m["type"] for m in messages},
                         {"SCHEMA", "RECORD", "STATE", "ACTIVATE_VERSION"})

    def test_every_stream_is_announced_once_with_its_discovered_schema_before_its_records(self):
        for stream in h.su.STREAMS:
            with self.subTest(stream=stream.name):
                schemas = by_type(self.messages, "SCHEMA", stream.name)
                records = by_type(self.messages, "RECORD", stream.name)
                self.assertEqual(len(schemas), 1)
                self.assertTrue(records, "every stream of the simulator has records")
                index, schema = schemas[0]
                self.assertLess(index, records[0][0])
                self.assertEqual(schema["schema"], self.schemas[stream.name])
                self.assertEqual(schema["key_properties"], stream.key)
                if stream.name in INCREMENTAL:
                    self.assertEqual(schema["bookmark_properties"], ["timestamp"])

    def test_every_record_matches_its_stream_schema_with_strict_integers(self):
        for name, schema in self.schemas.items():
            validator = pu.record_validator(schema)
            for record in self.records(name):
                found = pu.problems(validator, record)
                self.assertEqual(found, "", f"{name}: {found}\n{json.dumps(record)[:500]}")

    def test_integers_are_never_written_with_a_fraction(self):
        counters = re.compile(
            r'"(apiCalls|anonymous|identified|memberCount|periodStart|periodEnd)":-?\d+\.\d')
        lines = self.result.stdout.splitlines()
        self.assertEqual([l[:200] for l in lines if counters.search(l)], [])
        self.assertTrue(any(re.search(r'"apiCalls":\d+[,}]', l) for l in lines))

    def test_timestamps_and_time_extracted_are_rfc3339_utc(self):
        for name, schema in self.schemas.items():
            date_times = [p for p, s in schema["properties"].items()
                          if s.get("format") == "date-time"]
            for _, message in by_type(self.messages, "RECORD", name):
                self.assertTrue(pu.is_utc_rfc3339(message["time_extracted"]), message)
                for field in date_times:
                    value = message["record"].get(field)
                    if value is not None:
                        self.assertTrue(pu.is_utc_rfc3339(value), f"{name}.{field} = {value}")

    def test_full_table_records_carry_the_version_activated_around_them(self):
        for name in sorted(h.TRACKS_DELETIONS):
            with self.subTest(stream=name):
                activations = by_type(self.messages, "ACTIVATE_VERSION", name)
                records = by_type(self.messages, "RECORD", name)
                # First read of the table: activated before the records and again after them.
                self.assertEqual(len(activations), 2)
                versions = {m["version"] for _, m in activations}
                self.assertEqual(len(versions), 1)
                self.assertEqual({m.get("version") for _, m in records}, versions)
                self.assertLess(activations[0][0], records[0][0])
                self.assertGreater(activations[1][0], records[-1][0])
        # A log is not versioned: a new version would retire the rows the API no longer lists.
        for name in sorted(INCREMENTAL | h.LOGS):
            self.assertEqual(by_type(self.messages, "ACTIVATE_VERSION", name), [])
            self.assertTrue(all("version" not in m for _, m in by_type(self.messages, "RECORD",
                                                                           name)))

    def test_state_comes_only_after_the_records_it_covers(self):
        states = by_type(self.messages, "STATE")
        for stream in h.su.STREAMS:
            with self.subTest(stream=stream.name):
                records = by_type(self.messages, "RECORD", stream.name)
                if stream.log:  # neither a version nor a cursor to keep
                    self.assertTrue(records)
                    self.assertNotIn(stream.name, states[-1][1]["value"]["bookmarks"])
                    continue
                first = next(i for i, m in states if stream.name in m["value"]["bookmarks"])
                self.assertGreater(first, records[-1][0])
                bookmark = states[-1][1]["value"]["bookmarks"][stream.name]
                if stream.name in INCREMENTAL:
                    newest = max(pu.parse_time(m["record"]["timestamp"]) for _, m in records)
                    self.assertEqual(pu.parse_time(bookmark["bookmark"]), newest)
                else:
                    self.assertEqual(set(bookmark), {"version"})

    def test_records_are_exactly_the_simulator_data(self):
        months = h.months_since(START)
        for stream in h.su.STREAMS:
            with self.subTest(stream=stream.name):
                expected = {h.key_of(r, stream.key)
                            for r in h.expected_records(self.truth, stream.name, months,
                                                        days_from=START)
                            if stream.name != "audit_events" or pu.parse_time(r["timestamp"])
                            > pu.parse_time(START.isoformat() + "T00:00:00Z")}
                got = {h.key_of(r, stream.key) for r in self.records(stream.name)}
                self.assertEqual(got, expected)

    def test_primary_keys_are_unique_and_non_null(self):
        for stream in h.su.STREAMS:
            with self.subTest(stream=stream.name):
                pu.check_primary_keys(self, stream.name, self.records(stream.name), stream.key)

    def test_stdout_is_ascii_with_unicode_escaped(self):
        self.assertTrue(self.result.stdout.isascii())
        names = [r.get("name") or "" for r in self.records("sources")]
        self.assertTrue(any(any(ord(c) > 0xFFFF for c in n) for n in names),
                        "the simulator serves emoji in some source name")

    def test_logs_go_to_stderr_and_the_token_appears_nowhere(self):
        self.assertIn("audit_events: ok", self.result.stderr)
        self.assertNotIn(TOKEN, self.result.stdout)
        self.assertNotIn(TOKEN, self.result.stderr)


class SingerDiscoveryAndAbout(unittest.TestCase):
    def test_discover_prints_one_catalog_valid_against_the_strict_schema(self):
        result = singer("--discover")  # no config and no token needed
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stdout.count("\n"), 1)
        catalog = json.loads(result.stdout)
        validator = pu.schema_validator("singer_catalog.strict.schema.json")
        self.assertEqual(pu.problems(validator, catalog), "")
        entries = {e["tap_stream_id"]: e for e in catalog["streams"]}
        self.assertEqual(set(entries), {s.name for s in h.su.STREAMS})
        for stream in h.su.STREAMS:
            with self.subTest(stream=stream.name):
                entry = entries[stream.name]
                pu.record_validator(entry["schema"])  # a valid draft-07 schema
                md = {tuple(m["breadcrumb"]): m["metadata"] for m in entry["metadata"]}
                top = md[()]
                self.assertEqual(top["table-key-properties"], stream.key)
                self.assertFalse(top["selected-by-default"])
                incremental = stream.name in INCREMENTAL
                self.assertEqual(top["forced-replication-method"],
                                 "INCREMENTAL" if incremental else "FULL_TABLE")
                self.assertEqual(top["valid-replication-keys"],
                                 ["timestamp"] if incremental else [])
                automatic = set(stream.key) | ({"timestamp"} if incremental else set())
                for prop in entry["schema"]["properties"]:
                    self.assertEqual(md[("properties", prop)]["inclusion"],
                                     "automatic" if prop in automatic else "available", prop)

    def test_about_json_lists_capabilities_and_the_settings_schema(self):
        result = singer("--about", "--format=json")
        self.assertEqual(result.returncode, 0, result.stderr)
        about = json.loads(result.stdout)
        self.assertEqual(about["name"], "tap-segsync")
        self.assertTrue({"catalog", "discover", "state", "about", "activate-version"}
                        <= set(about["capabilities"]))
        settings = pu.record_validator(about["settings"])
        sample = {"api_token": "x", "region": "eu", "start_date": "2024-01-01",
                  "streams": ["users"], "delivery_metrics_window": "24h"}
        self.assertEqual(pu.problems(settings, sample), "")
        self.assertNotEqual(pu.problems(settings, {"region": "eu"}), "")  # token required
        self.assertTrue(about["settings"]["properties"]["api_token"]["secret"])

    def test_about_text_names_every_setting(self):
        # Plain text by default, Markdown on request (tests/e2e/test_ux.py): each names them all.
        for args, form in ((["--about"], "  {}"), (["--about", "--format", "markdown"], "`{}`")):
            result = singer(*args)
            self.assertEqual(result.returncode, 0, result.stderr)
            for setting in ("api_token", "region", "start_date", "api_url", "streams"):
                self.assertIn(form.format(setting), result.stdout)

    def test_the_binary_named_tap_segsync_speaks_the_singer_command_line(self):
        with tempfile.TemporaryDirectory() as d:
            link = pu.tap_link(d)
            tap = singer("--discover", binary=link)
            self.assertEqual(tap.returncode, 0, tap.stderr)
            self.assertEqual(tap.stdout, singer("--discover").stdout)
            about = singer("--about", "--format", "json", binary=link)
            self.assertEqual(json.loads(about.stdout)["name"], "tap-segsync")
            self.assertNotEqual(singer("--no-such-flag", binary=link).returncode, 0)


class SingerStateAndSelection(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.sim = h.start_simulator(TOKEN, "--seed", "8")
        cls.config = pu.write_config(cls.dir, cls.sim, START)
        cls.catalog = json.loads(singer("--discover").stdout)
        cls.validator = pu.schema_validator("singer_message.strict.schema.json")

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.__exit__(None, None, None)

    def sync(self, catalog, state=None, flag="--catalog"):
        name = f"catalog-{time.monotonic_ns()}.json"
        args = ["--config", self.config, flag, pu.write_json(os.path.join(self.dir, name), catalog)]
        if state is not None:
            args += ["--state", pu.write_json(os.path.join(self.dir, "state-" + name), state)]
        result = singer(*args)
        self.assertEqual(result.returncode, 0, result.stderr)
        return pu.protocol_lines(self, result.stdout, self.validator)

    def test_state_of_run_one_makes_run_two_read_only_new_audit_events(self):
        catalog = select(self.catalog, {"audit_events", "usage_api_calls_workspace_daily", "users"})
        first = self.sync(catalog)
        state = last_state(first)
        first_ids = {m["record"]["id"] for _, m in by_type(first, "RECORD", "audit_events")}
        self.assertTrue(first_ids)
        self.assertEqual(len(first_ids), len(by_type(first, "RECORD", "audit_events")))

        # New events land on a later second than the bookmark, as in real life.
        time.sleep(1.1)
        before = {e["id"] for e in h.dump(self.sim)["audit_events"]}
        h.admin(self.sim, "/__sim/audit?add=4")
        new_ids = {e["id"] for e in h.dump(self.sim)["audit_events"]} - before
        self.assertEqual(len(new_ids), 4)

        second = self.sync(catalog, state)
        second_audit = [m["record"] for _, m in by_type(second, "RECORD", "audit_events")]
        # The API's startTime is exclusive and segsync starts 1 ms before the bookmark, so run two
        # reads the new events plus the events stamped at the bookmark's instant, nothing older.
        bookmark = state["bookmarks"]["audit_events"]["bookmark"]
        at_bookmark = {m["record"]["id"] for _, m in by_type(first, "RECORD", "audit_events")
                       if pu.parse_time(m["record"]["timestamp"]) == pu.parse_time(bookmark)}
        self.assertTrue(at_bookmark)
        self.assertEqual({r["id"] for r in second_audit}, new_ids | at_bookmark)
        self.assertEqual(len(second_audit), len(new_ids | at_bookmark))
        self.assertGreater(pu.parse_time(last_state(second)["bookmarks"]["audit_events"]
                                         ["bookmark"]), pu.parse_time(bookmark))

        # Usage resumes at the month of its bookmark (that month is re-read by design).
        usage_mark = state["bookmarks"]["usage_api_calls_workspace_daily"]["bookmark"]
        usage = [m["record"] for _, m in by_type(second, "RECORD",
                                                 "usage_api_calls_workspace_daily")]
        self.assertTrue(usage)
        self.assertTrue(all(pu.parse_time(r["timestamp"]) >= pu.start_of_month(usage_mark)
                            for r in usage))

        # The table version of `users` is known now: activated only after the new snapshot.
        kinds = [m["type"] for m in second if m.get("stream") == "users"]
        self.assertEqual(kinds[0], "SCHEMA")
        self.assertEqual(kinds[-1], "ACTIVATE_VERSION")
        self.assertEqual(kinds.count("ACTIVATE_VERSION"), 1)
        self.assertGreater(by_type(second, "ACTIVATE_VERSION", "users")[0][1]["version"],
                           state["bookmarks"]["users"]["version"])

    def test_a_discovered_catalog_fed_back_selects_exactly_what_it_says(self):
        chosen = {"users", "source_connected_warehouses"}
        for flag in ("--catalog", "--properties"):
            with self.subTest(flag=flag):
                messages = self.sync(select(self.catalog, chosen, {"users": {"email"}}), flag=flag)
                for kind in ("SCHEMA", "RECORD", "ACTIVATE_VERSION"):
                    self.assertEqual({m["stream"] for _, m in by_type(messages, kind)}, chosen)
                self.assertEqual(set(last_state(messages)["bookmarks"]), chosen)
                users_schema = by_type(messages, "SCHEMA", "users")[0][1]["schema"]
                self.assertNotIn("email", users_schema["properties"])
                self.assertNotIn("email", users_schema.get("required", []))
                users = [m["record"] for _, m in by_type(messages, "RECORD", "users")]
                self.assertTrue(users)
                self.assertTrue(all("email" not in u and "id" in u for u in users))

    def test_a_catalog_selecting_nothing_syncs_nothing(self):
        self.assertEqual(self.sync(self.catalog), [])

    def test_a_rejected_token_exits_3_and_prints_nothing(self):
        bad = pu.write_config(tempfile.mkdtemp(dir=self.dir), self.sim, START, token="wrong")
        result = singer("--config", bad)
        self.assertEqual(result.returncode, 3, result.stderr)
        self.assertEqual(result.stdout, "")
        self.assertIn("rejected", result.stderr)

    def test_a_bad_state_file_is_a_configuration_error(self):
        path = os.path.join(self.dir, "broken-state.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write("{not json")
        result = singer("--config", self.config, "--state", path)
        self.assertEqual(result.returncode, 2)
        self.assertEqual(result.stdout, "")


class MeltanoConfigTest(unittest.TestCase):
    def test_tap_segsync_is_killed_by_sigterm_after_its_first_record(self):
        with h.TempDir() as d, h.start_simulator(TOKEN, "--seed", "9") as sim:
            config = pu.write_config(d, sim, START)
            proc = subprocess.Popen([pu.tap_link(d), "--config", config], stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                                    text=True)
            try:
                seen = None
                for line in proc.stdout:
                    if json.loads(line)["type"] == "RECORD":
                        seen = line
                        break
                self.assertIsNotNone(seen, "No RECORD message received")
                proc.send_signal(signal.SIGTERM)
                self.assertEqual(proc.wait(timeout=30), -signal.SIGTERM)
            finally:
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
                proc.stdout.close()


if __name__ == "__main__":
    unittest.main()
