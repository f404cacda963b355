"""nbgrader's Execute step, hardened: a sandboxed kernel, scores from verdicts only, tampering reported.

Used through nbgrader_config.py, so `nbgrader autograde` and Formgrader's autograde button get it too.
The process running this (nbgrader, which writes the gradebook) never runs student code: the kernel
does, inside grading.sandbox, reached over ZeroMQ's IPC transport through a folder bound into it.
"""
import asyncio
import os
import secrets
import shutil
import signal
import sys
import tempfile
import threading
import time
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer, Unicode

from . import sandbox
from .guard import MARK
from .i18n import notebook_lang

GUARD = "__import__('grading.guard').guard.{step}(globals(), {nonce!r})"
SETUP = "__import__('grading.guard').guard.setup(get_ipython(), {nonce!r})"
# What a test cell may keep: text streams and errors. A result or display of the student's code
# (an execute_result holding a number reads as partial credit to nbgrader) never sets a score.
VERDICT_OUTPUTS = ("stream", "error")
ACK_SECONDS = 5
REPORTS_DRAIN_SECONDS = 2  # reading what a dead kernel left in its report pipe


def _no_symlinks(folder, names):
    """copytree's ignore: notebooks (the graded one holds the hidden tests), checkpoints, and links."""
    return {n for n in names if n.endswith(".ipynb") or n == ".ipynb_checkpoints"
            or os.path.islink(os.path.join(folder, n))}


class Box:
    """One kernel's private folders: work/ (a copy of the submission's files) and ipc/ (its sockets)."""

    def __init__(self, mode, source, parent=None):
        self.mode = mode
        self.root = Path(tempfile.mkdtemp(prefix="grading-sandbox-", dir=parent or None))
        os.chmod(self.root, 0o711)
        self.work, self.ipc = self.root / "work", self.root / "ipc"
        if source and Path(source).is_dir():
            shutil.copytree(source, self.work, ignore=_no_symlinks)
        self.work.mkdir(exist_ok=True)
        self.ipc.mkdir()
        mpl = Path(sandbox.matplotlib_dir(str(self.work)))
        mpl.mkdir()
        for cache in sandbox.font_caches():
            shutil.copy(cache, mpl)
        self.uid = sandbox.new_uid() if mode != "none" and os.geteuid() == 0 else 0
        if self.uid:
            for path in [self.work, self.ipc, mpl, *mpl.iterdir(), *self.work.rglob("*")]:
                os.chown(path, self.uid, self.uid, follow_symlinks=False)

    def share(self, path):
        if self.uid:
            os.chown(path, self.uid, self.uid)

    def close(self):
        if self.mode == "account" and self.uid:
            _kill_account(self.uid)  # no pid namespace: end whatever the account still runs
        shutil.rmtree(self.root, ignore_errors=True)


def _kill_account(uid):
    pid = os.fork()
    if pid == 0:
        try:
            os.setgid(uid)
            os.setuid(uid)
            os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel through grading.sandbox and reads the guard's reports from its stderr."""

    memory_mb = Integer(2048, help="address-space limit of the kernel, in MB").tag(config=True)
    cpu_seconds = Integer(0, help="CPU-time limit of the kernel (0: none; the cell timeout applies)").tag(config=True)
    file_mb = Integer(256, help="largest file the kernel may write, in MB").tag(config=True)
    nproc = Integer(256, help="processes and threads the kernel may run").tag(config=True)
    sandbox = Unicode("auto", help="bwrap, account, none, or auto: the best this machine allows").tag(config=True)
    box_parent = Unicode("", help="where the kernel's private folders go (default: the system's temporary folder); "
                         "course.py grade uses a folder it removes after each run, even a killed one").tag(config=True)
    course_lang = Unicode("", help="COURSE_LANG for the kernel (set from the graded notebook's metadata)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.flags, self.acks, self.stderr_tail = [], {}, []
        self._box = None
        self._reader = None

    @property
    def mode(self):
        return sandbox.available_mode() if self.sandbox == "auto" else self.sandbox

    async def _async_pre_start_kernel(self, **kw):
        self._box = Box(self.mode, kw.get("cwd"), self.box_parent)
        self.log.info("grading: sandbox: %s", "unsandboxed" if self._box.mode == "none" else self._box.mode)
        self.transport = "ipc"
        self.ip = str(self._box.ipc / "kernel")
        self.connection_file = str(self._box.ipc / "kernel.json")
        kw["cwd"] = str(self._box.root)
        kernel_cmd, kw = await super()._async_pre_start_kernel(**kw)
        kw["env"] = {**kw.get("env", os.environ), "COURSE_LANG": self.course_lang or "en"}  # the sandbox passes it on
        self._box.share(self.connection_file)
        self.kernel_spec.interrupt_mode = "message"  # a signal would reach bwrap, not the kernel
        return kernel_cmd, kw

    def format_kernel_cmd(self, extra_arguments=None):
        box = self._box
        return [sys.executable, "-m", "grading.sandbox", f"--mode={box.mode}", f"--memory-mb={self.memory_mb}",
                f"--cpu-seconds={self.cpu_seconds}", f"--file-mb={self.file_mb}", f"--nproc={self.nproc}",
                f"--uid={box.uid}", f"--work={box.work}", f"--ipc={box.ipc}", "--",
                sys.executable, "-I", "-m", "grading.kernel", "-f", self.connection_file, *(extra_arguments or [])]

    async def _async_launch_kernel(self, kernel_cmd, **kw):
        read, write = os.pipe()
        kw.update(stdout=open(os.devnull, "wb"), stderr=write)
        try:
            return await super()._async_launch_kernel(kernel_cmd, **kw)
        finally:
            os.close(write)
            kw["stdout"].close()
            self._reader = threading.Thread(target=self._read_reports, args=(read,), daemon=True)
            self._reader.start()

    def _read_reports(self, fd):
        with os.fdopen(fd, "rb") as stream:
            for raw in stream:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                if not line.startswith(MARK + " "):
                    self.stderr_tail = (self.stderr_tail + [line[:300]])[-20:]
                    continue
                kind, _, text = line[len(MARK) + 1:].partition(" ")
                if kind == "ACK":
                    nonce, _, payload = text.partition(" ")
                    self.acks[nonce] = payload
                elif kind == "FLAG" and text not in self.flags and len(self.flags) < 50:
                    self.flag(text)

    def flag(self, text):
        self.flags.append(text)
        self.log.error("grading: tampering detected: %s", text)

    async def wait_ack(self, nonce, seconds=ACK_SECONDS):
        deadline = time.monotonic() + seconds
        while nonce not in self.acks and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        return self.acks.get(nonce)

    async def _async_cleanup_resources(self, restart=False):
        try:
            await super()._async_cleanup_resources(restart=restart)
            if self._reader is not None and not restart:  # the kernel is gone: its last reports are in the pipe
                await asyncio.to_thread(self._reader.join, REPORTS_DRAIN_SECONDS)
        finally:
            if self._box is not None and not restart:
                self._box.close()
                self._box = None

    cleanup_resources = run_sync(_async_cleanup_resources)


def _name(cell, index):
    return cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or f"#{index}"


def _size(output):
    """Characters an output would add to the notebook."""
    if output.output_type == "stream":
        return len(output.text)
    if output.output_type == "error":
        return sum(map(len, output.traceback)) + len(output.evalue)
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in output.get("data", {}).values())


