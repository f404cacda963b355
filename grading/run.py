"""Grade every collected submission of a lesson, one nbgrader process per submission, one per core at once.

A submission is copied to a staging folder, checked (notebook present, valid JSON, valid
notebook), repaired (see repair.py) and scanned (see scan.py); then `nbgrader autograde` grades
that one student with the hardened settings of nbgrader_config.py, in a fork of this process,
which imported nbgrader once for the whole batch. Nothing in submitted/ is changed. Whatever
happens in one run (a dead kernel, an endless loop, a crash of nbgrader) ends with that run: the
next student starts in a new process, and the gradebook only ever sees nbgrader's own
transactions, plus a zero for each autograded cell of a run that failed. Several runs go on at
once (one per core by default), each in its own staging and sandbox folders; their gradebook
sessions take turns (gradebook.serialise_sessions), so the gradebook is written by one process
at a time.
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import nbformat
from nbgrader.api import MissingEntry

from .gradebook import opened, serialise_sessions
from .feedback import split_hidden
from .repair import read_spec, repair
from .sandbox import available_mode
from .scan import scan_notebook

# From least to most serious; a submission shows the most serious. The last four mean the run
# failed and the score is 0; flagged (tampering seen while it ran), timed_out and tampered_metadata
# keep the score of the cells that ran.
STATUSES = ("ok", "flagged", "tampered_metadata", "timed_out", "kernel_died", "invalid_notebook", "missing_notebook",
            "failed")
TAMPERING = "grading: tampering detected: "
SANDBOX = "grading: sandbox: "
_LOG_PATTERNS = [  # (text in nbgrader's log, status, reason); the first match wins
    ("grading: the kernel died while running cell", "kernel_died", None),
    ("did not stop when interrupted", "timed_out", None),
    ("DeadKernelError", "kernel_died", "the kernel died (os._exit, a crash, or the memory limit)"),
    ("UnresponsiveKernelError", "timed_out", "the kernel did not answer, even to an interrupt"),
    ("Inconsistent checksums", "tampered_metadata", "nbgrader found test cells it cannot restore"),
    ("nbgrader metadata may be corrupted", "tampered_metadata", "nbgrader refused the cells' metadata"),
    ("SchemaTooOldError", "tampered_metadata", "the nbgrader metadata claims an old schema"),
    ("SchemaTooNewError", "tampered_metadata", "the nbgrader metadata claims a newer schema"),
    ("NotJSONError", "invalid_notebook", "nbgrader could not read the notebook"),
]


@dataclass
class Settings:
    root: Path
    lesson: str
    timeout: int = 120          # seconds per cell
    memory_mb: int = 2048       # address space of the kernel
    budget: int = 300           # wall-clock seconds for one submission, start-up included
    workers: int = 0            # submissions graded at once (0: default_workers())

    @property
    def db_url(self):
        return f"sqlite:///{self.root / 'gradebook.db'}"

    @property
    def logs(self):
        return self.root / "grades" / "logs" / self.lesson


@dataclass
class Result:
    student: str
    status: str = "ok"
    reasons: list = field(default_factory=list)
    repairs: list = field(default_factory=list)
    flags: list = field(default_factory=list)
    completed: bool = False     # the run finished and its scores are in the gradebook
    sandbox: str = ""           # bwrap, account or unsandboxed: how its kernel ran
    seconds: float = 0.0

    def fail(self, status, reason):
        self.status = max(self.status, status, key=STATUSES.index)
        self.reasons.append(reason)


def nbgrader_env():
    """The environment of the course's venv (nbgrader runs `alembic` from PATH)."""
    bin_dir = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=os.pathsep.join([bin_dir, os.environ.get("PATH", "")]))


