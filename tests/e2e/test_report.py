# SPDX-License-Identifier: Apache-2.0
"""`segsync report` (issue 17): two syncs of the simulator into SQLite and PostgreSQL, the report
of each rendered by headless Chromium (no console error, every section there), and every number
it shows equal to what the test's own queries of the destination give. Then the bad inputs: no
segsync tables, a missing file, a bad month, a month without data, streams not synced or not
entitled; and `demo` writing its report beside the database."""

import datetime
import html.parser
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
import time
import unittest
import urllib.parse

import harness as h
import pg_server

TOKEN = "e2e-report-token-7d2f19"
SCHEMA = "segment_report"
STREAMS = ["sources", "destinations", "warehouses", "users", "groups",
           "destination_delivery_metrics_summary", "usage_api_calls_per_source_daily",
           "usage_api_calls_workspace_daily", "usage_mtu_per_source_daily",
           "usage_mtu_workspace_daily", "audit_events"]
# The full-table streams among them whose history the Changes section reads.
HISTORY = ["sources", "destinations", "warehouses", "users", "groups"]
TODAY = datetime.datetime.now(datetime.timezone.utc).date()
START = (TODAY.replace(day=1) - datetime.timedelta(days=1)).replace(day=1)  # the month before
# A name from the API is hostile: it must reach the page as text.
HOSTILE = "<img src=x onerror=alert(1)> & \"quoted\" </td><script>alert(2)</script>"
SECTIONS = ["usage", "delivery", "inventory", "changes", "runs"]


def chromium():
    """The Chromium binary; the test fails without it (scripts/install-deps installs it)."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def render(test, path):
    """The DOM headless Chromium builds from the file; fails on any console message (a script
    error or a blocked load would print one)."""
    binary = chromium()
    test.assertIsNotNone(binary, "chromium is not installed; run scripts/install-deps")
    with tempfile.TemporaryDirectory(prefix="segsync-chromium-") as profile:
        result = subprocess.run(
            [binary, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
             f"--user-data-dir={profile}", "--enable-logging=stderr", "--v=0", "--dump-dom",
             "file://" + os.path.abspath(path)],
            capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    test.assertEqual(result.returncode, 0, result.stderr[-2000:])
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    test.assertEqual(console, [], "console messages while rendering the report")
    test.assertIn("</html>", result.stdout)
    return result.stdout


class Page(html.parser.HTMLParser):
    """The sections, the tables by id (rows of cell texts) and the 'missing' sentences."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.sections, self.tables, self.missing, self.headings = [], {}, {}, []
        self._section = None
        self._table = None
        self._row = None
        self._cell = None
        self._missing = None
        self._heading = None
        self.scripts = 0
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self.scripts += 1
        if tag == "section":
            self._section = attrs.get("id")
            self.sections.append(self._section)
        elif tag == "table" and attrs.get("id"):
            self._table = attrs["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = ""
        elif tag == "p" and attrs.get("class") == "missing":
            self._missing = ""
        elif tag == "h3":
            self._heading = ""

    def handle_endtag(self, tag):
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("td", "th") and self._cell is not None:
            self._row.append(self._cell)
            self._cell = None
        elif tag == "p" and self._missing is not None:
            self.missing.setdefault(self._section, []).append(self._missing)
            self._missing = None
        elif tag == "h3" and self._heading is not None:
            self.headings.append(self._heading)
            self._heading = None

    def handle_data(self, data):
        for name in ("_cell", "_missing", "_heading"):
            if getattr(self, name) is not None:
                setattr(self, name, getattr(self, name) + data)

    def body(self, table):
        """The rows of a table without its header row."""
        return self.tables[table][1:]


def moment(value):
    """A stored time (RFC 3339 text or PostgreSQL JSON) as the page writes it: ms, UTC, Z."""
    t = h.parse_time(re.sub(r"(\.\d{6})\d+", r"\1", value)).astimezone(datetime.timezone.utc)
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + f"{t.microsecond // 1000:03d}Z"


def instant(value):
    return h.parse_time(moment(value))


def count(n):
    return f"{n:,}"


def dom_text(text):
    """Text as a DOM holds it: an HTML parser turns CR LF and CR into LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def named(name, ident):
    """A resource's cell: its name and id, or the id where the name shows nothing."""
    return dom_text(ident if name is None or not name.strip() else f"{name} {ident}")


class SqliteDb:
    def __init__(self, path):
        self.path = path
        self.uri = "sqlite:" + path

    def query(self, sql):
        con = sqlite3.connect(self.path)
        con.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in con.execute(sql.format(**{t: f'"{t}"' for t in TABLES}))]
        finally:
            con.close()

    @staticmethod
    def json(value):
        return json.loads(value) if isinstance(value, str) else value


