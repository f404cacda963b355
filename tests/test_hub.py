"""A class on a real JupyterHub: nbgrader's whole assignment cycle across real accounts, as the guide gives it.

The hub runs deploy/jupyterhub_config.py (docs/instructors.md, "A class on JupyterHub, on one machine") on
127.0.0.1: the hub, its proxy (configurable-http-proxy from npm, installed into a cache folder when missing) and
each student's server are real processes, the servers running as their students from the course installed for
everyone by the guide's commands (in /var/cache/backprop-course, kept between runs: this machine's own .venv may
be built on a Python other accounts cannot run). One instructor and two students are real local accounts with
names no other run uses, removed when the class ends. The exchange is a temporary folder set up as the guide says.

The instructor releases Lesson 1 with nbgrader's commands; each student fetches it, solves it (one correctly, one
with a known-wrong multiply node) and submits it through their own server, with their own token, as the
Assignments tab does; the instructor collects, grades with `course.py grade` (the sandbox), makes the feedback
pages and releases them; each student fetches their own feedback, and neither can read the other's submission or
feedback. In Chromium, a student logs in through the hub's login page and sees the lesson in the Assignments
panel. Afterwards no process and no account of the class may be left.

Needs root (to create accounts); skipped with the reason otherwise, except under CI (CI set), where it fails.
"""
import csv
import os
import re
import pwd
import secrets
import shutil
import tempfile
import time
import urllib.error
import urllib.parse
from pathlib import Path

import nbformat
import pytest

from browser_lab import CHROMIUM_FLAGS, ensure_chromium, processes_naming
from course_tools import ROOT, SOLUTIONS, ensure_bwrap, fill_in, solution_sources
from hub_class import Hub, account_exists, add_account, as_user, ensure_class_install, ensure_proxy, remove_account
from test_instructor_workflow import FULL, WRONG_MUL
from wrong_answers import wrong_answers

pytestmark = pytest.mark.hub

LESSON, NOTEBOOK, COURSE = "01_chain_rule", "chain_rule.ipynb", "backprop-from-scratch"
GUIDE = ROOT / "docs" / "instructors.md"
OPT = "/opt/backprop-course"  # where the guide installs the course; the test's copy is in /var/cache
# The instructor's commands of the guide ("A class on JupyterHub, on one machine", steps 5 and 7), in order.
COURSE_FOLDER = ["mkdir -p ~/course/solutions", f"cp {OPT}/nbgrader_config.py ~/course/",
                 f"cp -r {OPT}/solutions/{LESSON} ~/course/solutions/"]
RELEASE = [f"nbgrader generate_assignment {LESSON}", f"nbgrader release_assignment {LESSON}"]
COLLECT = f"nbgrader collect {LESSON}"
GRADE = f"python3 {OPT}/course.py grade {LESSON} --root ~/course"
FEEDBACK = f"python3 {OPT}/course.py grade {LESSON} --feedback --root ~/course"
RELEASE_FEEDBACK = f"nbgrader release_feedback {LESSON}"


def unavailable(reason):
    """Skip with the reason, or fail under CI, where the class must run."""
    if os.environ.get("CI"):
        pytest.fail(f"the JupyterHub test cannot run under CI: {reason}")
    pytest.skip(reason)


def guide(command, shared):
    """A command of the guide, for the course installed in `shared` instead of /opt/backprop-course."""
    return command.replace(OPT, str(shared))


