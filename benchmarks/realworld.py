"""A corpus of real release pairs of instrumentation packages, one with a known per-operation
cost and the release without it, each audited through the real `otelaudit scan --quick` CLI
(`python -m otelaudit`) of an isolated, cached venv per release (this checkout installed
editable, the release and its library pins; tests/test_realworld.py layers them on its venv). It answers: does otelaudit find the real bug, rank it, and stay quiet
on the fix? The pairs, and the hot sites read in their wheels, are in realworld_pairs.py.

    python benchmarks/realworld.py [--pairs NAME ...] [--render]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import time
import venv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

from realworld_pairs import PAIRS, Pair  # benchmarks/ is on the path: it is the script's folder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
RESULTS = HERE / "results" / "realworld.json"
README = HERE / "README.md"
AUDIT_TIMEOUT_S = 3600  # a whole audit of one release; a timeout is recorded, not raised
START, END = "<!-- realworld:start (python benchmarks/realworld.py --render) -->", "<!-- realworld:end -->"


@dataclass(frozen=True)
class Seen:
    """One finding of a scan, as the table shows it."""

    rule: str
    function: str
    file: str
    calls_per_op: Optional[float]
    us_per_op: Optional[float]
    bytes_per_op: Optional[Tuple[float, float, float]] = None  # OA112: estimate, CI low, CI high
    held_by: str = ""  # OA112: the container holding what is retained


@dataclass(frozen=True)
class Audit:
    """One release scanned: the CLI's exit code, what it found, where the expected finding ranked."""

    version: str
    exit_code: int
    scan_s: float
    build_s: float  # 0 when the cached venv was reused
    status: str
    findings: Tuple[Seen, ...]
    rank: Optional[int]  # 1-based place of the expected finding among the scan's findings
    error: str = ""

    @property
    def expected(self) -> Optional[Seen]:
        return self.findings[self.rank - 1] if self.rank else None


@dataclass(frozen=True)
class PairResult:
    pair: Pair
    bad: Audit
    good: Audit
    conditions: Dict[str, Any] = field(default_factory=dict)

    @property
    def quiet_on_fix(self) -> bool:
        return self.good.rank is None and self.good.status == "ok"

    @property
    def rank_among_removed(self) -> Optional[int]:
        """Place of the expected finding among those the good release no longer has: what the
        fix removed, as otelaudit ranks it (costs both releases share, such as the API's, drop out)."""
        kept = {(s.rule, s.file, s.function) for s in self.good.findings}
        removed = [s for s in self.bad.findings if (s.rule, s.file, s.function) not in kept]
        hit = self.bad.expected
        return removed.index(hit) + 1 if hit in removed else None


def cache_root() -> Path:
    base = os.environ.get("OTELAUDIT_CACHE") or os.path.join(Path.home(), ".cache", "otelaudit")
    return Path(base) / "realworld"


