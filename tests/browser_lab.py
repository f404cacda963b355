"""JupyterLab in headless Chromium, for the browser tests: install, start, drive, stop.

Everything lives in one temporary folder: the served notebooks, Jupyter's, IPython's and matplotlib's
configuration, the server's runtime files and Chromium's profile. Stopping shuts the kernels and the
server down through the REST API, closes the browser, then checks that no process still names that
folder (kernels run in sessions of their own, so a forgotten one would outlive its server).
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from course_tools import apt_install
from translation.structure import table_rows  # noqa: F401 (how many table rows a markdown source has)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
# JupyterLab settings a fresh profile would otherwise ask about or defer.
LAB_SETTINGS = {
    # the "get notified about Jupyter news?" toast covers outputs
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    # render every cell, so off-screen outputs are checked too
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}
# Close every document of the main area without asking to save (the open notebooks are throw-away copies).
CLOSE_ALL_JS = """() => {
    for (const widget of Array.from(window.jupyterapp.shell.widgets('main'))) {
        if (widget.context) widget.context.model.dirty = false;
        widget.close();
    }
}"""
STATUS_BAR = "#jp-main-statusbar"
ERROR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'
# what IPython prints for a matplotlib Figure it cannot draw: its repr
FIGURE_AS_TEXT = re.compile(r"<Figure size [\d.]+x[\d.]+ with \d+ Axes>|<matplotlib\.figure\.\w*Figure[^>]*>")


def ensure_chromium():
    """Return (path, None) once Debian's chromium is installed (installing it if need be), else (None, reason)."""
    return apt_install("chromium", CHROMIUM)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_naming(text):
    """{pid: command line} of the processes (other than this one) whose command line contains text."""
    found = {}
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                command = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:  # ended meanwhile, or not ours to read
                continue
            if text in command:
                found[int(proc.name)] = command
    return found