def check(proc, what):
    assert proc.returncode == 0, f"{what} failed (exit {proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """Accounts, exchange, hub and the students' servers; Lesson 1 released. Everything is undone afterwards."""
    if os.geteuid() != 0:
        unavailable("creating the class's local accounts (useradd) needs root")
    for tool in ("useradd", "userdel", "runuser"):
        if not shutil.which(tool):
            unavailable(f"{tool} is missing")
    found = {}
    for ensure in (ensure_bwrap, ensure_proxy, ensure_class_install):
        found[ensure], reason = ensure()
        if reason:
            unavailable(reason)
    proxy, shared = found[ensure_proxy], found[ensure_class_install]
    course_env = shared / ".venv"

    def run(name, command, **kwargs):
        return as_user(name, command, course_env, **kwargs)
    tag = secrets.token_hex(3)
    instructor, students = f"bpteach-{tag}", [f"bpstuda-{tag}", f"bpstudb-{tag}"]
    # Outside pytest's temporary folder, which only root may enter: the accounts must reach the exchange.
    base = Path(tempfile.mkdtemp(prefix="backprop-hub-"))
    base.chmod(0o755)
    exchange, config, state = base / "exchange", base / "etc-jupyter", base / "hub"
    hub, made = None, []
    try:
        # The guide's exchange (docs/instructors.md): a folder every account can write to.
        exchange.mkdir()
        exchange.chmod(0o777)
        config.mkdir()  # stands in for /etc/jupyter: nbgrader's configuration for everyone
        shutil.copy(ROOT / "deploy" / "nbgrader_config.py", config / "nbgrader_config.py")
        state.mkdir(mode=0o700)
        for name in [instructor, *students]:
            add_account(name)
            made.append(name)
        # The instructor's course folder, as the guide makes it.
        course = Path(pwd.getpwnam(instructor).pw_dir) / "course"
        check(run(instructor, guide(" && ".join(COURSE_FOLDER), shared)), "making the course folder")
        for name in made:  # the course's environment works for every account
            check(run(name, "python -c 'import helpers, grading, nbgrader'"), f"importing the course as {name}")
        hub = Hub(course_env, state, proxy, [instructor], students, exchange, config).start()
        for name in students:
            hub.start_server(name)
        env = {"NBGRADER_EXCHANGE": str(exchange)}
        check(run(instructor, " && ".join(RELEASE), cwd=course, env=env), "releasing Lesson 1")
        servers = {name: hub.wait_ready(name) for name in students}
        yield {"hub": hub, "instructor": instructor, "students": students, "course": course, "exchange": exchange,
               "env": env, "run": run, "shared": shared, "servers": servers,
               "tokens": {name: hub.user_token(name) for name in students}}
    finally:
        proxy_pid = hub.proxy_pid() if hub else None
        if hub:
            hub.stop()
        left = {}
        for name in made:
            left.update({f"{name}: {pid}": cmd for pid, cmd in remove_account(name).items()})
        if proxy_pid and Path(f"/proc/{proxy_pid}").exists():
            left[f"proxy {proxy_pid}"] = "configurable-http-proxy"
            os.kill(proxy_pid, 9)
        left.update({f"naming {base}: {pid}": cmd for pid, cmd in processes_naming(str(base)).items()})
        accounts = [name for name in made if account_exists(name)]
        homes = [name for name in made if Path("/home", name).exists()]
        shutil.rmtree(base, ignore_errors=True)
    assert not left, f"processes left by the class (killed now): {left}"
    assert not accounts, f"accounts left by the class: {accounts}"
    assert not homes, f"home folders left by the class: {homes}"


def assignments(hub, name, token):
    """The Assignments tab's view of the course, from the student's own server (nbgrader's server extension)."""
    return hub.api("GET", f"/user/{name}/assignments?course_id={COURSE}", token=token)


def action(hub, name, token, what):
    """Fetch, submit or fetch_feedback Lesson 1, as the Assignments tab's buttons do."""
    return hub.api("POST", f"/user/{name}/assignments/{what}", {"assignment_id": LESSON, "course_id": COURSE},
                   token=token, form=True, timeout=120)


def contents(hub, name, token, path, model=None):
    """Read (or, given a model, write) a file in the student's home through Jupyter's contents API."""
    url = f"/user/{name}/api/contents/{urllib.parse.quote(path)}"  # feedback folders are named by a time, spaces included
    return hub.api("GET", url, token=token) if model is None else hub.api("PUT", url, model, token=token)