def nbgrader(settings, *args, timeout=None, log=None, env=None):
    """Run nbgrader in a new process and its own process group; kill the group on timeout.

    Returns (exit code or None if killed, output text).
    """
    cmd = [sys.executable, "-m", "nbgrader", *args, f"--CourseDirectory.root={settings.root}"]
    proc = subprocess.Popen(cmd, cwd=settings.root, env={**nbgrader_env(), **(env or {})}, text=True, errors="replace",
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        text, _ = proc.communicate(timeout=timeout)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        text, _ = proc.communicate()
        code = None
    _write_log(log, f"$ {' '.join(cmd)}\n{text}")
    return code, text


def nbgrader_forked(settings, *args, timeout=None, log=None):
    """Like nbgrader(), but in a fork of this process, which has nbgrader imported already.

    Starting nbgrader costs seconds of imports; a fork costs milliseconds and isolates just as
    well: the child has its own memory, its own process group (killed whole on timeout) and its
    own gradebook connection. Falls back to nbgrader() where there is no fork.
    """
    if not hasattr(os, "fork"):
        return nbgrader(settings, *args, timeout=timeout, log=log)
    run = _ForkedRun(settings, args, timeout, log)
    return run.finish(_wait(run.pid, timeout))


class _ForkedRun:
    """One nbgrader run in a fork of this process, started at once; finish() collects its output."""

    def __init__(self, settings, args, timeout, log):
        self.argv = [*args, f"--CourseDirectory.root={settings.root}"]
        self.log = log
        self.deadline = None if timeout is None else time.monotonic() + timeout
        self.out = tempfile.TemporaryFile("w+", errors="replace")
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            _run_app_and_exit(settings.root, self.argv, self.out.fileno())

    def poll(self):
        """The exit code once the run ended (None if killed at its deadline), or False while it runs."""
        done, status = os.waitpid(self.pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if self.deadline is not None and time.monotonic() > self.deadline:
            _kill_group(self.pid)
            return None
        return False

    def finish(self, code):
        """(exit code or None if killed, output text), the log written."""
        with self.out:
            self.out.seek(0)
            text = self.out.read()
        _write_log(self.log, f"$ nbgrader {' '.join(self.argv)}\n{text}")
        return code, text


def _run_app_and_exit(root, argv, fd):
    code = 1
    try:
        os.setsid()
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.chdir(root)
        sys.argv = ["nbgrader", *argv]
        from nbgrader.apps.nbgraderapp import NbGraderApp
        NbGraderApp.launch_instance(argv=argv)
        code = 0
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    except BaseException:  # noqa: BLE001 (report anything, then leave)
        import traceback
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _execute_and_exit(settings, runs, folder):
    """In a forked child: run each (notebook, out_path) in the sandbox (its kernel's private copy made from
    folder) and write it to out_path; never returns."""
    code = 1
    try:
        os.setsid()
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, 1)
        os.dup2(null, 2)
        from traitlets.config import Config

        from .execute import HardenedExecute
        config = Config()
        config.SandboxedKernelManager.memory_mb = settings.memory_mb
        config.SandboxedKernelManager.cpu_seconds = settings.budget
        for nb, out_path in runs:
            HardenedExecute(config=config, timeout=settings.timeout).preprocess(
                nb, {"metadata": {"path": str(folder)}})
            nbformat.write(nb, out_path)
        code = 0
    finally:
        os._exit(code)


def _wait(pid, timeout):
    """Exit code of the child, or None after killing its process group at the timeout."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        if deadline is not None and time.monotonic() > deadline:
            _kill_group(pid)
            return None
        time.sleep(0.05)


def _kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    os.waitpid(pid, 0)


def preload(notebook=None):
    """Import what an autograde run needs, once, before the first fork; with a notebook, also build
    the validators every run would otherwise build again (nbformat compiles its schema, 0.3 s)."""
    import nbgrader.apps.nbgraderapp  # noqa: F401
    import nbgrader.converters.autograde  # noqa: F401
    from nbgrader.nbgraderformat import common

    from . import execute  # noqa: F401
    common.jsonschema = _SchemaCheckedOnce()
    if notebook is not None:
        nbformat.validate(nbformat.read(notebook, as_version=4))


class _SchemaCheckedOnce:
    """The jsonschema module as nbgrader's metadata check sees it, with validate() checking the schema
    itself once per batch instead of once per cell (0.3 s of a submission). Same errors, same verdicts."""

    def __init__(self):
        import jsonschema
        self._module, self._validators = jsonschema, {}

    def validate(self, instance, schema):
        key = json.dumps(schema, sort_keys=True)
        if key not in self._validators:
            cls = self._module.validators.validator_for(schema)
            cls.check_schema(schema)
            self._validators[key] = cls(schema)
        error = self._module.exceptions.best_match(self._validators[key].iter_errors(instance))
        if error is not None:
            raise error

    def __getattr__(self, name):
        return getattr(self._module, name)


def _write_log(log, text):
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        log.write_text(text)


def ensure_registered(settings):
    """Register the lesson in the gradebook if needed, releasing into a throw-away folder (lessons/ stays as is)."""
    try:
        with opened(settings.db_url) as gb:
            gb.find_assignment(settings.lesson)
            return False
    except MissingEntry:
        pass
    if not (settings.root / "solutions" / settings.lesson).is_dir():
        raise SystemExit(f"grading: no lesson solutions/{settings.lesson} in {settings.root}")
    with tempfile.TemporaryDirectory() as tmp:
        code, text = nbgrader(settings, "generate_assignment", settings.lesson, "--force",
                              f"--CourseDirectory.release_directory={tmp}")
    if code != 0:
        raise SystemExit(f"grading: could not register {settings.lesson} in the gradebook:\n{text}")
    return True


def students(settings):
    """Students with a folder in submitted/, plus those the gradebook knows (they may have sent nothing)."""
    found = {p.name for p in (settings.root / "submitted").glob("*") if p.is_dir()}
    with opened(settings.db_url) as gb:
        found |= {s.id for s in gb.students}
    return sorted(found)


def zero_scores(settings, student):
    """A failed run: 0 for every cell (scores given by hand are kept), and no stale autograded copy."""
    with opened(settings.db_url) as gb:
        gb.update_or_create_student(student)
        submission = gb.update_or_create_submission(settings.lesson, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:  # as nbgrader does for a missing notebook
                grade.auto_score = 0
                grade.needs_manual_grade = False
        gb.db.commit()
    shutil.rmtree(settings.root / "autograded" / student / settings.lesson, ignore_errors=True)


def _plain_files_only(folder, names):
    return {n for n in names if n.endswith(".ipynb") or n == ".ipynb_checkpoints"
            or os.path.islink(os.path.join(folder, n))}


def _pick_notebook(folder, name, spec_ids):
    """The submitted file to grade as name.ipynb: itself, or the one renamed copy of it."""
    path = folder / f"{name}.ipynb"
    if path.exists() and not path.is_symlink():
        return path, None
    others = sorted(p for p in folder.glob("*.ipynb") if not p.is_symlink())
    if len(others) > 1:  # several candidates: take the one holding this notebook's cells
        others = [p for p in others if any(f'"{gid}"' in p.read_text(errors="replace") for gid in spec_ids)]
    if len(others) == 1:
        return others[0], f"graded {others[0].name} as {name}.ipynb (renamed)"
    return None, None


def _load(path):
    """(notebook, None) or (None, why it cannot be graded)."""
    try:
        text = path.read_text(encoding="utf-8")
        json.loads(text)
    except UnicodeDecodeError:
        return None, f"{path.name} is not a text file"
    except json.JSONDecodeError as err:
        return None, f"{path.name} is not valid JSON ({err.msg}, line {err.lineno} column {err.colno})"
    try:
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as err:  # nbformat raises several kinds for a malformed notebook
        return None, f"{path.name} is not a valid notebook ({str(err).splitlines()[0][:200]})"
    return nb, None


def stage(settings, specs, student, staging, result):
    """Copy, check, repair and scan a submission into staging/<student>/<lesson>/; True if gradable."""
    folder = settings.root / "submitted" / student / settings.lesson
    if not folder.is_dir():
        result.fail("missing_notebook", f"nothing collected in submitted/{student}/{settings.lesson}/")
        return False
    target = staging / student / settings.lesson
    links = [p for p in folder.rglob("*") if p.is_symlink()]
    if links:  # a link could point at the gradebook or another student's file
        result.repairs.append(f"ignored {len(links)} symbolic link(s): {', '.join(p.name for p in links[:3])}")
    shutil.copytree(folder, target, ignore=_plain_files_only)
    gradable = 0
    for name, spec in specs.items():
        path, renamed = _pick_notebook(folder, name, spec.cells)
        if path is None:
            result.fail("missing_notebook", f"no {name}.ipynb in submitted/{student}/{settings.lesson}/")
            continue
        if renamed:
            result.repairs.append(renamed)
        nb, problem = _load(path)
        if nb is None:
            result.fail("invalid_notebook", problem)
            continue
        result.repairs += repair(nb, spec)
        result.flags += [f"{cell} line {line}: {msg}" for cell, line, msg in scan_notebook(nb, spec.test_ids)]
        nbformat.write(nb, target / f"{name}.ipynb")
        gradable += 1
    if any(r.startswith("metadata of") for r in result.repairs):
        result.fail("tampered_metadata", "nbgrader metadata was changed; restored from the gradebook and graded")
    return gradable == len(specs)


def read_outcome(settings, specs, result, code, text, limit):
    """Set the status from nbgrader's exit, its log and the graded notebooks; True if it graded them."""
    for line in text.splitlines():
        if SANDBOX in line:
            result.sandbox = line.split(SANDBOX, 1)[1].strip()
        elif TAMPERING in line:
            found = line.split(TAMPERING, 1)[1].strip()
            if f"while grading: {found}" not in result.flags:
                result.flags.append(f"while grading: {found}")
    if any(f.startswith("while grading: ") for f in result.flags):
        result.fail("flagged", "tampering was detected while it ran: see the flags")
    if code is None:
        result.fail("timed_out", f"grading was stopped after {limit} s")
        return False
    graded = settings.root / "autograded" / result.student / settings.lesson
    missing = [name for name in specs if not (graded / f"{name}.ipynb").exists()]
    if code != 0 or missing:
        for needle, status, reason in _LOG_PATTERNS:
            line = next((ln for ln in text.splitlines() if needle in ln), None)
            if line:
                result.fail(status, reason or line.split("grading: ", 1)[-1])
                return False
        errors = [ln.strip() for ln in text.splitlines() if "Error" in ln or "error" in ln]
        result.fail("failed", f"nbgrader failed (exit {code}): {errors[-1][:200] if errors else 'no message'}")
        return False
    for name, spec in specs.items():
        nb = nbformat.read(graded / f"{name}.ipynb", as_version=4)
        raised = []  # errors outside the test cells explain a low score: an import that failed ...
        for cell in nb.cells:
            label = cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id")
            for out in cell.get("outputs", []):
                if out.get("ename") == "CellTimeoutError":
                    result.fail("timed_out", f"cell {label} ran over {settings.timeout} s and was interrupted")
                elif out.get("ename") == "MemoryError":
                    result.reasons.append(f"cell {label} ran out of memory (limit {settings.memory_mb} MB)")
                elif out.get("output_type") == "error" and label not in spec.test_ids \
                        and out.get("ename") not in ("NotImplementedError", "KeyboardInterrupt"):
                    raised.append(f"cell {label} raised {out.get('ename')}: {out.get('evalue', '')[:120]}")
        result.reasons += raised[:3]
    return True


class VisibleRun:
    """One student's notebooks with the released tests (no hidden ones), run in the sandbox in a fork,
    written to out_folder. Outputs of these runs never saw a hidden test. Started at once; poll() until
    it is not False, then finish() gives the names of the notebooks that ran."""

    def __init__(self, settings, specs, student, out_folder, token):
        self.tmp = tempfile.TemporaryDirectory(prefix="grading-visible-")
        self.pid, self.runs = None, []
        try:
            self._start(settings, specs, student, out_folder, token)
        except BaseException:
            self.tmp.cleanup()
            raise

    def _start(self, settings, specs, student, out_folder, token):
        if not stage(settings, specs, student, Path(self.tmp.name), Result(student)):
            return
        folder = Path(self.tmp.name) / student / settings.lesson
        out_folder.mkdir(parents=True, exist_ok=True)
        for name, spec in specs.items():
            nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)  # repaired: the original tests
            visible = released(spec)
            for cell in nb.cells:
                gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
                if gid in visible:
                    cell.source = visible[gid]
                if cell.cell_type == "code":
                    cell.outputs, cell.execution_count = [], None
            nb.metadata["grading"] = {"visible_run": token}
            (folder / f"{name}.ipynb").unlink()  # the copy with hidden tests goes before any kernel starts
            self.runs.append((nb, out_folder / f"{name}.ipynb"))
        self.deadline = time.monotonic() + settings.budget * len(self.runs)
        self.pid = os.fork()
        if self.pid == 0:  # the child: never returns
            _execute_and_exit(settings, self.runs, folder)

    def poll(self):
        """False while the notebooks run; True once the child ended (killed at the budget)."""
        if self.pid is None:
            return True
        done, _ = os.waitpid(self.pid, os.WNOHANG)
        if done:
            self.pid = None
        elif time.monotonic() > self.deadline:
            _kill_group(self.pid)
            self.pid = None
        return self.pid is None

    def finish(self):
        """The names of the notebooks whose run finished; the staging folder removed."""
        self.stop()
        return [out.stem for _, out in self.runs if out.exists()]

    def stop(self):
        if self.pid is not None:  # interrupted: no run outlives its batch
            _kill_group(self.pid)
            self.pid = None
        self.tmp.cleanup()


