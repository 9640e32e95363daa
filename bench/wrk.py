"""Driving wrk: one Lua script per endpoint, and the figures read back from its ``done`` hook.

The scripts are generated: each carries the manifest's data it needs (session cookies, lesson
ids, the CSRF token). Signed-in requests rotate over many learners' sessions and carry the
signed-in hint cookie a signed-in browser has (``STREAM["VIEWER_COOKIE"]``); a page view
alternates the page and the viewer endpoint for the same learner (``also``), so wrk's requests
are two per view. Each sync request carries 100 events whose ids are new (a per-run nonce, the
wrk thread and a counter), so every request is real work and none is answered as a duplicate.
"""

import json
import os
import shutil
import subprocess
from dataclasses import dataclass

RESULT_MARK = "BENCH_JSON "
EVENTS_PER_SYNC = 100
SYNC_AT = "2026-11-27T10:00:00+09:00"


@dataclass(frozen=True)
class Endpoint:
    """What one load run asks for: ``signed_in`` requests carry a learner's session cookie
    and the signed-in hint; ``also`` is a second address asked after ``path`` by the same
    learner (a page view: the HTML, then the viewer endpoint); ``kind`` "sync" posts fresh
    events (with the CSRF cookie and header); ``server`` "bare" is ``bench/bare.py``."""

    name: str
    title: str
    method: str
    path: str
    signed_in: bool = False
    kind: str = "get"
    also: str = ""
    server: str = "django"

    @property
    def requests_per_view(self) -> int:
        return 2 if self.also else 1


def wrk_binary() -> str:
    """The wrk executable: found on PATH, else installed from Debian (wrk is a Debian package)."""
    found = shutil.which("wrk")
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt:
        sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
        # A fresh machine may not have package lists yet: install, else update and install.
        for steps in ([["install"]], [["update"], ["install"]]):
            for step in steps:
                extra = ["-y", "-q", "wrk"] if step == ["install"] else ["-q"]
                subprocess.run([*sudo, apt, *step, *extra], check=False)
            found = shutil.which("wrk")
            if found:
                return found
    raise SystemExit(
        "make bench needs wrk (an HTTP load generator) and could not install it. "
        "Install it with `sudo apt-get install wrk` (Debian/Ubuntu) or `brew install wrk`."
    )


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string literal for these values


def lua_script(endpoint: Endpoint, manifest: dict, *, nonce: int) -> str:
    """The wrk Lua script for ``endpoint``: requests, and a ``done`` hook printing JSON."""
    cookies = []
    if endpoint.signed_in or endpoint.kind == "sync":
        for learner in manifest["learners"]:
            cookie = f"{manifest['session_cookie']}={learner['session']}"
            if endpoint.kind == "get":
                cookie += f"; {manifest['viewer_cookie']}=1"
            if endpoint.kind == "sync":
                cookie += f"; {manifest['csrf_cookie']}={manifest['csrf_token']}"
            cookies.append(cookie)
    lessons = manifest["lesson_ids"] if endpoint.kind == "sync" else []
    return f"""
local method = {_lua_string(endpoint.method)}
local path = {_lua_string(endpoint.path)}
local also = {_lua_string(endpoint.also)}
local kind = {_lua_string(endpoint.kind)}
local cookies = {{{", ".join(_lua_string(c) for c in cookies)}}}
local lessons = {{{", ".join(str(i) for i in lessons)}}}
local csrf = {_lua_string(manifest["csrf_token"])}
local nonce = {nonce}
local per_sync = {EVENTS_PER_SYNC}
local at = {_lua_string(SYNC_AT)}
local threads = 0
local counter = 0

function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

function init(args)
  tid = tid or 0
  math.randomseed(nonce + tid * 7919)
end

local function event_id(seq)
  return string.format("%08x-%04x-4000-8000-%012x", nonce, tid, seq)
end

function request()
  counter = counter + 1
  local headers = {{}}
  local turn = counter
  local target = path
  if also ~= "" then
    -- a page view: the page, then the viewer endpoint, for the same learner
    turn = math.floor((counter + 1) / 2)
    if counter % 2 == 0 then target = also end
  end
  if #cookies > 0 then
    headers["Cookie"] = cookies[((turn * 7 + tid * 13) % #cookies) + 1]
  end
  headers["X-Forwarded-For"] = string.format("10.%d.%d.%d", tid, counter % 250, 7)
  if kind == "sync" then
    headers["Content-Type"] = "application/json"
    headers["X-CSRFToken"] = csrf
    local events = {{}}
    for i = 1, per_sync do
      local lesson = lessons[math.random(#lessons)]
      events[i] = string.format(
        '{{"id":"%s","type":"lesson_completed","lesson":%d,"at":"%s"}}',
        event_id(counter * per_sync + i), lesson, at)
    end
    return wrk.format(method, path, headers, '{{"events":[' .. table.concat(events, ",") .. ']}}')
  end
  return wrk.format(method, target, headers)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{RESULT_MARK}{{"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,'
    .. '"write":%d,"status":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
    .. '"mean_us":%.1f,"max_us":%d}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
"""


def parse_wrk_output(text: str) -> dict:
    """The figures of one wrk run, from the JSON line our ``done`` hook prints.

    Returns requests per second, latency percentiles in milliseconds, and errors: responses
    that were not 2xx/3xx plus socket errors (connect, read, write, timeout).
    """
    for line in text.splitlines():
        if line.startswith(RESULT_MARK):
            raw = json.loads(line[len(RESULT_MARK) :])
            break
    else:
        raise ValueError("wrk printed no result line:\n" + text[-2000:])
    seconds = raw["duration_us"] / 1_000_000
    socket_errors = raw["connect"] + raw["read"] + raw["write"] + raw["timeout"]
    return {
        "requests": raw["requests"],
        "seconds": round(seconds, 2),
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "non_2xx_3xx": raw["status"],
        "socket_errors": socket_errors,
        "errors": raw["status"] + socket_errors,
        "bytes_per_request": round(raw["bytes"] / raw["requests"]) if raw["requests"] else 0,
    }


def wrk_run(
    *, wrk: str, url: str, script_path: str, connections: int, duration: float, threads: int = 2
) -> dict:
    """Run wrk against ``url`` and return :func:`parse_wrk_output`'s figures."""
    command = [
        wrk,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{max(1, round(duration))}s",
        "--timeout",
        "10s",
        "--latency",
        "-s",
        script_path,
        url,
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse_wrk_output(done.stdout)
