# SPDX-License-Identifier: Apache-2.0
"""segsync under hostile conditions (issue 18, docs/when-things-go-wrong.md): a local API that
misbehaves on purpose (endless and gzip-bomb bodies, HTML 403s, odd values, endless cursors), a
PostgreSQL destination that holds a lock or stops answering, signals, and odd settings. Each test
fails without the fix it stands for."""

import http.server
import json
import os
import resource
import signal
import socketserver
import sqlite3
import subprocess
import threading
import time
import unittest
import zlib

import harness as h
import pg_server

TOKEN = "e2e-hostile-token-5b7c9d1e3f"


class HostileApi:
    """A loopback HTTP server; `routes` maps a path to a function(handler) that answers it."""

    def __init__(self):
        self.routes = {}
        self.requests = []
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802 (the stdlib's name)
                path = self.path.split("?")[0]
                api.requests.append(self.path)
                route = api.routes.get(path)
                try:
                    if route is None:
                        self.send_json(200, {"data": {path.strip("/"): [], "pagination": {}}})
                    else:
                        route(self)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def send_json(self, status, body, delay=0.0):
                time.sleep(delay)
                data = json.dumps(body).encode()
                self.send_raw(status, data)

            def send_raw(self, status, data, content_type="application/json", headers=()):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers:
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
            daemon_threads = True

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def source(i, **extra):
    return dict({"id": f"src{i}", "slug": f"s{i}", "name": f"Source {i}", "enabled": True,
                 "settings": {}}, **extra)


def sources_page(items, **pagination):
    return {"data": {"sources": items, "pagination": dict({"current": "c0"}, **pagination)}}


def sync(api, *extra, destination=None, env=None, timeout=120, retries="0"):
    with h.TempDir() as d:
        args = ["sync", "--api-url", api.url, "--max-retries", retries,
                "--destination", destination or "sqlite:" + os.path.join(d, "out.db")] + list(extra)
        return h.run_segsync(args, env=dict({"SEGMENT_API_TOKEN": TOKEN}, **(env or {})),
                             timeout=timeout)


class BodyLimitsTest(unittest.TestCase):
    def test_an_endless_body_is_cut_off_at_the_limit(self):
        def endless(handler):
            handler.send_response(200)
            handler.send_header("Content-Type", "application/json")
            handler.send_header("Transfer-Encoding", "chunked")
            handler.end_headers()
            chunk = b" " * (1 << 20)
            frame = b"%x\r\n" % len(chunk) + chunk + b"\r\n"
            handler.wfile.write(b'11\r\n{"data":{"users":\r\n')
            while True:
                handler.wfile.write(frame)

        with HostileApi() as api:
            api.routes["/users"] = endless
            started = time.monotonic()
            result = sync(api, "--streams", "users")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("larger than 256 MiB", result.stderr)
            self.assertLess(time.monotonic() - started, 60)

    def test_a_gzip_bomb_is_stopped_as_it_expands(self):
        compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
        parts = [compressor.compress(b'{"data":{"users":[')]
        block = b" " * (1 << 20)
        for _ in range(400):  # 400 MiB decoded, about 400 KB sent
            parts.append(compressor.compress(block))
        parts.append(compressor.compress(b"]}}") + compressor.flush())
        bomb = b"".join(parts)
        self.assertLess(len(bomb), 4 << 20)

        def send_bomb(handler):
            handler.send_raw(200, bomb, headers=[("Content-Encoding", "gzip")])

        with HostileApi() as api:
            api.routes["/users"] = send_bomb
            result = sync(api, "--streams", "users")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("larger than 256 MiB (decoded)", result.stderr)

    def test_running_out_of_memory_ends_like_any_failure(self):
        linked = subprocess.run(["ldd", h.BIN], capture_output=True, text=True).stdout
        if "asan" in linked or "tsan" in linked or "ASAN_OPTIONS" in os.environ:
            self.skipTest("a sanitizer reserves more address space than the limit allows")
        body = b'{"data":{"users":[' + b" " * (200 << 20) + b"]}}"  # below the body limit

        def limit_memory():
            resource.setrlimit(resource.RLIMIT_AS, (300 << 20, 300 << 20))

        with HostileApi() as api, h.TempDir() as d:
            api.routes["/users"] = lambda r: r.send_raw(200, body)
            db = os.path.join(d, "out.db")
            result = subprocess.run(
                [h.BIN, "sync", "--api-url", api.url, "--streams", "users", "--max-retries", "0",
                 "--destination", "sqlite:" + db], capture_output=True, text=True, timeout=120,
                env=dict(os.environ, SEGMENT_API_TOKEN=TOKEN), preexec_fn=limit_memory)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertEqual(len(result.stderr.strip().splitlines()), 1, result.stderr)
            self.assertIn("out of memory", result.stderr)
            self.assertNotIn(TOKEN, result.stderr + result.stdout)
            runs = h.rows(db, "_segsync_runs")
            self.assertEqual(len(runs), 1)
            self.assertIn("out of memory", runs[0]["streams"])

    def test_a_config_file_without_end_is_refused(self):
        started = time.monotonic()
        result = h.run_segsync(["sync", "--config", "/dev/zero"], timeout=60)
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("larger than 1 MiB", result.stderr)
        self.assertLess(time.monotonic() - started, 30)


class MessagesTest(unittest.TestCase):
    def test_quiet_still_prints_a_failed_stream(self):
        with HostileApi() as api:
            api.routes["/sources"] = lambda r: r.send_json(500, {"errors": [{"type": "Boom"}]})
            result = sync(api, "--streams", "sources", "--quiet")
            self.assertEqual(result.returncode, 1)
            self.assertIn("sources: failed", result.stderr)
            self.assertIn("after 1 attempt:", result.stderr)
            self.assertNotIn("1 attempts", result.stderr)

    def test_a_401_after_a_commit_says_what_was_kept(self):
        with HostileApi() as api:
            api.routes["/sources"] = lambda r: r.send_json(200, sources_page([source(1)]))
            api.routes["/users"] = lambda r: r.send_json(
                401, {"errors": [{"type": "Unauthorized"}]}, delay=1.5)
            result = sync(api, "--streams", "sources,users", "--max-concurrency", "1")
            self.assertEqual(result.returncode, 3, result.stderr)
            self.assertNotIn("Nothing was written", result.stderr)
            self.assertIn("committed before it are kept: sources (1 rows)", result.stderr)

    def test_a_403_that_is_not_segments_envelope_is_no_plan_gate(self):
        with HostileApi() as api:
            api.routes["/transformations"] = lambda r: r.send_raw(
                403, b"<html><body>Access denied by the firewall</body></html>", "text/html")
            result = sync(api, "--streams", "transformations")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertNotIn("not_entitled", result.stdout + result.stderr)
            self.assertIn("not the Segment API's", result.stderr)

    def test_a_failed_commit_reports_no_rows(self):
        with HostileApi() as api, h.TempDir() as d:
            db = os.path.join(d, "out.db")
            api.routes["/sources"] = lambda r: r.send_json(200, sources_page([source(1),
                                                                              source(2)]))
            first = sync(api, "--streams", "sources", destination="sqlite:" + db)
            self.assertEqual(first.returncode, 0, first.stderr)
            # Marking src2 deleted is the commit's last step: it fails as a full disk would.
            con = sqlite3.connect(db)
            con.execute("CREATE TRIGGER full BEFORE UPDATE OF _deleted_at ON sources "
                        "WHEN NEW._deleted_at IS NOT NULL "
                        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
            con.commit()
            con.close()
            api.routes["/sources"] = lambda r: r.send_json(200, sources_page([source(1)]))
            result = sync(api, "--streams", "sources", destination="sqlite:" + db)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("sources: failed, 0 rows", result.stderr)
            self.assertIn("sources  ", result.stdout)
            self.assertRegex(result.stdout, r"sources\s+0\s+0\s+0\s+")  # rows, changed, deleted


class ValuesTest(unittest.TestCase):
    def test_outsized_numbers_are_kept_as_written(self):
        body = ('{"data":{"sources":[{"id":"src1","slug":"s1","name":"N","enabled":true,'
                '"bigCounter":123456789012345678901234567890,'
                '"settings":{"huge":1e400,"big":-98765432109876543210987654321,"small":1}}],'
                '"pagination":{"current":"c0"}}}').encode()
        with HostileApi() as api, h.TempDir() as d:
            api.routes["/sources"] = lambda r: r.send_raw(200, body)
            db = os.path.join(d, "out.db")
            result = sync(api, "--streams", "sources", destination="sqlite:" + db)
            self.assertEqual(result.returncode, 0, result.stderr)
            self.assertEqual(len(api.requests), 1, "a page that arrived whole is not retried")
            row = h.rows(db, "sources")[0]
            self.assertEqual(row["bigCounter"], "123456789012345678901234567890")
            self.assertIn('"huge":1e400', row["settings"].replace(" ", ""))
            self.assertIn('"big":-98765432109876543210987654321', row["settings"].replace(" ", ""))

    def test_a_lone_surrogate_is_a_permanent_error_naming_the_field(self):
        body = ('{"data":{"sources":[{"id":"src1","slug":"s1","name":"bad \\ud800 text"}],'
                '"pagination":{"current":"c0"}}}').encode()
        with HostileApi() as api:
            api.routes["/sources"] = lambda r: r.send_raw(200, body)
            result = sync(api, "--streams", "sources", retries="3")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn('lone surrogate escape \\ud800 in field "name"', result.stderr)
            self.assertNotIn("truncated", result.stderr)
            self.assertEqual(len(api.requests), 1)

    def test_invalid_utf8_is_a_permanent_error_naming_the_field(self):
        body = (b'{"data":{"sources":[{"id":"src1","slug":"s1","name":"bad \xff text"}],'
                b'"pagination":{"current":"c0"}}}')
        with HostileApi() as api:
            api.routes["/sources"] = lambda r: r.send_raw(200, body)
            result = sync(api, "--streams", "sources", retries="3")
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn('invalid UTF-8 (byte 0xFF) in field "name"', result.stderr)
            self.assertEqual(len(api.requests), 1)


class TokenTest(unittest.TestCase):
    def test_plain_http_to_another_host_is_refused_before_connecting(self):
        result = h.run_segsync(["sync", "--api-url", "http://api.example.invalid"],
                               env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("clear text", result.stderr)
        self.assertIn("--allow-insecure-http", result.stderr)
        self.assertEqual(len(result.stderr.strip().splitlines()), 1)

    def test_a_token_on_the_command_line_is_scrubbed_and_warned_about(self):
        secret = "cmdline-token-8c1f0a2b3d4e"
        with HostileApi() as api:
            api.routes["/sources"] = lambda r: r.send_json(200, sources_page([]), delay=3)
            with h.TempDir() as d:
                proc = subprocess.Popen(
                    [h.BIN, "sync", "--api-url", api.url, "--api-token", secret, "--streams",
                     "sources", "--destination", "sqlite:" + os.path.join(d, "x.db")],
                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                try:
                    deadline = time.monotonic() + 20
                    while not api.requests and time.monotonic() < deadline:
                        time.sleep(0.05)
                    with open(f"/proc/{proc.pid}/cmdline", "rb") as f:
                        cmdline = f.read()
                    _, err = proc.communicate(timeout=60)
                finally:
                    if proc.poll() is None:
                        proc.kill()
                        proc.wait()
            self.assertNotIn(secret.encode(), cmdline)
            self.assertIn(b"--api-token", cmdline)
            self.assertEqual(proc.returncode, 0, err)
            self.assertIn("--api-token on the command line", err)

    def test_a_password_in_api_url_is_masked(self):
        with h.TempDir() as d:
            result = h.run_segsync(
                ["sync", "--api-url", "http://proxyuser:pr0xy-pa55word@127.0.0.1:9/",
                 "--streams", "sources", "--max-retries", "0",
                 "--destination", "sqlite:" + os.path.join(d, "x.db")],
                env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("127.0.0.1:9", result.stderr)
        self.assertNotIn("pr0xy-pa55word", result.stderr + result.stdout)


class ScriptsTest(unittest.TestCase):
    def test_sigterm_exits_143_and_sigint_130(self):
        for sent, code in ((signal.SIGTERM, 143), (signal.SIGINT, 130)):
            with self.subTest(signal=sent):
                self.stop_with(sent, code)

    def stop_with(self, sent, code):
        with HostileApi() as api, h.TempDir() as d:
            api.routes["/sources"] = lambda r: r.send_json(200, sources_page([]), delay=30)
            proc = subprocess.Popen(
                [h.BIN, "sync", "--api-url", api.url, "--streams", "sources", "--destination",
                 "sqlite:" + os.path.join(d, "x.db")],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                env=dict(os.environ, SEGMENT_API_TOKEN=TOKEN))
            deadline = time.monotonic() + 20
            while not api.requests and time.monotonic() < deadline:
                time.sleep(0.05)
            proc.send_signal(sent)
            _, err = proc.communicate(timeout=20)
            self.assertEqual(proc.returncode, code, err)
            self.assertIn("interrupted", err)

    def test_an_empty_stream_list_is_an_error(self):
        result = h.run_segsync(["sync", "--streams", ""], env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("name at least one stream", result.stderr)
        with h.TempDir() as d:
            path = os.path.join(d, "config.json")
            with open(path, "w") as f:
                json.dump({"streams": []}, f)
            result = h.run_segsync(["sync", "--config", path], env={"SEGMENT_API_TOKEN": TOKEN})
            self.assertEqual(result.returncode, 2, result.stderr)
            self.assertIn("name at least one stream", result.stderr)

    def test_endless_new_cursors_stop_when_pages_far_exceed_the_total(self):
        def page(handler):
            n = len(api.requests)
            handler.send_json(200, sources_page([source(n)], next=f"cursor-{n}", totalEntries=1))

        with HostileApi() as api:
            api.routes["/sources"] = page
            result = sync(api, "--streams", "sources", timeout=60)
            self.assertEqual(result.returncode, 1, result.stderr)
            self.assertIn("though the API said it holds 1 entries", result.stderr)
            self.assertLess(len(api.requests), 20)

    def test_a_start_date_before_segment_existed_is_refused(self):
        result = h.run_segsync(["sync", "--start-date", "1900-01-01"],
                               env={"SEGMENT_API_TOKEN": TOKEN})
        self.assertEqual(result.returncode, 2, result.stderr)
        self.assertIn("2012-01-01", result.stderr)


def server_pids(pg):
    """The postmaster and every process it started."""
    with open(os.path.join(pg.data, "postmaster.pid")) as f:
        postmaster = int(f.readline())
    pids = [postmaster]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == postmaster:
                pids.append(int(entry))
    return pids


def signal_all(pids, sent):
    for pid in pids:
        try:
            os.kill(pid, sent)
        except ProcessLookupError:
            pass  # a backend that was ending (a zombie until the postmaster reaped it)


class PostgresTest(unittest.TestCase):
    SCHEMA = "hostile"

    @classmethod
    def setUpClass(cls):
        cls.pg = pg_server.PgServer()
        cls.api = HostileApi()
        cls.api.routes["/sources"] = lambda r: r.send_json(200, sources_page([source(1)]))
        cls.uri = cls.pg.uri(schema=cls.SCHEMA)
        first = sync(cls.api, "--streams", "sources", destination=cls.uri)
        assert first.returncode == 0, first.stderr

    @classmethod
    def tearDownClass(cls):
        cls.api.stop()
        cls.pg.stop()

    def hold_lock(self):
        env = dict(os.environ, PGAPPNAME="hostile-lock-holder")
        holder = subprocess.Popen(
            [os.path.join(self.pg.bin, "psql"), "-X", "-q", "-d", self.pg.uri(), "-c",
             f'BEGIN; LOCK TABLE "{self.SCHEMA}".sources IN ACCESS EXCLUSIVE MODE; '
             "SELECT pg_sleep(120);"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        self.addCleanup(lambda: (holder.kill(), holder.wait()))
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.pg.psql("SELECT count(*) FROM pg_locks WHERE mode = 'AccessExclusiveLock' "
                            "AND relation = 'hostile.sources'::regclass").strip() != "0":
                return holder
            time.sleep(0.1)
        self.fail("the lock was not taken")

    def start_sync(self, *extra):
        proc = subprocess.Popen(
            [h.BIN, "sync", "--api-url", self.api.url, "--streams", "sources", "--destination",
             self.uri] + list(extra), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            env=dict(os.environ, SEGMENT_API_TOKEN=TOKEN))
        self.addCleanup(lambda: proc.poll() is None and (proc.kill(), proc.wait()))
        return proc

    def wait_for_lock_wait(self):
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.pg.psql("SELECT count(*) FROM pg_stat_activity WHERE application_name = "
                            "'segsync' AND wait_event_type = 'Lock'").strip() != "0":
                return
            time.sleep(0.1)
        self.fail("segsync never waited for the lock")

    def test_a_held_lock_fails_the_stream_naming_its_holder(self):
        self.hold_lock()
        started = time.monotonic()
        proc = self.start_sync("--destination-timeout", "2")
        _, err = proc.communicate(timeout=60)
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn("lock timeout", err)
        self.assertIn("application 'hostile-lock-holder'", err)
        self.assertLess(time.monotonic() - started, 40)

    def test_sigterm_during_a_blocked_write_ends_the_run_within_seconds(self):
        self.hold_lock()
        proc = self.start_sync()
        self.wait_for_lock_wait()
        signalled = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=30)
        self.assertLess(time.monotonic() - signalled, 10)
        self.assertEqual(proc.returncode, 143, err)
        self.assertIn("interrupted", err)

    def test_a_stopped_server_is_given_up(self):
        self.hold_lock()
        proc = self.start_sync("--destination-timeout", "2")
        self.wait_for_lock_wait()
        pids = server_pids(self.pg)
        signal_all(pids, signal.SIGSTOP)
        try:
            _, err = proc.communicate(timeout=60)
        finally:
            signal_all(pids, signal.SIGCONT)
        self.assertEqual(proc.returncode, 1, err)
        self.assertIn("got no answer within 7 s", err)


if __name__ == "__main__":
    unittest.main()
