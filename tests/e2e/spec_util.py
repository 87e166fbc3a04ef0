# SPDX-License-Identifier: Apache-2.0
"""Helpers shared by the spec-conformance tests.

- The official OpenAPI document (v36.2.0) turned into draft-07 JSON Schemas, one per list operation.
- segsync's record schemas, one per stream (src/streams/schemas), and the conversions segsync
  documents (digit-string counters become integers, ids the API does not echo are injected).
- Starting `segsync simulate` and talking HTTP to it.

stdlib + jsonschema + yaml only.
"""

import copy
import functools
import http.client
import json
import os
import re
import select
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

import jsonschema
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
SCHEMA_DIR = os.path.join(REPO, "src", "streams", "schemas")
DATA_DIR = os.path.join(REPO, "tests", "data")  # vendored documents; see tests/data/README.md
SPEC_PATH = os.path.join(DATA_DIR, "segment-openapi-v36.2.0.yaml")


class Stream:
    """One row of README.md's stream table, plus what the tests need to call its endpoint."""

    def __init__(self, name, path, list_key, key, parent=None, single_object=False,
                 period=False, injected=(), fan_out=None, paginated=True, series=False,
                 empty_when_absent=(), log=False):
        self.name = name
        self.path = path  # OpenAPI path template, e.g. /sources/{sourceId}/connected-warehouses
        self.list_key = list_key
        self.key = key  # primary key (the stream table, src/streams/streams.cc)
        self.parent = parent  # "sources" or "destinations" for child streams
        self.single_object = single_object  # data.<list_key> is one object, not a list
        self.period = period  # usage streams: one series per period=YYYY-MM-01
        self.injected = injected  # fields segsync adds to each record
        self.fan_out = fan_out  # (query parameter, values): one request series per value
        self.paginated = paginated
        self.series = series  # each item's `series` becomes one record per point (per day)
        self.empty_when_absent = empty_when_absent  # key fields an item may lack: "" then
        self.log = log  # rows are never marked deleted


STREAMS = [
    Stream("audit_events", "/audit-events", "events", ["id"]),
    Stream("catalog_destinations", "/catalog/destinations", "destinationsCatalog", ["id"]),
    Stream("catalog_sources", "/catalog/sources", "sourcesCatalog", ["id"]),
    Stream("catalog_warehouses", "/catalog/warehouses", "warehousesCatalog", ["id"]),
    Stream("destination_delivery_metrics_summary",
           "/destinations/{destinationId}/delivery-metrics", "deliveryMetricsSummary",
           ["sourceId", "destinationId"], parent="destinations", single_object=True,
           injected=("destinationId", "startTime", "endTime")),
    Stream("destination_subscriptions", "/destinations/{destinationId}/subscriptions",
           "subscriptions", ["id"], parent="destinations"),
    Stream("destinations", "/destinations", "destinations", ["id", "sourceId"]),
    Stream("groups", "/groups", "userGroups", ["id"]),
    Stream("source_connected_destinations", "/sources/{sourceId}/connected-destinations",
           "destinations", ["id", "sourceId"], parent="sources"),
    Stream("source_connected_warehouses", "/sources/{sourceId}/connected-warehouses",
           "warehouses", ["sourceId", "id"], parent="sources", injected=("sourceId",)),
    Stream("sources", "/sources", "sources", ["id"]),
    Stream("transformations", "/transformations", "transformations", ["id"]),
    Stream("usage_api_calls_per_source_daily", "/usage/api-calls/sources/daily",
           "dailyPerSourceAPICallsUsage", ["sourceId", "timestamp"], period=True),
    Stream("usage_api_calls_workspace_daily", "/usage/api-calls/daily",
           "dailyWorkspaceAPICallsUsage", ["timestamp"], period=True),
    Stream("usage_mtu_per_source_daily", "/usage/mtu/sources/daily", "dailyPerSourceMTUUsage",
           ["sourceId", "timestamp"], period=True),
    Stream("usage_mtu_workspace_daily", "/usage/mtu/daily", "dailyWorkspaceMTUUsage",
           ["timestamp"], period=True),
    Stream("users", "/users", "users", ["id"]),
    Stream("warehouses", "/warehouses", "warehouses", ["id"]),
    # Beyond the original 18.
    Stream("tracking_plans", "/tracking-plans", "trackingPlans", ["id"]),
    Stream("functions", "/functions", "functions", ["id"],
           fan_out=("resourceType", ("SOURCE", "DESTINATION", "INSERT_DESTINATION"))),
    Stream("labels", "/labels", "labels", ["key", "value"], paginated=False),
    Stream("reverse_etl_models", "/reverse-etl-models", "models", ["id"]),
    Stream("roles", "/roles", "roles", ["id"]),
    Stream("tracking_plan_rules", "/tracking-plans/{trackingPlanId}/rules", "rules",
           ["trackingPlanId", "type", "key", "version"], parent="tracking_plans",
           injected=("trackingPlanId",), empty_when_absent=("key",)),
    Stream("tracking_plan_sources", "/tracking-plans/{trackingPlanId}/sources", "sources",
           ["trackingPlanId", "id"], parent="tracking_plans", injected=("trackingPlanId",)),
    Stream("destination_filters", "/destination/{destinationId}/filters", "filters",
           ["destinationId", "id"], parent="destinations", injected=("destinationId",)),
    Stream("group_users", "/groups/{userGroupId}/users", "users", ["groupId", "id"],
           parent="groups", injected=("groupId",)),
    Stream("warehouse_syncs", "/warehouses/{warehouseId}/syncs", "reports",
           ["warehouseId", "sourceId", "start"], parent="warehouses",
           injected=("warehouseId",), log=True),
    Stream("event_volume_daily", "/events/volume", "result",
           ["timestamp", "sourceId", "eventName", "eventType"], series=True,
           empty_when_absent=("sourceId", "eventName", "eventType")),
]
STREAMS_BY_NAME = {s.name: s for s in STREAMS}

