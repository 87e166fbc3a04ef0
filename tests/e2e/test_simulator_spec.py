# SPDX-License-Identifier: Apache-2.0
"""The simulator answers as Segment's official OpenAPI document says, and segsync's stream schemas
describe what it answers.

- Offline: the stream schemas (src/streams/schemas) follow their conventions, and the
  200-response examples of the official v36.2.0 document validate against both the converted
  spec and the stream schemas (except for fields the API added after v36).
- Against `segsync simulate --scale large --seed 7`: every page of every endpoint (both
  pagination spellings, several parents for child endpoints, several usage months, the audit
  trail, delivery metrics) validates against the spec's 200-response schema, and every item,
  after segsync's documented conversions, validates against its stream schema.
"""

import atexit
import collections
import copy
import datetime
import hashlib
import json
import os
import signal
import sys
import time
import unittest
import urllib.parse
import urllib.request

import spec_util as su

TOKEN = "spec-test-token"
SEED = 7
PAGE_COUNT = 1000  # the largest the API allows, what segsync asks for; `large` still pages
SMALL_COUNT = 200  # the API's default and the size most clients use
ODD_COUNT = 77  # so another spelling meets other page boundaries
ODD_USAGE_COUNT = 333
MONTHS_BACK = (0, 1, 2, 6, 11, 23, 24)  # usage months read, back from this one (24: not kept)
MAX_PAGES = 2000
PARENTS_PER_CHILD_STREAM = 6
MAX_PARENTS = 40

# Fields of the v36.2.0 examples that do not match the v73 stream schemas, because the API added
# them after v36 (src/streams/schemas/README.md). Anything else that fails is a real mismatch.
KNOWN_EXAMPLE_MISMATCHES = {
    ("catalog_sources", ("status",)),
    ("sources", ("metadata", "status")),
    ("tracking_plan_sources", ("metadata", "status")),  # the same sources, the same gap
}

TOP_LEVEL_TYPES = {"string", "integer", "number", "boolean", "object", "array"}

# The 18 streams of the original connector, which SimulatorConformsToSpecTest crawls; the newer
# endpoints have their own tests below (NewerEndpointsConformToSpecTest and after).
OLDER_STREAM_NAMES = {
    "audit_events", "catalog_destinations", "catalog_sources", "catalog_warehouses",
    "destination_delivery_metrics_summary", "destination_subscriptions", "destinations",
    "groups", "source_connected_destinations", "source_connected_warehouses", "sources",
    "transformations", "usage_api_calls_per_source_daily", "usage_api_calls_workspace_daily",
    "usage_mtu_per_source_daily", "usage_mtu_workspace_daily", "users", "warehouses",
}
OLDER_STREAMS = [s for s in su.STREAMS if s.name in OLDER_STREAM_NAMES]


def _required_missing(error):
    """(path...) of a 'required' error: the object's path plus the missing property."""
    if error.validator != "required":
        return None
    missing = error.message.split("'")[1]
    return tuple(str(p) for p in error.absolute_path) + (missing,)


def _month_starts(today, months_back):
    """First days of the given months before `today`'s month (0 = this month)."""
    out = []
    for back in months_back:
        y, m = today.year, today.month - back
        while m <= 0:
            y, m = y - 1, m + 12
        out.append(datetime.date(y, m, 1))
    return out


def _iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%S.000Z")


# ---------------------------------------------------------------------------------------------
# Offline: the schema files and the converter


class StreamSchemaFilesTest(unittest.TestCase):
    """src/streams/schemas: one valid draft-07 schema per stream, following the conventions."""

    def test_there_is_exactly_one_schema_per_stream(self):
        files = sorted(f[:-5] for f in os.listdir(su.SCHEMA_DIR) if f.endswith(".json"))
        self.assertEqual(files, sorted(s.name for s in su.STREAMS))

    def test_every_schema_is_a_valid_draft7_object_schema(self):
        for stream in su.STREAMS:
            with self.subTest(stream=stream.name):
                schema = su.record_schema(stream.name)
                su.jsonschema.Draft7Validator.check_schema(schema)
                self.assertEqual(schema["$schema"], "http://json-schema.org/draft-07/schema#")
                self.assertEqual(schema["type"], "object")
                self.assertIs(schema["additionalProperties"], True)
                self.assertTrue(schema.get("description"))
                self.assertIn(stream.path.split("{")[0].rstrip("/"), schema["description"])

    def test_top_level_types_map_to_columns(self):
        for stream in su.STREAMS:
            schema = su.record_schema(stream.name)
            for name, prop in schema["properties"].items():
                with self.subTest(stream=stream.name, field=name):
                    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
                    non_null = [t for t in types if t != "null"]
                    self.assertEqual(len(non_null), 1, types)
                    self.assertIn(non_null[0], TOP_LEVEL_TYPES)
                    if "format" in prop:
                        self.assertEqual((non_null[0], prop["format"]), ("string", "date-time"))
                    if name not in schema["required"]:
                        self.assertIn("null", types, "an optional field may be null")

    def test_primary_keys_are_required_and_not_null(self):
        for stream in su.STREAMS:
            schema = su.record_schema(stream.name)
            for key in stream.key:
                with self.subTest(stream=stream.name, key=key):
                    self.assertIn(key, schema["required"])
                    self.assertNotIn("null", json.dumps(schema["properties"][key]["type"]))

    def test_injected_fields_are_required(self):
        for stream in su.STREAMS:
            schema = su.record_schema(stream.name)
            for name in stream.injected:
                with self.subTest(stream=stream.name, field=name):
                    self.assertIn(name, schema["required"])
        metrics = su.record_schema("destination_delivery_metrics_summary")["properties"]
        for name in ("startTime", "endTime"):
            self.assertEqual(metrics[name], {**metrics[name], "type": "string",
                                             "format": "date-time"})

    def test_digit_string_counters_are_integers_and_timestamps_date_times(self):
        for stream in su.STREAMS:
            props = su.record_schema(stream.name)["properties"]
            for name in su.DIGIT_STRING_COUNTERS + ("periodStart", "periodEnd", "memberCount"):
                if name in props:
                    with self.subTest(stream=stream.name, field=name):
                        self.assertEqual(props[name]["type"], "integer")
            if stream.period or stream.name == "audit_events":
                self.assertEqual(props["timestamp"].get("format"), "date-time", stream.name)

    def test_shared_object_types_are_identical_in_every_schema(self):
        def strip(schema):  # descriptions differ by context; the shape must not
            if isinstance(schema, dict):
                return {k: strip(v) for k, v in schema.items() if k != "description"}
            if isinstance(schema, list):
                return [strip(v) for v in schema]
            return schema

        def props(name):
            return strip(su.record_schema(name)["properties"])

        dest_meta = props("catalog_destinations")
        for name in ("destinations", "source_connected_destinations"):
            meta = props(name)["metadata"]
            self.assertEqual(meta["properties"], dest_meta, name)
        self.assertEqual(props("destinations"), props("source_connected_destinations"))
        self.assertEqual(props("sources")["metadata"]["properties"], props("catalog_sources"))
        warehouse = props("warehouses")
        self.assertEqual(warehouse["metadata"]["properties"], props("catalog_warehouses"))
        connected = props("source_connected_warehouses")
        self.assertEqual({k: v for k, v in connected.items() if k != "sourceId"}, warehouse)
        self.assertEqual(props("users")["permissions"], props("groups")["permissions"])
        for name in ("catalog_sources", "catalog_warehouses"):
            for field in ("logos", "options"):
                self.assertEqual(props(name)[field], dest_meta[field], (name, field))


