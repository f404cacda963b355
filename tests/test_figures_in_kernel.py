"""Figures that the helpers build are pictures in a real kernel, as in a learner's JupyterLab.

The helpers build `matplotlib.figure.Figure` objects without pyplot. IPython learns to draw a Figure
only when pyplot's inline backend starts, so before any pyplot call such a figure showed as the text
`<Figure size 640x480 with 1 Axes>`. These tests start a real IPython kernel (jupyter_client) the way
JupyterLab does, without the suite's MPLBACKEND=Agg, and look at the outputs it sends.
"""
import os

import pytest

from course_tools import ROOT

jupyter_client = pytest.importorskip("jupyter_client")

BUILD = """
from matplotlib.figure import Figure
fig = Figure(figsize=(4, 2))
fig.add_subplot().plot([0, 1, 2], [1, 0, 1])
"""


@pytest.fixture
def kernel(tmp_path):
    """A function running code in a fresh kernel and returning its display outputs (and errors)."""
    started = []

    def start(backend=None):
        env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # as JupyterLab starts a kernel
        env.update(MPLCONFIGDIR=str(tmp_path / "mpl"), IPYTHONDIR=str(tmp_path / "ipython"))
        if backend:
            env["MPLBACKEND"] = backend
        manager, client = jupyter_client.manager.start_new_kernel(kernel_name="python3", env=env, cwd=str(ROOT))
        started.append((manager, client))

        def run(code):
            outputs = []
            client.execute_interactive(code, timeout=120, output_hook=outputs.append)
            errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
            assert not errors, f"the kernel raised: {errors[0]['ename']}: {errors[0]['evalue']}"
            return [m for m in outputs if m["msg_type"] in ("display_data", "execute_result", "stream")]

        return run

    yield start
    for manager, client in started:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def kinds(outputs):
    """The MIME types of each display output, e.g. [['image/png', 'text/plain']]."""
    return [sorted(m["content"]["data"]) for m in outputs if "data" in m["content"]]


def test_a_figure_built_without_pyplot_shows_as_a_picture(kernel):
    run = kernel()
    run("import helpers")
    shown = run(BUILD + "display(fig)\nfig")  # once through display(), once as the cell's value
    assert len(kinds(shown)) == 2 and all("image/png" in k for k in kinds(shown)), (
        f"a Figure built without pyplot showed as {kinds(shown)}, not a picture: "
        f"{[m['content']['data'].get('text/plain') for m in shown]}")
    png = shown[0]["content"]["data"]["image/png"]
    assert len(png) > 1000, "the picture is empty"
    # pyplot's inline backend, started later, keeps working and keeps the formatter
    shown = run("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")
    assert kinds(shown) == [["image/png", "text/plain"]], kinds(shown)
    assert all("image/png" in k for k in kinds(run("fig"))), "a Figure must stay a picture after pyplot starts"


def test_matplotlib_backend_and_explorers_are_left_alone(kernel):
    run = kernel(backend="Agg")
    run("import helpers, matplotlib")
    assert "'agg'" in run("print(repr(matplotlib.get_backend().lower()))")[0]["content"]["text"]
    assert all("image/png" in k for k in kinds(run(BUILD + "fig"))), "with Agg a Figure is a picture too"
    assert kinds(run("import matplotlib.pyplot as plt\nplt.plot([1, 2])\nplt.show()")) == [], \
        "with MPLBACKEND=Agg pyplot must not display anything (the backend must stay Agg)"
    explorer = kinds(run(BUILD + "line = fig.axes[0].lines[0]\n"
                         "ex = helpers.Explorer(fig, lambda w: line.set_ydata([w, 0, w]), helpers.sliders(w=(0, 1, 0.5)))\n"
                         "ex"))
    assert len(explorer) == 1 and "application/vnd.jupyter.widget-view+json" in explorer[0], explorer
