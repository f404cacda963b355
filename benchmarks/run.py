"""The course's speed figures, printed (never asserted): `python3 course.py bench [--only PART ...]`.

1. course     executing every solution notebook as the test suite does (pytest + nbval), per lesson
              and in total, beside the floor (a notebook that only imports numpy, matplotlib and
              ipywidgets) and the runner's start-up. Goal: total <= 1.5 x (lessons x floor + start-up).
2. explorers  for every explorer, the time from setting a control's value to the new picture
              (headless, Agg, in an asyncio event loop as in a kernel), median and 95th percentile over
              60 changes; Lesson 7's explorer trains on between changes, which come at random moments of
              its runs. Goal: median <= 30 ms, p95 <= 60 ms. A full redraw (savefig) of the same figure
              (for Lesson 7: after the whole training run) is timed beside it.
3. autograde  seconds per submitted notebook for one lesson with 20 synthetic submissions through
              real `nbgrader autograde` in a throw-away course root, beside nbgrader's start-up and
              the kernel start-up floor; once with each kernel in the grading sandbox (bubblewrap) and
              once unsandboxed (same guard, same IPC transport), and the sandbox's cost per submission
              (goal: under +0.5 s).
4. grading    seconds per submission when `course.py grade` grades a class of synthetic Lesson 1 submissions
              (20 and 100; solutions, blanks and known-wrong answers) in a throw-away course root, sandbox on,
              one submission at a time (--workers 1, as grading was done before) and two per core (the
              default). Goal: 100 submissions in at most 2 minutes on 2 cores.
5. training   one training epoch of the capstone network (Lesson 7: 64 -> 128 -> 64 -> 10, batches of 32, the
              solution's functions on the solution's own layers), median of several epochs, in samples per second,
              with numpy's default BLAS threads and with one thread (as the lesson's explorer trains).
6. tests      the test command itself (`python3 course.py test`, on every core, in this environment): its wall
              time and its ten slowest tests. Goal: at most 6 minutes on 2 cores. Not in the default run (it
              takes as long as the suite): `--only tests`.

The machine's load average is printed with every part: other work on the machine slows every figure.
"""
import argparse
import asyncio
import contextlib
import inspect
import io
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT / "tests"))  # the test suite's tools (tests/ is not a package)

from course_tools import (LESSON_NAMES, SOLUTIONS, control_values, fill_in, make_course_root,  # noqa: E402
                          nbgrader, run_notebook, solution_namespace, solution_sources)

FLOOR_SOURCE = "import numpy as np\nimport matplotlib.pyplot as plt\nimport ipywidgets as widgets\n"


def load():
    one, five, _ = os.getloadavg()
    return f"load average {one:.1f} (1 min), {five:.1f} (5 min) on {os.cpu_count()} CPUs"


def pct(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


# --- 1. course execution -------------------------------------------------------------

def timed_pytest(args, cwd):
    """Run pytest with the timing plugin; return (wall seconds, the plugin's record, process start)."""
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        env = dict(os.environ, BENCH_OUT=out.name, MPLBACKEND="Agg",
                   PYTHONPATH=os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")])))
        began = time.time()
        proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "nbval_timer", *args], cwd=cwd, env=env,
                              capture_output=True, text=True)
        wall = time.time() - began
        record = json.loads(Path(out.name).read_text() or "{}")
    if proc.returncode != 0:
        print(proc.stdout[-3000:], proc.stderr[-2000:], sep="\n")
        raise SystemExit(f"pytest {' '.join(args)} failed; the figures would mean nothing")
    return wall, record, began


