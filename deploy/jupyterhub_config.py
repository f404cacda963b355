"""JupyterHub for a class on one machine (the shape of The Littlest JupyterHub): local accounts, the course's
environment for everyone, nbgrader's exchange in a local folder. See docs/instructors.md, "A class on JupyterHub".

    sudo /opt/backprop-course/.venv/bin/jupyterhub -f /opt/backprop-course/deploy/jupyterhub_config.py

Every setting that differs between machines is an environment variable (defaults in brackets):

    COURSE_HUB_ENV          the course's environment, readable by everyone [/opt/backprop-course/.venv]
    COURSE_HUB_STATE        the hub's own files: database, cookie secret, proxy's pid [/srv/jupyterhub]
    COURSE_HUB_INSTRUCTORS  comma-separated instructor accounts (hub admins) [none]
    COURSE_HUB_STUDENTS     comma-separated student accounts [none]
    COURSE_HUB_IP           the address the class connects to [all interfaces]
    COURSE_HUB_PORT         its port [8000]
    COURSE_HUB_HUB_PORT     the hub's internal port [8081]
    COURSE_HUB_PROXY_PORT   the proxy's API port, on 127.0.0.1 [8001]
    COURSE_HUB_PROXY        the configurable-http-proxy command [configurable-http-proxy on PATH]
    NBGRADER_EXCHANGE       nbgrader's exchange folder [/srv/nbgrader/exchange]
    COURSE_HUB_JUPYTER_CONFIG  a folder searched before /etc/jupyter for everyone's Jupyter and nbgrader
                            configuration [none: /etc/jupyter alone]
    COURSE_HUB_TEST_PASSWORD   tests only: every listed account logs in with this password (DummyAuthenticator)
                            instead of its system password (PAM). Never set it on a real class.
"""
import os
from pathlib import Path

c = get_config()  # noqa: F821 (provided by JupyterHub)


def names(variable):
    return {name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()}


course_env = Path(os.environ.get("COURSE_HUB_ENV", "/opt/backprop-course/.venv"))
state = Path(os.environ.get("COURSE_HUB_STATE", "/srv/jupyterhub"))
state.mkdir(mode=0o700, parents=True, exist_ok=True)
instructors, students = names("COURSE_HUB_INSTRUCTORS"), names("COURSE_HUB_STUDENTS")
exchange = os.environ.get("NBGRADER_EXCHANGE", "/srv/nbgrader/exchange")

# --- where the class connects, and the hub's own files ------------------------------------------------
c.JupyterHub.ip = os.environ.get("COURSE_HUB_IP", "")
c.JupyterHub.port = int(os.environ.get("COURSE_HUB_PORT", "8000"))
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = int(os.environ.get("COURSE_HUB_HUB_PORT", "8081"))
c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(state / "jupyterhub.pid")
c.ConfigurableHTTPProxy.pid_file = str(state / "jupyterhub-proxy.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{os.environ.get('COURSE_HUB_PROXY_PORT', '8001')}"
c.ConfigurableHTTPProxy.command = [os.environ.get("COURSE_HUB_PROXY", "configurable-http-proxy")]
# Stopping the hub stops the proxy and every student's server (the defaults, stated).
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
# For a class on the Internet put TLS in front (c.JupyterHub.ssl_cert / ssl_key, or a reverse proxy).

# --- who may log in ------------------------------------------------------------------------------------
# Local accounts (useradd), checked against their system passwords. TLJH creates accounts on first login
# instead; here the instructor makes them, so a typo in a name cannot make a new account.
password = os.environ.get("COURSE_HUB_TEST_PASSWORD")
if password:  # tests only: see the module's docstring
    c.JupyterHub.authenticator_class = "dummy"
    c.DummyAuthenticator.password = password
    if os.environ.get("COURSE_HUB_TEST_TOKEN"):  # the tests' own client: starts servers, makes users' tokens
        c.JupyterHub.services = [{"name": "course-tests", "api_token": os.environ["COURSE_HUB_TEST_TOKEN"]}]
        c.JupyterHub.load_roles = [{"name": "course-tests", "services": ["course-tests"], "scopes": [
            "admin:users", "admin:servers", "tokens", "access:servers"]}]
else:
    c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = instructors | students
c.Authenticator.admin_users = instructors

# --- every user's server: the course's environment, run as that user -----------------------------------
# The default LocalProcessSpawner starts `jupyterhub-singleuser` as the user (setuid), in their home.
# SystemdSpawner (PyPI jupyterhub-systemdspawner, what TLJH uses) adds per-user memory and CPU limits:
#   c.JupyterHub.spawner_class = "systemdspawner.SystemdSpawner"; c.SystemdSpawner.mem_limit = "2G"
# and needs the same cmd and environment as below.
c.Spawner.cmd = [str(course_env / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
environment = {
    # the course's environment first: `nbgrader`, `jupyter` and `python` in a terminal are the course's
    "PATH": f"{course_env / 'bin'}:/usr/local/bin:/usr/bin:/bin",
    "NBGRADER_EXCHANGE": exchange,
}
if os.environ.get("COURSE_HUB_JUPYTER_CONFIG"):
    environment["JUPYTER_CONFIG_PATH"] = os.environ["COURSE_HUB_JUPYTER_CONFIG"]
c.Spawner.environment = environment