class OpenApiConversionTest(unittest.TestCase):
    """spec_util.openapi_to_draft7 turns the OpenAPI 3.0 document into draft-07 schemas."""

    def test_nullable_adds_null_to_type_and_enum(self):
        out = su.openapi_to_draft7({"type": "string", "enum": ["A"], "nullable": True}, {})
        self.assertEqual(out, {"type": ["string", "null"], "enum": ["A", None]})

    def test_refs_are_inlined_and_property_named_description_is_kept(self):
        components = {"Thing": {"type": "object", "description": "doc",
                                "properties": {"description": {"type": "string"}},
                                "required": ["description"]}}
        out = su.openapi_to_draft7({"$ref": "#/components/schemas/Thing"}, components)
        self.assertEqual(out["properties"], {"description": {"type": "string"}})
        v = su.validator(out)
        self.assertFalse(v.is_valid({}))
        self.assertFalse(v.is_valid({"description": 3}))

    def test_nullable_composition_accepts_null(self):
        components = {"P": {"type": "object", "required": ["a"]}}
        out = su.openapi_to_draft7({"allOf": [{"$ref": "#/components/schemas/P"}],
                                    "nullable": True}, components)
        v = su.validator(out)
        self.assertTrue(v.is_valid(None))
        self.assertFalse(v.is_valid({}))

    def test_the_18_operations_convert_to_valid_draft7(self):
        for stream in su.STREAMS:
            with self.subTest(stream=stream.name):
                schema = su.response_schema(stream)
                su.jsonschema.Draft7Validator.check_schema(schema)
                data = schema["properties"]["data"]
                self.assertIn(stream.list_key, data["properties"])
                self.assertIn(stream.list_key, data["required"])

    def test_date_time_format_is_checked(self):
        v = su.validator(su.record_schema("audit_events"))
        item = {"id": "events/1", "timestamp": "2022-03-04T21:29:22Z", "type": "t",
                "actor": "a", "resourceId": "r", "resourceType": "function",
                "resourceName": "n"}
        self.assertTrue(v.is_valid(item))
        self.assertTrue(v.is_valid(dict(item, timestamp="2006-01-02T15:04:05.000Z")))
        self.assertFalse(v.is_valid(dict(item, timestamp="2022-03-04 21:29:22")))
        self.assertFalse(v.is_valid(dict(item, timestamp="1646429362")))


class SpecExamplesTest(unittest.TestCase):
    """The official examples validate against the converted spec and the stream schemas."""

    INJECTED = {"sourceId": "qQEHquLrjRDN9j1ByrChyn", "destinationId": "fP7qoQw2HTWt9WdMr718gn",
                "startTime": "2006-01-01T15:00:00.000Z", "endTime": "2006-01-02T15:00:00.000Z",
                "trackingPlanId": "tp_sprout", "groupId": "aeXR3fm4ueA39KhPavxzFr",
                "warehouseId": "qQEHquLrjRDN9j1ByrChyn"}

    def test_examples_validate_against_their_response_schema(self):
        for stream in su.STREAMS:
            v = su.validator(su.response_schema(stream))
            examples = su.response_examples(stream)
            self.assertTrue(examples, stream.name)
            for media_type, example in examples:
                with self.subTest(stream=stream.name, media_type=media_type):
                    self.assertEqual(su.describe_errors(v, example), "")

    def test_example_items_validate_against_stream_schemas(self):
        seen_mismatches = set()
        for stream in su.STREAMS:
            v = su.validator(su.record_schema(stream.name))
            for media_type, example in su.response_examples(stream):
                records = [r for item in su.items_of(stream, example)
                           for r in su.to_records(stream, item, self.INJECTED)]
                for record in records:
                    for error in v.iter_errors(record):
                        missing = _required_missing(error)
                        key = (stream.name, missing)
                        with self.subTest(stream=stream.name, media_type=media_type):
                            self.assertIn(key, KNOWN_EXAMPLE_MISMATCHES,
                                          f"{error.message} at {list(error.absolute_path)}")
                        seen_mismatches.add(key)
        # If the list is out of date (a mismatch is gone), shorten it and the README.
        self.assertEqual(seen_mismatches, KNOWN_EXAMPLE_MISMATCHES)


# ---------------------------------------------------------------------------------------------
# Against the simulator

_SIM = None


def _stop_simulator():
    global _SIM
    if _SIM is not None:
        sim, _SIM = _SIM, None
        sim.stop()


def _on_sigterm(signum, frame):
    _stop_simulator()
    sys.exit(128 + signum)


def setUpModule():
    atexit.register(_stop_simulator)
    signal.signal(signal.SIGTERM, _on_sigterm)


def tearDownModule():
    _stop_simulator()


def _digest(items):
    return hashlib.sha256(json.dumps(items, sort_keys=True).encode()).hexdigest()