# Counters the API sends as strings of digits; segsync stores them as integers
# (src/streams/schemas/README.md).
DIGIT_STRING_COUNTERS = ("apiCalls", "anonymous", "anonymousIdentified", "identified",
                         "neverIdentified")

# ---------------------------------------------------------------------------------------------
# JSON Schema validation

_RFC3339 = re.compile(
    r"^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)"
    r"(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$")


def is_rfc3339(value):
    """True for an RFC 3339 date-time such as 2022-03-04T21:29:22Z or ...:05.000Z."""
    return bool(_RFC3339.match(value))


def format_checker():
    """A checker for "date-time" that does not depend on optional jsonschema extras
    (Debian's python3-jsonschema ships without rfc3339-validator, so the stock one passes all)."""
    checker = jsonschema.FormatChecker(formats=())

    @checker.checks("date-time")
    def _date_time(value):  # non-strings are the "type" keyword's business
        return not isinstance(value, str) or is_rfc3339(value)

    return checker


def validator(schema):
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=format_checker())


def describe_errors(v, instance, limit=5):
    """Up to `limit` validation errors as readable lines ('' when the instance is valid)."""
    lines = []
    for err in sorted(v.iter_errors(instance), key=lambda e: list(e.absolute_path))[:limit]:
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        lines.append(f"  at {where}: {err.message[:300]}")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# The official OpenAPI document

@functools.lru_cache(maxsize=None)
def load_spec(path=SPEC_PATH):
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as f:
        return yaml.load(f, Loader=loader)


_OPENAPI_ONLY = {"nullable", "example", "examples", "discriminator", "xml", "externalDocs",
                 "deprecated", "readOnly", "writeOnly"}


