"""The files for running the course elsewhere say what the course needs: Binder's image, the hub configurations.

Nothing here starts a server (tests/test_hub.py runs the one-machine hub for real); these are the static checks
of what cannot run here: Binder's build files name the packages of pyproject.toml, and the Kubernetes
configuration uses only keys of the Zero-to-JupyterHub chart and mounts one shared exchange where nbgrader looks.
"""
import re
import stat
import sys
from pathlib import Path
try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib

import yaml

from course_tools import ROOT

BINDER, DEPLOY = ROOT / "binder", ROOT / "deploy"
EXCHANGE = "/srv/nbgrader/exchange"


def requirement(spec):
    """(name, version bounds) of a pip or conda requirement, e.g. ('nbgrader', '<0.10,>=0.9.6')."""
    name, bounds = re.match(r"\s*([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?\s*(.*)", spec).groups()
    return name.lower().replace("_", "-"), ",".join(sorted(b.strip() for b in bounds.split(",") if b.strip()))


def test_binder_environment_names_the_course_dependencies():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    wanted = dict(map(requirement, project["dependencies"]))
    env = yaml.safe_load((BINDER / "environment.yml").read_text())
    pip_part = [p for d in env["dependencies"] if isinstance(d, dict) for p in d.get("pip", [])]
    named = dict(requirement(d) for d in env["dependencies"] + pip_part if isinstance(d, str))
    named.pop("python"), named.pop("pip")
    # JupyterHub's single-user server at the hub's version (the hub extra), as repo2docker asks of an image for a hub
    hub = dict(map(requirement, project["optional-dependencies"]["hub"]))
    assert named.pop("jupyterhub-singleuser") == hub["jupyterhub"]
    assert named == wanted, "binder/environment.yml and pyproject.toml's dependencies disagree"


def test_binder_postbuild_installs_the_course_and_keeps_only_the_learners_tools():
    post = BINDER / "postBuild"
    assert post.stat().st_mode & stat.S_IXUSR, "repo2docker runs postBuild only when it is executable"
    text = post.read_text()
    assert "pip install --no-deps ." in text, "the course's package, not editable (a home volume hides this folder)"
    assert "deploy/nbgrader_config.py" in text and (DEPLOY / "nbgrader_config.py").exists()
    # the extension names it disables are real ones of the installed nbgrader
    sources = "".join(p.read_text(errors="replace") for p in
                      Path(sys.prefix).glob("share/jupyter/labextensions/@jupyter/nbgrader/static/*.js"))
    assert sources, "nbgrader's lab extension is not installed in the course's environment"
    for plugin in re.findall(r"labextension disable --level=sys_prefix (\S+)", text):
        assert plugin.startswith("@jupyter/nbgrader:")
        assert f'"{plugin}"' in sources, f"nbgrader has no lab plugin {plugin}"
    for extension in re.findall(r"server extension disable --sys-prefix (\S+)", text):
        assert extension.startswith("nbgrader.server_extensions.")
        __import__(extension)
    assert not re.search(r"disable .*(assignment-list|assignment_list|validate)", text), \
        "learners keep the Assignments panel and the Validate button"


# Keys of the jupyterhub Helm chart this configuration may use (its values.schema.yaml; hub.config and
# hub.extraConfig take free-form content).
Z2JH_KEYS = {
    "hub", "hub.config", "hub.extraConfig",
    "singleuser", "singleuser.image", "singleuser.image.name", "singleuser.image.tag", "singleuser.defaultUrl",
    "singleuser.extraEnv", "singleuser.storage", "singleuser.storage.type", "singleuser.storage.homeMountPath",
    "singleuser.storage.extraVolumes", "singleuser.storage.extraVolumeMounts",
}
FREE_FORM = ("hub.config.", "hub.extraConfig.", "singleuser.extraEnv.")


def keys(tree, prefix=""):
    for key, value in tree.items():
        path = f"{prefix}{key}"
        yield path
        if isinstance(value, dict):
            yield from keys(value, path + ".")


def test_kubernetes_config_uses_chart_keys_and_one_shared_exchange():
    config = yaml.safe_load((DEPLOY / "config.yaml").read_text())
    unknown = [k for k in keys(config) if k not in Z2JH_KEYS and not k.startswith(FREE_FORM)]
    assert not unknown, f"not keys of the Zero-to-JupyterHub chart: {unknown}"
    single = config["singleuser"]
    assert single["extraEnv"]["NBGRADER_EXCHANGE"] == EXCHANGE
    volumes = {v["name"]: v for v in single["storage"]["extraVolumes"]}
    mounts = {m["mountPath"]: m["name"] for m in single["storage"]["extraVolumeMounts"]}
    claim = volumes[mounts[EXCHANGE]]["persistentVolumeClaim"]["claimName"]
    manifests = {(d["kind"], d["metadata"]["name"]): d
                 for d in yaml.safe_load_all((DEPLOY / "exchange-volume.yaml").read_text())}
    pvc = manifests[("PersistentVolumeClaim", claim)]
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"], "pods on different nodes must share the exchange"
    volume = manifests[("PersistentVolume", pvc["spec"]["volumeName"])]
    assert volume["spec"]["accessModes"] == ["ReadWriteMany"] and "nfs" in volume["spec"]
    admins = set(config["hub"]["config"]["Authenticator"]["admin_users"])
    assert admins <= set(config["hub"]["config"]["Authenticator"]["allowed_users"])
    assert "c.KubeSpawner.uid = " in config["hub"]["extraConfig"]["10-uid-per-user"], \
        "every pod as uid 1000 would let students read each other's submissions"


def test_one_machine_config_loads_and_runs_servers_from_the_course_env(tmp_path, monkeypatch):
    from traitlets.config import PyFileConfigLoader

    monkeypatch.setenv("COURSE_HUB_STATE", str(tmp_path / "state"))
    monkeypatch.setenv("COURSE_HUB_ENV", "/opt/backprop-course/.venv")
    monkeypatch.setenv("COURSE_HUB_INSTRUCTORS", "teacher")
    monkeypatch.setenv("COURSE_HUB_STUDENTS", "ann,bob")
    for name in ("COURSE_HUB_TEST_PASSWORD", "COURSE_HUB_TEST_TOKEN", "NBGRADER_EXCHANGE", "COURSE_HUB_JUPYTER_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    c = PyFileConfigLoader("jupyterhub_config.py", path=str(DEPLOY)).load_config()
    assert c.JupyterHub.authenticator_class == "pam", "a real class logs in with system passwords"
    assert c.Authenticator.allowed_users == {"teacher", "ann", "bob"} and c.Authenticator.admin_users == {"teacher"}
    assert c.Spawner.cmd == ["/opt/backprop-course/.venv/bin/jupyterhub-singleuser"]
    assert c.Spawner.environment["NBGRADER_EXCHANGE"] == EXCHANGE
    assert "services" not in c.JupyterHub, "the tests' API client exists only with the test password"
    assert (tmp_path / "state").stat().st_mode & 0o777 == 0o700