class Crawl:
    """Reads the simulator and checks every answer as it comes (bodies are not kept: a `large`
    crawl is tens of MB of JSON).

    Walk modes: "primary" validates every page against the spec and every item against its stream
    schema; "compare" (another spelling or page size of a primary walk) validates each page's
    envelope and compares the items with the primary walk's; "extra" validates pages only."""

    def __init__(self, sim, response_validators, record_validators):
        self.sim = sim
        self.response_validators = response_validators
        self.record_validators = record_validators
        self.problems = []  # non-200, non-JSON, repeated cursor, wrong totalEntries
        self.spec_failures = []
        self.record_failures = []
        self.pages = collections.Counter()  # stream -> 200 pages validated against the spec
        self.records = collections.Counter()  # stream -> items validated as records
        self.keys = collections.defaultdict(list)  # stream -> primary-key tuples
        self.samples = {}  # stream -> one 200 body with an item, for the mutation test
        self.first_items = collections.defaultdict(list)  # stream -> up to 50 raw items
        self.walks = {}  # (stream, path, extra) + (spelling, count) -> (item count, digest)
        self.parents = {}  # "sources"/"destinations" -> their items (primary walk)

    def fetch(self, stream, path_and_query, validate="full"):
        """GET; checks the body against the spec ("full", "envelope": items emptied, or None)."""
        status, _, raw = self.sim.get(path_and_query)
        try:
            body = json.loads(raw)
        except ValueError:
            self.problems.append(f"{path_and_query}: {status}, body is not JSON: {raw[:200]!r}")
            return status, None
        if status != 200:
            self.problems.append(f"{path_and_query}: {status} {raw[:300]!r}")
            return status, None
        if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
            self.problems.append(f"{path_and_query}: 200 without data: {raw[:300]!r}")
            return status, None
        if validate:
            checked = body
            if validate == "envelope" and isinstance(body["data"].get(stream.list_key), list):
                checked = dict(body, data=dict(body["data"], **{stream.list_key: []}))
            errors = su.describe_errors(self.response_validators[stream.name], checked)
            if errors:
                self.spec_failures.append(f"GET {path_and_query}\n{errors}")
            self.pages[stream.name] += 1
        if stream.name not in self.samples and body["data"].get(stream.list_key):
            sample = copy.deepcopy(body)  # one item is enough, and cheap to copy and check
            if not stream.single_object:
                del sample["data"][stream.list_key][1:]
            self.samples[stream.name] = sample
        return status, body

    def check_records(self, stream, items, injected):
        v = self.record_validators[stream.name]
        for item in items:
            record = su.to_record(stream, item, injected)
            errors = su.describe_errors(v, record, 3)
            if errors:
                self.record_failures.append(f"{stream.name} {json.dumps(item)[:200]}\n{errors}")
            self.records[stream.name] += 1
            self.keys[stream.name].append(tuple(record.get(k) for k in stream.key))
            if len(self.first_items[stream.name]) < 50:
                self.first_items[stream.name].append(item)

    def walk(self, stream, path, spelling="dotted", count=PAGE_COUNT, extra=None, injected=None,
             mode="primary"):
        """Reads every page of one list; returns its items (None if a page failed)."""
        items, cursors, cursor = [], set(), None
        for _ in range(MAX_PAGES):
            query = su.page_query(spelling, count, cursor, extra)
            status, body = self.fetch(stream, f"{path}?{query}",
                                      "envelope" if mode == "compare" else "full")
            if body is None:
                return None
            page_items = su.items_of(stream, body)
            items += page_items
            if mode == "primary":
                self.check_records(stream, page_items, injected)
            pagination = body["data"].get("pagination") or {}
            cursor = pagination.get("next")
            if not cursor:
                total = pagination.get("totalEntries")
                if total is not None and total != len(items):
                    self.problems.append(f"{path} ({spelling}, count {count}): totalEntries "
                                         f"{total} but {len(items)} items over all pages")
                self.walks[(stream.name, path, json.dumps(extra, sort_keys=True), mode,
                            spelling, count)] = (len(items), _digest(items))
                return items
            if cursor in cursors:
                self.problems.append(f"{path} ({spelling}): cursor {cursor!r} repeated")
                return None
            cursors.add(cursor)
        self.problems.append(f"{path} ({spelling}): more than {MAX_PAGES} pages")
        return None

    def get_one(self, stream, path, extra=None, injected=None):
        query = "&".join(f"{k}={urllib.parse.quote(str(v), safe='')}"
                         for k, v in (extra or {}).items())
        status, body = self.fetch(stream, f"{path}?{query}" if query else path)
        if body is not None and injected is not None:
            self.check_records(stream, su.items_of(stream, body), injected)


def _pick(seq, n):
    """n elements spread over seq: first, last, and evenly between."""
    if len(seq) <= n:
        return list(seq)
    step = (len(seq) - 1) / (n - 1)
    return [seq[round(i * step)] for i in range(n)]


def _spread(seq):
    """All of seq, the spread-out sample of _pick first."""
    order = _pick(range(len(seq)), PARENTS_PER_CHILD_STREAM)
    order += [i for i in range(len(seq)) if i not in set(order)]
    return [seq[i] for i in order]