class PgDb:
    def __init__(self, pg):
        self.pg = pg
        self.uri = pg.uri(schema=SCHEMA)

    def query(self, sql):
        sql = sql.format(**{t: f'"{SCHEMA}"."{t}"' for t in TABLES})
        return self.pg.json(f"SELECT coalesce(json_agg(row_to_json(q)), '[]') FROM ({sql}) q")

    @staticmethod
    def json(value):
        return value


TABLES = STREAMS + [t + "_history" for t in HISTORY] + ["_segsync_runs"]


def expected_usage(db):
    """The Usage tables as the test computes them from the destination's rows."""
    def by_day(table, value):
        days = {}
        for r in db.query(f'SELECT "timestamp" AS ts, {value} AS v FROM {{{table}}}'):
            t = instant(r["ts"])
            key = (t.year, t.month, t.day)
            days[key] = max(days.get(key, r["v"]), r["v"])
        return days
    mtu = by_day("usage_mtu_workspace_daily", 'identified + anonymous - "anonymousIdentified"')
    api = by_day("usage_api_calls_workspace_daily", '"apiCalls"')
    year, month, _ = max(list(mtu) + list(api))
    prev = (year - 1, 12) if month == 1 else (year, month - 1)
    mtu_rows = [[str(d), count(v), count(mtu[(*prev, d)]) if (*prev, d) in mtu else ""]
                for (y, m, d), v in sorted(mtu.items()) if (y, m) == (year, month)]
    api_rows, before = [], None
    for (y, m, d), v in sorted(api.items()):
        if (y, m) == (year, month):
            api_rows.append([str(d), count(v if before is None else v - before), count(v)])
            before = v
    names = {r["id"]: r["name"] for r in db.query("SELECT id, name FROM {sources}")}

    def top(table, value):
        best = {}
        for r in db.query(f'SELECT "sourceId" AS s, "timestamp" AS ts, {value} AS v '
                          f'FROM {{{table}}}'):
            t = instant(r["ts"])
            if (t.year, t.month) == (year, month):
                best[r["s"]] = max(best.get(r["s"], r["v"]), r["v"])
        ranked = sorted(best.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        return [[named(names.get(s), s), count(v)] for s, v in ranked]
    return {
        "month": f"{year:04d}-{month:02d}",
        "usage-mtu": mtu_rows,
        "usage-api": api_rows,
        "top-mtu": top("usage_mtu_per_source_daily",
                       'identified + anonymous - "anonymousIdentified"'),
        "top-api": top("usage_api_calls_per_source_daily", '"apiCalls"'),
    }


def expected_delivery(db):
    sources = {r["id"]: r["name"] for r in db.query("SELECT id, name FROM {sources}")}
    destinations = {(r["id"], r["sourceId"]): r["name"]
                    for r in db.query('SELECT id, "sourceId", name FROM {destinations}')}
    rows = []
    for r in db.query('SELECT "sourceId", "destinationId", metrics FROM '
                      '{destination_delivery_metrics_summary} WHERE _deleted_at IS NULL'):
        totals = {m["metricName"]: round(m["total"]) for m in db.json(r["metrics"])}
        delivered, discarded = totals.get("successes", 0), totals.get("discarded", 0)
        retried, failed = totals.get("retried", 0), totals.get("expired", 0)
        everything = delivered + failed + discarded
        share = (failed + discarded) / everything if everything else 0.0
        rows.append(((-share, -failed, -retried, r["destinationId"], r["sourceId"]), [
            named(destinations.get((r["destinationId"], r["sourceId"])), r["destinationId"]),
            named(sources.get(r["sourceId"]), r["sourceId"]), count(delivered),
            count(discarded), count(retried), count(failed), f"{share * 100:.2f}%"]))
    return [row for _, row in sorted(rows, key=lambda r: r[0])]


def expected_inventory(db):
    counts = [[t, count(db.query(f"SELECT COUNT(*) AS n FROM {{{t}}} "
                                 "WHERE _deleted_at IS NULL")[0]["n"])]
              for t in ("sources", "destinations", "warehouses", "users", "groups")]
    live = {t: db.query(f"SELECT * FROM {{{t}}} WHERE _deleted_at IS NULL")
            for t in ("sources", "destinations", "warehouses")}
    disabled = sum(1 for rows in live.values() for r in rows if not r["enabled"])
    source_ids = {s["id"] for s in live["sources"]}
    with_destination = {d["sourceId"] for d in live["destinations"]}
    lonely = sum(1 for s in live["sources"] if s["id"] not in with_destination)
    orphans = sum(1 for d in live["destinations"] if d["sourceId"] not in source_ids)
    return counts, {"Disabled": disabled, "Sources with no destination": lonely,
                    "Destinations whose source is gone": orphans}


def expected_runs(db):
    runs = db.query("SELECT run_id, started_at, ended_at, status, streams FROM {_segsync_runs} "
                    "ORDER BY run_id DESC")
    out = []
    for r in runs[:10]:
        streams = db.json(r["streams"])
        ms = (instant(r["ended_at"]) - instant(r["started_at"])) // datetime.timedelta(
            milliseconds=1)
        outcomes = {}
        for s in streams:
            outcomes[s["outcome"]] = outcomes.get(s["outcome"], 0) + 1
        out.append([str(r["run_id"]), moment(r["started_at"]), f"{ms / 1000:.1f}s", r["status"],
                    count(sum(s["requests"] for s in streams)),
                    ", ".join(f"{n} {o}" for o, n in sorted(outcomes.items()))])
    latest = db.json(runs[0]["streams"])
    return out, [[s["stream"], s["outcome"], count(s["rows_written"]), count(s["requests"])]
                 for s in latest]