class Lab:
    """A JupyterLab server on 127.0.0.1 behind a random token, isolated in `base`, plus one Chromium."""

    def __init__(self, base, chromium):
        self.base, self.chromium = Path(base), Path(chromium)
        self.root = self.base / "notebooks"
        self.port, self.token = free_port(), secrets.token_hex(16)
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = self.playwright = self.browser = None

    # --- server -------------------------------------------------------------------
    def env(self):
        dirs = {"JUPYTER_CONFIG_DIR": "jupyter-config", "JUPYTER_DATA_DIR": "jupyter-data",
                "JUPYTER_RUNTIME_DIR": "jupyter-runtime", "IPYTHONDIR": "ipython", "MPLCONFIGDIR": "matplotlib"}
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # the kernel draws inline, as for a learner
        for name, folder in dirs.items():
            (self.base / folder).mkdir(parents=True, exist_ok=True)
            env[name] = str(self.base / folder)
        bin_dir = str(Path(sys.executable).parent)
        return dict(env, PATH=os.pathsep.join([bin_dir, env.get("PATH", "")]))

    def write_settings(self):
        folder = self.base / "lab-settings"
        for name, values in LAB_SETTINGS.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return folder

    def start(self):
        self.root.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
                   "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
                   f"--ServerApp.root_dir={self.root}", f"--LabApp.user_settings_dir={self.write_settings()}",
                   f"--LabApp.workspaces_dir={self.base / 'lab-workspaces'}",
                   "--LabApp.expose_app_in_browser=True",  # window.jupyterapp: open notebooks in one tab (open_notebook)
                   # kernels on Unix sockets in a private folder: no TCP port another process could take first
                   # (a short path: a socket's has at most 107 bytes); see kernel_ipc.py
                   "--KernelManager.transport=ipc", f"--KernelManager.ip={self.ipc_folder()}/kernel"]
        if os.geteuid() == 0:
            command.append("--allow-root")  # JupyterLab refuses to start as root otherwise
        self.log = open(self.base / "server.log", "w")
        self.server = subprocess.Popen(command, cwd=self.base, env=self.env(), stdout=self.log,
                                       stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if self.server.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start (code {self.server.returncode}):\n{self.log_tail()}")
            try:
                self.api("GET", "/api/status")
                return self
            except (OSError, urllib.error.URLError):
                time.sleep(0.25)
        raise RuntimeError(f"JupyterLab did not answer within 90 s:\n{self.log_tail()}")

    def ipc_folder(self):
        if getattr(self, "_ipc", None) is None:
            self._ipc = tempfile.mkdtemp(prefix="lab-ipc-")
        return self._ipc

    def api(self, method, path, timeout=10):
        request = urllib.request.Request(self.url + path, method=method, data=b"" if method == "POST" else None,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
        return json.loads(body) if body else None

    def log_tail(self, lines=30):
        self.log.flush()
        return "\n".join((self.base / "server.log").read_text(errors="replace").splitlines()[-lines:])

    # --- browser ------------------------------------------------------------------
    def launch_browser(self):
        from playwright.sync_api import sync_playwright

        self.playwright = sync_playwright().start()
        self.browser = self.playwright.chromium.launch_persistent_context(
            str(self.base / "chromium-profile"), executable_path=str(self.chromium), headless=True,
            args=CHROMIUM_FLAGS, viewport={"width": 1400, "height": 1000})
        return self.browser

    def open_notebook(self, notebook):
        """The run's shared tab showing `notebook` alone: JupyterLab boots once per run (5 to 7 s), not once
        per notebook. The notebooks opened before are closed first, their changes dropped (they are copies).

        Returns (page, problems): problems collects console errors and page errors from now on.
        """
        if getattr(self, "_tab", None) is None:  # the tab, and JupyterLab booted in it (its errors count too)
            page, problems = self.browser.new_page(), []
            self._tab, self._tab_listeners = page, _collect_errors(page, problems)
            page.goto(f"{self.url}/lab/workspaces/shared-tab?token={self.token}")
            page.wait_for_function("() => window.jupyterapp !== undefined", timeout=60_000)
            page.evaluate("() => window.jupyterapp.restored.then(() => null)")
        else:
            page = self._tab
            page.evaluate(CLOSE_ALL_JS)
            page.locator(".jp-NotebookPanel").first.wait_for(state="detached", timeout=30_000)
            for event, listener in self._tab_listeners:  # what went wrong before belongs to the notebooks closed
                page.remove_listener(event, listener)
            problems = []
            self._tab_listeners = _collect_errors(page, problems)
        page.evaluate("path => window.jupyterapp.commands.execute('docmanager:open', {path})", notebook)
        page.locator(".jp-NotebookPanel .jp-Cell").first.wait_for(timeout=60_000)
        wait_idle(page, timeout=60_000)
        return page, problems

    # --- stop ---------------------------------------------------------------------
    def shutdown_kernels(self):
        """Shut down every session and kernel (e.g. after a lesson, so the next one has the CPU)."""
        for session in self.api("GET", "/api/sessions"):
            self.api("DELETE", f"/api/sessions/{session['id']}", timeout=30)
        for kernel in self.api("GET", "/api/kernels"):
            self.api("DELETE", f"/api/kernels/{kernel['id']}", timeout=30)

    def stop(self):
        """Stop kernels, server and browser; return the PIDs that still had to be killed (should be none)."""
        if self.browser is not None:
            self.browser.close()
        if self.playwright is not None:
            self.playwright.stop()
        if self.server is not None and self.server.poll() is None:
            try:
                self.shutdown_kernels()
                self.api("POST", "/api/shutdown", timeout=30)
                self.server.wait(timeout=30)
            except (OSError, urllib.error.URLError, subprocess.TimeoutExpired):
                os.killpg(self.server.pid, signal.SIGTERM)
                try:
                    self.server.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(self.server.pid, signal.SIGKILL)
            self.log.close()
        deadline = time.monotonic() + 15
        while processes_naming(str(self.base)) and time.monotonic() < deadline:
            time.sleep(0.25)
        leftovers = processes_naming(str(self.base))
        if getattr(self, "_ipc", None):
            shutil.rmtree(self._ipc, ignore_errors=True)
        for pid in leftovers:  # each by its id: only what this run started names this folder
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return leftovers


# --- driving a notebook --------------------------------------------------------------

def _collect_errors(page, problems):
    """Collect the page's console errors and page errors in problems; returns the (event, listener) pairs."""
    listeners = [("console", lambda msg: msg.type == "error" and problems.append(f"console error: {msg.text}")),
                 ("pageerror", lambda error: problems.append(f"page error: {error}"))]
    for event, listener in listeners:
        page.on(event, listener)
    return listeners


def kernel_status(page):
    """The kernel's state as the status bar shows it: 'Idle', 'Busy', 'Starting', ... ('' if none yet)."""
    text = page.locator(STATUS_BAR).inner_text()
    match = re.search(r"\|\s*(\w[\w ]*)", text)
    return match.group(1).strip() if match else ""


def wait_idle(page, timeout=60_000, settle=0.3):
    """Wait until the status bar has shown the kernel idle for `settle` seconds (a live kernel, nothing queued)."""
    deadline = time.monotonic() + timeout / 1000
    idle_since = None
    while time.monotonic() < deadline:
        queued = page.locator(".jp-InputPrompt", has_text="[*]").count()
        if kernel_status(page) == "Idle" and not queued:
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= settle:
                return
        else:
            idle_since = None
        page.wait_for_timeout(100)
    raise AssertionError(f"the kernel did not become idle within {timeout / 1000:.0f} s "
                         f"(status bar: {page.locator(STATUS_BAR).inner_text()!r})")


def menu(page, top, item):
    """Choose a menu item the way a person does: click the menu bar, then the item."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(f"^{re.escape(top)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(f"^{re.escape(item)}$")).click()


def run_all(page, timeout=120_000):
    menu(page, "Run", "Run All Cells")
    page.wait_for_timeout(300)  # let the first cells be queued before watching for idle
    wait_idle(page, timeout=timeout, settle=1.0)


def unrun_code_cells(prompts):
    """Indices of code cells that never ran, from their prompts after Run All (None: input collapsed).

    A collapsed cell shows no prompt; Run All numbers cells one after another, so it ran exactly when the
    counts of the visible cells around it leave a gap for it (and for the other collapsed cells in between).
    """
    unrun, last, hidden = [], 0, []
    for i, text in enumerate(prompts):
        if text is None:
            hidden.append(i)
            continue
        match = re.search(r"\[(\d+)\]", text)
        if not match:
            unrun += hidden + [i]
        elif int(match.group(1)) - last - 1 != len(hidden):
            unrun += hidden
        if match:
            last = int(match.group(1))
        hidden = []
    return sorted(unrun + hidden if hidden and last == 0 else unrun)


def output_problems(page):
    """Error or stderr outputs, figures shown as text, widgets that failed to display, code cells that never ran."""
    found = [f"error output: {text.strip()[:1500]}" for text in page.locator(ERROR_OUTPUT).all_inner_texts()]
    found += [f"a figure shows as its text form, not as a picture: {match}"
              for text in page.locator(".jp-OutputArea-output").all_inner_texts()
              for match in FIGURE_AS_TEXT.findall(text)]
    found += [f"widget failed: {text.strip()[:300]}"
              for text in page.get_by_text("Error displaying widget").all_inner_texts()]
    unrun = unrun_code_cells(page.evaluate(
        "() => Array.from(document.querySelectorAll('.jp-CodeCell')).map(c => c.querySelector('.jp-Placeholder')"
        " ? null : (c.querySelector('.jp-InputPrompt') || {}).textContent || '')"))
    if unrun:
        found.append(f"code cells that did not run (0-based among code cells): {unrun}")
    return found


# --- markdown as its source intends ----------------------------------------------------

# A rendered markdown cell as text, without code and maths (typeset maths is checked on its own),
# and what MathJax reports: errors (merror) and undefined macros (shown in red).
RENDERED_MARKDOWN_JS = """cells => cells.map(cell => {
    const view = cell.querySelector('.jp-RenderedMarkdown');
    if (!view) return null;
    const copy = view.cloneNode(true);
    copy.querySelectorAll('pre, code, mjx-container, .MathJax, script, style').forEach(e => e.remove());
    const errors = [...view.querySelectorAll('mjx-merror, [data-mjx-error]')].map(
        e => e.getAttribute('data-mjx-error') || e.textContent);
    const undefinedMacros = [...view.querySelectorAll('mjx-assistive-mml mtext[mathcolor="red"]')].map(
        e => e.textContent);
    return {text: copy.innerText, rows: view.querySelectorAll('tr').length,
            maths: view.querySelectorAll('mjx-container').length, errors, undefinedMacros};
})"""
RAW_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$", re.M)
UNRENDERED_MATHS = [(re.compile(r"\$\$"), "a literal $$"),
                    (re.compile(r"\$[^$\n]+\$"), "unrendered inline maths"),
                    (re.compile(r"\$[\\{^_]"), "a $ opening maths that did not render"),
                    (re.compile(r"\\[A-Za-z]+"), "a LaTeX command shown as text")]


def markdown_problems(page, sources, timeout=20.0):
    """Markdown cells that do not render as their source intends, as messages naming the cell.

    `sources` are the notebook's cells as (cell_type, source), in order. Tables must render all their
    rows (none left as raw `|` text); maths must be typeset without errors or undefined macros, and no
    `$$`, `$...$` or LaTeX command may be left as text. MathJax typesets after the cells render, so
    the check is repeated until it passes or `timeout` seconds have gone.
    """
    deadline = time.monotonic() + timeout
    while True:
        cells = page.locator(".jp-Notebook .jp-Cell")
        if cells.count() != len(sources):
            problems = [f"the page shows {cells.count()} cells, the notebook has {len(sources)}"]
        else:
            problems = []
            views = cells.evaluate_all(RENDERED_MARKDOWN_JS)
            for i, ((kind, source), view) in enumerate(zip(sources, views)):
                if kind == "markdown":
                    problems += _markdown_cell_problems(i, source, view)
        if not problems or time.monotonic() > deadline:
            return problems
        page.wait_for_timeout(500)


def _raw_table_text(text):
    """Table rows left as text: a line that starts and ends with |, or one holding 3 or more | (rows run together)."""
    found = []
    for line in text.splitlines():
        if RAW_TABLE_ROW.match(line) or line.count("|") >= 3:
            start = max(line.index("|") - 40, 0)
            found.append(line[start:start + 120].strip())
    return found[:3]


def _markdown_cell_problems(i, source, view):
    where = f"markdown cell {i} ({source.strip().splitlines()[0][:60] if source.strip() else 'empty'!r})"
    if view is None:
        return [f"{where} is not rendered"]
    found = []
    expected = table_rows(source)
    if view["rows"] != expected:
        found.append(f"{where}: its tables have {expected} rows in the source but {view['rows']} render")
    found += [f"{where}: a table row shows as raw text: {raw}" for raw in _raw_table_text(view["text"])]
    found += [f"{where}: MathJax error: {error[:200]}" for error in view["errors"]]
    found += [f"{where}: undefined LaTeX macro {macro}" for macro in view["undefinedMacros"]]
    for pattern, what in UNRENDERED_MATHS:
        found += [f"{where}: {what}: {match[:80]!r}" for match in pattern.findall(view["text"])[:3]]
    return found


def screenshot_notebook(page, path):
    """One picture of the whole notebook: the viewport grows to the notebook's height for the shot."""
    size = page.viewport_size
    scroller = page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer")
    height = scroller.evaluate("e => e.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": min(int(height) + 150, 30_000)})
    scroller.evaluate("e => { e.scrollTop = 0; }")
    page.wait_for_timeout(300)
    # JPEG for a .jpg path: a whole notebook is tens of megapixels, which PNG takes seconds to compress
    page.screenshot(path=str(path), **({"quality": 85} if Path(path).suffix == ".jpg" else {}))
    page.set_viewport_size(size)


def explorers(page):
    """Output areas that hold an explorer: a widget with an image and a slider or a dropdown."""
    widget = page.locator(".jp-OutputArea-output").filter(has=page.locator(".widget-image"))
    return widget.filter(has=page.locator(".noUi-handle, select")).all()


def image_pixels(explorer):
    """The explorer's rendered picture, as PNG bytes of what is on screen."""
    image = explorer.locator(".widget-image").first
    image.scroll_into_view_if_needed()
    return image.screenshot()


def move_first_control(page, explorer, presses=5):
    """Move the first slider a few steps with the keyboard (or pick the next dropdown option).

    Returns a description of what was done, e.g. 'w: 1.00 -> 1.40'.
    """
    handle = explorer.locator(".noUi-handle").first
    if handle.count():
        before = handle.get_attribute("aria-valuenow")
        handle.focus()
        key = "ArrowLeft" if float(before) >= float(handle.get_attribute("aria-valuemax")) else "ArrowRight"
        for _ in range(presses):
            page.keyboard.press(key)
            page.wait_for_timeout(60)
        after = handle.get_attribute("aria-valuenow")
        label = explorer.locator(".widget-slider .widget-label").first.inner_text()
        return f"slider {label}: {before} -> {after}"
    select = explorer.locator("select").first
    before = select.input_value()
    select.focus()
    page.keyboard.press("ArrowDown")
    return f"dropdown: {before} -> {select.input_value()}"


def wait_busy_then_idle(page, timeout=30_000):
    """After an interaction: give the kernel a moment to pick it up, then wait until it is idle again."""
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and kernel_status(page) != "Busy":
        page.wait_for_timeout(50)
    wait_idle(page, timeout=timeout)


def click_validate(page, timeout=120_000):
    """Press the notebook toolbar's nbgrader Validate button; return (classes, text) of the result dialog."""
    page.locator(".validate-button").first.click()
    message = page.locator(".jp-Dialog #validation-message")
    message.wait_for(timeout=timeout)
    result = message.get_attribute("class") or "", message.inner_text()
    page.locator(".jp-Dialog .jp-mod-accept").click()
    return result