def test_servers_run_the_course_as_their_students(klass):
    hub = klass["hub"]
    for name in klass["students"]:
        token = klass["tokens"][name]
        uid = pwd.getpwnam(name).pw_uid
        servers = [p for p in Path("/proc").iterdir() if p.name.isdigit() and p.stat().st_uid == uid
                   and b"jupyterhub-singleuser" in (p / "cmdline").read_bytes()]
        assert servers, f"no jupyterhub-singleuser process runs as {name}"
        assert hub.api("GET", f"/user/{name}/api/status", token=token) is not None
        # nbgrader's Assignments panel: the lab extension is enabled, and so is its server part
        lab = hub.api("GET", f"/user/{name}/lab/api/extensions?refresh=0", token=token)
        nbgrader_ext = [e for e in (lab if isinstance(lab, list) else lab.get("data", lab)) if "nbgrader" in e["name"]]
        assert nbgrader_ext and all(e["enabled"] for e in nbgrader_ext), f"nbgrader's lab extension: {nbgrader_ext}"
        assert hub.api("GET", f"/user/{name}/nbgrader_version?version=0", token=token) is not None
    other = klass["students"][1]
    with pytest.raises(urllib.error.HTTPError) as denied:  # a student's token does not open another's server
        hub.api("GET", f"/user/{other}/api/contents", token=klass["tokens"][klass["students"][0]])
    assert denied.value.code in (403, 404)


@pytest.mark.browser
def test_a_student_logs_in_and_sees_the_lesson(klass, tmp_path):
    """Through the hub's login page, JupyterLab, Nbgrader > Assignment List: the released lesson is listed (run
    before the cycle, under "Released assignments"). The screenshot stays in pytest's temporary folder."""
    chromium, reason = ensure_chromium()
    if reason:
        unavailable(reason)
    from playwright.sync_api import expect, sync_playwright

    hub, name = klass["hub"], klass["students"][0]
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"), executable_path=str(chromium), headless=True, args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900})
        try:
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{hub.url}/hub/login")
            page.fill("input[name=username]", name)
            page.fill("input[name=password]", hub.password)
            page.click("input[type=submit], button[type=submit]")
            page.wait_for_url(f"**/user/{name}/lab**", timeout=120_000)
            page.locator("#jp-main-statusbar").wait_for()
            page.get_by_text("Nbgrader", exact=True).first.click()
            page.get_by_text("Assignment List", exact=True).first.click()
            panel = page.locator("#assignment-list, .assignment-list, [id*=assignment]").filter(has_text=LESSON).first
            expect(panel).to_be_visible(timeout=60_000)
            page.screenshot(path=str(tmp_path / "hub-assignments.png"))
        finally:
            browser.close()
    assert (tmp_path / "hub-assignments.png").stat().st_size > 0


def solved(student_nb, wrong):
    """The released notebook with Lesson 1's solutions written in; `wrong` puts a known-wrong multiply node."""
    source = nbformat.read(SOLUTIONS / LESSON / NOTEBOOK, as_version=4)
    answers = solution_sources(source)
    if wrong:
        answers["ex_mul_node"] = next(iter(wrong_answers(LESSON)["ex_mul_node"].values()))
    return fill_in(student_nb, answers)


