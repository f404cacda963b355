"""Start a grading kernel inside resource limits: python -m grading.sandbox [LIMITS] -- KERNEL-COMMAND.

The limits hold for the kernel process only (not for nbgrader): address space (memory), CPU
seconds (a backstop behind the per-cell timeout), size of files written, no core dumps. The
kernel is killed when the process that started it dies, so no orphan is left spinning, and it
does not see NBGRADER_EXECUTION, so code cannot behave differently while it is graded.
"""
import argparse
import ctypes
import os
import resource
import signal
import sys

MB = 1024 * 1024
_PR_SET_PDEATHSIG = 1
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def limit(kind, value):
    """Lower a resource limit (soft and hard) to value; never raise one."""
    _, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        value = min(value, hard)
    resource.setrlimit(kind, (value, value))


def die_with_parent():
    """Ask Linux to SIGKILL this process when its parent exits (no-op elsewhere)."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading.sandbox")
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--cpu-seconds", type=int, default=0, help="0: no CPU limit")
    parser.add_argument("--file-mb", type=int, default=256)
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no kernel command after --")
    limit(resource.RLIMIT_AS, args.memory_mb * MB)
    limit(resource.RLIMIT_FSIZE, args.file_mb * MB)
    limit(resource.RLIMIT_CORE, 0)
    if args.cpu_seconds:
        limit(resource.RLIMIT_CPU, args.cpu_seconds)
    die_with_parent()
    env = {k: v for k, v in os.environ.items() if k != "NBGRADER_EXECUTION"}
    env.update(SINGLE_THREADED)
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