def visible_runs(settings, specs, students, out_folder_of, token):
    """student -> names of their notebooks run without hidden tests (see VisibleRun), several at once
    (settings.workers, default_workers()), each in its own fork, staging folder, sandbox and kernel."""
    preload()
    ran = {}

    def finish(student, run, _):
        ran[student] = run.finish()

    _at_once(students, lambda student: VisibleRun(settings, specs, student, out_folder_of(student), token), finish,
             settings.workers or default_workers())
    return ran


def released(spec):
    """grade id -> source of each test cell as students see it, a note in place of each hidden region."""
    return {gid: split_hidden(cell.source)[0] for gid, cell in spec.cells.items() if cell.is_test}


class _Job:
    """One submission being graded: staged into its own temporary folder, then its nbgrader run in a fork."""

    def __init__(self, settings, specs, student):
        self.settings, self.specs, self.student = settings, specs, student
        self.result = Result(student)
        self.started = time.monotonic()
        self.run = None
        self.tmp = tempfile.TemporaryDirectory(prefix="grading-")
        try:
            self._start()
        except BaseException:
            self.tmp.cleanup()
            raise

    def _start(self):
        settings, tmp = self.settings, self.tmp.name
        staging = Path(tmp) / "submitted"
        boxes = Path(tmp) / "sandbox"  # the kernel's private folders: removed with tmp, even after a kill
        boxes.mkdir()
        staging.mkdir(mode=0o700)  # holds the hidden tests once they are put back: the grader's alone
        os.chmod(tmp, 0o711)
        if not stage(settings, self.specs, self.student, staging, self.result):
            return
        if not hasattr(os, "fork"):  # no fork: a new nbgrader process, waited for here
            self.code, self.text = self._nbgrader(nbgrader, staging, boxes)
            return
        self.run = self._nbgrader(_ForkedRun, staging, boxes)

    def _nbgrader(self, how, staging, boxes):
        settings, limit = self.settings, self.settings.budget
        args = ("autograde", settings.lesson, "--student", self.student, "--force",
                f"--CourseDirectory.submitted_directory={staging}",
                f"--Execute.timeout={settings.timeout}",
                f"--SandboxedKernelManager.memory_mb={settings.memory_mb}",
                f"--SandboxedKernelManager.cpu_seconds={limit}",
                f"--SandboxedKernelManager.box_parent={boxes}")
        log = settings.logs / f"{self.student}.log"
        return how(settings, *args, timeout=limit, log=log) if how is nbgrader else how(settings, args, limit, log)

    def poll(self):
        """False while the nbgrader run goes on; else its exit code (None: killed), or True if nothing ran."""
        if self.run is None:
            return True
        return self.run.poll()

    def finish(self, code):
        """The Result: the outcome read, a failed run's zeros recorded, the temporary folder removed."""
        result, graded = self.result, False
        try:
            if self.run is not None:
                code, text = self.run.finish(code)
                graded = read_outcome(self.settings, self.specs, result, code, text, self.settings.budget)
            elif hasattr(self, "text"):
                graded = read_outcome(self.settings, self.specs, result, self.code, self.text, self.settings.budget)
        finally:
            self.tmp.cleanup()
        result.completed = graded
        if not graded:
            try:
                zero_scores(self.settings, self.student)
            except Exception as err:  # noqa: BLE001 (the gradebook is busy or broken: say so in this row)
                result.fail("failed", f"could not record the zero in the gradebook: {type(err).__name__}: {err}"[:300])
            if result.status in ("flagged", "timed_out", "tampered_metadata"):
                result.reasons.append("the run did not finish: score 0")
        result.seconds = round(time.monotonic() - self.started, 1)
        return result

    def stop(self):
        """Interrupted: the run killed, its temporary folder removed."""
        if self.run is not None:
            _kill_group(self.run.pid)
        self.tmp.cleanup()