def release_env(pair: Pair, version: str, root: Path, layered: bool = False) -> Tuple[Path, float]:
    """A venv holding this checkout (editable), the release and its pins: reused when it still
    imports what it should, rebuilt when not. Returns its python and the seconds spent building.
    `layered`: the venv sees this interpreter's site-packages (which must hold this checkout)
    beneath its own, so only what the release pins differently is installed: seconds instead of
    minutes, at the price of isolation (what the release does not pin comes from this environment)."""
    requirements = pair.requirements(version)
    # otelaudit's own requirements are part of the key: a new dependency needs a new venv.
    own = (REPO / "pyproject.toml").read_text().split("\ndependencies = [", 1)[-1].split("]", 1)[0]
    base = sysconfig.get_paths()["purelib"] if layered else ""
    key = hashlib.sha256(json.dumps([sys.version, str(REPO), sorted(requirements), own, base]).encode()).hexdigest()[:12]
    home = root / f"{pair.distribution}-{version}-{key}"
    python = home / "bin" / "python"
    if (home / "ready.json").exists() and _importable(python, requirements):
        return python, 0.0
    started = time.monotonic()
    shutil.rmtree(home, ignore_errors=True)
    venv.EnvBuilder(with_pip=False, clear=True).create(str(home))
    if layered:
        # A .pth line appends the base after the venv's own site-packages, .pth files and all.
        purelib = Path(sysconfig.get_path("purelib", vars={"base": str(home), "platbase": str(home)}))
        (purelib / "_otelaudit_base.pth").write_text(f"import site; site.addsitedir({base!r})\n")
    own_install = () if layered else ("-e", str(REPO))
    # --no-compile: bytecode is written on first import, and only for the modules a scan imports.
    command = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-compile",
               "--disable-pip-version-check", *own_install, *requirements]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=1200)
    if completed.returncode != 0 or not _importable(python, requirements):
        lines = [ln for ln in completed.stderr.splitlines() if ln.strip() and not ln.startswith("WARNING")]
        raise RuntimeError(f"cannot build a venv for {' '.join(requirements)}: {lines[-1] if lines else 'broken'}")
    (home / "ready.json").write_text(json.dumps({"requirements": requirements, "layered_on": base}))
    return python, round(time.monotonic() - started, 1)