def bench_course():
    print(f"\n== Course execution (pytest + nbval, as the test suite runs it); {load()}")
    with tempfile.TemporaryDirectory() as tmp:
        import nbformat

        for i in range(3):
            nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(FLOOR_SOURCE)])
            nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
            nbformat.write(nb, Path(tmp) / f"floor_{i}.ipynb")
        _, record, _ = timed_pytest(["-c", str(ROOT / "pyproject.toml"), "--rootdir", tmp, tmp], cwd=tmp)
        floors = [end - start for start, end in record["notebooks"].values()]
    floor = statistics.median(floors)

    wall, record, began = timed_pytest(["solutions"], cwd=ROOT)
    startup = record["start"] - began
    print(f"{'notebook':60s} {'seconds':>8s}")
    for path, (start, end) in sorted(record["notebooks"].items()):
        print(f"{path:60s} {end - start:6.2f} s")
    lessons = len(record["notebooks"])
    goal = 1.5 * (lessons * floor + startup)
    print(f"{'floor notebook (numpy, matplotlib, ipywidgets), median of 3':60s} {floor:6.2f} s")
    print(f"{'runner start-up (pytest + nbval until the first cell)':60s} {startup:6.2f} s")
    print(f"{'total, ' + str(lessons) + ' notebooks (whole pytest run)':60s} {wall:6.2f} s")
    print(f"{'goal 1.5 x (' + str(lessons) + ' x floor + start-up)':60s} {goal:6.2f} s   "
          f"({wall / goal:.2f} of the goal: {'within' if wall <= goal else 'OVER'})")


# --- 2. explorer latency --------------------------------------------------------------

def changes(controls, count):
    """`count` (control, value) pairs: each control in turn, swept across its range and back."""
    sweeps = {}
    for name, control in controls.items():
        if isinstance(control.value, bool):
            continue
        values = control_values(control, stops=13)
        sweeps[name] = values + values[-2:0:-1]
    pairs, i = [], 0
    while len(pairs) < count and sweeps:
        for name, values in sweeps.items():
            pairs.append((controls[name], values[i % len(values)]))
        i += 1
    return pairs[:count]


def time_changes(explorer, pairs):
    """Milliseconds per effective change (a value equal to the current one is skipped), and of them in update.

    The changes are made in an asyncio event loop, as a kernel receives them. An explorer that trains in
    steps (Lesson 7) goes on with its run between changes; each change comes after a pause drawn at random
    (0 to 0.4 s), while a run is still going or after it ended, and its time counts from the end of that
    pause: a change that comes during a step waits for it, as in a kernel. 'in update' is then the first
    step's time.
    """
    times, in_update, update = [], [], explorer._update

    def timed_update(**values):
        began = time.perf_counter()
        result = update(**values)
        if inspect.isgenerator(result):
            return _timed_first_step(result, began, in_update)
        in_update.append((time.perf_counter() - began) * 1000)
        return result

    explorer._update = timed_update
    try:
        return asyncio.run(_time_changes(explorer, pairs, times, inspect.isgeneratorfunction(update))), in_update
    finally:
        explorer._update = update


def _timed_first_step(steps, began, in_update):
    first = next(steps, _END)
    in_update.append((time.perf_counter() - began) * 1000)
    if first is not _END:
        yield first
        yield from steps


_END = object()


async def _time_changes(explorer, pairs, times, stepwise):
    pauses = random.Random(0)
    for control, value in pairs:
        if control.value == value:
            continue
        due = time.monotonic()
        if stepwise:  # the learner pauses; the run in progress goes on meanwhile
            pause = pauses.uniform(0, 0.4)
            due += pause
            await asyncio.sleep(pause)
        control.value = value
        times.append((time.monotonic() - due) * 1000)
        if explorer.status.value:
            raise SystemExit(f"explorer error at {control.description}={value}: {explorer.status.value}")
    return times


def full_redraw_ms(explorer, pairs):
    """The same changes rendered without the explorer's cache: update, then savefig of the whole figure."""
    names = {id(control): name for name, control in explorer.controls.items()}
    times = []
    for control, value in pairs:
        values = {**explorer.values(), names[id(control)]: value}
        began = time.perf_counter()
        steps = explorer._update(**values)
        if inspect.isgenerator(steps):  # the whole run, as the explorer once did on every change
            for _ in steps:
                pass
        explorer.fig.savefig(io.BytesIO(), format="png", dpi=explorer.dpi)
        times.append((time.perf_counter() - began) * 1000)
    return times


