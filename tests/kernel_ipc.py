"""Kernels started by the tests talk over IPC sockets in a private folder, never over TCP ports.

jupyter_client picks a kernel's five TCP ports by asking the system for free ones and closing them
again; the kernel binds them a moment later, and another process (another test, another kernel) can
take one in between: the kernel dies with "ZMQError: Address already in use". Unix sockets named after
the kernel's own connection file, in a folder only this process writes (mode 0700), cannot be taken by
anyone else. conftest.py calls use_private_ipc() in every pytest process, so nbval's kernels and those
of tests/test_figures_in_kernel.py are started this way; the grader's sandboxed kernels already use IPC
in their own box (grading/execute.py), and JupyterLab in the browser tests is given the same transport.
python3 tests/kernel_stress.py starts many kernels at once both ways.
"""
import atexit
import os
import shutil
import tempfile
import uuid

_FOLDER = None


def private_folder():
    """This process's folder for connection files and sockets: short (a socket path has at most 107 bytes)."""
    global _FOLDER
    if _FOLDER is None or not os.path.isdir(_FOLDER):
        _FOLDER = tempfile.mkdtemp(prefix="kernels-", dir="/tmp" if os.path.isdir("/tmp") else None)
        atexit.register(shutil.rmtree, _FOLDER, ignore_errors=True)
    return _FOLDER


def use_private_ipc():
    """Make every jupyter_client kernel manager of this process that would use TCP use IPC instead."""
    from jupyter_client.manager import KernelManager

    original = KernelManager._async_pre_start_kernel
    if getattr(original, "private_ipc", False):
        return

    async def pre_start_kernel(self, **kw):
        if self.transport == "tcp" and not self.connection_file:  # not one that chose its transport itself
            self.transport = "ipc"
            self.connection_file = os.path.join(private_folder(), f"kernel-{uuid.uuid4().hex[:16]}.json")
            self.ip = self.connection_file[: -len(".json")] + "-ipc"
        return await original(self, **kw)

    pre_start_kernel.private_ipc = True
    KernelManager._async_pre_start_kernel = pre_start_kernel
