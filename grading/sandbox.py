"""The sandbox a grading kernel runs in: python -m grading.sandbox [OPTIONS] -- KERNEL-COMMAND.

With bubblewrap (`bwrap`, Debian's `bubblewrap`), the kernel and everything it starts see:

- a private copy of the student's own files (never the notebook being graded: it holds the hidden
  tests once they are put back), as their working folder, writable, thrown away after the run;
- the operating system, the Python installation, the course's environment and its `helpers` and
  `grading` packages, read-only; an empty /tmp of limited size;
- nothing else: not the course folder (gradebook, solutions/, submitted/, grades/, configuration),
  not the staging folders, not the home folder; no network (a network namespace of its own);
- their own pid namespace: every process of the run ends when the kernel ends;
- limits on memory (address space), CPU time, file size and the number of processes, as an account
  of their own when grading runs as root (a uid no other process uses).

The grading process talks to the kernel over ZeroMQ's IPC transport: sockets in a folder bound into
the sandbox. Without bubblewrap but as root, the kernel runs as that unprivileged account with the
same limits in its private folder ("account" mode: no namespaces, so it sees what the account may
read). Without either it runs unsandboxed, with the limits only; `grade` says so and marks every row.
"""
import argparse
import ctypes
import functools
import os
import resource
import shutil
import signal
import subprocess
import sys
from pathlib import Path

MB = 1024 * 1024
_PR_SET_PDEATHSIG = 1
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
MODES = ("bwrap", "account", "none")
FIRST_UID = 200_000  # sandbox accounts: uids no real account uses
UIDS = 60_000
TMP_MB = 512


@functools.lru_cache(maxsize=None)
def available_mode():
    """'bwrap' when bubblewrap works here, else 'account' as root, else 'none'."""
    bwrap = shutil.which("bwrap")
    if bwrap:
        probe = [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc",
                 "--dev", "/dev", "--", "/bin/true"]
        try:
            if subprocess.run(probe, capture_output=True, timeout=30).returncode == 0:
                return "bwrap"
        except (OSError, subprocess.SubprocessError):
            pass
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return "account"
    return "none"


def why_not_bwrap():
    """A sentence for the instructor when bubblewrap cannot be used."""
    if not shutil.which("bwrap"):
        return "bubblewrap (bwrap) is not installed: sudo apt-get install bubblewrap"
    return "bubblewrap (bwrap) is installed but cannot create namespaces on this machine"


def new_uid():
    """A uid for one kernel's account among FIRST_UID .. FIRST_UID + UIDS, from the id of the process that
    starts the kernel: runs graded at the same time (one process each) never share an account, so ending
    what one account still runs never touches another run's kernel."""
    return FIRST_UID + os.getpid() % UIDS


def readable_roots():
    """Folders the kernel needs, read-only: the Python installation, the environment, the course's packages."""
    import importlib.util

    roots = {os.path.realpath(p) for p in (sys.base_prefix, sys.prefix, sys.exec_prefix, sys.base_exec_prefix)}
    for name in ("helpers", "grading"):
        spec = importlib.util.find_spec(name)
        if spec is not None and spec.submodule_search_locations:
            roots.update(os.path.realpath(p) for p in spec.submodule_search_locations)
    roots.add(os.path.realpath(os.path.dirname(os.path.realpath(sys.executable))))
    return sorted(r for r in roots if not any(r != o and r.startswith(o + os.sep) for o in roots)
                  and not any(r == s or r.startswith(s + os.sep) for s in SYSTEM_DIRS))


def bwrap_args(work, ipc, tmp_mb=TMP_MB, as_root=False):
    """bubblewrap's options: the view of the file system described in the module's docstring.

    As root, every namespace but the user namespace (the account is then a real uid, so that the
    process-count limit counts that account alone); otherwise all of them, the user one included.
    """
    namespaces = (["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
                  if as_root else ["--unshare-all"])
    args = ["bwrap", *namespaces, "--die-with-parent", "--new-session", "--hostname", "grading"]
    for path in SYSTEM_DIRS:
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(tmp_mb * MB), "--tmpfs", "/tmp"]
    roots = readable_roots()
    parents = sorted({str(parent) for path in [*roots, work, ipc] for parent in Path(path).parents
                      if str(parent) not in ("/", "/tmp")}, key=lambda p: p.count("/"))
    for parent in parents:  # bwrap would make them 0700: the account could not pass through
        args += ["--perms", "0755", "--dir", parent]
    for path in roots:
        args += ["--ro-bind", path, path]
    args += ["--bind", work, work, "--bind", ipc, ipc]
    mpl = matplotlib_dir(work)
    if os.path.isdir(mpl):
        args += ["--bind", mpl, mpl]
    return args + ["--chdir", work]


