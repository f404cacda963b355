"""The set-up promises of the README hold: one dependency list, the documented commands, a safe server."""
import re
try:
    import tomllib
except ImportError:  # Python 3.10
    from pip._vendor import tomli as tomllib

import yaml

from course_tools import ROOT


def names(requirements):
    return {re.split(r"[<>=!~ \[;]", r.strip(), maxsplit=1)[0].lower().replace("_", "-") for r in requirements}


def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_environment_yml_names_the_same_dependencies():
    project = pyproject()
    wanted = names(project["dependencies"]).union(*map(names, project["optional-dependencies"].values()))
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip_part = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert names(conda) - {"python", "pip"} == wanted, "environment.yml and pyproject.toml disagree"
    assert any(p.strip().startswith("-e") for p in pip_part), "environment.yml must install the helper package"


def test_readme_commands_are_the_ones_ci_and_users_run():
    readme = (ROOT / "README.md").read_text()
    assert "python3 course.py start" in readme
    assert "python3 course.py test" in readme
    assert "python3 course.py test" in (ROOT / ".ci" / "run").read_text()


def test_jupyterlab_keeps_its_token():
    source = (ROOT / "course.py").read_text()
    assert "--ServerApp.ip=127.0.0.1" in source
    assert not re.search(r"token=[\"']?[\"' ]|disable_check_xsrf|password=", source), "never turn authentication off"


def test_nbgrader_state_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    for entry in ["gradebook.db", "submitted/", "autograded/", "feedback/", "work/", ".venv/"]:
        assert entry in ignored, entry
