"""nbgrader's Execute step, hardened: a sandboxed kernel, bounded output, check functions restored.

Used through nbgrader_config.py, so `nbgrader autograde` and Formgrader's autograde button get it too.
"""
import sys

from jupyter_client.manager import AsyncKernelManager
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader import utils
from nbgrader.preprocessors import Execute
from traitlets import Bool, Integer

# Run silently before every test cell: rebinds assert_close, require ... to pristine copies.
GUARD = "__import__('grading.guard').guard.restore(globals())"


class SandboxedKernelManager(AsyncKernelManager):
    """Starts the kernel through grading.sandbox, inside memory, CPU and file-size limits."""

    memory_mb = Integer(2048, help="address-space limit of the kernel, in MB").tag(config=True)
    cpu_seconds = Integer(0, help="CPU-time limit of the kernel (0: none; the cell timeout applies)").tag(config=True)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, "-m", "grading.sandbox", f"--memory-mb={self.memory_mb}",
                f"--cpu-seconds={self.cpu_seconds}", "--", *cmd]


def _name(cell, index):
    return cell.metadata.get("nbgrader", {}).get("grade_id") or cell.get("id") or f"#{index}"


def _size(output):
    """Characters an output would add to the notebook."""
    if output.output_type == "stream":
        return len(output.text)
    if output.output_type == "error":
        return sum(map(len, output.traceback)) + len(output.evalue)
    return sum(len(v) if isinstance(v, str) else len(str(v)) for v in output.get("data", {}).values())


class HardenedExecute(Execute):
    """Execute with a sandboxed kernel, a cap on each cell's output, and the check functions guarded."""

    max_output_chars = Integer(
        1_000_000, help="output kept per cell; errors are always kept (they decide the grade)").tag(config=True)
    guard_tests = Bool(True, help="restore the helpers' check functions before each test cell").tag(config=True)

    _kept_chars, _cut = 0, False

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("kernel_manager_class", SandboxedKernelManager)
        super().__init__(*args, **kwargs)

    async def async_execute_cell(self, cell, cell_index, execution_count=None, store_history=True):
        self._kept_chars, self._cut = 0, False
        is_test = cell.cell_type == "code" and utils.is_grade(cell) and not utils.is_solution(cell)
        if is_test and self.guard_tests:
            await self._run_silently(GUARD)
        try:
            return await super().async_execute_cell(cell, cell_index, execution_count, store_history)
        except DeadKernelError:
            self.log.error("grading: the kernel died while running cell %s", _name(cell, cell_index))
            raise
        except CellTimeoutError:  # the interrupt did not stop it (the code catches KeyboardInterrupt?)
            self.log.error("grading: cell %s ran over %s s and did not stop when interrupted",
                           _name(cell, cell_index), self.timeout)
            raise

    execute_cell = run_sync(async_execute_cell)  # nbconvert calls the sync name

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