def matplotlib_dir(work):
    """The kernel's matplotlib folder, beside its work folder: a copy of the font cache saves seconds."""
    return os.path.join(os.path.dirname(work), "matplotlib")


@functools.lru_cache(maxsize=None)
def font_caches():
    """matplotlib's font cache files of this machine (built once if there are none)."""
    folder = os.environ.get("MPLCONFIGDIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "matplotlib")

    def found():
        return sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.startswith("fontlist")) \
            if os.path.isdir(folder) else []

    if not found():
        subprocess.run([sys.executable, "-c", "import matplotlib.font_manager"], capture_output=True, timeout=300)
    return found()


def kernel_env(work):
    """The kernel's whole environment: nothing of the grader's (no tokens, no NBGRADER_EXECUTION)."""
    env = {"PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
           "HOME": "/tmp/home", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1",
           "IPYTHONDIR": "/tmp/home/.ipython", "MPLCONFIGDIR": matplotlib_dir(work),
           "JUPYTER_CONFIG_DIR": "/tmp/home/.jupyter", "JUPYTER_DATA_DIR": "/tmp/home/.jupyter-data",
           "JUPYTER_RUNTIME_DIR": "/tmp/home/.jupyter-runtime", "GRADING_WORK": work, **SINGLE_THREADED}
    if os.environ.get("GRADING_DEBUG"):
        env["GRADING_DEBUG"] = "1"
    if os.environ.get("MPLBACKEND"):
        env["MPLBACKEND"] = os.environ["MPLBACKEND"]
    if os.environ.get("VIRTUAL_ENV"):
        env["VIRTUAL_ENV"] = os.environ["VIRTUAL_ENV"]
    if os.environ.get("COURSE_LANG"):  # the submission's language, for the helpers' messages
        env["COURSE_LANG"] = os.environ["COURSE_LANG"]
    return env


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


def own_process_count():
    """Processes and threads of this uid now (RLIMIT_NPROC counts them all)."""
    uid, count = os.getuid(), 0
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if os.stat(f"/proc/{entry}").st_uid == uid:
                    with open(f"/proc/{entry}/status") as f:
                        count += next((int(line.split()[1]) for line in f if line.startswith("Threads:")), 1)
            except (OSError, ValueError):
                continue
    return count


def drop_to(uid):
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grading.sandbox")
    parser.add_argument("--mode", choices=MODES, default="bwrap")
    parser.add_argument("--memory-mb", type=int, default=2048)
    parser.add_argument("--cpu-seconds", type=int, default=0, help="0: no CPU limit")
    parser.add_argument("--file-mb", type=int, default=256)
    parser.add_argument("--nproc", type=int, default=256, help="processes and threads the kernel may run")
    parser.add_argument("--uid", type=int, default=0, help="the account to run as (when started as root)")
    parser.add_argument("--work", required=True, help="the private copy of the submission (working folder)")
    parser.add_argument("--ipc", required=True, help="the folder holding the kernel's sockets")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        parser.error("no kernel command after --")
    as_root = os.geteuid() == 0 and args.uid > 0
    limit(resource.RLIMIT_AS, args.memory_mb * MB)
    limit(resource.RLIMIT_FSIZE, args.file_mb * MB)
    limit(resource.RLIMIT_CORE, 0)
    if args.cpu_seconds:
        limit(resource.RLIMIT_CPU, args.cpu_seconds)
    # a fresh uid starts from 0 processes; an instructor's own account already runs some
    limit(resource.RLIMIT_NPROC, args.nproc if as_root else own_process_count() + args.nproc)
    env = kernel_env(args.work)
    if args.mode == "bwrap":
        if as_root:  # bwrap as root builds the sandbox, then setpriv becomes the account inside it
            command = ["setpriv", f"--reuid={args.uid}", f"--regid={args.uid}", "--clear-groups",
                       "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--", *command]
        command = [shutil.which("bwrap") or "bwrap", *bwrap_args(args.work, args.ipc, as_root=as_root)[1:], "--", *command]
    else:
        os.chdir(args.work)
        if as_root:
            drop_to(args.uid)
    die_with_parent()  # after any change of uid, which clears it
    os.execvpe(command[0], command, env)


if __name__ == "__main__":
    main()
