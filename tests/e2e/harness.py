# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of the end-to-end tests: run the real segsync binary against the simulator on a
loopback port, and compare what landed in SQLite with the simulator's ground truth
(`GET /__sim/dump`)."""

import datetime
import json
import math
import os
import sqlite3
import subprocess
import tempfile
import urllib.request

import spec_util as su

BIN = os.environ.get("SEGSYNC_BIN") or os.path.join(su.REPO, "build", "segsync")
FULL_TABLE = {"sources", "destinations", "warehouses", "catalog_sources", "catalog_destinations",
              "catalog_warehouses", "users", "groups", "transformations",
              "source_connected_destinations", "source_connected_warehouses",
              "destination_subscriptions", "destination_delivery_metrics_summary",
              "tracking_plans", "functions", "labels", "reverse_etl_models", "roles",
              "tracking_plan_rules", "tracking_plan_sources", "destination_filters",
              "group_users", "warehouse_syncs"}
# Full-table streams whose rows are never marked deleted (a log: no _deleted_at column).
LOGS = {s.name for s in su.STREAMS if s.log}
# Marked deleted when the API stops listing them.
TRACKS_DELETIONS = FULL_TABLE - LOGS
# Read by day windows from the start date; a day's count is updated, never marked deleted.
DAY_SERIES = {s.name for s in su.STREAMS if s.series}
TOP_LEVEL_FULL = ["sources", "destinations", "warehouses", "catalog_sources",
                  "catalog_destinations", "catalog_warehouses", "users", "groups",
                  "transformations"]
# The newer top-level lists (functions fanned out over its resource types, labels not paged).
NEWER_TOP_LEVEL = ["tracking_plans", "functions", "labels", "reverse_etl_models", "roles"]
# The newer child lists, dumped by parent id: the field each record gets its parent's id in.
NEWER_CHILDREN = {"tracking_plan_rules": "trackingPlanId", "tracking_plan_sources": "trackingPlanId",
                  "destination_filters": "destinationId", "group_users": "groupId",
                  "warehouse_syncs": "warehouseId"}


def start_simulator(token, *args):
    """`segsync simulate` on a free loopback port (a context manager)."""
    return su.Simulator(BIN, ["--port", "0", "--token", token] + list(args), token)


def run_segsync(args, env=None, timeout=600, cwd=None):
    """Run the binary; returns CompletedProcess with text stdout/stderr."""
    full_env = {k: v for k, v in os.environ.items() if k != "SEGMENT_API_TOKEN"}
    full_env.update(env or {})
    return subprocess.run([BIN] + list(args), capture_output=True, text=True, env=full_env,
                          timeout=timeout, cwd=cwd, stdin=subprocess.DEVNULL)


def sync(sim, db_path, *extra, token=None, timeout=600):
    """`segsync sync` of the simulator into sqlite:db_path; the token comes from the environment."""
    return run_segsync(["sync", "--api-url", f"http://127.0.0.1:{sim.port}",
                        "--destination", "sqlite:" + db_path] + list(extra),
                       env={"SEGMENT_API_TOKEN": token or sim.token}, timeout=timeout)


def dump(sim):
    """The simulator's ground truth right now."""
    with urllib.request.urlopen(f"http://127.0.0.1:{sim.port}/__sim/dump", timeout=60) as r:
        return json.loads(r.read())


def admin(sim, path):
    req = urllib.request.Request(f"http://127.0.0.1:{sim.port}{path}", method="POST", data=b"")
    with urllib.request.urlopen(req, timeout=30) as r:
        return r.read()


def read_request_log(path):
    if not os.path.exists(path):
        return []
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def foreign_sqlite(directory):
    """A SQLite file that segsync did not write (one unrelated table); its path."""
    path = os.path.join(directory, "other.db")
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (body TEXT)")
    con.commit()
    con.close()
    return path


def rows(db_path, table, where=""):
    con = sqlite3.connect(db_path)
    con.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in con.execute(f'SELECT * FROM "{table}" {where}')]
    finally:
        con.close()


