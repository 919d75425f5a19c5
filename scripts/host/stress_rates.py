#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The stress's measured rates, and what they say of its thresholds.

    stress_rates.py record RESULTS_DIR   add a make stress run's counts to
                                         scripts/host/stress-rates.json
    stress_rates.py show                 the measured rates and, for each of
                                         make test's threshold checks, its
                                         false-failure probability per run

A threshold check of scripts/selftests/stress/stress.sh ("steal happened in
at least MIN_STEAL% of the cycles") fails on a correct module when chance
gives fewer cycles with the case than the threshold.  Per run that
probability is P(X < ceil(MIN * n / 100)) for X ~ Binomial(n, p), n the
run's cycles and p the case's rate per cycle.  p is taken as the lower end
of a one-sided 99% Clopper-Pearson interval of the rate measured over at
least MIN_MEASURED cycles of the same configuration (put path, vCPUs,
workers, big-shape period), so that the figure errs on the side of
flakiness.  make test wants it below MAX_FALSE_FAILURE for every check.
"""

import json
import math
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
RATES = os.path.join(HERE, "stress-rates.json")
STRESS = os.path.join(TOP, "scripts", "selftests", "stress", "stress.sh")
MIN_MEASURED = 1000
MAX_FALSE_FAILURE = 0.001
CONFIDENCE = 0.99
# stress.sh's share checks: case name in its "case" lines -> threshold variable.
SHARES = {"steal": "MIN_STEAL", "resurrection": "MIN_RESURRECTION", "foreign-list": "MIN_FOREIGN",
          "last-pin": "MIN_LASTPIN"}


def binom_cdf(k, n, p):
    """P(X <= k), X ~ Binomial(n, p)."""
    if k < 0:
        return 0.0
    if k >= n:
        return 1.0
    if p <= 0.0:
        return 1.0
    if p >= 1.0:
        return 0.0
    total = 0.0
    for i in range(k + 1):
        total += math.exp(math.lgamma(n + 1) - math.lgamma(i + 1) - math.lgamma(n - i + 1)
                          + i * math.log(p) + (n - i) * math.log1p(-p))
    return min(1.0, total)


def lower_bound(hits, n, confidence=CONFIDENCE):
    """One-sided Clopper-Pearson lower bound of a rate seen `hits` times in
    `n` trials: the p at which P(X >= hits) = 1 - confidence."""
    if hits <= 0:
        return 0.0
    lo, hi = 0.0, hits / n
    for _ in range(100):
        mid = (lo + hi) / 2
        if 1.0 - binom_cdf(hits - 1, n, mid) < 1.0 - confidence:
            lo = mid
        else:
            hi = mid
    return lo


def false_failure(n, min_percent, p):
    """Probability that a run of `n` cycles fails `min_percent` by chance."""
    need = math.ceil(min_percent * n / 100)
    return binom_cdf(need - 1, n, p)


def thresholds(put):
    """{case: MIN percent} as stress.sh sets them for put path `put`."""
    with open(STRESS) as f:
        text = f.read()
    mins = {v: int(n) for v, n in re.findall(r'\$\{(MIN_[A-Z]+):=(\d+)\}', text)}
    over = re.search(r'if \[ "\$put" = dput_to_list \]; then\s*\n\s*: "\$\{MIN_RESURRECTION:=(\d+)\}"', text)
    out = {case: mins[var] for case, var in SHARES.items()}
    if put == "dput_to_list" and over:
        out["resurrection"] = int(over.group(1))
    return out


def key(put, cpus, workers, big):
    return f"{put}/{cpus}cpu/{workers}workers/big{big}"


def load():
    try:
        with open(RATES) as f:
            return json.load(f)
    except FileNotFoundError:
        return {"configs": {}}


def parse_run(lines):
    """(key, cycles, {case: cycles with it}) of one stress run's KTAP, or None."""
    text = "\n".join(lines)
    put = re.search(r"ShrinkList::put\(\) uses (\S+)", text)
    n = re.search(r"cycles=(\d+) with_husks=", text)
    conf = re.search(r"vCPUs: (\d+), workers: (\d+), big shape every (\d+) cycles", text)
    if not (put and n and conf):
        return None
    cases = {c: int(k) for c, k in re.findall(r"case (\S+) cycles=(\d+) events=\d+", text)}
    return key(put.group(1), *conf.groups()), int(n.group(1)), cases


def record(results):
    with open(os.path.join(results, "ktap.log"), errors="replace") as f:
        run = parse_run(f.read().splitlines())
    if not run:
        raise SystemExit(f"stress_rates: no stress run in {results}/ktap.log")
    k, n, cases = run
    data = load()
    c = data["configs"].setdefault(k, {"cycles": 0, "hits": {}, "runs": []})
    c["cycles"] += n
    for case, hits in cases.items():
        c["hits"][case] = c["hits"].get(case, 0) + hits
    c["runs"].append(os.path.basename(os.path.abspath(results)))
    with open(RATES, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    print(f"stress_rates: {k}: {c['cycles']} cycles measured in all")


def judge(put, cpus, workers, big, n):
    """[(case, probability or None, why)] for a make test stress run of `n`
    cycles on that configuration."""
    k = key(put, cpus, workers, big)
    c = load()["configs"].get(k)
    out = []
    for case, minimum in thresholds(put).items():
        if not c or c["cycles"] < MIN_MEASURED:
            out.append((case, None, f"{k}: {c['cycles'] if c else 0} cycles measured, "
                                    f"{MIN_MEASURED} needed (make stress records them)"))
            continue
        p = lower_bound(c["hits"].get(case, 0), c["cycles"])
        prob = false_failure(n, minimum, p)
        out.append((case, prob, f"at least {minimum}% of {n} cycles; rate {c['hits'].get(case, 0)}/{c['cycles']} "
                                f"(99% lower bound {p:.3f}): P(false failure) = {prob:.2e} per run"))
    return out


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "record":
        record(sys.argv[2])
        return 0
    if len(sys.argv) == 2 and sys.argv[1] == "show":
        for k, c in sorted(load()["configs"].items()):
            print(f"{k}: {c['cycles']} cycles: " + ", ".join(f"{case} {h}" for case, h in sorted(c["hits"].items())))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