def _importable(python: Path, requirements: Sequence[str]) -> bool:
    """The otelaudit CLI imports from this checkout, and every requirement holds as installed.
    Specifiers too, not only `==` pins: a layered venv installs nothing the base beneath already
    satisfies (e.g. `setuptools<70`), and the base can change under it later."""
    check = ("import sys, importlib.metadata as m, otelaudit.cli, otelaudit.pipeline\n"
             "from packaging.requirements import Requirement\n"
             f"assert otelaudit.cli.__file__.startswith({str(REPO)!r})\n"
             f"wanted = [Requirement(r) for r in {list(requirements)!r}]\n"
             "def held(r):\n"
             "    try:\n        return r.specifier.contains(m.version(r.name), prereleases=True)\n"
             "    except m.PackageNotFoundError:\n        return False\n"
             "sys.exit(0 if all(held(r) for r in wanted) else 1)")
    try:
        return subprocess.run([str(python), "-c", check], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def audit(pair: Pair, version: str, root: Optional[Path] = None, options: Sequence[str] = (),
          reports: Optional[Dict[Tuple[Any, ...], Tuple[int, float, float, str, str]]] = None,
          layered: bool = False) -> Audit:
    """Builds (or reuses) the release's venv and scans it with that venv's own `otelaudit`
    (`options` are added to the pair's own). `reports` keeps each scan's outcome by what was
    scanned, so a second pair on the same release is judged on the same report. `layered`: see
    release_env."""
    key = (pair.requirements(version), pair.command, pair.target, pair.options, tuple(options), layered)
    outcome = reports.get(key) if reports is not None else None
    if outcome is None:
        outcome = _scanned(pair, version, root, options, layered)
        if reports is not None:
            reports[key] = outcome
    code, scan_s, build_s, text, error = outcome
    if not text:
        return Audit(version, code, scan_s, build_s, "timeout" if code == -1 else "no-report", (), None, error)
    return _judged(pair, version, code, scan_s, build_s, text, error)


def _scanned(pair: Pair, version: str, root: Optional[Path], options: Sequence[str],
             layered: bool) -> Tuple[int, float, float, str, str]:
    """One real scan: (exit code, scan seconds, venv build seconds, JSON report text, last error line)."""
    python, build_s = release_env(pair, version, root or cache_root(), layered)
    env = {k: v for k, v in os.environ.items() if not k.startswith("OTEL_") and k != "PYTHONPATH"}
    with tempfile.TemporaryDirectory(prefix="otelaudit-realworld-") as work:
        report_path = Path(work) / "report.json"
        extra = ["--no-auto"] if pair.command == "coldstart" else []
        quick = ["--quick"] if pair.quick else []
        command = [str(python), "-m", "otelaudit", pair.command, *quick, *extra, *pair.options, *options, pair.target,
                   "--json", str(report_path), "--quiet"]
        started = time.monotonic()
        try:
            completed = subprocess.run(command, capture_output=True, text=True, cwd=work, env=env,
                                       timeout=AUDIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            return -1, round(time.monotonic() - started, 1), build_s, "", \
                f"the audit did not finish within {AUDIT_TIMEOUT_S} s"
        scan_s = round(time.monotonic() - started, 1)
        text = report_path.read_text() if report_path.exists() else ""
    error = "" if completed.returncode == 0 else (completed.stderr.strip().splitlines() or ["no output"])[-1]
    return completed.returncode, scan_s, build_s, text, error


def _judged(pair: Pair, version: str, code: int, scan_s: float, build_s: float, text: str, error: str) -> Audit:
    from otelaudit.model.files import loads

    report = loads(text)
    audited: Sequence[Any] = (report.cold_start.targets if report.cold_start else ()) if pair.command == "coldstart" \
        else report.results
    results = [r for r in audited if r.distribution == pair.distribution] or list(audited)
    if not results:
        return Audit(version, code, scan_s, build_s, "no-result", (), None, error)
    result = results[0]
    seen = tuple(Seen(f.rule, f.call_site.function if f.call_site else "", _cited(f.call_site.file) if f.call_site else "",
                      f.calls_per_op, f.us_per_op.estimate if f.us_per_op else None,
                      (f.bytes_per_op.estimate, f.bytes_per_op.ci_low, f.bytes_per_op.ci_high) if f.bytes_per_op
                      else None, f.target or "") for f in result.findings)
    rank = next((i + 1 for i, s in enumerate(seen) if s.rule == pair.rule and s.function == pair.function
                 and s.file.endswith(pair.file_suffix)), None)
    failure = result.failure.message if result.failure else ""
    return Audit(version, code, scan_s, build_s, str(result.status), seen, rank, error or failure)


def _cited(path: str) -> str:
    """A path as people cite it (after site-packages), so both releases' venvs compare."""
    return path.replace(os.sep, "/").rsplit("site-packages/", 1)[-1]


def run(names: Sequence[str]) -> List[PairResult]:
    chosen = [p for p in PAIRS if not names or p.name in names]
    results = []
    # Pairs that name two costs of the same releases judge one scan per release, not two.
    reports: Dict[Tuple[Any, ...], Tuple[int, float, float, str, str]] = {}
    for pair in chosen:
        began = {"started": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpus": os.cpu_count(),
                 "python": sys.version.split()[0], "load_average_1_5_15": [round(x, 2) for x in os.getloadavg()]}
        bad, good = audit(pair, pair.bad, reports=reports), audit(pair, pair.good, reports=reports)
        result = PairResult(pair, bad, good, {**began, "load_average_after": list(os.getloadavg())})
        results.append(result)
        print(f"{pair.name}: rank {bad.rank} ({result.rank_among_removed} among what the fix removed), quiet on "
              f"the fix: {result.quiet_on_fix}; scans {bad.scan_s} + {good.scan_s} s", file=sys.stderr)
    return results


def save(results: Sequence[PairResult]) -> None:
    """Merges by pair name, so running a few pairs keeps the others' last figures."""
    previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {"pairs": []}
    fresh = {r.pair.name: {**asdict(r), "rank_among_removed": r.rank_among_removed} for r in results}
    kept = [p for p in previous["pairs"] if p["pair"]["name"] not in fresh]
    order = {p.name: i for i, p in enumerate(PAIRS)}
    merged = sorted([*kept, *fresh.values()], key=lambda p: order.get(p["pair"]["name"], len(order)))
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps({"pairs": merged}, indent=2) + "\n")


def table(data: Dict[str, Any]) -> List[str]:
    rows = ["| pair (bad → good) | expected | what the bad release's audit found first | rank of the expected "
            "finding (among what the fix removed) | calls/op | µs/op | wall time bad + good (venv builds) "
            "| quiet on the fix? |", "| --- | --- | --- | --- | --- | --- | --- | --- |"]
    for entry in data["pairs"]:
        pair, bad, good = entry["pair"], entry["bad"], entry["good"]
        first = bad["findings"][0] if bad["findings"] else None
        hit = bad["findings"][bad["rank"] - 1] if bad["rank"] else None
        found = f"{first['rule']} {first['function']}()" if first else f"nothing ({bad['status']}{_why(bad)})"
        rank = f"{bad['rank']} ({entry.get('rank_among_removed')})" if bad["rank"] else "**not found**"
        quiet = "yes" if good["rank"] is None and good["status"] == "ok" else (
            "**no**" if good["rank"] else f"not measured ({good['status']}{_why(good)})")
        rows.append(
            f"| {_linked(pair['name'], pair['reference'])} `{pair['distribution']}` {pair['bad']} → {pair['good']} "
            f"| {pair['rule']} `{pair['function']}()` | {found} | {rank} "
            f"| {_num(hit and hit['calls_per_op'])} | {_num(hit and hit['us_per_op'])} "
            f"| {bad['scan_s']:.0f} + {good['scan_s']:.0f} s ({bad['build_s'] + good['build_s']:.0f} s) | {quiet} |")
    return rows


def _linked(name: str, reference: str) -> str:
    return f"[{name}]({reference})" if reference.startswith("https://") else f"{name} ({reference})"


def _num(value: Optional[float]) -> str:
    return "–" if value is None else f"{value:.3g}" if value < 1000 else f"{value:,.0f}"  # never 2.2e+05


def _why(audit: Dict[str, Any]) -> str:
    return f": {audit['error'][:80]}" if audit.get("error") else ""


def render() -> None:
    data = json.loads(RESULTS.read_text())
    loads = [p["conditions"]["load_average_1_5_15"][0] for p in data["pairs"] if p.get("conditions")]
    when = sorted(p["conditions"]["started"] for p in data["pairs"] if p.get("conditions"))
    section = ["### Real release pairs (`python benchmarks/realworld.py`)", "",
               "Each pair is a real release with a known per-operation or import-time cost (bad) and the release "
               "without it (good: the fix, or for a cost introduced, the release before it); "
               "the hot sites were read in the wheels (`bad_site`/`good_site` in `benchmarks/realworld_pairs.py`). "
               "Each release is audited in its own cached venv by that venv's `python -m otelaudit scan --quick` "
               "(import-time pairs: `coldstart --quick --no-auto`), two pairs on the same releases from one scan each; the rank in brackets counts only the findings the "
               "good release no longer has. Pairs not listed here have not been run yet. Measured "
               f"{when[0] if when else '?'} to {when[-1] if when else '?'}, 1-min load average "
               f"{min(loads, default=0):.1f}–{max(loads, default=0):.1f}: the machine (2 cores) was shared with other "
               "sessions' builds and scans, so wall times are longer than on a quiet machine.", "", *table(data), ""]
    text = README.read_text()
    if START not in text:
        text = text.rstrip() + f"\n\n## Real-world pairs\n\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    README.write_text(f"{head}{START}\n\n" + "\n".join(section) + f"\n{END}{rest.split(END, 1)[1]}")
    print(f"wrote the real-world section of {README}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--pairs", nargs="*", default=[], metavar="NAME", help=f"of: {', '.join(p.name for p in PAIRS)}")
    parser.add_argument("--render", action="store_true", help="only write the README section from the results")
    args = parser.parse_args(argv)
    unknown = set(args.pairs) - {p.name for p in PAIRS}
    if unknown:
        print(f"unknown pair(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    if not args.render:
        save(run(args.pairs))
    render()
    return 0


if __name__ == "__main__":
    sys.exit(main())