def test_the_assignment_cycle(klass):
    hub, instructor, course, as_user = klass["hub"], klass["instructor"], klass["course"], klass["run"]
    shared = klass["shared"]
    correct, partial = klass["students"]
    started = time.monotonic()
    # Students: fetch, solve, submit, through their own servers.
    for name, wrong in ((correct, False), (partial, True)):
        token = klass["tokens"][name]
        listed = assignments(hub, name, token)
        assert [a["status"] for a in listed["value"] if a["assignment_id"] == LESSON] == ["released"], listed
        fetched = action(hub, name, token, "fetch")
        assert any(a["status"] == "fetched" for a in fetched["value"] if a["assignment_id"] == LESSON), fetched
        path = f"{LESSON}/{NOTEBOOK}"
        released = nbformat.from_dict(contents(hub, name, token, path)["content"])
        notebook = solved(released, wrong)
        contents(hub, name, token, path, {"type": "notebook", "format": "json", "content": notebook})
        submitted = action(hub, name, token, "submit")
        assert any(a["status"] == "submitted" for a in submitted["value"] if a["assignment_id"] == LESSON), submitted
    # Instructor: collect, grade in the sandbox, feedback, release it.
    env = klass["env"]
    check(as_user(instructor, COLLECT, cwd=course, env=env), COLLECT)
    assert sorted(p.name for p in (course / "submitted").iterdir()) == sorted(klass["students"])
    check(as_user(instructor, guide(GRADE, shared), cwd=course, env=env), GRADE)
    with open(course / "grades" / f"{LESSON}.csv", newline="") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    assert set(rows) == {correct, partial}
    for name, expected in ((correct, FULL), (partial, FULL - WRONG_MUL)):
        row = rows[name]
        log = course / "grades" / "logs" / LESSON / f"{name}.log"
        assert (row["status"], row["sandbox"]) == ("ok", "bwrap"), \
            f"{row}\n{log.read_text(errors='replace')[-4000:] if log.exists() else 'no log'}"
        assert float(row["score"]) == expected, row
    check(as_user(instructor, guide(FEEDBACK, shared), cwd=course, env=env), FEEDBACK)
    check(as_user(instructor, RELEASE_FEEDBACK, cwd=course, env=env), RELEASE_FEEDBACK)
    # Students: each fetches their own feedback page.
    for name, failed in ((correct, False), (partial, True)):
        token = klass["tokens"][name]
        listed = action(hub, name, token, "fetch_feedback")
        mine = [a for a in listed["value"] if a["assignment_id"] == LESSON and a["status"] == "submitted"]
        assert mine and any(s.get("has_local_feedback") for a in mine for s in a["submissions"]), listed
        stamps = contents(hub, name, token, f"{LESSON}/feedback")["content"]
        assert len(stamps) == 1, stamps
        page = contents(hub, name, token, f"{stamps[0]['path']}/chain_rule.html")["content"]
        assert "PASSED:" in page and ("FAILED:" in page) == failed, f"{name}'s feedback page"
    # Nobody reads another student's work: not in the exchange, not in the other's home, not the instructor's.
    inbound, feedback = klass["exchange"] / COURSE / "inbound", klass["exchange"] / COURSE / "feedback"
    for name, other in ((correct, partial), (partial, correct)):
        home = Path(pwd.getpwnam(other).pw_dir)
        for command in (f"ls {inbound}", f"ls {feedback}", f"cat {home}/{LESSON}/{NOTEBOOK}",
                        f"ls {home}/{LESSON}/feedback", f"ls {course}/submitted", f"ls {course}/feedback"):
            proc = as_user(name, command)
            assert proc.returncode != 0 and "Permission denied" in proc.stderr, \
                f"{name} ran `{command}`: exit {proc.returncode}\n{proc.stdout[:500]}{proc.stderr[:500]}"
    print(f"\nassignment cycle (fetch to feedback, two students): {time.monotonic() - started:.0f} s")


def test_the_guide_gives_the_commands_this_test_runs():
    """docs/instructors.md's one-machine recipe is the one run here, command for command."""
    from hub_class import INSTALL

    text = GUIDE.read_text(encoding="utf-8")
    recipe = text[text.index("## A class on JupyterHub, on one machine"):]
    blocks = "\n".join(re.findall(r"```\n(.*?)```", recipe, re.S))
    for command in [*INSTALL, *COURSE_FOLDER, *RELEASE, COLLECT, GRADE, FEEDBACK, RELEASE_FEEDBACK,
                    "chmod 777 /srv/nbgrader/exchange",
                    "cp /opt/backprop-course/deploy/nbgrader_config.py /etc/jupyter/nbgrader_config.py",
                    "/opt/backprop-course/.venv/bin/jupyterhub -f /opt/backprop-course/deploy/jupyterhub_config.py"]:
        assert command in blocks, f"the guide's one-machine recipe does not give `{command}`"
