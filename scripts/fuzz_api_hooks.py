"""Schemathesis hooks for scripts/fuzz-api (loaded through SCHEMATHESIS_HOOKS).

- `no_server_error`: no 5xx, ever; the one exception is the documented 507 `quota_exceeded`
  (RFC 4918's Insufficient Storage: the user's quota is full, which a fuzz that uploads
  gigabytes of declared sizes does reach). It stands in for schemathesis' own
  `not_a_server_error`, which cannot tell the two apart.
- `healthz_after_every_case`: a check run on every response: the server's /healthz must still
  answer 200 (a request that stops or wedges the process fails the case that sent it).
- `before_call`: a long-poll of the change feed waits at most 1 s (see there); and
  DELETE /devices/{id} with the fuzzer's own device id would revoke the token
  the run authenticates with (every later case would only see 401); that one id is swapped
  for an unknown one, so the route is still fuzzed.
- Hypothesis names a filter's lambda by parsing its source file with `ast.parse`; on CPython
  3.11.7 that parse can raise `SystemError: AST constructor recursion depth mismatch` (a
  CPython bug, fixed in later 3.11 releases) when it runs deep in a stack, and schemathesis then
  reports a "Runtime Error" for the whole coverage phase though no request failed. The name is
  only a description, so that one error gets hypothesis' own "unknown" description instead.
"""

import atexit
import json
import os
import threading
import urllib.request

import schemathesis

try:  # an internal module of hypothesis: if it moves, the workaround below is simply off
    from hypothesis.internal import lambda_sources
except ImportError:
    lambda_sources = None

SERVER = os.environ["SYNCD_FUZZ_SERVER"]
OWN_DEVICE = os.environ.get("SYNCD_FUZZ_DEVICE_ID", "")

# How often each check of ours ran, written at exit for scripts/fuzz-api: a run in which they
# never ran (hooks not loaded, checks not selected) must not pass as "no 5xx".
_RUNS = {"no_server_error": 0, "healthz_after_every_case": 0}
_RUNS_LOCK = threading.Lock()


def _ran(name):
    with _RUNS_LOCK:
        _RUNS[name] += 1


@atexit.register
def _write_runs():
    path = os.environ.get("SYNCD_FUZZ_CHECKS_FILE")
    if path:
        with open(path, "w") as out:
            json.dump(_RUNS, out)


_lambda_description = lambda_sources.lambda_description if lambda_sources else None


def _lambda_description_or_unknown(f):
    try:
        return _lambda_description(f)
    except SystemError as error:
        if "recursion depth mismatch" not in str(error):
            raise
        return "lambda: <unknown>"


if lambda_sources:
    lambda_sources.lambda_description = _lambda_description_or_unknown


@schemathesis.check
def no_server_error(ctx, response, case):
    _ran("no_server_error")
    if response.status_code < 500:
        return
    if response.status_code == 507:
        try:
            if response.json().get("code") == "quota_exceeded":
                return
        except Exception:
            pass
    raise AssertionError(f"server error {response.status_code}: {response.text[:500]}")


@schemathesis.check
def healthz_after_every_case(ctx, response, case):
    _ran("healthz_after_every_case")
    try:
        with urllib.request.urlopen(SERVER + "/healthz", timeout=10) as answer:
            status = answer.status
    except Exception as error:  # refused, reset, timed out: the server is down or wedged
        raise AssertionError(f"/healthz does not answer after this case: {error}") from None
    if status != 200:
        raise AssertionError(f"/healthz answered {status} after this case")


@schemathesis.hook
def before_call(ctx, case, **kwargs):
    # A long-poll in range really waits (up to 60 s): at most 1 s here, so that a bounded run
    # stays short. Values out of range are sent as drawn (they must get 400 at once).
    if case.method.upper() == "GET" and case.path == "/changes" and case.query and "wait" in case.query:
        try:
            wait = float(case.query["wait"])
        except (TypeError, ValueError):
            wait = None
        if wait is not None and 1 < wait <= 60:
            case.query["wait"] = 1
    if OWN_DEVICE and case.method.upper() == "DELETE" and case.path == "/devices/{id}":
        if (case.path_parameters or {}).get("id") == OWN_DEVICE:
            case.path_parameters["id"] = "not-the-fuzzers-own-device"
