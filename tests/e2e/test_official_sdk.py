# SPDX-License-Identifier: Apache-2.0
"""A client nobody here wrote: Segment's official TypeScript SDK (pinned in tests/sdk/package.json,
installed by scripts/install-deps) reads every page of every operation the 18 streams use from the
simulator (tests/sdk/drive.js). Any SDK exception, any non-2xx answer, and any key, JSON type or
enum value of the simulator's answers that the SDK's models do not know fails the test, except the
keys tests/sdk/allowed_unknown_keys.json lists with their reason. Also: the fields Segment's newer
(v73) models add are declared in the stream schemas, and the top-level ones are typed columns."""

import datetime
import json
import os
import shutil
import sqlite3
import subprocess
import unittest

import harness as h

TOKEN = "sdk-e2e-token"
SDK_DIR = os.path.join(h.su.REPO, "tests", "sdk")
SDK_PACKAGE = os.path.join(SDK_DIR, "node_modules", "@segment", "public-api-sdk-typescript")
PAGE_COUNT = 5  # small, so that the lists of the small workspace have several pages
CHILD_PAGE_COUNT = 2  # the small workspace's child lists hold up to 3 or 4 items


def node_or_fail(test):
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None:
        test.fail("node is not installed: run scripts/install-deps (Debian's nodejs and npm)")
    if not os.path.isdir(SDK_PACKAGE):
        test.fail(f"{SDK_PACKAGE} is missing: run scripts/install-deps, which runs `npm ci` in "
                  "tests/sdk")
    return node


def months_back(count):
    today = datetime.datetime.now(datetime.timezone.utc).date()
    y, m = today.year, today.month
    out = []
    for _ in range(count):
        out.append(f"{y:04d}-{m:02d}-01")
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return out


class OfficialSdk(unittest.TestCase):
    def test_the_sdk_reads_every_page_of_every_stream_and_knows_every_field(self):
        node = node_or_fail(self)
        with h.start_simulator(TOKEN, "--scale", "small", "--seed", "5") as sim:
            result = subprocess.run(
                [node, "drive.js", f"http://127.0.0.1:{sim.port}", TOKEN, str(PAGE_COUNT),
                 str(CHILD_PAGE_COUNT)],
                cwd=SDK_DIR, capture_output=True, text=True, timeout=300,
                stdin=subprocess.DEVNULL)
            truth = h.dump(sim)
        report = result.stdout + result.stderr
        self.assertEqual(result.returncode, 0, report[-6000:])
        summary = json.loads(result.stdout.strip().splitlines()[-1])
        self.assertEqual(summary["findings"], 0, report[-6000:])
        self.assertEqual(summary["sdk"], "47.0.0-b8398")

        # The SDK saw exactly the simulator's truth, page after page.
        counts = summary["counts"]
        for operation, stream in [("listSources", "sources"), ("listDestinations", "destinations"),
                                  ("listWarehouses", "warehouses"),
                                  ("getSourcesCatalog", "catalog_sources"),
                                  ("getDestinationsCatalog", "catalog_destinations"),
                                  ("getWarehousesCatalog", "catalog_warehouses"),
                                  ("listUsers", "users"), ("listUserGroups", "groups"),
                                  ("listTransformations", "transformations"),
                                  ("listAuditEvents", "audit_events")]:
            self.assertEqual(counts[operation], len(truth[stream]), operation)
        for key, stream in [("connectedDestinations", "source_connected_destinations"),
                            ("connectedWarehouses", "source_connected_warehouses"),
                            ("subscriptions", "destination_subscriptions")]:
            self.assertEqual(counts[key], sum(len(v) for v in truth[stream].values()), key)
        for operation, stream in [
                ("getDailyWorkspaceAPICallsUsage", "usage_api_calls_workspace_daily"),
                ("getDailyPerSourceAPICallsUsage", "usage_api_calls_per_source_daily"),
                ("getDailyWorkspaceMTUUsage", "usage_mtu_workspace_daily"),
                ("getDailyPerSourceMTUUsage", "usage_mtu_per_source_daily")]:
            expected = sum(len(truth[stream].get(m, [])) for m in months_back(2))
            self.assertEqual(counts[operation], expected, operation)
        calls = summary["calls"]
        self.assertEqual(calls["listDeliveryMetricsSummaryFromDestination"],
                         len(truth["destinations"]))
        # Every paginated operation met a `next` and followed it.
        self.assertEqual(set(summary["pagesBeyondFirst"]),
                         set(calls) - {"listDeliveryMetricsSummaryFromDestination"})

    def test_the_checker_finds_unknown_keys_wrong_types_and_foreign_enum_values(self):
        node = node_or_fail(self)
        script = """
const d = require('./drive.js');
d.check({id: 'a', bogus: 1, enabled: 'yes', writeKeys: 'k', labels: [{key: 1}],
         metadata: {status: 'PUBLIC', logos: {default: 'x', surprise: true}}},
        'SourceV1', 'source');
d.check({type: 'CLOUD', code: 'x'}, 'DestinationMetadataComponentV1', 'component');
d.check({x_segsync_extra: 'kept', id: 'b'}, 'SourceV1', 'allowed');
console.log(JSON.stringify([...d.findings.keys()]));
"""
        result = subprocess.run([node, "-e", script], cwd=SDK_DIR, capture_output=True,
                                text=True, timeout=60, stdin=subprocess.DEVNULL)
        self.assertEqual(result.returncode, 0, result.stderr)
        found = json.loads(result.stdout.strip().splitlines()[-1])
        expected = [
            'source: key "bogus" is unknown to the SDK\'s SourceV1',
            "source.enabled: the SDK expects boolean, got string",
            "source.writeKeys: the SDK expects an array (Array<string>), got string",
            "source.labels[].key: the SDK expects string, got number",
            'source.metadata.logos: key "surprise" is unknown to the SDK\'s LogosBeta',
        ]
        for text in expected:
            self.assertIn(text, found)
        self.assertTrue(any(f.startswith('component.type: "CLOUD" is not one of') for f in found),
                        found)
        self.assertFalse(any(f.startswith("allowed") for f in found), found)


