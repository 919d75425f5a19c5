# SPDX-License-Identifier: GPL-2.0
"""Progress that says when: which boots of a run are running, how many are
done, and about how long is left, from each boot's last recorded duration.

Durations are kept per kernel configuration (debug, debug-patched, kcsan,
bench: the build directory's name without its key) and per plan/boot in
$RDCACHE_CACHE/durations.json, written as each boot ends.  Where this
machine has none yet (a first run), scripts/host/durations-default.json
gives the figures of a warm run of this machine's kind (2 cores, TCG); a
boot with no figure at all is counted as the plan's longest known, or two
minutes.
"""

import json
import os
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULTS = os.path.join(HERE, "durations-default.json")
HOST = "(host-side tests)"


def cache_file():
    return os.path.join(os.environ.get("RDCACHE_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "rdcache"), "durations.json")


def config_of(kdir):
    """'debug' for .../build/debug-f50fa3cb085d; 'debug-patched' for
    .../debug-patched-10383e0569a4."""
    base = os.path.basename(os.path.normpath(kdir))
    head, _, key = base.rpartition("-")
    return head if head and len(key) >= 8 else base


def _load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def schedule(durations, jobs):
    """Seconds to run `durations` in order on `jobs` slots, each taking the
    next as soon as one is free (what a thread pool does)."""
    slots = [0.0] * max(1, jobs)
    for d in durations:
        i = slots.index(min(slots))
        slots[i] += d
    return max(slots) if durations else 0.0


class Progress:
    """Tracks one run's boots; prints a line to stderr as each starts and
    ends, and once a minute while any runs."""

    def __init__(self, kdir, plan, groups, jobs, host_tests, out=sys.stderr, tick=60, light=()):
        self.config = config_of(kdir)
        # Boots that take turns in one lane beside their group's pool (Boot.light).
        self.light = set(light)
        self.plan = plan
        # [[boot name, ...], ...]: the boots in the groups the run takes them.
        self.groups = groups
        self.jobs = jobs
        self.out = out
        # The defaults' configuration is the build directory's name without
        # its key; a patched kernel (KPATCH=1) borrows the stock figures.
        defaults = _load(DEFAULTS)
        base = defaults.get(self.config) or defaults.get(self.config.split("-")[0], {})
        self.known = {**base, **_load(cache_file()).get(self.config, {})}
        self.total = sum(len(g) for g in groups)
        self.done = 0
        self.running = {}  # name -> start time
        self.host_tests = host_tests
        self.t_host = time.monotonic()
        self.started = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.tick = tick
        self.thread = None

    def key(self, name):
        return f"{self.plan}/{name}"

    def expected(self, name):
        """The boot's last duration; else the longest of this plan's; else
        two minutes."""
        v = self.known.get(self.key(name))
        if v is None:
            mine = [d for k, d in self.known.items() if k.startswith(self.plan + "/") and not k.endswith(HOST)]
            v = max(mine, default=120)
        return float(v)

    def left(self, now=None):
        """Estimated seconds left: what the running boots have left (at least
        a tenth of their figure, once past it), then the groups not started."""
        now = now or time.monotonic()

        def left_of(n):
            return max(self.expected(n) - (now - self.running[n]), 0.1 * self.expected(n))

        def lanes(busy, light):
            # The light boots' lane runs beside the pool's.
            return max(schedule(busy, self.jobs), sum(light))

        started = set(self.started)
        rest = 0.0
        current = []
        for g in self.groups:
            todo = [n for n in g if n not in started]
            if len(todo) < len(g):
                current = todo
                continue
            if len(g) > 1:
                rest += lanes([self.expected(n) for n in g if n not in self.light],
                              [self.expected(n) for n in g if n in self.light])
            else:
                rest += self.expected(g[0])
        busy = [left_of(n) for n in self.running if n not in self.light] + \
            [self.expected(n) for n in current if n not in self.light]
        light = [left_of(n) for n in self.running if n in self.light] + \
            [self.expected(n) for n in current if n in self.light]
        return lanes(busy, light) + rest

    def line(self, what):
        left = self.left()
        running = ", ".join(sorted(self.running)) or "none"
        est = f"about {left / 60:.0f} min left" if left >= 90 else f"about {left:.0f} s left"
        print(f"rdcache: {what}; {self.done}/{self.total} boots done; running: {running}; {est}",
              file=self.out, flush=True)

    def begin(self):
        # The host-side tests run beside the first boots: not counted.
        total = self.left()
        print(f"rdcache: {self.plan}: {self.total} boots, {self.jobs} at a time; about {total / 60:.0f} min "
              f"from the last recorded durations ({self.config})", file=self.out, flush=True)
        self.thread = threading.Thread(target=self._ticker, daemon=True)
        self.thread.start()

    def host_done(self):
        if self.host_tests:
            with self.lock:
                self.record(HOST, time.monotonic() - self.t_host)

    def boot_started(self, name):
        with self.lock:
            self.running[name] = time.monotonic()
            self.started.append(name)
            self.line(f"boot {name} started")

    def boot_done(self, name):
        with self.lock:
            t0 = self.running.pop(name, None)
            self.done += 1
            secs = time.monotonic() - t0 if t0 else None
            if secs is not None:
                self.record(name, secs)
            self.line(f"boot {name} done" + (f" in {secs:.0f} s" if secs is not None else ""))

    def record(self, name, secs):
        """Keeps a duration, here and in the cache file (under self.lock)."""
        self.known[self.key(name)] = round(secs, 1)
        path = cache_file()
        data = _load(path)
        data.setdefault(self.config, {})[self.key(name)] = round(secs, 1)
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)
            # Two runs at once (a mutant's beside make test) must not share
            # a temporary file.
            fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".durations-")
            with os.fdopen(fd, "w") as f:
                json.dump(data, f, indent=1, sort_keys=True)
            os.replace(tmp, path)
        except OSError:
            pass

    def _ticker(self):
        while not self.stop.wait(self.tick):
            with self.lock:
                if self.running:
                    self.line("still running")

    def finish(self):
        self.stop.set()