def grade_one(settings, specs, student):
    """Grade one student's submission in a fresh nbgrader process; never raises for a bad submission."""
    job = _Job(settings, specs, student)
    code = job.poll()
    while code is False:
        time.sleep(0.05)
        code = job.poll()
    return job.finish(code)


def _failed(student, err):
    result = Result(student)
    result.fail("failed", f"grading error: {type(err).__name__}: {err}"[:300])
    return result


def grade_lesson(settings, only=None, progress=print):
    """Grade the lesson for every student (or only the given ones); return their Results.

    Up to settings.workers submissions (default: two per core) are graded at once, each in its own
    nbgrader process, forked from this one, which imports nbgrader once for the whole batch.
    """
    if ensure_registered(settings):
        progress(f"registered {settings.lesson} in {settings.root / 'gradebook.db'}")
    specs = read_spec(settings.db_url, settings.lesson)
    known = students(settings)
    unknown = sorted(set(only or ()) - set(known))
    if unknown:  # a typo must not create a student in the gradebook
        raise SystemExit(f"grading: no submission and no gradebook entry for {', '.join(unknown)}")
    preload(next((settings.root / "solutions" / settings.lesson).glob("*.ipynb"), None))
    order = list(only or known)
    results = {}

    def start(student):
        try:
            return _Job(settings, specs, student)
        except Exception as err:  # noqa: BLE001 (one student's trouble stays in that student's row)
            results[student] = _report(_failed(student, err), progress)
            return None

    def finish(student, job, code):
        try:
            result = job.finish(code)
        except Exception as err:  # noqa: BLE001
            result = _failed(student, err)
        results[student] = _report(result, progress)

    with tempfile.TemporaryDirectory(prefix="grading-batch-") as batch:
        serialise_sessions(Path(batch) / "gradebook.lock")
        try:
            _at_once(order, start, finish, settings.workers or default_workers())
        finally:
            serialise_sessions(None)
    return [results[student] for student in order]