class SimulatorConformsToSpecTest(unittest.TestCase):
    """Every 200 body of `segsync simulate --scale large` validates against the official spec,
    and every item, converted as segsync converts it, against its stream schema."""

    @classmethod
    def setUpClass(cls):
        global _SIM
        binary = os.environ.get("SEGSYNC_BIN")
        if not binary:
            raise RuntimeError("SEGSYNC_BIN is not set (ctest sets it to the built segsync)")
        started = time.monotonic()
        _SIM = su.Simulator(binary, ["--port", "0", "--scale", "large", "--seed", str(SEED),
                                     "--token", TOKEN], TOKEN)
        cls.sim = _SIM
        cls.response_validators = {s.name: su.validator(su.response_schema(s))
                                   for s in OLDER_STREAMS}
        record_validators = {s.name: su.validator(su.record_schema(s.name)) for s in OLDER_STREAMS}
        cls.crawl = Crawl(cls.sim, cls.response_validators, record_validators)
        cls._crawl_everything()
        print(f"\ncrawl: {sum(cls.crawl.pages.values())} pages, "
              f"{sum(cls.crawl.records.values())} records in "
              f"{time.monotonic() - started:.1f}s", file=sys.stderr)

    @classmethod
    def tearDownClass(cls):
        _stop_simulator()

    @classmethod
    def _crawl_everything(cls):
        c = cls.crawl
        by = su.STREAMS_BY_NAME
        plain = [s for s in OLDER_STREAMS if not s.parent and not s.period
                 and s.name != "audit_events"]
        for stream in plain:
            items = c.walk(stream, stream.path, "dotted", PAGE_COUNT)
            c.parents[stream.name] = items or []
            c.walk(stream, stream.path, "brackets-encoded", ODD_COUNT, mode="compare")
            c.walk(stream, stream.path, "brackets", SMALL_COUNT, mode="compare")
        sources, destinations = c.parents["sources"], c.parents["destinations"]

        def for_parents(stream, parents, request):
            """Calls `request(parent)` for parents spread over the list: at least
            PARENTS_PER_CHILD_STREAM, more (up to MAX_PARENTS) until one of them has items."""
            used = 0
            for parent in _spread(parents):
                if used >= MAX_PARENTS or (used >= PARENTS_PER_CHILD_STREAM
                                           and c.records[stream.name]):
                    break
                request(parent)
                used += 1

        # Child endpoints, for parents spread over the parent lists.
        for name in ("source_connected_destinations", "source_connected_warehouses"):
            stream = by[name]
            for_parents(stream, sources, lambda source, stream=stream: c.walk(
                stream, su.fill_path(stream.path, sourceId=source["id"]), "dotted", PAGE_COUNT,
                injected={"sourceId": source["id"]}))
            with_items = [k for k in c.keys[name]]
            if with_items:  # the other spelling, for a source that has some
                source_id = with_items[0][stream.key.index("sourceId")]
                path = su.fill_path(stream.path, sourceId=source_id)
                c.walk(stream, path, "brackets", 2, mode="compare")

        now = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0,
                                                                    microsecond=0)
        window = {"granularity": "HOUR", "startTime": _iso(now - datetime.timedelta(hours=24)),
                  "endTime": _iso(now)}
        subscriptions = by["destination_subscriptions"]
        for_parents(subscriptions, destinations, lambda dest: c.walk(
            subscriptions, su.fill_path(subscriptions.path, destinationId=dest["id"]),
            "dotted", PAGE_COUNT))
        metrics = by["destination_delivery_metrics_summary"]
        for_parents(metrics, destinations, lambda dest: c.get_one(
            metrics, su.fill_path(metrics.path, destinationId=dest["id"]),
            dict(window, sourceId=dest["sourceId"]),
            injected={"destinationId": dest["id"], "startTime": window["startTime"],
                      "endTime": window["endTime"]}))
        if destinations:
            # The API's defaults (granularity MINUTE, the last hour): spec only, no record.
            dest = destinations[0]
            c.get_one(metrics, su.fill_path(metrics.path, destinationId=dest["id"]),
                      {"sourceId": dest["sourceId"]})

        # Usage, month by month: this month, the last, older ones, and one past the oldest kept.
        today = datetime.datetime.now(datetime.timezone.utc).date()
        months = [m.isoformat() for m in _month_starts(today, MONTHS_BACK)]
        for stream in (s for s in OLDER_STREAMS if s.period):
            for month in months:
                c.walk(stream, stream.path, "dotted", PAGE_COUNT, extra={"period": month})
            odd = ODD_USAGE_COUNT if "sourceId" in stream.key else 5  # several pages either way
            c.walk(stream, stream.path, "brackets", odd, extra={"period": months[1]},
                   mode="compare")

        # The audit trail: everything kept, then a window in another spelling.
        audit = by["audit_events"]
        c.walk(audit, audit.path, "dotted", PAGE_COUNT)
        c.walk(audit, audit.path, "brackets-encoded", ODD_COUNT, mode="extra",
               extra={"startTime": _iso(now - datetime.timedelta(days=30)),
                      "endTime": _iso(now)})

        # The ground truth of the top-level lists, to prove the walks saw every page.
        names = [s.name for s in plain] + ["audit_events"]
        status, _, raw = cls.sim.get("/__sim/dump?streams=" + ",".join(names))
        dump = json.loads(raw) if status == 200 else {}
        cls.truth = {name: (len(dump[name]), _digest(dump[name])) for name in names
                     if name in dump}

    # -- the crawl itself ---------------------------------------------------------------------

    def test_every_request_of_the_crawl_answered_200_with_json(self):
        self.assertEqual(self.crawl.problems, [], "\n".join(self.crawl.problems[:20]))

    def test_every_stream_returned_items(self):
        # Otherwise the checks below would pass on nothing.
        for stream in OLDER_STREAMS:
            with self.subTest(stream=stream.name):
                self.assertGreater(self.crawl.records[stream.name], 0)

    def test_walks_return_every_item_the_simulator_holds(self):
        # Compared with GET /__sim/dump: a walk that stopped early would validate too little.
        self.assertEqual(len(self.truth), 10, "the dump lacks top-level lists")
        for name, truth in self.truth.items():
            path = su.STREAMS_BY_NAME[name].path
            with self.subTest(stream=name):
                walked = self.crawl.walks.get((name, path, "null", "primary", "dotted",
                                               PAGE_COUNT))
                self.assertEqual(walked, truth, "(item count, digest): walk vs dump")

    def test_lists_are_large_enough_to_page(self):
        for name in ("sources", "destinations", "users", "transformations", "audit_events"):
            with self.subTest(stream=name):
                self.assertGreater(self.crawl.records[name], PAGE_COUNT,
                                   f"--scale large should give {name} several pages")

    # -- the official spec ----------------------------------------------------------------------

    def test_every_200_body_validates_against_the_spec(self):
        failures = self.crawl.spec_failures
        self.assertEqual(failures, [], f"{len(failures)} bodies do not match the spec:\n" +
                         "\n".join(failures[:10]))
        self.assertEqual([s.name for s in OLDER_STREAMS if not self.crawl.pages[s.name]], [])

    def test_both_pagination_spellings_return_the_same_items(self):
        walks = self.crawl.walks
        compared = 0
        for (name, path, extra, mode, spelling, count), result in walks.items():
            if mode != "compare":
                continue
            reference = walks.get((name, path, extra, "primary", "dotted", PAGE_COUNT))
            with self.subTest(stream=name, path=path, spelling=spelling, count=count):
                self.assertIsNotNone(reference, "no dotted walk of the same list")
                self.assertEqual(result, reference)
                compared += 1
        self.assertGreaterEqual(compared, 9 + 2 + 4)

    def test_a_body_without_a_required_field_is_rejected(self):
        # The check has teeth: a page with one required field removed does not validate.
        self.assertEqual(sorted(self.crawl.samples), sorted(s.name for s in OLDER_STREAMS))
        for name, body in self.crawl.samples.items():
            stream = su.STREAMS_BY_NAME[name]
            v = self.response_validators[name]
            self.assertTrue(v.is_valid(body), name)
            required = su.required_fields(su.item_schema(stream, v.schema))
            self.assertTrue(required, name)
            for field in required:
                broken = copy.deepcopy(body)
                target = broken["data"][stream.list_key]
                del (target if stream.single_object else target[0])[field]
                with self.subTest(stream=name, removed=field):
                    self.assertFalse(v.is_valid(broken))

    def test_error_bodies_follow_the_error_envelope(self):
        spec = su.load_spec()
        components = spec["components"]["schemas"]
        envelope = su.validator(su.openapi_to_draft7(
            {"$ref": "#/components/schemas/RequestErrorEnvelope"}, components))
        cases = [
            ("/sources/no-such-source-id/connected-destinations?pagination.count=10", 404, None),
            ("/sources?pagination.count=10", 401, "wrong-token"),
            ("/sources?pagination.count=0", 422, None),
            ("/usage/api-calls/daily?pagination.count=10", 422, None),  # period is required
        ]
        for query, expected, token in cases:
            with self.subTest(query=query):
                status, _, raw = self.sim.get(query, token=token)
                self.assertEqual(status, expected, raw[:300])
                self.assertEqual(su.describe_errors(envelope, json.loads(raw)), "")

    # -- segsync's stream schemas --------------------------------------------------------------

    def test_every_item_validates_against_its_stream_schema(self):
        failures = self.crawl.record_failures
        self.assertEqual(failures, [], f"{len(failures)} items do not match their stream "
                         "schema:\n" + "\n".join(failures[:10]))

    def test_records_have_unique_non_null_keys(self):
        for stream in OLDER_STREAMS:
            keys = self.crawl.keys[stream.name]
            with self.subTest(stream=stream.name):
                self.assertEqual([k for k in keys if None in k], [])
                if not stream.period:
                    # Usage: a month-boundary snapshot comes in two months
                    # (sim/README.md, month-boundary overlap) and segsync dedupes it.
                    self.assertEqual(len(set(keys)), len(keys))

    def test_usage_counters_arrive_as_digit_strings(self):
        # segsync's conversion assumes this shape; were they numbers, it would go untested.
        for stream in (s for s in OLDER_STREAMS if s.period):
            for item in self.crawl.first_items[stream.name]:
                for name in su.DIGIT_STRING_COUNTERS:
                    if name in item:
                        with self.subTest(stream=stream.name, field=name):
                            self.assertIsInstance(item[name], str)
                            self.assertTrue(item[name].isdigit(), item[name])


