# SPDX-License-Identifier: Apache-2.0
"""`segsync airbyte spec|check|discover|read` against the simulator, with the checks of
Airbyte's connector acceptance tests re-created offline: every stdout line a valid
AirbyteMessage (strict profile), records valid against the discovered schemas with strict
integers, stream statuses in order, one counted STREAM state per stream, incremental state
round trips, and failures typed as config_error or transient_error."""

import datetime
import json
import os
import tempfile
import time
import unittest

import harness as h
import protocol_util as pu

TOKEN = "e2e-airbyte-token-8d27e4"
START = datetime.date.today().replace(day=1) - datetime.timedelta(days=40)
INCREMENTAL = {s.name for s in h.su.STREAMS} - h.FULL_TABLE


def airbyte(*args):
    return pu.run(["airbyte"] + list(args))


def configured(catalog, names, full_refresh=()):
    """A configured catalog of `names`: incremental where the stream allows it."""
    streams = []
    for stream in catalog["streams"]:
        if stream["name"] not in names:
            continue
        incremental = ("incremental" in stream["supported_sync_modes"]
                       and stream["name"] not in full_refresh)
        entry = {"stream": stream, "sync_mode": "incremental" if incremental else "full_refresh",
                 "destination_sync_mode": "append" if incremental else "overwrite"}
        if incremental:
            entry["cursor_field"] = stream["default_cursor_field"]
        streams.append(entry)
    return {"streams": streams}


def of_type(messages, kind):
    return [m for m in messages if m["type"] == kind]


def records(messages, stream):
    return [m["record"]["data"] for m in of_type(messages, "RECORD")
            if m["record"]["stream"] == stream]


def statuses(messages, stream):
    return [m["trace"]["stream_status"]["status"] for m in of_type(messages, "TRACE")
            if m["trace"]["type"] == "STREAM_STATUS"
            and m["trace"]["stream_status"]["stream_descriptor"]["name"] == stream]


def errors(messages):
    return [m["trace"]["error"] for m in of_type(messages, "TRACE") if m["trace"]["type"] == "ERROR"]


def states(messages, stream):
    return [m["state"] for m in of_type(messages, "STATE")
            if m["state"]["stream"]["stream_descriptor"]["name"] == stream]


class AirbyteTestCase(unittest.TestCase):
    validator = pu.schema_validator("airbyte_message.strict.schema.json")

    def read(self, config, catalog, state=None, expect_code=0, directory=None):
        """`airbyte read`; every stdout line checked against the strict message schema."""
        directory = directory or self.dir
        tag = str(time.monotonic_ns())
        catalog_path = pu.write_json(os.path.join(directory, f"configured-{tag}.json"), catalog)
        found = pu.problems(pu.schema_validator("airbyte_configured_catalog.schema.json"), catalog)
        self.assertEqual(found, "", "the test's configured catalog must itself be valid")
        args = ["read", "--config", config, "--catalog", catalog_path]
        if state is not None:
            found = pu.problems(pu.schema_validator("airbyte_state_input.schema.json"), state)
            self.assertEqual(found, "", "the state file must be a valid --state input")
            args += ["--state", pu.write_json(os.path.join(directory, f"state-{tag}.json"),
                                              state)]
        result = airbyte(*args)
        if expect_code is not None:
            self.assertEqual(result.returncode, expect_code, result.stderr[-3000:])
        return pu.protocol_lines(self, result.stdout, self.validator), result