def _at_once(keys, start, finish, workers):
    """Up to `workers` jobs at once: start(key) gives a job (or None) whose poll() is False while it runs;
    finish(key, job, what poll() last said) once it ended. A job still running when this stops (Ctrl-C, an
    error) is stopped: no run outlives its batch."""
    running, waiting = {}, list(keys)
    try:
        while waiting or running:
            while waiting and len(running) < max(1, workers):
                key = waiting.pop(0)
                job = start(key)
                if job is not None:
                    running[key] = job
            ended = [(key, job, code) for key, job in running.items() for code in [job.poll()] if code is not False]
            for key, job, code in ended:
                del running[key]
                finish(key, job, code)
            if running and not ended:
                time.sleep(0.02)
    finally:
        for job in running.values():
            job.stop()


def default_workers():
    """Two submissions per core: with one per core the cores still sit idle part of the time, while runs
    start or wait for messages (100 Lesson 1 submissions on 2 cores: 204 s two at once, 178 s four at once)."""
    return 2 * (os.cpu_count() or 1)


def _report(result, progress):
    if not result.sandbox:
        result.sandbox = sandbox_label()
    progress(f"  {result.student:<24} {result.status:<18} {result.seconds:6.1f} s"
             + (f"  ({'; '.join(result.reasons)})" if result.reasons else ""))
    return result


def sandbox_label():
    mode = available_mode()
    return "unsandboxed" if mode == "none" else mode


def save_record(settings, results):
    """Merge the results into grades/<lesson>.json (statuses survive a later --report)."""
    path = settings.root / "grades" / f"{settings.lesson}.json"
    record = json.loads(path.read_text()) if path.exists() else {}
    for r in results:
        record[r.student] = {k: v for k, v in asdict(r).items() if k not in ("student", "seconds")}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
    return record