def is_test(cell):
    return cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)


class HardenedExecute(Execute):
    """Execute with a sandboxed kernel, verdict-only test outputs, a cap on output, and the guard."""

    max_output_chars = Integer(
        1_000_000, help="output kept per cell; errors are always kept (they decide the grade)").tag(config=True)
    guard_tests = Bool(True, help="check and restore the tests' tools before and after each test cell").tag(config=True)

    _kept_chars, _cut = 0, False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        # nothing of the kernel is wanted once the last cell ran: a kill, not a polite shutdown (0.3 s of
        # waiting per submission), and no atexit hook of the student's gets to run
        kwargs.setdefault("shutdown_kernel", "immediate")
        super().__init__(*args, **kwargs)
        self._counts = None

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if isinstance(km, SandboxedKernelManager):
            km.course_lang = notebook_lang(self.nb) or ""  # its kernel speaks the submission's language
        return km

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        if self.guard_tests:
            await self._guard(SETUP, "setup")
        return kc

    start_new_kernel_client = run_sync(async_start_new_kernel_client)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._kept_chars, self._cut = 0, False
        test = is_test(cell)
        if test and self.guard_tests:
            await self._guard(GUARD, "before", _name(cell, cell_index))
        try:
            cell = await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            self.log.error("grading: the kernel died while running cell %s", _name(cell, cell_index))
            raise
        except CellTimeoutError:  # the interrupt did not stop it (the code catches KeyboardInterrupt?)
            self.log.error("grading: cell %s ran over %s s and did not stop when interrupted",
                           _name(cell, cell_index), self.timeout)
            raise
        if test:
            cell.outputs = [o for o in cell.outputs if o.output_type in VERDICT_OUTPUTS]
            if self.guard_tests:
                await self._guard(GUARD, "after", _name(cell, cell_index))
        return cell

    execute_cell = run_sync(async_execute_cell)  # nbconvert calls the sync name

    async def _guard(self, template, step, where="the first cell"):
        """Run a guard step in the kernel; a step that does not answer with its nonce is reported."""
        nonce = secrets.token_hex(8)
        await self._run_silently(template.format(step=step, nonce=nonce))
        km = self.km
        if not isinstance(km, SandboxedKernelManager):
            return
        payload = await km.wait_ack(nonce)
        if payload is None:
            km.flag(f"the grading guard did not answer {step} {where} (disabled or replaced)")
            return
        counts = tuple(int(n) for n in payload.split() if n.isdigit())
        if step == "setup" or self._counts is None:
            self._counts = counts
        elif counts < self._counts:
            km.flag(f"the grading guard's records were emptied ({where})")

    async def _run_silently(self, code):
        """Execute code without output or history; a failure here is logged, never fatal."""
        try:
            msg_id = await ensure_async(self.kc.execute(code, silent=True, store_history=False))
            reply = await self.async_wait_for_reply(msg_id)
            if reply and reply["content"]["status"] != "ok":
                self.log.warning("grading: the test guard failed: %s", reply["content"].get("evalue"))
        except DeadKernelError:
            raise
        except Exception as err:  # a stuck kernel: the cell itself will time out
            self.log.warning("grading: the test guard could not run: %r", err)

    def output(self, outs, msg, display_id, cell_index):
        out = super().output(outs, msg, display_id, cell_index)
        if out is None:
            return out
        size = _size(out)
        if self._kept_chars + size <= self.max_output_chars or out.output_type == "error":
            self._kept_chars += size
            return out
        outs.remove(out)  # over the cap: drop it, and say so once
        if out.output_type == "stream" and out.name == "stderr" and not any(
                o.output_type == "stream" and o.name == "stderr" for o in outs):
            outs.append(new_output("stream", name="stderr", text=out.text[:1000]))  # stderr decides a grade too
        if not self._cut:
            self._cut = True
            outs.append(new_output("stream", name="stdout",
                                   text=f"\n... output truncated: over {self.max_output_chars} characters ...\n"))
        return None