def tables(db_path):
    con = sqlite3.connect(db_path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def _same(expected, actual):
    """JSON-level equality with float tolerance (doubles may be re-printed)."""
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected == actual
    if isinstance(expected, (int, float)) and isinstance(actual, (int, float)):
        return math.isclose(expected, actual, rel_tol=1e-12, abs_tol=1e-12)
    if isinstance(expected, dict) and isinstance(actual, dict):
        return expected.keys() == actual.keys() and all(_same(v, actual[k])
                                                       for k, v in expected.items())
    if isinstance(expected, list) and isinstance(actual, list):
        return len(expected) == len(actual) and all(_same(a, b) for a, b in zip(expected, actual))
    return expected == actual


def column_matches(expected, stored):
    """Does the SQLite value `stored` hold the API value `expected` (README.md, Destinations)?"""
    if expected is None:
        return stored is None
    if isinstance(expected, bool):
        return stored == (1 if expected else 0)
    if isinstance(expected, (dict, list)):
        return isinstance(stored, str) and _same(expected, json.loads(stored))
    if isinstance(expected, (int, float)):
        return isinstance(stored, (int, float)) and _same(expected, stored)
    return stored == expected


def key_of(record, key):
    return tuple(record[k] for k in key)


def expected_records(truth, name, months=None, days_from=None):
    """Expected records of one stream from the dump, after segsync's conversions. Day series
    (event volume) keep the days from `days_from` (a date) on, when given."""
    stream = su.STREAMS_BY_NAME[name]
    value = truth[name]
    out = []
    if name in TOP_LEVEL_FULL or name == "audit_events" or name in NEWER_TOP_LEVEL:
        out = [su.to_record(stream, item) for item in value]
    elif name in NEWER_CHILDREN:
        for parent, items in value.items():
            out += [su.to_record(stream, i, {NEWER_CHILDREN[name]: parent}) for i in items]
    elif stream.series:
        first = None if days_from is None else days_from.isoformat()
        for item in value:
            out += [r for r in su.to_records(stream, item)
                    if first is None or r["timestamp"][:10] >= first]
    elif name == "source_connected_warehouses":
        for parent, items in value.items():
            out += [su.to_record(stream, i, {"sourceId": parent}) for i in items]
    elif name in ("source_connected_destinations", "destination_subscriptions"):
        for items in value.values():
            out += [su.to_record(stream, i) for i in items]
    elif name == "destination_delivery_metrics_summary":
        for parent, item in value.items():
            rec = dict(item)
            rec["destinationId"] = parent
            out.append(rec)
    else:  # usage: {period: [rows]}; later months win for a row seen twice
        by_key = {}
        for period in sorted(value):
            if months is not None and period not in months:
                continue
            for item in value[period]:
                rec = su.to_record(stream, item)
                by_key[key_of(rec, stream.key)] = rec
        out = list(by_key.values())
    return out


def months_since(start_date):
    """`YYYY-MM-01` for every month from the one holding start_date through this month (UTC)."""
    today = datetime.datetime.now(datetime.timezone.utc).date()
    y, m = start_date.year, start_date.month
    out = []
    while (y, m) <= (today.year, today.month):
        out.append(f"{y:04d}-{m:02d}-01")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def diff_stream(db_path, truth, name, months=None, ignore=(), days_from=None):
    """Differences between a stream's table and the ground truth, as readable lines (empty = same).
    Rows marked deleted are not compared; every field of every expected record is."""
    stream = su.STREAMS_BY_NAME[name]
    expected = {key_of(r, stream.key): r
                for r in expected_records(truth, name, months, days_from)}
    where = 'WHERE "_deleted_at" IS NULL' if name in TRACKS_DELETIONS else ""
    got = {}
    for row in rows(db_path, name, where):
        got[key_of(row, stream.key)] = row
    problems = []
    missing = expected.keys() - got.keys()
    extra = got.keys() - expected.keys()
    if missing:
        problems.append(f"{name}: {len(missing)} rows missing, e.g. {sorted(missing)[:3]}")
    if extra:
        problems.append(f"{name}: {len(extra)} unexpected rows, e.g. {sorted(extra)[:3]}")
    for k in expected.keys() & got.keys():
        exp, row = expected[k], got[k]
        for field, value in exp.items():
            if field in ignore:
                continue
            if field not in row:
                problems.append(f"{name} {k}: no column for field {field!r}")
            elif not column_matches(value, row[field]):
                problems.append(f"{name} {k}: {field} = {row[field]!r}, expected {value!r}")
        for field in row:
            if (not field.startswith("_") and field not in exp and field not in ignore
                    and row[field] is not None):
                problems.append(f"{name} {k}: {field} = {row[field]!r} but the API sent none")
        if len(problems) > 20:
            break
    return problems


class TempDir:
    def __enter__(self):
        self._d = tempfile.TemporaryDirectory(prefix="segsync-e2e-")
        return self._d.name

    def __exit__(self, *exc):
        self._d.cleanup()


def parse_time(text):
    """An RFC 3339 timestamp as an aware datetime (fractions and `Z` accepted)."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