def bench_explorers(count):
    print(f"\n== Explorer latency: setting a value -> new PNG in the widget (headless, Agg); {load()}")
    print(f"{'explorer':48s} {'changes':>7s} {'median':>8s} {'p95':>8s} {'max':>8s} {'in update':>10s}"
          f" {'full redraw':>12s}")
    for lesson in LESSON_NAMES:
        for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
            with contextlib.redirect_stdout(io.StringIO()):
                explorers = run_notebook(path)
            for i, explorer in enumerate(explorers, 1):
                pairs = changes(explorer.controls, count)
                times, in_update = time_changes(explorer, pairs)
                if not times:
                    print(f"{lesson} explorer {i}: no control to change")
                    continue
                old = full_redraw_ms(explorer, pairs[:15])
                explorer.render()  # back to the incremental state
                name = f"{lesson} explorer {i} ({len(explorer.controls)} controls)"
                print(f"{name:48s} {len(times):7d} {statistics.median(times):6.1f}ms {pct(times, 95):6.1f}ms "
                      f"{max(times):6.1f}ms {statistics.median(in_update):8.1f}ms {statistics.median(old):10.1f}ms")
    print("goal: median <= 30 ms, p95 <= 60 ms. 'in update': median time in the lesson's update function;"
          " 'full redraw': update + savefig of the whole figure")


# --- 3. autograde throughput -------------------------------------------------------------

def kernel_floor(repeats=3):
    """Seconds to start a Python kernel, run one empty cell and shut it down."""
    from jupyter_client.manager import start_new_kernel

    times = []
    for _ in range(repeats):
        began = time.perf_counter()
        manager, client = start_new_kernel(kernel_name="python3", stderr=subprocess.DEVNULL)
        client.execute_interactive("pass", timeout=60)
        client.stop_channels()
        manager.shutdown_kernel(now=False)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def sandboxed_start_seconds(repeats=5):
    """Median seconds to start a grading kernel, run the lesson's imports and stop it, in the sandbox and
    unsandboxed (the same guard and IPC transport), runs interleaved so that the machine's load hits both."""
    import asyncio

    from grading.execute import SandboxedKernelManager
    from grading.sandbox import available_mode

    async def once(mode):
        with tempfile.TemporaryDirectory() as work:
            began = time.perf_counter()
            manager = SandboxedKernelManager(kernel_name="python3", sandbox=mode)
            await manager.start_kernel(cwd=work)
            client = manager.client()
            client.start_channels()
            await client.wait_for_ready(timeout=120)
            await client.execute_interactive("import numpy, matplotlib.pyplot, helpers", timeout=120)
            client.stop_channels()
            await manager.shutdown_kernel(now=False)
            return time.perf_counter() - began

    times = {available_mode(): [], "none": []}
    for _ in range(repeats):
        for mode in times:
            times[mode].append(asyncio.run(once(mode)))
    return {mode: statistics.median(values) for mode, values in times.items()}


def submissions(lesson, root, count):
    """`count` synthetic student notebooks: solved, blank, and solved but for one known-wrong answer."""
    import nbformat
    from wrong_answers import wrong_answers

    (source_path,) = (SOLUTIONS / lesson).glob("*.ipynb")
    student = nbformat.read(root / "lessons" / lesson / source_path.name, as_version=4)
    solved = solution_sources(nbformat.read(source_path, as_version=4))
    variants = [fill_in(student, solved), student]
    variants += [fill_in(student, {**solved, exercise: code})
                 for exercise, answers in wrong_answers(lesson).items() for code in answers.values()]
    for i in range(count):
        folder = root / "submitted" / f"student{i:02d}" / lesson
        folder.mkdir(parents=True)
        nbformat.write(variants[i % len(variants)], folder / source_path.name)


def autograde_seconds(lesson, count, *options):
    """Wall seconds of one `nbgrader autograde` of `count` submissions, in a new throw-away course root."""
    with tempfile.TemporaryDirectory() as tmp:
        root = make_course_root(Path(tmp), [lesson])
        nbgrader(root, "generate_assignment", lesson, "--force")
        submissions(lesson, root, count)
        began = time.perf_counter()
        nbgrader(root, "autograde", lesson, *options)
        seconds = time.perf_counter() - began
        graded = len(list((root / "autograded").glob(f"*/{lesson}/*.ipynb")))
    if graded != count:
        raise SystemExit(f"only {graded} of {count} submissions were autograded")
    return seconds


