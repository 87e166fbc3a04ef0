# SPDX-License-Identifier: Apache-2.0
"""Shared pieces of the Singer and Airbyte protocol tests: the strict message schemas of
tests/data/schemas, record checks in the spirit of singer-check-tap and Airbyte's connector
acceptance tests (strict integers, RFC 3339 date-times, unique non-null primary keys), and
running the binary under another name (tap-segsync)."""

import datetime
import json
import os
import socket
import subprocess

import jsonschema

import harness as h

SCHEMAS = os.path.join(h.su.DATA_DIR, "schemas")
FORMAT_CHECKER = jsonschema.Draft7Validator.FORMAT_CHECKER

# CAT's rule: `1.0` is not an integer (draft-07 alone would accept it), nor is a boolean.
_STRICT_TYPES = jsonschema.Draft7Validator.TYPE_CHECKER.redefine(
    "integer", lambda _checker, v: isinstance(v, int) and not isinstance(v, bool))
StrictValidator = jsonschema.validators.extend(jsonschema.Draft7Validator,
                                               type_checker=_STRICT_TYPES)


def schema_validator(filename):
    """A draft-07 validator (with format checks) for one of the protocol schemas in tests/data."""
    with open(os.path.join(SCHEMAS, filename), encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=FORMAT_CHECKER)


def record_validator(schema):
    """Validates one record against its stream's discovered schema, integers strictly."""
    jsonschema.Draft7Validator.check_schema(schema)
    return StrictValidator(schema, format_checker=FORMAT_CHECKER)


def problems(validator, instance, limit=3):
    """Readable validation errors ('' when valid)."""
    return h.su.describe_errors(validator, instance, limit)


def protocol_lines(test, stdout, validator):
    """Every stdout line parsed, each checked to be one JSON object valid against `validator`.
    stdout must end with a newline and hold no blank line."""
    if stdout:
        test.assertTrue(stdout.endswith("\n"), "stdout must end with a newline")
    messages = []
    for number, line in enumerate(stdout.splitlines(), 1):
        test.assertTrue(line.strip(), f"line {number} of stdout is blank")
        try:
            message = json.loads(line)
        except ValueError as e:
            test.fail(f"line {number} of stdout is not JSON ({e}): {line[:300]}")
        test.assertIsInstance(message, dict, f"line {number}: {line[:300]}")
        found = problems(validator, message)
        test.assertEqual(found, "", f"line {number} breaks the protocol schema:\n{found}\n"
                                    f"{line[:500]}")
        messages.append(message)
    return messages


def is_utc_rfc3339(value):
    return h.su.is_rfc3339(value) and value.endswith("Z")


# The usage API answers each month with the snapshot at the start of the next month too, so a
# stream read month by month meets that row twice (sim/README.md, month-boundary overlap). Both are
# identical copies; only those four streams may repeat a key, and only with the very same record.
MONTH_OVERLAP = {"usage_api_calls_per_source_daily", "usage_api_calls_workspace_daily",
                 "usage_mtu_per_source_daily", "usage_mtu_workspace_daily"}


def check_primary_keys(test, stream, records, key):
    """Primary keys non-null, scalar, and unique within one snapshot of a stream."""
    seen = {}
    for record in records:
        values = tuple(record.get(k) for k in key)
        test.assertTrue(all(v is not None for v in values), f"{stream}: null key in {record}")
        test.assertTrue(all(not isinstance(v, (dict, list)) for v in values),
                        f"{stream}: key of object/array type in {record}")
        if values in seen:
            test.assertIn(stream, MONTH_OVERLAP, f"{stream}: duplicate primary key {values}")
            test.assertEqual(seen[values], record, f"{stream}: two different rows for {values}")
        seen[values] = record


def write_json(path, value):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(value, f)
    return path


def write_config(directory, sim, start_date, token=None, **extra):
    """A config file (the keys of README.md's settings table) pointing at the simulator."""
    config = {"api_token": token or sim.token, "api_url": f"http://127.0.0.1:{sim.port}",
              "start_date": start_date.isoformat()}
    config.update(extra)
    return write_json(os.path.join(directory, "config.json"), config)


def closed_port_url():
    """A loopback URL on which nothing listens: every request fails to connect."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def run(args, binary=None, timeout=600):
    """Run segsync (or `binary`) with no token in the environment."""
    env = {k: v for k, v in os.environ.items() if k != "SEGMENT_API_TOKEN"}
    return subprocess.run([binary or h.BIN] + list(args), capture_output=True, text=True,
                          env=env, timeout=timeout, stdin=subprocess.DEVNULL)


def tap_link(directory):
    """A symlink named tap-segsync to the segsync binary, as Meltano would install it."""
    link = os.path.join(directory, "tap-segsync")
    if not os.path.lexists(link):
        os.symlink(os.path.abspath(h.BIN), link)
    return link


def start_of_month(timestamp):
    t = datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    return t.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def parse_time(timestamp):
    return datetime.datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
