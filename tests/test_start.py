"""`course.py start` really serves the learner's copies, on 127.0.0.1, behind a token."""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

from course_tools import ROOT


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": f"token {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None


def test_start_serves_work_folder_with_a_token(tmp_path):
    port, runtime = free_port(), tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), IPYTHONDIR=str(tmp_path / "ipython"))
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "course.py"), "start", "--workdir", str(tmp_path / "work"),
         "--no-browser", f"--port={port}", "--ServerApp.port_retries=0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        token = None
        for _ in range(120):
            infos = list(runtime.glob("jpserver-*.json"))
            if infos and get(f"http://127.0.0.1:{port}/api/status")[0] in (200, 403):
                token = json.loads(infos[0].read_text())["token"]
                break
            assert server.poll() is None, "course.py start exited early"
            time.sleep(0.5)
        assert token, "JupyterLab did not come up within 60 s"
        assert get(f"http://127.0.0.1:{port}/api/contents")[0] == 403, "the server must ask for the token"
        status, listing = get(f"http://127.0.0.1:{port}/api/contents/01_chain_rule", token)
        assert status == 200
        assert "chain_rule.ipynb" in [item["name"] for item in listing["content"]]
        assert (tmp_path / "work" / "01_chain_rule" / "chain_rule.ipynb").exists()
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def start_server(tmp_path, *args):
    """course.py start with the given args on a free port; returns (process, port, token, server info)."""
    port, runtime = free_port(), tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTER_CONFIG_DIR=str(tmp_path / "config"),
               JUPYTER_DATA_DIR=str(tmp_path / "data"), IPYTHONDIR=str(tmp_path / "ipython"))
    env.pop("COURSE_LANG", None)
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "course.py"), "start", "--workdir", str(tmp_path / "work"), *args,
         "--no-browser", f"--port={port}", "--ServerApp.port_retries=0"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    for _ in range(120):
        infos = list(runtime.glob("jpserver-*.json"))
        if infos and get(f"http://127.0.0.1:{port}/api/status")[0] in (200, 403):
            info = json.loads(infos[0].read_text())
            return server, port, info["token"], info
        if server.poll() is not None:
            break
        time.sleep(0.5)
    stop(server)
    raise AssertionError("JupyterLab did not come up within 60 s (or course.py start exited early)")


def stop(server):
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)


def test_start_in_korean_serves_work_ko_with_the_korean_interface(tmp_path):
    """--lang ko: JupyterLab on work/ko/, COURSE_LANG=ko in its environment (its kernels inherit it),
    the interface's locale ko_KR, and the choice remembered in the work folder's state file."""
    server, port, token, info = start_server(tmp_path, "--lang", "ko")
    try:
        assert info["root_dir"] == str(tmp_path / "work" / "ko")
        environ = open(f"/proc/{info['pid']}/environ", "rb").read().split(b"\0")
        assert b"COURSE_LANG=ko" in environ, "JupyterLab (and so its kernels) must see COURSE_LANG=ko"
        status, setting = get(f"http://127.0.0.1:{port}/lab/api/settings/@jupyterlab/translation-extension:plugin",
                              token)
        locale = setting["settings"].get("locale") or setting["schema"]["properties"]["locale"]["default"]
        assert status == 200 and locale == "ko_KR", setting
        status, packs = get(f"http://127.0.0.1:{port}/lab/api/translations/", token)
        assert status == 200 and "ko_KR" in packs["data"], f"the Korean language pack is not installed: {packs}"
    finally:
        stop(server)
    state = json.loads((tmp_path / "work" / ".course-state.json").read_text())
    assert state["language"] == "ko"


def test_korean_copies_go_to_work_ko_and_the_choice_is_remembered(tmp_path):
    """sync/reset --lang ko work in work/ko/ under the same rules as English (never overwrite, back up on
    reset); a later command without --lang uses the remembered language."""
    import shutil

    shutil.copy(ROOT / "course.py", tmp_path / "course.py")
    shutil.copytree(ROOT / "lessons", tmp_path / "lessons")
    korean = tmp_path / "locale" / "ko" / "lessons" / "01_chain_rule"
    korean.mkdir(parents=True)
    (korean / "chain_rule.ipynb").write_text('{"korean": 1}')

    def run(*args):
        proc = subprocess.run([sys.executable, str(tmp_path / "course.py"), *args], cwd=tmp_path,
                              capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout

    out = run("sync", "--lang", "ko")
    mine = tmp_path / "work" / "ko" / "01_chain_rule" / "chain_rule.ipynb"
    assert mine.read_text() == '{"korean": 1}' and "not translated yet: 02_perceptron" in out
    assert not (tmp_path / "work" / "01_chain_rule").exists(), "a Korean sync copied the English"
    mine.write_text("내 답")
    (korean / "chain_rule.ipynb").write_text('{"korean": 2}')
    out = run("sync")  # no --lang: Korean, remembered
    assert mine.read_text() == "내 답" and "reset 01_chain_rule --lang ko" in out
    run("reset", "01_chain_rule")
    assert mine.read_text() == '{"korean": 2}'
    assert [p.read_text() for p in mine.parent.glob("*.backup-*.ipynb")] == ["내 답"]
    run("sync", "--lang", "en")
    assert (tmp_path / "work" / "01_chain_rule" / "chain_rule.ipynb").exists()
    assert json.loads((tmp_path / "work" / ".course-state.json").read_text())["language"] == "en"