def expected_changes(db):
    """Per run, newest first: the changes its history versions tell (a version opened and one
    closed at one moment: updated; opened: added, or restored after a gap; closed: deleted)."""
    runs = db.query("SELECT run_id, started_at, ended_at FROM {_segsync_runs} ORDER BY run_id")
    per_run = {}
    for name in HISTORY:
        key = h.su.STREAMS_BY_NAME[name].key
        events = {}
        for r in db.query(f"SELECT * FROM {{{name}_history}}"):
            k = tuple(r[c] for c in key)
            events.setdefault((k, instant(r["_valid_from"])), set()).add("opened")
            if r["_valid_to"] is not None:
                events.setdefault((k, instant(r["_valid_to"])), set()).add("closed")
        seen = set()
        for (k, at), what in sorted(events.items(), key=lambda e: (e[0][1], e[0][0])):
            if what == {"opened", "closed"}:
                kind = "updated"
            elif what == {"opened"}:
                kind = "restored" if k in seen else "added"
            else:
                kind = "deleted"
            seen.add(k)
            run = next(r for r in runs if instant(r["ended_at"]) >= at)
            per_run.setdefault(run["run_id"], {"run": run, "kinds": {}})
            kinds = per_run[run["run_id"]]["kinds"]
            kinds[kind] = kinds.get(kind, 0) + 1
    out = []
    for run_id in sorted(per_run, reverse=True):
        kinds = per_run[run_id]["kinds"]
        out.append([str(run_id), moment(per_run[run_id]["run"]["started_at"]),
                    count(sum(kinds.values()))] +
                   [count(kinds.get(k, 0)) for k in ("added", "updated", "deleted", "restored")])
    return out


