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
