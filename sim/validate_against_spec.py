#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Checks a running simulator against Segment's official OpenAPI document.

Walks every endpoint of the streams (every page, every parent, every kept usage month) and
validates each 200 body against that operation's 200-response schema, and each error body against
the operation's documented error schema (RequestErrorEnvelope for 401/403). OpenAPI 3.0's
`nullable` is turned into JSON Schema's `null` type; properties the old spec lacks are allowed
(no schema in it forbids additional properties).

    python3 sim/validate_against_spec.py --base-url http://127.0.0.1:PORT [--token sim-token]
        [--spec tests/data/segment-openapi-v36.2.0.yaml] [--count 200]

Exit status 0 when everything validates, 1 otherwise (each failure is printed).
"""
import argparse
import datetime
import json
import os
import sys
import urllib.error
import urllib.parse
import urllib.request

import jsonschema
import yaml

LIST_PATHS = [
    "/sources", "/destinations", "/warehouses", "/catalog/sources", "/catalog/destinations",
    "/catalog/warehouses", "/users", "/groups", "/transformations",
]
USAGE_PATHS = [
    "/usage/api-calls/daily", "/usage/api-calls/sources/daily", "/usage/mtu/daily",
    "/usage/mtu/sources/daily",
]


def to_json_schema(node):
    """OpenAPI 3.0 schema object -> JSON Schema (draft 7): `nullable: true` admits null."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items()
           if k not in ("nullable", "example", "x-speakeasy-entity", "x-speakeasy-name-override")}
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "enum" in out:
            out["enum"] = list(out["enum"]) + [None]
        if "allOf" in out or "$ref" in out:
            out = {"anyOf": [{"type": "null"}, {k: v for k, v in out.items()}]}
    return out