# ---------------------------------------------------------------------------------------------
# The newer endpoints (sim/README.md, "The newer lists" and "Event volume")

# name -> (OpenAPI path, list key); the names are the dump's keys.
NEWER_LISTS = {
    "tracking_plans": ("/tracking-plans", "trackingPlans"),
    "tracking_plan_rules": ("/tracking-plans/{trackingPlanId}/rules", "rules"),
    "tracking_plan_sources": ("/tracking-plans/{trackingPlanId}/sources", "sources"),
    "functions": ("/functions", "functions"),
    "labels": ("/labels", "labels"),
    "destination_filters": ("/destination/{destinationId}/filters", "filters"),
    "reverse_etl_models": ("/reverse-etl-models", "models"),
    "roles": ("/roles", "roles"),
    "group_users": ("/groups/{userGroupId}/users", "users"),
    "warehouse_syncs": ("/warehouses/{warehouseId}/syncs", "reports"),
    "event_volume_daily": ("/events/volume", "result"),
}
FUNCTION_TYPES = ("SOURCE", "DESTINATION", "INSERT_DESTINATION")
VOLUME_GROUP_BY = "source,eventName,eventType"


def _spec_validator(path):
    """The 200 schema of GET `path` (application/json, else the first media type)."""
    spec = su.load_spec()
    content = spec["paths"][path]["get"]["responses"]["200"]["content"]
    media = content.get("application/json") or next(iter(content.values()))
    schema = su.openapi_to_draft7(media["schema"], spec["components"]["schemas"])
    return su.validator(dict({"$schema": "http://json-schema.org/draft-07/schema#"}, **schema))


def _envelope_validator():
    return su.validator(su.openapi_to_draft7(
        {"$ref": "#/components/schemas/RequestErrorEnvelope"},
        su.load_spec()["components"]["schemas"]))


def _day(d):
    return d.strftime("%Y-%m-%dT00:00:00Z")


def _volume_rows(results):
    """Results of a groupBy=source,eventName,eventType read, one row per series point:
    (time, source id, event name or None, event type) -> count."""
    rows = {}
    for result in results:
        for point in result["series"]:
            key = (point["time"], result["source"]["id"], result.get("eventName"),
                   result["eventType"])
            assert key not in rows, key
            rows[key] = point["count"]
    return rows