def bench_autograde(count):
    from grading.sandbox import available_mode

    lesson = LESSON_NAMES[0]
    print(f"\n== Autograde throughput: {count} submissions of {lesson} through nbgrader autograde; {load()}")
    modes = [("bwrap", "in the sandbox (bubblewrap)"), ("none", "unsandboxed")]
    if available_mode() != "bwrap":
        print(f"(bubblewrap cannot be used here: the sandboxed run falls back to '{available_mode()}')")
    per_mode = {}
    for mode, label in modes:
        option = f"--SandboxedKernelManager.sandbox={mode if mode == 'none' else available_mode()}"
        total = autograde_seconds(lesson, count, option)
        single = autograde_seconds(lesson, 1, option)
        per = per_mode[mode] = (total - single) / (count - 1)
        print(f"{label}:")
        print(f"  {'autograde, ' + str(count) + ' submissions in one run (wall)':54s} {total:7.2f} s")
        print(f"  {'autograde, 1 submission (wall)':54s} {single:7.2f} s")
        print(f"  {'per submission: (' + str(count) + ' - 1 submission) / ' + str(count - 1):54s} {per:7.2f} s")
        print(f"  {'nbgrader start-up: 1 submission - per submission':54s} {single - per:7.2f} s")
    cost = per_mode["bwrap"] - per_mode["none"]
    print(f"{'the sandbox costs, per submission':56s} {cost:+7.2f} s (goal: under +0.5 s)")
    starts = sandboxed_start_seconds()
    sandboxed = next(mode for mode in starts if mode != "none") if len(starts) > 1 else "none"
    print(f"{'kernel start + imports + stop, median of 5, ' + sandboxed:56s} {starts[sandboxed]:7.2f} s")
    print(f"{'the same, unsandboxed (runs interleaved)':56s} {starts['none']:7.2f} s")
    print(f"{'the sandbox costs, per kernel (the less noisy figure)':56s} {starts[sandboxed] - starts['none']:+7.2f} s")
    floor = kernel_floor()
    print(f"{'kernel start-up floor (start, run `pass`, stop), median of 3':56s} {floor:7.2f} s")


# --- 4. grading a class (course.py grade) ---------------------------------------------------

def machine_busy_seconds():
    """CPU seconds the whole machine has spent busy so far (every process, every core), from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")  # all but idle and iowait


def grade_class_seconds(lesson, count, workers):
    """Wall seconds of `course.py grade` (python -m grading) for `count` submissions, in a new throw-away
    course root (the lesson registered beforehand), the CPU seconds the machine spent meanwhile (the
    sandboxed kernels included: they are not children the grader waits for, so its own rusage misses them),
    and the statuses of the rows it wrote."""
    import csv
    from collections import Counter

    with tempfile.TemporaryDirectory() as tmp:
        root = make_course_root(Path(tmp), [lesson])
        nbgrader(root, "generate_assignment", lesson, "--force")  # registers it in the gradebook
        submissions(lesson, root, count)
        began, busy = time.perf_counter(), machine_busy_seconds()
        proc = subprocess.run([sys.executable, "-m", "grading", lesson, "--root", str(root), "--workers", str(workers)],
                              cwd=ROOT, capture_output=True, text=True)
        seconds, cpu = time.perf_counter() - began, machine_busy_seconds() - busy
        if proc.returncode != 0:
            raise SystemExit(f"grading failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
        with open(root / "grades" / f"{lesson}.csv", newline="") as f:
            statuses = Counter(row["status"] for row in csv.DictReader(f))
    return seconds, cpu, statuses


def bench_grading(counts, workers):
    from grading.run import default_workers
    from grading.sandbox import available_mode

    lesson = LESSON_NAMES[0]
    print(f"\n== Grading a class: course.py grade, synthetic submissions of {lesson}, sandbox "
          f"'{available_mode()}'; {load()}")
    print(f"{'submissions':>11s} {'at once':>11s} {'wall':>9s} {'per submission':>15s} {'CPU per submission':>19s}"
          "  statuses; load average after")
    for count in counts:
        for n in workers:
            seconds, cpu, statuses = grade_class_seconds(lesson, count, n)
            label = str(n) if n else f"{default_workers()} (default)"
            print(f"{count:11d} {label:>11s} {seconds:8.1f}s {seconds / count:13.2f} s {cpu / count:17.2f} s  "
                  f"{', '.join(f'{k} {v}' for k, v in sorted(statuses.items()))}; {load()}", flush=True)
    print(f"goal: 100 submissions in at most 120 s on 2 cores (1.2 s per submission). 'CPU per submission': the "
          f"machine's busy CPU time during the run (every process: grader, sandboxes, kernels, and anything else "
          f"running) divided by the submissions; with {os.cpu_count()} cores the wall time per submission cannot go "
          f"below CPU / {os.cpu_count()}")


# --- 5. training speed --------------------------------------------------------------------

CAPSTONE = SOLUTIONS / "07_capstone_digits" / "capstone_digits.ipynb"
CAPSTONE_CELLS = {"imports", "data", "init"}  # what the exercise solutions (the layers included) build on


def capstone_solution():
    """The capstone's data, init_params and exercise solutions, run in one namespace."""
    return solution_namespace(CAPSTONE, CAPSTONE_CELLS)


