"""A class on a real JupyterHub, for tests/test_hub.py: local accounts, the hub and its proxy, commands as a user.

The hub runs deploy/jupyterhub_config.py (the one-machine configuration of the instructor's guide) with its
settings given by environment variables: addresses on 127.0.0.1 with free ports, its state in a temporary folder,
a test password instead of system passwords. Accounts are real (useradd) with names no other run uses, and are
removed with their homes (userdel -r) when the class ends, whatever happened.
"""
import fcntl
import hashlib
import json
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

from browser_lab import free_port
from course_tools import ROOT, apt_install

CONFIG = ROOT / "deploy" / "jupyterhub_config.py"
PROXY_PACKAGE = "configurable-http-proxy@5"
SYSTEM_PYTHON = Path("/usr/bin/python3")  # Debian's: every account can run it (a Python under /root is not)
CLASS_ENVS = Path("/var/cache/backprop-course")


SHARED = ["course.py", "pyproject.toml", "README.md", "LICENSE", "nbgrader_config.py", "helpers", "grading",
          "translation", "deploy", "solutions"]
# docs/instructors.md, "A class on JupyterHub", step 1, run in the course's folder
INSTALL = ["/usr/bin/python3 course.py grade --help", ".venv/bin/pip install -e '.[hub]'"]


def ensure_class_install():
    """(folder, None): the course installed for every account, as the guide's /opt/backprop-course; else (None, why).

    Made by the guide's commands (INSTALL) in a folder everyone can read: course.py makes .venv with a Python
    every account can run, then JupyterHub is added. Kept between runs in /var/cache, one per checkout; the
    course's files are brought up to date on every run, the environment is made again when pyproject.toml changes.
    """
    if not SYSTEM_PYTHON.exists():
        return None, f"{SYSTEM_PYTHON} is missing: the accounts need a Python they can run (apt-get install python3-venv)"
    key = hashlib.sha256(str(ROOT).encode()).hexdigest()[:12]
    folder = CLASS_ENVS / f"hub-course-{key}"
    marker = folder / ".venv" / ".course-installed"
    CLASS_ENVS.mkdir(parents=True, exist_ok=True)
    CLASS_ENVS.chmod(0o755)
    with open(CLASS_ENVS / f".lock-{key}", "w") as lock:  # a parallel run may be making the same one
        fcntl.flock(lock, fcntl.LOCK_EX)
        folder.mkdir(mode=0o755, exist_ok=True)
        for name in SHARED:
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, folder / name, dirs_exist_ok=True,
                                ignore=shutil.ignore_patterns("__pycache__", ".ipynb_checkpoints"))
            else:
                shutil.copy2(source, folder / name)
        digest = hashlib.sha256((folder / "pyproject.toml").read_bytes()).hexdigest()
        if marker.exists() and marker.read_text().split()[:1] == [digest] and (folder / ".venv/bin/jupyterhub").exists():
            return folder, None
        quiet = dict(os.environ, PYTHONWARNINGS="ignore")
        for step in INSTALL:
            proc = subprocess.run(step, shell=True, capture_output=True, text=True, timeout=1200, env=quiet, cwd=folder)
            if proc.returncode != 0:
                return None, f"`{step}` failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    return folder, None


def ensure_proxy():
    """(path, None) of configurable-http-proxy, installed from npm into a cache folder if missing; else (None, why)."""
    found = shutil.which("configurable-http-proxy")
    if found:
        return Path(found), None
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "backprop-course" / "hub-proxy"
    command = cache / "node_modules" / ".bin" / "configurable-http-proxy"
    if command.exists():
        return command, None
    npm, reason = apt_install("npm", shutil.which("npm") or "/usr/bin/npm")
    if reason:
        return None, f"configurable-http-proxy is missing and npm cannot install it: {reason}"
    cache.mkdir(parents=True, exist_ok=True)
    with open(cache / ".lock", "w") as lock:  # a parallel run may be installing it too
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not command.exists():
            proc = subprocess.run([str(npm), "install", "--prefix", str(cache), "--no-audit", "--no-fund",
                                   PROXY_PACKAGE], capture_output=True, text=True, timeout=600)
            if proc.returncode != 0:
                return None, f"npm install {PROXY_PACKAGE} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}"
    return (command, None) if command.exists() else (None, f"npm installed {PROXY_PACKAGE} but {command} is missing")


# --- accounts ---------------------------------------------------------------------------------------------

def add_account(name):
    """A real local account with a private home (mode 700). Retries while a parallel useradd holds the lock."""
    for attempt in range(20):
        proc = subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name],
                              capture_output=True, text=True)
        if proc.returncode == 0:
            os.chmod(pwd.getpwnam(name).pw_dir, 0o700)
            return pwd.getpwnam(name)
        if "lock" not in proc.stderr:
            raise RuntimeError(f"useradd {name} failed: {proc.stderr.strip()}")
        time.sleep(0.5)
    raise RuntimeError(f"useradd {name}: /etc/passwd stayed locked: {proc.stderr.strip()}")