class NewerEndpointsConformToSpecTest(unittest.TestCase):
    """`segsync simulate --scale large`: every page of the newer endpoints validates against the
    official document, long lists page, and walks return what /__sim/dump holds."""

    @classmethod
    def setUpClass(cls):
        binary = os.environ.get("SEGSYNC_BIN")
        if not binary:
            raise RuntimeError("SEGSYNC_BIN is not set (ctest sets it to the built segsync)")
        # /events/volume's own 60 a minute would stall this crawl; RateLimitTest checks it.
        cls.sim = su.Simulator(binary, ["--port", "0", "--scale", "large", "--seed", str(SEED),
                                        "--token", TOKEN,
                                        "--endpoint-limit", "/events/volume=100000/1m"], TOKEN)
        cls.validators = {name: _spec_validator(path) for name, (path, _) in NEWER_LISTS.items()}
        cls.envelope = _envelope_validator()
        status, cls.dump = cls.sim.get_json("/__sim/dump?streams=" + ",".join(NEWER_LISTS))
        assert status == 200, status
        cls.pages = collections.Counter()

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def get(self, name, path_and_query):
        """GET a 200 page, validated against the spec; returns its `data`."""
        status, body = self.sim.get_json(path_and_query)
        self.assertEqual(status, 200, f"{path_and_query}: {str(body)[:300]}")
        errors = su.describe_errors(self.validators[name], body)
        self.assertEqual(errors, "", f"GET {path_and_query}")
        self.pages[name] += 1
        return body["data"]

    def walk(self, name, path, count=PAGE_COUNT, extra=None, spelling="dotted"):
        """Every page of one list; returns (items, pages read)."""
        list_key = NEWER_LISTS[name][1]
        items, cursors, cursor = [], set(), None
        for pages in range(1, MAX_PAGES):
            data = self.get(name, f"{path}?{su.page_query(spelling, count, cursor, extra)}")
            items += data[list_key]
            pagination = data.get("pagination") or {}
            cursor = pagination.get("next")
            if not cursor:
                if "totalEntries" in pagination:
                    self.assertEqual(pagination["totalEntries"], len(items), path)
                return items, pages
            self.assertNotIn(cursor, cursors, f"{path}: cursor repeated")
            cursors.add(cursor)
        self.fail(f"{path}: more than {MAX_PAGES} pages")

    def assert_error(self, path_and_query, status, field=None):
        got, _, raw = self.sim.get(path_and_query)
        self.assertEqual(got, status, f"{path_and_query}: {raw[:300]!r}")
        body = json.loads(raw)
        self.assertEqual(su.describe_errors(self.envelope, body), "")
        if field is not None:
            self.assertEqual(body["errors"][0].get("field"), field, raw[:300])
        return body

    def test_top_level_lists_page_and_match_the_dump(self):
        for name in ("tracking_plans", "reverse_etl_models", "roles"):
            path = NEWER_LISTS[name][0]
            with self.subTest(stream=name):
                items, pages = self.walk(name, path)
                self.assertGreater(pages, 1, "large should page at 1000")
                self.assertEqual(items, self.dump[name])
                other, _ = self.walk(name, path, ODD_COUNT, spelling="brackets-encoded")
                self.assertEqual(other, items)

    def test_tracking_plans_filter_by_type(self):
        for plan_type in ("LIVE", "TEMPLATE", "ENGAGE"):
            with self.subTest(type=plan_type):
                items, _ = self.walk("tracking_plans", "/tracking-plans", SMALL_COUNT,
                                     extra={"type": plan_type})
                self.assertEqual(items, [p for p in self.dump["tracking_plans"]
                                         if p["type"] == plan_type])
        self.assert_error("/tracking-plans?type=live", 422, "type")

    def test_roles_include_the_roles_users_are_given(self):
        role_ids = {role["id"] for role in self.dump["roles"]}
        status, dump = self.sim.get_json("/__sim/dump?streams=users,groups")
        self.assertEqual(status, 200)
        given = {p["roleId"] for item in dump["users"] + dump["groups"]
                 for p in item.get("permissions", [])}
        self.assertTrue(given)
        self.assertLessEqual(given, role_ids)

    def test_functions_are_listed_per_resource_type(self):
        everything = []
        for resource_type in FUNCTION_TYPES:
            with self.subTest(resourceType=resource_type):
                items, pages = self.walk("functions", "/functions",
                                         extra={"resourceType": resource_type})
                self.assertTrue(items)
                self.assertEqual({f["resourceType"] for f in items}, {resource_type})
                if resource_type == "SOURCE":
                    self.assertGreater(pages, 1)
                everything += items
        self.assertEqual(everything, self.dump["functions"])
        self.assert_error("/functions?pagination.count=10", 422, "resourceType")
        self.assert_error("/functions?resourceType=source", 422, "resourceType")
        self.assert_error("/functions?resourceType=SOURCE&resourceType=DESTINATION", 422,
                          "resourceType")

    def test_labels_are_one_response_without_pagination(self):
        for query in ("", "?pagination.count=5", "?pagination.count=0&pagination.cursor=x"):
            with self.subTest(query=query):
                data = self.get("labels", "/labels" + query)
                self.assertNotIn("pagination", data)
                self.assertEqual(data["labels"], self.dump["labels"])
        pairs = [(label["key"], label["value"]) for label in self.dump["labels"]]
        self.assertGreater(len(pairs), PAGE_COUNT)
        self.assertEqual(len(set(pairs)), len(pairs))

    def _children(self, name, parent_ids, template_key):
        """Walks the child list of each parent; returns {parent id: pages}."""
        path = NEWER_LISTS[name][0]
        pages = {}
        for parent_id in parent_ids:
            items, pages[parent_id] = self.walk(
                name, path.replace("{" + template_key + "}", urllib.parse.quote(parent_id)))
            self.assertEqual(items, self.dump[name][parent_id], f"{name} of {parent_id}")
        return pages

    def test_child_lists_page_for_their_hub_parent_and_match_the_dump(self):
        for name, key in (("tracking_plan_rules", "trackingPlanId"),
                          ("tracking_plan_sources", "trackingPlanId"),
                          ("destination_filters", "destinationId"),
                          ("group_users", "userGroupId"),
                          ("warehouse_syncs", "warehouseId")):
            by_parent = self.dump[name]
            hub = max(by_parent, key=lambda parent: len(by_parent[parent]))
            with self.subTest(stream=name):
                pages = self._children(name, [hub] + _pick(sorted(by_parent), 5), key)
                self.assertGreater(pages[hub], 1, f"the hub parent of {name} should page")
                self.assertTrue(any(by_parent[p] for p in pages if p != hub) or
                                name == "tracking_plan_sources")

    def test_unknown_parents_are_404(self):
        for name, key in (("tracking_plan_rules", "trackingPlanId"),
                          ("tracking_plan_sources", "trackingPlanId"),
                          ("destination_filters", "destinationId"),
                          ("group_users", "userGroupId"),
                          ("warehouse_syncs", "warehouseId")):
            with self.subTest(stream=name):
                self.assert_error(NEWER_LISTS[name][0].replace("{" + key + "}", "no-such-id")
                                  + "?pagination.count=10", 404)

    def test_rules_nest_json_schemas_and_leave_out_keys_of_keyless_types(self):
        rules = [rule for plan in self.dump["tracking_plan_rules"].values() for rule in plan]
        types = collections.Counter(rule["type"] for rule in rules)
        self.assertEqual(set(types), {"TRACK", "IDENTIFY", "GROUP", "PAGE", "SCREEN", "COMMON"})
        for rule in rules:
            if rule["type"] == "TRACK":
                self.assertIn("key", rule)
            elif rule["type"] in ("IDENTIFY", "GROUP", "COMMON"):
                self.assertNotIn("key", rule)
        self.assertTrue(any("key" not in r for r in rules if r["type"] == "PAGE"))
        self.assertTrue(any("key" in r for r in rules if r["type"] == "PAGE"))

        def depth(value):
            if isinstance(value, dict):
                return 1 + max((depth(v) for v in value.values()), default=0)
            return 0
        self.assertGreaterEqual(max(depth(rule["jsonSchema"]) for rule in rules), 6)
        for plan_id, plan_rules in self.dump["tracking_plan_rules"].items():
            keys = [(r["type"], r.get("key"), r["version"]) for r in plan_rules]
            self.assertEqual(len(set(keys)), len(keys), plan_id)

    def test_warehouse_syncs_are_a_log_with_running_syncs(self):
        syncs = [s for reports in self.dump["warehouse_syncs"].values() for s in reports]
        self.assertTrue(any(s["end"] is None for s in syncs))
        self.assertTrue(any(s["count"] > 2**32 for s in syncs))
        for warehouse, reports in self.dump["warehouse_syncs"].items():
            keys = [(s["sourceId"], s["start"]) for s in reports]
            self.assertEqual(len(set(keys)), len(keys), warehouse)

    def test_event_volume_windows_validate_and_agree_with_the_dump(self):
        today = datetime.datetime.now(datetime.timezone.utc).date()
        start, end = today - datetime.timedelta(days=29), today + datetime.timedelta(days=1)
        window = {"granularity": "DAY", "startTime": _day(start), "endTime": _day(end),
                  "groupBy": VOLUME_GROUP_BY}
        results, pages = self.walk("event_volume_daily", "/events/volume", count=50,
                                   extra=window)
        self.assertGreater(pages, 1)
        totals = [r["total"] for r in results]
        self.assertEqual(totals, sorted(totals, reverse=True))
        rows = _volume_rows(results)
        expected = {k: v for k, v in _volume_rows(self.dump["event_volume_daily"]).items()
                    if _day(start) <= k[0] < _day(end)}
        self.assertEqual(rows, expected)
        self.assertTrue(any(key[2] is None for key in rows), "some events have no name")
        # Two adjacent windows give the same rows as one (startTime inclusive, endTime not).
        middle = start + datetime.timedelta(days=10)
        halves = {}
        for a, b in ((start, middle), (middle, end)):
            part, _ = self.walk("event_volume_daily", "/events/volume", extra=dict(
                window, startTime=_day(a), endTime=_day(b)))
            halves.update(_volume_rows(part))
        self.assertEqual(halves, rows)
        # Other granularities and no groupBy validate too.
        hour = datetime.datetime.now(datetime.timezone.utc).replace(minute=0, second=0,
                                                                    microsecond=0)
        for extra in ({"granularity": "HOUR", "startTime": _iso(hour - datetime.timedelta(
                          days=2)), "endTime": _iso(hour), "groupBy": "eventType"},
                      {"granularity": "MINUTE", "startTime": _iso(hour - datetime.timedelta(
                          hours=4)), "endTime": _iso(hour)},
                      {"granularity": "DAY", "startTime": _day(start), "endTime": _day(end),
                       "groupBy": "source", "sourceId": results[0]["source"]["id"]}):
            with self.subTest(query=extra):
                self.walk("event_volume_daily", "/events/volume", extra=extra)

    def test_event_volume_refuses_bad_parameters(self):
        today = datetime.datetime.now(datetime.timezone.utc).date()
        day = _day(today)
        before = _day(today - datetime.timedelta(days=5))
        cases = [
            ({"startTime": before, "endTime": day}, "granularity"),
            ({"granularity": "WEEK", "startTime": before, "endTime": day}, "granularity"),
            ({"granularity": "DAY", "endTime": day}, "startTime"),
            ({"granularity": "DAY", "startTime": before}, "endTime"),
            ({"granularity": "DAY", "startTime": before[:10], "endTime": day}, "startTime"),
            ({"granularity": "DAY", "startTime": before.replace("T00", "T01"), "endTime": day},
             "startTime"),
            ({"granularity": "DAY", "startTime": day, "endTime": before}, "startTime"),
            ({"granularity": "DAY", "startTime": _day(today - datetime.timedelta(days=31)),
              "endTime": day}, "endTime"),
            ({"granularity": "HOUR", "startTime": _day(today - datetime.timedelta(days=15)),
              "endTime": day}, "endTime"),
            ({"granularity": "DAY", "startTime": before, "endTime": day, "groupBy": "app"},
             "groupBy"),
        ]
        for params, field in cases:
            query = "&".join(f"{k}={urllib.parse.quote(v, safe='')}" for k, v in params.items())
            with self.subTest(query=query):
                self.assert_error("/events/volume?" + query, 422, field)
        # Exactly 30 days is allowed.
        self.get("event_volume_daily", "/events/volume?granularity=DAY&startTime=" +
                 _day(today - datetime.timedelta(days=29)) + "&endTime=" +
                 _day(today + datetime.timedelta(days=1)))

    def test_a_body_without_a_required_field_is_rejected(self):
        # The validators have teeth: one required field removed fails.
        for name, field in (("tracking_plans", "type"), ("tracking_plan_rules", "jsonSchema"),
                            ("destination_filters", "if"), ("warehouse_syncs", "start"),
                            ("group_users", "email"), ("reverse_etl_models", "query"),
                            ("roles", "description"), ("labels", "value"),
                            ("event_volume_daily", "series")):
            items = self.dump[name]
            if isinstance(items, dict):
                items = next(v for v in items.values() if v)
            body = {"data": {NEWER_LISTS[name][1]: [copy.deepcopy(items[0])]}}
            if name == "event_volume_daily":
                body["data"].update(path="/observability/event_volume/v2.json",
                                    query={"workspaceId": "w", "granularity": "DAY",
                                           "startTime": "a", "endTime": "b"})
            elif name != "labels":
                body["data"]["pagination"] = {"current": "MA==", "previous": None}
            with self.subTest(stream=name):
                self.assertEqual(su.describe_errors(self.validators[name], body), "")
                del body["data"][NEWER_LISTS[name][1]][0][field]
                self.assertFalse(self.validators[name].is_valid(body))