# The fields Segment's v73 models add to the streams' records (segmentio/public-api-sdk-python
# 73.2.0), as paths into each stream's schema: "a.b[].c" descends properties a, then b's items.
V73_FIELDS = {
    "audit_events": ["actorEmail"],
    "sources": ["metadata.status", "metadata.partnerOwned"],
    "catalog_sources": ["status", "partnerOwned"],
    "transformations": ["drop", "allowProperties", "hashPropertiesConfiguration"],
    "destination_subscriptions": ["reverseETLSchedule"],
}
for _stream, _prefix in [("destinations", "metadata."), ("source_connected_destinations",
                                                          "metadata."),
                         ("catalog_destinations", "")]:
    V73_FIELDS[_stream] = [_prefix + f for f in (
        "supportedPlatforms.warehouse", "supportedPlatforms.cloudAppObject",
        "supportedPlatforms.linkedAudiences", "actions[].fields[].hidden",
        "multiInstanceSupportedVersion")]
# Top-level ones are typed columns (SQLite declared type).
V73_COLUMNS = {
    "audit_events": {"actorEmail": "TEXT"},
    "transformations": {"drop": "BOOLEAN", "allowProperties": "TEXT",
                        "hashPropertiesConfiguration": "TEXT"},
    "destination_subscriptions": {"reverseETLSchedule": "TEXT"},
}


def schema_at(schema, dotted):
    for part in dotted.split("."):
        items = part.endswith("[]")
        schema = schema["properties"][part[:-2] if items else part]
        if items:
            schema = schema["items"]
    return schema


class NewerFields(unittest.TestCase):
    def test_every_v73_field_is_declared_in_the_stream_schemas(self):
        for stream, fields in V73_FIELDS.items():
            with open(os.path.join(h.su.SCHEMA_DIR, stream + ".json"), encoding="utf-8") as f:
                schema = json.load(f)
            for field in fields:
                with self.subTest(stream=stream, field=field):
                    self.assertIn("type", schema_at(schema, field))

    def test_top_level_v73_fields_are_typed_columns_and_arrive(self):
        with h.TempDir() as d:
            db = os.path.join(d, "v73.db")
            with h.start_simulator(TOKEN, "--scale", "small", "--seed", "5") as sim:
                result = h.sync(sim, db, "--streams", ",".join(V73_COLUMNS))
                self.assertEqual(result.returncode, 0, result.stderr)
            con = sqlite3.connect(db)
            try:
                for table, columns in V73_COLUMNS.items():
                    declared = {c[1]: c[2] for c in con.execute(f'PRAGMA table_info("{table}")')}
                    for column, sql_type in columns.items():
                        self.assertEqual(declared.get(column), sql_type, (table, column))
                        filled = con.execute(f'SELECT count(*) FROM "{table}" '
                                             f'WHERE "{column}" IS NOT NULL').fetchone()[0]
                        self.assertGreater(filled, 0, (table, column))
            finally:
                con.close()


if __name__ == "__main__":
    unittest.main()