def epoch_seconds(sol, epochs):
    """Median seconds of one training epoch of the lesson's network over `epochs` epochs, after one warm-up epoch."""
    data, rng = sol["data"], np.random.default_rng(0)
    params = sol["init_params"](sol["SIZES"], rng)
    times = []
    for _ in range(epochs + 1):
        began = time.perf_counter()
        params, _ = sol["train"](params, data.x_train, data.t_train, 0.1, 1, 32, rng)
        times.append(time.perf_counter() - began)
    return statistics.median(times[1:]), len(data.t_train)


def bench_training(epochs):
    from helpers.digits import one_blas_thread

    print(f"\n== Training speed: one epoch of the capstone network (64 -> 128 -> 64 -> 10, the learner's layers, "
          f"batches of 32); {load()}")
    sol = capstone_solution()
    for label, threads in [("numpy's default BLAS threads", contextlib.nullcontext()),
                           ("one BLAS thread (as the explorer trains)", one_blas_thread())]:
        with threads:
            seconds, samples = epoch_seconds(sol, epochs)
        print(f"{label:44s} {seconds * 1000:7.2f} ms per epoch of {samples} samples (median of {epochs}), "
              f"{samples / seconds:9.0f} samples per second")


def bench_tests():
    print(f"\n== The test command (python3 course.py test); {load()}")
    sys.path.insert(0, str(ROOT))
    from course import env_vars, test_arguments  # the environment and arguments `course.py test` gives pytest

    started, busy = time.monotonic(), machine_busy_seconds()
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rfE", "--durations=10", *test_arguments([])], cwd=ROOT,
                          env=env_vars(MPLBACKEND="Agg"), capture_output=True, text=True)
    seconds, busy = time.monotonic() - started, machine_busy_seconds() - busy
    lines = proc.stdout.splitlines()
    slowest = [line for line in lines if line[:1].isdigit() and "s " in line and "::" in line][:10]
    print(f"{seconds / 60:.1f} minutes ({seconds:.0f} s), exit status {proc.returncode}: {lines[-1] if lines else ''}")
    print(f"the machine's CPU: {busy / 60:.1f} busy core-minutes, {busy / seconds:.2f} of its "
          f"{os.cpu_count()} cores on average (the whole machine, every process)")
    failed = [line for line in lines if line.startswith(("FAILED", "ERROR"))]
    if failed:
        print("not passed:\n  " + "\n  ".join(failed))
    print("ten slowest:\n  " + "\n  ".join(slowest))
    print(f"(at the end: {load()}; goal: at most 6 minutes on 2 cores)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=["course", "explorers", "autograde", "grading", "training", "tests"],
                        default=["course", "explorers", "autograde", "grading", "training"])
    parser.add_argument("--changes", type=int, default=60, help="value changes per explorer (default 60)")
    parser.add_argument("--submissions", type=int, default=20, help="synthetic submissions (default 20, at least 2)")
    parser.add_argument("--class-sizes", type=int, nargs="+", default=[20, 100], metavar="N",
                        help="submissions per graded class (default 20 100)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 0], metavar="N",
                        help="submissions graded at once, 0: the default, two per core (default 1 0: before and after)")
    parser.add_argument("--epochs", type=int, default=15, help="timed training epochs (default 15)")
    args = parser.parse_args()
    print(f"Benchmarks, {time.strftime('%Y-%m-%d %H:%M')}; Python {sys.version.split()[0]}, {os.cpu_count()} CPUs")
    if "course" in args.only:
        bench_course()
    if "explorers" in args.only:
        bench_explorers(args.changes)
    if "autograde" in args.only:
        bench_autograde(args.submissions)
    if "grading" in args.only:
        bench_grading(args.class_sizes, args.workers)
    if "training" in args.only:
        bench_training(args.epochs)
    if "tests" in args.only:
        bench_tests()


if __name__ == "__main__":
    main()