class NewerEndpointGatesTest(unittest.TestCase):
    """`--plan team --no-protocols`: the tracking-plan endpoints and destination filters answer
    403 with the error envelope; the other newer endpoints do not care."""

    def test_gates(self):
        binary = os.environ["SEGSYNC_BIN"]
        envelope = _envelope_validator()
        with su.Simulator(binary, ["--port", "0", "--token", TOKEN], TOKEN) as open_sim:
            status, dump = open_sim.get_json("/__sim/dump?streams=tracking_plans,destinations")
            plan = dump["tracking_plans"][0]["id"]
            destination = dump["destinations"][0]["id"]
            paths = ["/tracking-plans", f"/tracking-plans/{plan}/rules",
                     f"/tracking-plans/{plan}/sources", f"/destination/{destination}/filters"]
            for path in paths:
                self.assertEqual(open_sim.get(path)[0], 200, path)
        with su.Simulator(binary, ["--port", "0", "--token", TOKEN, "--plan", "team",
                                   "--no-protocols"], TOKEN) as sim:
            for path, names in zip(paths, ("Protocols",) * 3 + ("Business",)):
                with self.subTest(path=path):
                    # Gates come before parameters: an invalid count changes nothing.
                    status, _, raw = sim.get(path + "?pagination.count=0")
                    self.assertEqual(status, 403, raw[:300])
                    body = json.loads(raw)
                    self.assertEqual(su.describe_errors(envelope, body), "")
                    self.assertEqual(body["errors"][0]["type"], "Forbidden")
                    self.assertIn(names, body["errors"][0]["message"])
            for path in ("/roles", "/labels", "/reverse-etl-models",
                         "/functions?resourceType=SOURCE"):
                self.assertEqual(sim.get(path)[0], 200, path)