class Checker:
    def __init__(self, spec_path, base_url, token):
        with open(spec_path, encoding="utf-8") as f:
            loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
            self.spec = yaml.load(f, Loader=loader)
        self.components = to_json_schema(self.spec["components"])
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.failures = []
        self.checked = 0

    def schema_for(self, template, status):
        responses = self.spec["paths"][template]["get"]["responses"]
        if str(status) in responses:
            content = responses[str(status)]["content"]
            media = content.get("application/json") or next(iter(content.values()))
            schema = to_json_schema(media["schema"])
        else:
            schema = {"$ref": "#/components/schemas/RequestErrorEnvelope"}
        schema = dict(schema)
        schema["components"] = self.components
        return schema

    def get(self, path, query=None):
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        request = urllib.request.Request(url, headers={"Authorization": "Bearer " + self.token})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as error:
            return error.code, error.headers, error.read()

    def check(self, template, path, query=None, expect=200):
        status, headers, raw = self.get(path, query)
        where = f"{path}?{urllib.parse.urlencode(query or {})}"
        if status != expect:
            self.failures.append(f"{where}: status {status}, expected {expect}: {raw[:300]!r}")
            return None
        if not headers.get("Content-Type", "").startswith("application/json"):
            self.failures.append(f"{where}: Content-Type {headers.get('Content-Type')}")
        try:
            body = json.loads(raw)
        except ValueError as error:
            self.failures.append(f"{where}: not JSON: {error}")
            return None
        validator = jsonschema.Draft7Validator(self.schema_for(template, status))
        for error in validator.iter_errors(body):
            self.failures.append(f"{where}: {'/'.join(map(str, error.absolute_path))}: "
                                 f"{error.message[:300]}")
        self.checked += 1
        return body

    def walk(self, template, path, list_key, count, extra=None):
        """Every page of a list; returns all items."""
        items, cursor, seen = [], None, set()
        while True:
            query = dict(extra or {})
            query["pagination.count"] = str(count)
            if cursor is not None:
                query["pagination.cursor"] = cursor
            body = self.check(template, path, query)
            if body is None:
                return items
            items.extend(body["data"][list_key])
            cursor = (body["data"].get("pagination") or {}).get("next")
            if not cursor:
                return items
            if cursor in seen:
                self.failures.append(f"{path}: cursor {cursor} repeated")
                return items
            seen.add(cursor)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--token", default="sim-token")
    parser.add_argument("--spec", default=os.path.join(
        here, "..", "tests", "data", "segment-openapi-v36.2.0.yaml"))
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    c = Checker(args.spec, args.base_url, args.token)

    keys = {"/sources": "sources", "/destinations": "destinations", "/warehouses": "warehouses",
            "/catalog/sources": "sourcesCatalog", "/catalog/destinations": "destinationsCatalog",
            "/catalog/warehouses": "warehousesCatalog", "/users": "users",
            "/groups": "userGroups", "/transformations": "transformations"}
    lists = {}
    for path in LIST_PATHS:
        lists[path] = c.walk(path, path, keys[path], args.count)

    for source in lists["/sources"]:
        sid = urllib.parse.quote(source["id"])
        c.walk("/sources/{sourceId}/connected-destinations",
               f"/sources/{sid}/connected-destinations", "destinations", args.count)
        c.walk("/sources/{sourceId}/connected-warehouses",
               f"/sources/{sid}/connected-warehouses", "warehouses", args.count)
    for destination in lists["/destinations"]:
        did = urllib.parse.quote(destination["id"])
        c.walk("/destinations/{destinationId}/subscriptions",
               f"/destinations/{did}/subscriptions", "subscriptions", args.count)
        for granularity in ("MINUTE", "HOUR"):
            c.check("/destinations/{destinationId}/delivery-metrics",
                    f"/destinations/{did}/delivery-metrics",
                    {"sourceId": destination["sourceId"], "granularity": granularity})
        c.walk("/destination/{destinationId}/filters", f"/destination/{did}/filters", "filters",
               args.count)

    # The newer endpoints.
    for path, key in (("/reverse-etl-models", "models"), ("/roles", "roles")):
        c.walk(path, path, key, args.count)
    for resource_type in ("SOURCE", "DESTINATION", "INSERT_DESTINATION"):
        c.walk("/functions", "/functions", "functions", args.count,
               {"resourceType": resource_type})
    c.check("/labels", "/labels")
    for plan in c.walk("/tracking-plans", "/tracking-plans", "trackingPlans", args.count):
        pid = urllib.parse.quote(plan["id"])
        for child in ("rules", "sources"):
            c.walk("/tracking-plans/{trackingPlanId}/" + child,
                   f"/tracking-plans/{pid}/{child}", child, args.count)
    for group in lists["/groups"]:
        c.walk("/groups/{userGroupId}/users",
               f"/groups/{urllib.parse.quote(group['id'])}/users", "users", args.count)
    for warehouse in lists["/warehouses"]:
        c.walk("/warehouses/{warehouseId}/syncs",
               f"/warehouses/{urllib.parse.quote(warehouse['id'])}/syncs", "reports", args.count)

    dump = json.loads(urllib.request.urlopen(c.base_url + "/__sim/dump", timeout=600).read())
    periods = list(dump["usage_api_calls_workspace_daily"].keys())
    usage_keys = {"/usage/api-calls/daily": "dailyWorkspaceAPICallsUsage",
                  "/usage/api-calls/sources/daily": "dailyPerSourceAPICallsUsage",
                  "/usage/mtu/daily": "dailyWorkspaceMTUUsage",
                  "/usage/mtu/sources/daily": "dailyPerSourceMTUUsage"}
    for path in USAGE_PATHS:
        for period in periods + ["2001-01-01"]:
            c.walk(path, path, usage_keys[path], args.count, {"period": period})

    c.walk("/audit-events", "/audit-events", "events", args.count)

    # Event volume in 30-day windows over everything the simulator holds (it allows 60
    # requests a minute: about 20 windows, one page each at the default count).
    first = min(point["time"] for result in dump["event_volume_daily"]
                for point in result["series"])
    start = datetime.datetime.fromisoformat(first.replace("Z", "+00:00"))
    today = datetime.datetime.now(datetime.timezone.utc)
    while start < today:
        end = start + datetime.timedelta(days=30)
        c.walk("/events/volume", "/events/volume", "result", 1000,
               {"granularity": "DAY", "startTime": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "endTime": end.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "groupBy": "source,eventName,eventType"})
        start = end
    c.walk("/audit-events", "/audit-events", "events", 7, {"resourceType": "source"})

    # Documented errors have documented bodies.
    c.check("/sources", "/sources", {"pagination.count": "0"}, expect=422)
    c.check("/sources/{sourceId}/connected-destinations", "/sources/nope/connected-destinations",
            expect=404)
    c.check("/usage/mtu/daily", "/usage/mtu/daily", expect=422)
    c.check("/functions", "/functions", expect=422)
    c.check("/events/volume", "/events/volume", {"granularity": "DAY"}, expect=422)
    c.token = "wrong"
    c.check("/sources", "/sources", expect=401)

    for failure in c.failures[:200]:
        print("FAIL", failure)
    print(f"{c.checked} responses validated, {len(c.failures)} failures")
    return 1 if c.failures else 0


if __name__ == "__main__":
    sys.exit(main())