def openapi_to_draft7(schema, components, _stack=()):
    """Converts an OpenAPI 3.0 schema object into a self-contained draft-07 schema:
    `$ref`s are inlined, `nullable: true` adds "null" to the type (and to an enum), and keys that
    only OpenAPI knows are dropped. Recursion is guarded (no list operation needs it)."""
    if isinstance(schema, list):
        return [openapi_to_draft7(s, components, _stack) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        ref = schema["$ref"]
        prefix = "#/components/schemas/"
        if not ref.startswith(prefix):
            raise ValueError(f"unsupported $ref {ref}")
        name = ref[len(prefix):]
        if name in _stack:
            raise ValueError(f"recursive $ref {' -> '.join(_stack + (name,))}")
        return openapi_to_draft7(components[name], components, _stack + (name,))
    out = {}
    for key, value in schema.items():
        if key in _OPENAPI_ONLY or key.startswith("x-"):
            continue
        if key == "properties":
            # A property may be called "description" or "example": only values are schemas.
            out[key] = {name: openapi_to_draft7(sub, components, _stack)
                        for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not"):
            out[key] = openapi_to_draft7(value, components, _stack)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [openapi_to_draft7(sub, components, _stack) for sub in value]
        else:
            out[key] = copy.deepcopy(value)
    if schema.get("nullable") is True:
        if "type" in out:
            types = out["type"] if isinstance(out["type"], list) else [out["type"]]
            if "null" not in types:
                out["type"] = types + ["null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = out["enum"] + [None]
        elif any(k in out for k in ("allOf", "anyOf", "oneOf", "enum")):
            # No type to widen: accept null beside whatever the composition accepts.
            out = {"anyOf": [{"type": "null"}, out]}
        # no type and no composition: any value already includes null
    return out


def _operation(spec, path):
    op = spec["paths"][path]["get"]
    return op, op["responses"]["200"]["content"]


def response_schema(stream, spec=None):
    """The draft-07 schema of the stream's 200 response body (media type application/json when
    the operation offers it, else its first one), with "$schema" set."""
    spec = spec or load_spec()
    _, content = _operation(spec, stream.path)
    media = content.get("application/json") or next(iter(content.values()))
    schema = openapi_to_draft7(media["schema"], spec["components"]["schemas"])
    schema = dict({"$schema": "http://json-schema.org/draft-07/schema#"}, **schema)
    return schema


def response_examples(stream, spec=None):
    """[(media type, example body)] of the stream's 200 response."""
    spec = spec or load_spec()
    _, content = _operation(spec, stream.path)
    return [(mt, media["example"]) for mt, media in content.items() if "example" in media]


def required_fields(schema):
    """The property names an object schema requires, looking through allOf wrappers."""
    names = list(schema.get("required", []))
    for sub in schema.get("allOf", []):
        names += [n for n in required_fields(sub) if n not in names]
    return names


def item_schema(stream, response):
    """The schema of one item (or of the single object) inside a converted response schema."""
    def props(schema):
        out = dict(schema.get("properties", {}))
        for sub in schema.get("allOf", []):
            out.update(props(sub))
        return out

    listed = props(props(response)["data"])[stream.list_key]
    return listed if stream.single_object else listed["items"]


# ---------------------------------------------------------------------------------------------
# segsync's record schemas and conversions

@functools.lru_cache(maxsize=None)
def record_schema(name):
    with open(os.path.join(SCHEMA_DIR, name + ".json"), encoding="utf-8") as f:
        return json.load(f)


def items_of(stream, body):
    """The items of one 200 body: a list (one object for single-object endpoints)."""
    value = body["data"][stream.list_key]
    return [value] if stream.single_object else list(value)


def to_records(stream, item, injected=None):
    """The records segsync stores for one API item: one (to_record), or for a series stream one
    per point of the item's `series` (its `time` as `timestamp`, the source's id as `sourceId`,
    without the series and the window's `total`)."""
    if not stream.series:
        return [to_record(stream, item, injected)]
    base = {k: v for k, v in item.items() if k not in ("series", "total")}
    if isinstance(item.get("source"), dict) and "id" in item["source"]:
        base["sourceId"] = item["source"]["id"]
    out = []
    for point in item.get("series") or []:
        record = dict(base)
        for name, value in point.items():
            record["timestamp" if name == "time" else name] = value
        out.append(to_record(stream, record, injected))
    return out


def to_record(stream, item, injected=None):
    """The record segsync stores for one API item: digit-string counters become integers, the
    fields the API does not echo are added (`injected`: name -> value), and key fields the item
    lacks are empty strings."""
    record = copy.deepcopy(item)
    for name in stream.empty_when_absent:
        if record.get(name) is None:
            record[name] = ""
    for name in DIGIT_STRING_COUNTERS:
        value = record.get(name)
        if isinstance(value, str) and value.isascii() and value.isdigit():
            record[name] = int(value)
    for name in stream.injected:
        if injected is None or name not in injected:
            raise KeyError(f"{stream.name} needs the injected field {name}")
        record[name] = injected[name]
    return record


# ---------------------------------------------------------------------------------------------
# The simulator

def _die_with_parent():
    """In the child before exec: get SIGKILL when the test process dies, however it dies."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class Simulator:
    """`segsync simulate` on a loopback port; always stop() it (also a context manager).
    The process also dies with the test process (PR_SET_PDEATHSIG)."""

    def __init__(self, binary, args, token, start_timeout=30.0):
        self.token = token
        self._stderr = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([binary, "simulate"] + list(args), stdout=subprocess.PIPE,
                                     stderr=self._stderr, stdin=subprocess.DEVNULL,
                                     start_new_session=True, preexec_fn=_die_with_parent)
        self.port = None
        self._conn = None
        deadline = time.monotonic() + start_timeout
        seen = b""
        try:
            while self.port is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"simulator printed no 'listening on' line in "
                                       f"{start_timeout:.0f}s; stdout so far: {seen[-500:]!r}")
                ready, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
                if not ready:
                    if self.proc.poll() is not None:
                        raise RuntimeError(f"simulator exited with {self.proc.returncode}: "
                                           f"{self.stderr_text()[-2000:]}")
                    continue
                line = self.proc.stdout.readline()
                if not line:
                    self.proc.wait(timeout=5)
                    raise RuntimeError(f"simulator exited with {self.proc.returncode}: "
                                       f"{self.stderr_text()[-2000:]}")
                seen += line
                m = re.search(rb"listening on http://127\.0\.0\.1:(\d+)", line)
                if m:
                    self.port = int(m.group(1))
        except BaseException:
            self.stop()
            raise

    def stderr_text(self):
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def stop(self):
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self._stderr.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    def get(self, path_and_query, token=None):
        """GET on the simulator; returns (status, headers dict with lower-case names, raw body)."""
        headers = {"Authorization": "Bearer " + (token or self.token),
                   "Accept": "application/json"}
        for attempt in range(2):
            if self._conn is None:
                self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            try:
                self._conn.request("GET", path_and_query, headers=headers)
                if hasattr(socket, "TCP_QUICKACK"):
                    # Acknowledge the response's first segment at once: a server that writes
                    # headers and body separately without TCP_NODELAY would otherwise wait
                    # for our delayed ACK (40 ms on Linux) on every small response.
                    self._conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
                resp = self._conn.getresponse()
                body = resp.read()
                hdrs = {k.lower(): v for k, v in resp.getheaders()}
                if hdrs.get("connection", "").lower() == "close":
                    self._conn.close()
                    self._conn = None
                return resp.status, hdrs, body
            except (http.client.HTTPException, ConnectionError, OSError):
                self._conn.close()
                self._conn = None
                if attempt == 1:
                    raise
        raise AssertionError("unreachable")

    def get_json(self, path_and_query):
        status, _, body = self.get(path_and_query)
        try:
            parsed = json.loads(body)
        except ValueError as e:
            raise AssertionError(f"GET {path_and_query}: {status} with a body that is not JSON "
                                 f"({e}): {body[:300]!r}") from e
        return status, parsed


# The pagination spellings a client may use: Segment documents the dotted one
# (https://docs.segmentapis.com/tag/Pagination); its generated SDKs send the bracket one, since the
# spec declares `pagination` a deepObject query parameter.
SPELLINGS = {
    "dotted": ("pagination.count", "pagination.cursor"),
    "brackets": ("pagination[count]", "pagination[cursor]"),
    "brackets-encoded": ("pagination%5Bcount%5D", "pagination%5Bcursor%5D"),
}


def page_query(spelling, count, cursor=None, extra=None):
    """Query string for one page: extra parameters first, then count and cursor."""
    count_name, cursor_name = SPELLINGS[spelling]
    parts = [f"{k}={urllib.parse.quote(str(v), safe='')}" for k, v in (extra or {}).items()]
    parts.append(f"{count_name}={count}")
    if cursor is not None:
        parts.append(f"{cursor_name}={urllib.parse.quote(cursor, safe='')}")
    return "&".join(parts)


def fill_path(template, **params):
    path = template
    for name, value in params.items():
        path = path.replace("{" + name + "}", urllib.parse.quote(value, safe=""))
    return path