class SimulatorAdminOfTheNewerListsTest(unittest.TestCase):
    """/__sim/syncs?advance=N moves the sync logs on; /__sim/delete reaches the newer lists."""

    def _post(self, sim, path):
        req = urllib.request.Request(f"http://127.0.0.1:{sim.port}{path}", method="POST",
                                     data=b"")
        with urllib.request.urlopen(req, timeout=30) as r:
            return json.loads(r.read())

    def test_advancing_syncs_drops_the_oldest_and_stays_valid(self):
        binary = os.environ["SEGSYNC_BIN"]
        validator = _spec_validator("/warehouses/{warehouseId}/syncs")
        with su.Simulator(binary, ["--port", "0", "--token", TOKEN], TOKEN) as sim:
            _, before = sim.get_json("/__sim/dump?streams=warehouse_syncs")
            warehouse = max(before["warehouse_syncs"],
                            key=lambda w: len(before["warehouse_syncs"][w]))
            old = before["warehouse_syncs"][warehouse]
            self.assertEqual(self._post(sim, "/__sim/syncs?advance=2"), {"advanced": 2})
            status, body = sim.get_json(f"/warehouses/{warehouse}/syncs?pagination.count=1000")
            self.assertEqual(status, 200)
            self.assertEqual(su.describe_errors(validator, body), "")
            new = body["data"]["reports"]
            _, after = sim.get_json("/__sim/dump?streams=warehouse_syncs")
            self.assertEqual(new, after["warehouse_syncs"][warehouse])
            self.assertEqual(len(new), len(old))
            key = lambda s: (s["sourceId"], s["start"])  # noqa: E731
            self.assertTrue({key(s) for s in old} - {key(s) for s in new}, "some dropped off")
            self.assertTrue(all(s["end"] is not None for s in new))
            self.assertEqual(sorted((s["start"] for s in new), reverse=True),
                             [s["start"] for s in new])

    def test_deleting_from_the_newer_lists(self):
        binary = os.environ["SEGSYNC_BIN"]
        with su.Simulator(binary, ["--port", "0", "--token", TOKEN], TOKEN) as sim:
            _, dump = sim.get_json("/__sim/dump?streams=tracking_plans,functions,labels,roles")
            plan = dump["tracking_plans"][0]["id"]
            self._post(sim, f"/__sim/delete?stream=tracking_plans&id={plan}")
            self.assertEqual(sim.get(f"/tracking-plans/{plan}/rules")[0], 404)
            label = dump["labels"][0]
            self._post(sim, "/__sim/delete?stream=labels&id=" +
                       urllib.parse.quote(f"{label['key']}={label['value']}", safe=""))
            _, labels = sim.get_json("/labels")
            self.assertNotIn(label, labels["data"]["labels"])
            function = dump["functions"][-1]
            self._post(sim, f"/__sim/delete?stream=functions&id={function['id']}"
                            "&when=after_list")
            query = f"/functions?resourceType={function['resourceType']}&pagination.count=1000"
            self.assertIn(function, sim.get_json(query)[1]["data"]["functions"])
            self.assertNotIn(function, sim.get_json(query)[1]["data"]["functions"])


class EventVolumeRateLimitTest(unittest.TestCase):
    """/events/volume allows 60 requests a minute by default, with the rate-limit headers, then
    429 with the documented body; other endpoints are not held back by it."""

    def _wait_for_a_fresh_minute(self):
        # The default counting is by clock minute: start early in one, so 61 requests fit.
        second = datetime.datetime.now(datetime.timezone.utc).second
        if second > 40:
            time.sleep(60.5 - second)

    def test_60_a_minute_then_429(self):
        binary = os.environ["SEGSYNC_BIN"]
        envelope = _envelope_validator()
        today = datetime.datetime.now(datetime.timezone.utc).date()
        query = ("/events/volume?granularity=DAY&startTime=" +
                 _day(today - datetime.timedelta(days=3)) + "&endTime=" + _day(today))
        with su.Simulator(binary, ["--port", "0", "--token", TOKEN], TOKEN) as sim:
            self._wait_for_a_fresh_minute()
            remaining = []
            for n in range(60):
                status, headers, raw = sim.get(query)
                self.assertEqual(status, 200, raw[:200])
                self.assertEqual(headers.get("x-ratelimit-consumed"), str(n + 1))
                self.assertIn("x-ratelimit-reset", headers)
                remaining.append(int(headers["x-ratelimit-remaining"]))
            self.assertEqual(remaining[0], 59)
            self.assertEqual(remaining[-1], 0)
            status, headers, raw = sim.get(query)
            self.assertEqual(status, 429, raw[:300])
            self.assertNotIn("retry-after", headers)
            body = json.loads(raw)
            self.assertEqual(su.describe_errors(envelope, body), "")
            error = body["errors"][0]
            self.assertEqual(error["type"], "RequestError")
            self.assertEqual(error["data"]["remainingPoints"], 0)
            self.assertGreater(error["data"]["msBeforeNext"], 0)
            self.assertLessEqual(error["data"]["msBeforeNext"], 60_000)
            # The other endpoints are not limited (no default limit here).
            self.assertEqual(sim.get("/sources?pagination.count=1")[0], 200)
            self.assertEqual(sim.get("/labels")[0], 200)

    def test_an_explicit_limit_replaces_the_default(self):
        binary = os.environ["SEGSYNC_BIN"]
        with su.Simulator(binary, ["--port", "0", "--token", TOKEN, "--endpoint-limit",
                                   "/events/volume=1000/1m"], TOKEN) as sim:
            self._wait_for_a_fresh_minute()
            today = datetime.datetime.now(datetime.timezone.utc).date()
            query = ("/events/volume?granularity=DAY&startTime=" +
                     _day(today - datetime.timedelta(days=1)) + "&endTime=" + _day(today))
            for _ in range(61):
                status, headers, raw = sim.get(query)
                self.assertEqual(status, 200, raw[:200])
            self.assertEqual(headers.get("x-ratelimit-remaining"), str(1000 - 61))


if __name__ == "__main__":
    unittest.main()