class ReportOfTwoSyncs(unittest.TestCase):
    """One workspace synced twice (a hostile rename, a disabled destination and a deleted
    source in between) into SQLite and PostgreSQL; the report of each."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory(prefix="segsync-e2e-report-")
        cls.sim = h.start_simulator(TOKEN).__enter__()
        cls.pg = pg_server.PgServer()
        cls.dbs = {"sqlite": SqliteDb(os.path.join(cls.dir.name, "segment.db")),
                   "postgresql": PgDb(cls.pg)}
        cls.syncs = []
        cls.sync_all()
        time.sleep(1.1)  # the simulator stamps audit events to the second
        truth = h.dump(cls.sim)
        sources = sorted(truth["sources"], key=lambda s: s["id"])
        # The source with the most MTUs this month: its new name is in the top-sources tables.
        cls.renamed = cls.dbs["sqlite"].query(
            'SELECT "sourceId" AS s FROM {usage_mtu_per_source_daily} WHERE "timestamp" >= '
            f"'{TODAY.replace(day=1).isoformat()}' ORDER BY identified + anonymous - "
            '"anonymousIdentified" DESC LIMIT 1')[0]["s"]
        h.admin(cls.sim, "/__sim/update?" + urllib.parse.urlencode(
            {"stream": "sources", "id": cls.renamed, "field": "name",
             "value": json.dumps(HOSTILE)}))
        destination = sorted(truth["destinations"], key=lambda d: d["id"])[0]
        h.admin(cls.sim, "/__sim/update?" + urllib.parse.urlencode(
            {"stream": "destinations", "id": destination["id"], "field": "enabled",
             "value": "false"}))
        owners = {d["sourceId"] for d in truth["destinations"]}
        gone = next(s["id"] for s in sources if s["id"] in owners and s["id"] != cls.renamed)
        h.admin(cls.sim, f"/__sim/delete?stream=sources&id={gone}")
        cls.sync_all()
        cls.pages = {}
        for kind, db in cls.dbs.items():
            out = os.path.join(cls.dir.name, f"report-{kind}.html")
            result = h.run_segsync(["report", "--destination", db.uri, "--out", out])
            cls.pages[kind] = (result, out)

    @classmethod
    def sync_all(cls):
        for db in cls.dbs.values():
            cls.syncs.append(h.run_segsync(
                ["sync", "--api-url", f"http://127.0.0.1:{cls.sim.port}", "--destination",
                 db.uri, "--streams", ",".join(STREAMS), "--start-date", START.isoformat(),
                 "-q"], env={"SEGMENT_API_TOKEN": TOKEN}))

    @classmethod
    def tearDownClass(cls):
        cls.pg.stop()
        cls.sim.__exit__(None, None, None)
        cls.dir.cleanup()

    def page(self, kind):
        result, out = self.pages[kind]
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.stderr, "")
        self.assertIn(out, result.stdout)
        return Page(render(self, out))

    def test_syncs_succeed(self):
        for result in self.syncs:
            self.assertEqual(result.returncode, 0, result.stderr)

    def check(self, kind):
        db = self.dbs[kind]
        page = self.page(kind)
        self.assertEqual(page.sections, SECTIONS)
        self.assertEqual(page.scripts, 0)
        self.assertEqual(page.missing, {}, "every section has data")
        usage = expected_usage(db)
        for table in ("usage-mtu", "usage-api", "top-mtu", "top-api"):
            self.assertTrue(usage[table], table)
            self.assertEqual(page.body(table), usage[table], f"{kind}: {table}")
        self.assertEqual(page.body("delivery-table"), expected_delivery(db), kind)
        counts, lists = expected_inventory(db)
        self.assertEqual(page.body("inventory-counts"), counts, kind)
        for heading, n in lists.items():
            self.assertIn(f"{heading} ({n})", page.headings, kind)
        self.assertGreaterEqual(lists["Disabled"], 1)
        changes = expected_changes(db)
        self.assertEqual([row[0] for row in changes], ["2", "1"], kind)
        self.assertEqual(page.body("changes-runs"), changes, kind)
        runs, latest = expected_runs(db)
        self.assertEqual(page.body("runs-table"), runs, kind)
        self.assertEqual([row[:4] for row in page.body("runs-latest")], latest, kind)
        return page

    def test_sqlite_report_shows_what_the_destination_holds(self):
        page = self.check("sqlite")
        # The hostile name is text in the table, not markup.
        cells = [row[0] for row in page.body("top-mtu") + page.body("top-api")]
        self.assertIn(f"{HOSTILE} {self.renamed}", cells)

    def test_postgres_report_shows_what_the_destination_holds(self):
        self.check("postgresql")

    def test_the_second_run_tells_who_renamed_the_source(self):
        page = self.page("sqlite")
        self.assertEqual(page.body("changes-runs")[0][0], "2")
        _, out = self.pages["sqlite"]
        with open(out, encoding="utf-8") as f:
            text = f.read()
        self.assertIn("Source Modified", text)
        self.assertNotIn("<img src=x", text)
        self.assertNotIn("<script>", text)

    def test_a_month_without_data_says_so(self):
        out = os.path.join(self.dir.name, "old.html")
        result = h.run_segsync(["report", "--destination", self.dbs["sqlite"].uri, "--out", out,
                                "--month", "2001-01"])
        self.assertEqual(result.returncode, 0, result.stderr)
        page = Page(render(self, out))
        self.assertEqual(page.sections, SECTIONS)
        usage = page.missing["usage"]
        self.assertEqual(len(usage), 4, usage)
        self.assertTrue(all(line.startswith("No data for 2001-01") for line in usage), usage)
        self.assertNotIn("usage-mtu", page.tables)
        self.assertIn("runs-table", page.tables)

    def test_bad_month_is_one_line_and_exit_2(self):
        for month in ("2025-13", "May 2025", "2025-5"):
            result = h.run_segsync(["report", "--destination", self.dbs["sqlite"].uri, "--out",
                                    os.path.join(self.dir.name, "x.html"), "--month", month])
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn("YYYY-MM", result.stderr)
        self.assertFalse(os.path.exists(os.path.join(self.dir.name, "x.html")))

    def test_a_postgres_schema_without_segsync_tables_is_one_line_and_exit_2(self):
        uri = self.pg.uri(schema="nothing_here")
        result = h.run_segsync(["report", "--destination", uri, "--out",
                                os.path.join(self.dir.name, "pg-empty.html")])
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
        self.assertIn("holds no segsync tables", result.stderr)


class ReportOfBadInput(unittest.TestCase):
    def run_report(self, d, destination, *extra):
        out = os.path.join(d, "r.html")
        return h.run_segsync(["report", "--destination", destination, "--out", out] +
                             list(extra)), out

    def test_a_missing_file_is_one_line_and_exit_2(self):
        with h.TempDir() as d:
            result, out = self.run_report(d, "sqlite:" + os.path.join(d, "nope.db"))
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn("does not exist", result.stderr)
            self.assertFalse(os.path.exists(out))
            self.assertFalse(os.path.exists(os.path.join(d, "nope.db")), "nothing is created")

    def test_a_database_without_segsync_tables_is_one_line_and_exit_2(self):
        with h.TempDir() as d:
            path = h.foreign_sqlite(d)
            result, out = self.run_report(d, "sqlite:" + path)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn("holds no segsync tables", result.stderr)
            self.assertFalse(os.path.exists(out))
            text = os.path.join(d, "notes.txt")
            with open(text, "w", encoding="utf-8") as f:
                f.write("not a database\n" * 100)
            result, out = self.run_report(d, "sqlite:" + text)
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertNotIn("Traceback", result.stderr)

    def test_streams_not_synced_or_not_entitled_say_why(self):
        with h.TempDir() as d, h.start_simulator(TOKEN, "--plan", "team") as sim:
            db = "sqlite:" + os.path.join(d, "team.db")
            sync = h.run_segsync(["sync", "--api-url", f"http://127.0.0.1:{sim.port}",
                                  "--destination", db, "--streams", "sources,audit_events", "-q"],
                                 env={"SEGMENT_API_TOKEN": TOKEN})
            self.assertEqual(sync.returncode, 0, sync.stderr)
            result, out = self.run_report(d, db)
            self.assertEqual(result.returncode, 0, result.stderr)
            page = Page(render(self, out))
            self.assertEqual(page.sections, SECTIONS)
            self.assertEqual(len(page.missing["usage"]), 4)
            self.assertTrue(all(line.startswith("Not synced") for line in page.missing["usage"]))
            self.assertIn("usage_mtu_workspace_daily", page.missing["usage"][0])
            self.assertTrue(page.missing["delivery"][0].startswith("Not synced"))
            self.assertEqual(page.body("inventory-counts")[1],
                             ["destinations", "not synced (no table destinations)"])
            with open(out, encoding="utf-8") as f:
                self.assertIn("Not entitled: the workspace&#39;s plan does not include what "
                              "audit_events reads (it needs the Audit Trail feature", f.read())

    def test_demo_writes_its_report_beside_the_database(self):
        with h.TempDir() as d:
            db = os.path.join(d, "demo.db")
            result = h.run_segsync(["demo", "--db", db, "--quiet"], cwd=d)
            self.assertEqual(result.returncode, 0, result.stderr)
            report = os.path.join(d, "demo.html")
            self.assertIn(report, result.stdout)
            with open(report, encoding="utf-8") as f:
                self.assertEqual(Page(f.read()).sections, SECTIONS)
            # A file the demo did not write is left alone.
            with open(report, "w", encoding="utf-8") as f:
                f.write("<p>mine</p>")
            result = h.run_segsync(["demo", "--db", db, "--quiet"], cwd=d)
            self.assertEqual(result.returncode, 0, result.stderr)
            with open(report, encoding="utf-8") as f:
                self.assertEqual(f.read(), "<p>mine</p>")
            self.assertIn("was not written", result.stdout)


if __name__ == "__main__":
    unittest.main()
