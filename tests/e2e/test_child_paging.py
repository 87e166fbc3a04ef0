# SPDX-License-Identifier: Apache-2.0
"""Child lists that span several pages: at scale `large` one parent of every paginated child stream
has more than 1000 children (sim/workspace.cc, `hub_children`), so segsync, asking for 1000 per
page, must follow `next` inside a parent. The rows must equal the simulator's truth, and the
request log must show, for every parent, exactly the pages its list has."""

import base64
import collections
import json
import math
import os
import re
import unittest
import urllib.parse
import urllib.request

import harness as h

TOKEN = "child-paging-token"
PAGE = 1000  # what segsync asks for
CHILDREN = {
    # stream: (parent stream, request path pattern)
    "source_connected_destinations": ("sources",
                                      re.compile(r"^/sources/([^/]+)/connected-destinations$")),
    "source_connected_warehouses": ("sources",
                                    re.compile(r"^/sources/([^/]+)/connected-warehouses$")),
    "destination_subscriptions": ("destinations",
                                  re.compile(r"^/destinations/([^/]+)/subscriptions$")),
}


def dump_streams(sim, names):
    url = f"http://127.0.0.1:{sim.port}/__sim/dump?streams={','.join(names)}"
    with urllib.request.urlopen(url, timeout=120) as r:
        return json.loads(r.read())


class ChildPaging(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls._dir = h.TempDir()
        d = cls._dir.__enter__()
        cls.db, log = os.path.join(d, "children.db"), os.path.join(d, "requests.jsonl")
        with h.start_simulator(TOKEN, "--scale", "large", "--seed", "13", "--audit-events", "0",
                               "--request-log", log) as sim:
            cls.result = h.sync(sim, cls.db, "--streams", ",".join(CHILDREN))
            cls.truth = dump_streams(sim, list(CHILDREN) + ["sources", "destinations"])
        cls.log = h.read_request_log(log)

    @classmethod
    def tearDownClass(cls):
        cls._dir.__exit__(None, None, None)

    def test_the_sync_succeeds(self):
        self.assertEqual(self.result.returncode, 0, self.result.stderr)

    def test_rows_equal_the_simulator(self):
        for name in CHILDREN:
            with self.subTest(stream=name):
                self.assertEqual(h.diff_stream(self.db, self.truth, name), [])

    def test_every_parent_is_read_page_by_page_following_next(self):
        for name, (parent, pattern) in CHILDREN.items():
            with self.subTest(stream=name):
                requests = collections.defaultdict(list)  # parent id -> queries, in order
                for entry in self.log:
                    m = pattern.match(entry["path"])
                    if m:
                        self.assertEqual(entry["status"], 200, entry)
                        requests[urllib.parse.unquote(m.group(1))].append(
                            urllib.parse.parse_qs(entry["query"]))
                per_parent = self.truth[name]
                self.assertEqual(set(requests), {p["id"] for p in self.truth[parent]})
                for parent_id, queries in requests.items():
                    pages = max(1, math.ceil(len(per_parent.get(parent_id, [])) / PAGE))
                    self.assertEqual(len(queries), pages, parent_id)
                    self.assertNotIn("pagination.cursor", queries[0], parent_id)
                    # The k-th page asks from offset k * PAGE: base64 of the decimal offset, the
                    # cursor the simulator put in the previous page's `next`.
                    for k, query in enumerate(queries[1:], start=1):
                        cursor = base64.b64encode(str(k * PAGE).encode()).decode()
                        self.assertEqual(query.get("pagination.cursor"), [cursor], parent_id)
                paged = [p for p, q in requests.items() if len(q) > 1]
                self.assertTrue(paged, f"no parent of {name} has a second page at {PAGE}")


if __name__ == "__main__":
    unittest.main()