def processes_of(uid):
    """{pid: command line} of the processes running as uid."""
    found = {}
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and proc.stat().st_uid == uid:
                found[int(proc.name)] = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
    return found


def remove_account(name):
    """Kill what still runs as the account (returned: it should be nothing), then userdel -r it."""
    try:
        uid = pwd.getpwnam(name).pw_uid
    except KeyError:
        return {}
    left = processes_of(uid)
    for pid in left:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    for attempt in range(20):
        proc = subprocess.run(["userdel", "--remove", name], capture_output=True, text=True)
        if proc.returncode in (0, 12):  # 12: the home could not be removed entirely (reported below)
            break
        time.sleep(0.5)
    return left


def account_exists(name):
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def as_user(name, command, course_env, cwd=None, env=None, timeout=600):
    """Run a shell command as the account, in a clean environment with the course's environment on PATH."""
    home = pwd.getpwnam(name).pw_dir
    variables = {"HOME": home, "USER": name, "LOGNAME": name, "LANG": "C.UTF-8",
                 "PATH": f"{course_env / 'bin'}:/usr/local/bin:/usr/bin:/bin", **(env or {})}
    return subprocess.run(["runuser", "-u", name, "--", "env", "-i", *(f"{k}={v}" for k, v in variables.items()),
                           "bash", "-c", command], cwd=cwd or home, capture_output=True, text=True, timeout=timeout)


# --- the hub ----------------------------------------------------------------------------------------------

class Hub:
    """JupyterHub from deploy/jupyterhub_config.py on 127.0.0.1, its state in `state`; the proxy and users'
    servers are its children. `token` is the tests' own API client (a hub service)."""

    def __init__(self, course_env, state, proxy, instructors, students, exchange, jupyter_config):
        self.course_env, self.state, self.proxy = Path(course_env), Path(state), Path(proxy)
        self.port, self.hub_port, self.proxy_port = free_port(), free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token, self.password = secrets.token_hex(24), secrets.token_hex(12)
        self.env = dict(os.environ, COURSE_HUB_ENV=str(self.course_env), COURSE_HUB_STATE=str(self.state),
                        COURSE_HUB_INSTRUCTORS=",".join(instructors), COURSE_HUB_STUDENTS=",".join(students),
                        COURSE_HUB_IP="127.0.0.1", COURSE_HUB_PORT=str(self.port),
                        COURSE_HUB_HUB_PORT=str(self.hub_port), COURSE_HUB_PROXY_PORT=str(self.proxy_port),
                        COURSE_HUB_PROXY=str(self.proxy), NBGRADER_EXCHANGE=str(exchange),
                        COURSE_HUB_JUPYTER_CONFIG=str(jupyter_config), COURSE_HUB_TEST_PASSWORD=self.password,
                        COURSE_HUB_TEST_TOKEN=self.token)
        self.process = None
        self.log_path = self.state / "jupyterhub.log"

    def start(self, timeout=120):
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([str(self.course_env / "bin" / "jupyterhub"), "-f", str(CONFIG)], cwd=self.state,
                                        env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterHub exited at start (code {self.process.returncode}):\n{self.log_tail()}")
            try:
                self.api("GET", "/hub/api/")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.5)
        raise RuntimeError(f"JupyterHub did not answer within {timeout} s:\n{self.log_tail()}")

    def api(self, method, path, data=None, token=None, form=False, timeout=60):
        """A request to the hub (or through its proxy to a user's server); the decoded JSON answer."""
        headers = {"Authorization": f"token {token or self.token}"}
        body = None
        if data is not None and form:
            body, headers["Content-Type"] = urllib.parse.urlencode(data).encode(), "application/x-www-form-urlencoded"
        elif data is not None:
            body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
        elif method in ("POST", "PUT"):
            body = b""
        request = urllib.request.Request(self.url + path, method=method, data=body, headers=headers)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text.strip() else None

    def start_server(self, name):
        self.api("POST", f"/hub/api/users/{name}/server")

    def wait_ready(self, name, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self.api("GET", f"/hub/api/users/{name}").get("servers", {}).get("")
            if server and server.get("ready"):
                return server
            time.sleep(1)
        raise RuntimeError(f"{name}'s server was not ready within {timeout} s:\n{self.log_tail()}")

    def user_token(self, name):
        return self.api("POST", f"/hub/api/users/{name}/tokens", {"note": "course tests", "expires_in": 3600})["token"]

    def proxy_pid(self):
        path = self.state / "jupyterhub-proxy.pid"
        return int(path.read_text()) if path.exists() else None

    def stop(self, timeout=60):
        """SIGTERM the hub (it stops the proxy and every server, as configured); kill it if it hangs."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=30)
        self.log.close()

    def log_tail(self, lines=40):
        self.log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