class AirbyteSpecCheckDiscover(AirbyteTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.sim = h.start_simulator(TOKEN, "--seed", "21")
        cls.config = pu.write_config(cls.dir, cls.sim, START)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.__exit__(None, None, None)

    def test_spec_is_one_spec_message_marking_the_token_secret(self):
        result = airbyte("spec")
        self.assertEqual(result.returncode, 0, result.stderr)
        messages = pu.protocol_lines(self, result.stdout, self.validator)
        self.assertEqual([m["type"] for m in messages], ["SPEC"])
        spec = messages[0]["spec"]["connectionSpecification"]
        self.assertTrue(spec["properties"]["api_token"]["airbyte_secret"])
        self.assertEqual(spec["required"], ["api_token"])
        secret_like = {"token", "api_token", "access_token", "password", "secret", "key"}
        for name, prop in spec["properties"].items():
            self.assertEqual(prop.get("airbyte_secret", False), name in secret_like, name)
        with open(self.config, encoding="utf-8") as f:
            config = json.load(f)
        self.assertEqual(pu.problems(pu.record_validator(spec), config), "")

    def test_check_with_a_good_token_succeeds(self):
        result = airbyte("check", "--config", self.config)
        self.assertEqual(result.returncode, 0, result.stderr)
        messages = pu.protocol_lines(self, result.stdout, self.validator)
        self.assertEqual(messages, [{"type": "CONNECTION_STATUS",
                                     "connectionStatus": {"status": "SUCCEEDED"}}])

    def test_check_with_a_rejected_token_fails_cleanly(self):
        bad = pu.write_config(tempfile.mkdtemp(dir=self.dir), self.sim, START,
                              token="not-the-token")
        result = airbyte("check", "--config", bad)
        self.assertEqual(result.returncode, 0, result.stderr)
        messages = pu.protocol_lines(self, result.stdout, self.validator)
        self.assertEqual(len(messages), 1)
        status = messages[0]["connectionStatus"]
        self.assertEqual(status["status"], "FAILED")
        self.assertIn("401", status["message"])
        self.assertNotIn("not-the-token", result.stdout + result.stderr)

    def test_check_of_an_unreachable_api_is_a_transient_error(self):
        with h.TempDir() as d:
            config = pu.write_json(os.path.join(d, "config.json"),
                                   {"api_token": TOKEN, "api_url": pu.closed_port_url(),
                                    "max_retries": 1})
            result = airbyte("check", "--config", config)
        self.assertEqual(result.returncode, 1, result.stderr)
        messages = pu.protocol_lines(self, result.stdout, self.validator)
        self.assertEqual([m["type"] for m in messages], ["TRACE"])
        self.assertEqual(messages[0]["trace"]["error"]["failure_type"], "transient_error")

    def test_discover_prints_one_catalog_that_passes_the_discovery_checks(self):
        result = airbyte("discover", "--config", self.config)
        self.assertEqual(result.returncode, 0, result.stderr)
        messages = pu.protocol_lines(self, result.stdout, self.validator)
        self.assertEqual([m["type"] for m in messages], ["CATALOG"])
        streams = messages[0]["catalog"]["streams"]
        self.assertEqual(len(streams), len({s["name"] for s in streams}))  # names unique
        self.assertEqual({s["name"] for s in streams}, {s.name for s in h.su.STREAMS})
        for stream in streams:
            with self.subTest(stream=stream["name"]):
                expected = h.su.STREAMS_BY_NAME[stream["name"]]
                schema = stream["json_schema"]
                pu.record_validator(schema)
                text = json.dumps(schema)
                for forbidden in ('"$ref"', '"allOf"', '"not"'):
                    self.assertNotIn(forbidden, text)
                self.assertNotIn('"additionalProperties": false', text)
                self.assertEqual(stream["source_defined_primary_key"],
                                 [[k] for k in expected.key])
                for (key,) in stream["source_defined_primary_key"]:
                    self.assertIn(key, schema["properties"])
                    self.assertNotIn(schema["properties"][key].get("type"), ("object", "array"))
                if stream["name"] in INCREMENTAL:
                    self.assertEqual(stream["supported_sync_modes"], ["full_refresh",
                                                                      "incremental"])
                    self.assertTrue(stream["source_defined_cursor"])
                    self.assertEqual(stream["default_cursor_field"], ["timestamp"])
                    self.assertIn("timestamp", schema["properties"])
                else:
                    self.assertEqual(stream["supported_sync_modes"], ["full_refresh"])
                    self.assertFalse(stream["source_defined_cursor"])


class AirbyteFullRead(AirbyteTestCase):
    """One read of every stream (incremental where possible), then CAT's basic_read checks."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.sim = h.start_simulator(TOKEN, "--seed", "22")
        cls.config = pu.write_config(cls.dir, cls.sim, START)
        discovered = airbyte("discover", "--config", cls.config)
        cls.catalog = json.loads(discovered.stdout)["catalog"]
        cls.schemas = {s["name"]: s["json_schema"] for s in cls.catalog["streams"]}
        cls.before_ms = int(time.time() * 1000)
        catalog_path = pu.write_json(os.path.join(cls.dir, "configured.json"),
                                     configured(cls.catalog, cls.schemas))
        cls.result = airbyte("read", "--config", cls.config, "--catalog", catalog_path)
        cls.after_ms = int(time.time() * 1000)
        cls.messages = [json.loads(line) for line in cls.result.stdout.splitlines()]
        cls.truth = h.dump(cls.sim)

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.__exit__(None, None, None)

    def test_read_exits_zero_and_every_line_is_a_valid_airbyte_message(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)
        messages = pu.protocol_lines(self, self.result.stdout, self.validator)
        self.assertEqual({m["type"] for m in messages}, {"RECORD", "STATE", "TRACE"})
        self.assertEqual(errors(messages), [])

    def test_records_match_their_schema_with_strict_integers(self):
        # Fields the schema does not know are kept (src/streams/schemas/README.md), so CAT's
        # fail_on_extra_columns does not apply; the schemas allow them (additionalProperties).
        for name, schema in self.schemas.items():
            validator = pu.record_validator(schema)
            rows = records(self.messages, name)
            self.assertTrue(rows, f"{name} has records in the simulator")
            for data in rows:
                found = pu.problems(validator, data)
                self.assertEqual(found, "", f"{name}: {found}\n{json.dumps(data)[:500]}")

    def test_emitted_at_is_the_emission_time_in_milliseconds(self):
        for message in of_type(self.messages, "RECORD"):
            emitted = message["record"]["emitted_at"]
            self.assertIsInstance(emitted, int)
            self.assertTrue(self.before_ms <= emitted <= self.after_ms, emitted)

    def test_each_stream_reports_started_running_complete_around_its_records(self):
        for name in self.schemas:
            with self.subTest(stream=name):
                self.assertEqual(statuses(self.messages, name), ["STARTED", "RUNNING", "COMPLETE"])
                positions = [i for i, m in enumerate(self.messages)
                             if m["type"] == "RECORD" and m["record"]["stream"] == name
                             or m["type"] == "TRACE" and m["trace"]["type"] == "STREAM_STATUS"
                             and m["trace"]["stream_status"]["stream_descriptor"]["name"] == name]
                kinds = [self.messages[i]["type"] for i in positions]
                self.assertEqual(kinds[:2], ["TRACE", "TRACE"])  # STARTED, RUNNING
                self.assertEqual(kinds[-1], "TRACE")              # COMPLETE
                self.assertEqual(set(kinds[2:-1]), {"RECORD"})

    def test_each_stream_ends_with_one_state_counting_its_records(self):
        for name in self.schemas:
            with self.subTest(stream=name):
                found = states(self.messages, name)
                self.assertEqual(len(found), 1)
                state = found[0]
                self.assertEqual(state["type"], "STREAM")
                self.assertEqual(state["sourceStats"]["recordCount"],
                                 len(records(self.messages, name)))
                if name in INCREMENTAL:
                    newest = max(pu.parse_time(r["timestamp"]) for r in records(self.messages,
                                                                                 name))
                    self.assertEqual(pu.parse_time(state["stream"]["stream_state"]["bookmark"]),
                                     newest)
                else:
                    self.assertEqual(state["stream"]["stream_state"],
                                     {"__ab_no_cursor_state_message": True})
                index = next(i for i, m in enumerate(self.messages) if m.get("state") is state)
                last_record = max(i for i, m in enumerate(self.messages) if m["type"] == "RECORD"
                                  and m["record"]["stream"] == name)
                self.assertGreater(index, last_record)

    def test_primary_keys_are_unique_and_non_null(self):
        for stream in h.su.STREAMS:
            with self.subTest(stream=stream.name):
                pu.check_primary_keys(self, stream.name, records(self.messages, stream.name),
                                      stream.key)

    def test_records_are_exactly_the_simulator_data(self):
        months = h.months_since(START)
        start = pu.parse_time(START.isoformat() + "T00:00:00Z")
        for stream in h.su.STREAMS:
            with self.subTest(stream=stream.name):
                expected = {h.key_of(r, stream.key)
                            for r in h.expected_records(self.truth, stream.name, months,
                                                        days_from=START)
                            if stream.name != "audit_events"
                            or pu.parse_time(r["timestamp"]) > start}
                got = {h.key_of(r, stream.key) for r in records(self.messages, stream.name)}
                self.assertEqual(got, expected)


class AirbyteIncremental(AirbyteTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.sim = h.start_simulator(TOKEN, "--seed", "23")
        cls.config = pu.write_config(cls.dir, cls.sim, START)
        cls.catalog = json.loads(airbyte("discover", "--config", cls.config).stdout)["catalog"]

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()
        cls.tmp.__exit__(None, None, None)

    def test_states_of_read_one_make_read_two_emit_only_new_audit_events(self):
        chosen = {"audit_events", "usage_api_calls_workspace_daily", "users"}
        catalog = configured(self.catalog, chosen)
        first, _ = self.read(self.config, catalog)
        # The configured catalog selects exactly what it lists, in records and in statuses.
        self.assertEqual({m["record"]["stream"] for m in of_type(first, "RECORD")}, chosen)
        self.assertEqual({m["trace"]["stream_status"]["stream_descriptor"]["name"]
                          for m in of_type(first, "TRACE")}, chosen)
        first_ids = {r["id"] for r in records(first, "audit_events")}
        self.assertTrue(first_ids)
        state = [m["state"] for m in of_type(first, "STATE")]
        self.assertEqual(len(state), 3)

        time.sleep(1.1)  # new events land on a later second than the bookmark
        before = {e["id"] for e in h.dump(self.sim)["audit_events"]}
        h.admin(self.sim, "/__sim/audit?add=3")
        new_ids = {e["id"] for e in h.dump(self.sim)["audit_events"]} - before
        self.assertEqual(len(new_ids), 3)

        second, _ = self.read(self.config, catalog, state)
        audit = records(second, "audit_events")
        # The API's startTime is exclusive and segsync starts 1 ms before the bookmark: read two
        # emits the new events plus those stamped at the bookmark's instant, nothing older.
        mark = states(first, "audit_events")[0]["stream"]["stream_state"]["bookmark"]
        at_bookmark = {r["id"] for r in records(first, "audit_events")
                       if pu.parse_time(r["timestamp"]) == pu.parse_time(mark)}
        self.assertTrue(at_bookmark)
        self.assertEqual({r["id"] for r in audit}, new_ids | at_bookmark)
        self.assertEqual(len(audit), len(new_ids | at_bookmark))
        self.assertEqual(states(second, "audit_events")[0]["sourceStats"]["recordCount"],
                         float(len(audit)))
        # users is full refresh: the whole snapshot again, whatever the state says.
        self.assertEqual(len(records(second, "users")), len(records(first, "users")))
        usage_mark = states(first, "usage_api_calls_workspace_daily")[0]["stream"][
            "stream_state"]["bookmark"]
        self.assertTrue(all(pu.parse_time(r["timestamp"]) >= pu.start_of_month(usage_mark)
                            for r in records(second, "usage_api_calls_workspace_daily")))

        # The same state as a legacy object: nothing new since the second read, so only the
        # events at the bookmark's instant come again.
        legacy = {s["stream"]["stream_descriptor"]["name"]: s["stream"]["stream_state"]
                  for s in (m["state"] for m in of_type(second, "STATE"))}
        mark = legacy["audit_events"]["bookmark"]
        third, _ = self.read(self.config, configured(self.catalog, {"audit_events"}), legacy)
        again = records(third, "audit_events")
        self.assertTrue(again)
        self.assertTrue(all(pu.parse_time(r["timestamp"]) == pu.parse_time(mark) for r in again))
        self.assertEqual(len(states(third, "audit_events")), 1)
        self.assertEqual(statuses(third, "audit_events"), ["STARTED", "RUNNING", "COMPLETE"])

    def test_full_refresh_of_an_incremental_stream_ignores_its_state(self):
        catalog = configured(self.catalog, {"audit_events"})
        first, _ = self.read(self.config, catalog)
        state = [m["state"] for m in of_type(first, "STATE")]
        again, _ = self.read(self.config, configured(self.catalog, {"audit_events"},
                                                     full_refresh={"audit_events"}), state)
        self.assertGreaterEqual(len(records(again, "audit_events")),
                                len(records(first, "audit_events")))
        self.assertTrue({r["id"] for r in records(first, "audit_events")}
                        <= {r["id"] for r in records(again, "audit_events")})


class AirbyteFailures(AirbyteTestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = h.TempDir()
        cls.dir = cls.tmp.__enter__()
        cls.catalog = json.loads(airbyte("discover", "--config",
                                         pu.write_json(os.path.join(cls.dir, "empty.json"), {})
                                         ).stdout)["catalog"]

    @classmethod
    def tearDownClass(cls):
        cls.tmp.__exit__(None, None, None)

    def test_not_entitled_streams_complete_empty_with_a_message_while_others_complete(self):
        # A sync that read all the plan allows must not look failed (issue 19): COMPLETE.
        with h.TempDir() as d, h.start_simulator(TOKEN, "--plan", "team", "--no-protocols") as sim:
            config = pu.write_config(d, sim, START)
            messages, _ = self.read(config, configured(
                self.catalog, {"sources", "audit_events", "transformations"}), directory=d)
        self.assertEqual(statuses(messages, "sources"), ["STARTED", "RUNNING", "COMPLETE"])
        for name, feature in (("audit_events", "Audit Trail"), ("transformations", "Protocols")):
            with self.subTest(stream=name):
                self.assertEqual(statuses(messages, name), ["STARTED", "COMPLETE"])
                self.assertEqual(records(messages, name), [])
                logs = [m["log"] for m in of_type(messages, "LOG")
                        if m["log"]["message"].startswith(name)]
                self.assertEqual(len(logs), 1)
                self.assertEqual(logs[0]["level"], "WARN")
                self.assertIn(feature, logs[0]["message"])
        self.assertEqual(errors(messages), [])

    def test_a_rejected_token_is_a_config_error(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            config = pu.write_config(d, sim, START, token="rejected-token-e2e")
            messages, result = self.read(config, configured(self.catalog, {"sources", "users"}),
                                         expect_code=3, directory=d)
        self.assertEqual(of_type(messages, "RECORD"), [])
        self.assertEqual([e["failure_type"] for e in errors(messages)], ["config_error"])
        self.assertIn("401", errors(messages)[0]["message"])
        self.assertEqual(statuses(messages, "sources"), ["STARTED", "INCOMPLETE"])
        self.assertNotIn("rejected-token-e2e", result.stdout + result.stderr)

    def test_exhausted_retries_are_transient_errors_of_each_stream(self):
        config = pu.write_json(os.path.join(self.dir, "unreachable.json"),
                               {"api_token": TOKEN, "api_url": pu.closed_port_url(),
                                "max_retries": 1})
        messages, _ = self.read(config, configured(
            self.catalog, {"sources", "source_connected_destinations"}), expect_code=1)
        for name in ("sources", "source_connected_destinations"):
            with self.subTest(stream=name):
                self.assertEqual(statuses(messages, name), ["STARTED", "INCOMPLETE"])
                self.assertEqual(states(messages, name), [])
                found = [e for e in errors(messages)
                         if e.get("stream_descriptor", {}).get("name") == name]
                self.assertEqual([e["failure_type"] for e in found], ["transient_error"])

    def test_a_transient_failure_is_transient_without_retries_too(self):
        # The failure type says what failed (src/sync/outcome.cc), not how often it was retried.
        config = pu.write_json(os.path.join(self.dir, "unreachable-no-retry.json"),
                               {"api_token": TOKEN, "api_url": pu.closed_port_url(),
                                "max_retries": 0})
        messages, _ = self.read(config, configured(self.catalog, {"sources"}), expect_code=1)
        found = [e for e in errors(messages)
                 if e.get("stream_descriptor", {}).get("name") == "sources"]
        self.assertEqual([e["failure_type"] for e in found], ["transient_error"])

    def test_an_unknown_configured_stream_is_a_config_error_of_that_stream_only(self):
        with h.TempDir() as d, h.start_simulator(TOKEN) as sim:
            config = pu.write_config(d, sim, START)
            catalog = configured(self.catalog, {"users"})
            catalog["streams"].append({
                "stream": {"name": "__AIRBYTE__stream_that_does_not_exist",
                           "json_schema": {"type": "object"},
                           "supported_sync_modes": ["full_refresh"]},
                "sync_mode": "full_refresh", "destination_sync_mode": "overwrite"})
            messages, _ = self.read(config, catalog, expect_code=1, directory=d)
        found = errors(messages)
        self.assertEqual(len(found), 1)
        self.assertEqual(found[0]["failure_type"], "config_error")
        self.assertEqual(found[0]["stream_descriptor"]["name"],
                         "__AIRBYTE__stream_that_does_not_exist")
        self.assertEqual(statuses(messages, "__AIRBYTE__stream_that_does_not_exist"),
                         ["INCOMPLETE"])
        self.assertEqual(statuses(messages, "users"), ["STARTED", "RUNNING", "COMPLETE"])


if __name__ == "__main__":
    unittest.main()
