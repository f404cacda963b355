"""Helpers for the backpropagation course: gradient checks, learner-facing
assertions, computational-graph drawings, widget explorers and small data sets.

None of these implement an exercise: the learner writes the math, the helpers
check and show it.
"""
from .checks import assert_close, diagnose, pending, require
from .data import blobs, circles, gate_data, moons, xor_data
from .explore import Explorer, sliders
from .gradcheck import check_gradient, numerical_gradient, rel_error
from .graph import GraphView, draw_graph


def _show_figures_as_pictures():
    """In an IPython kernel, display every matplotlib Figure as a picture, whether pyplot made it or not.

    IPython learns to draw a Figure only when pyplot's inline backend starts (the first pyplot call);
    until then a Figure that a helper built directly (`matplotlib.figure.Figure(...)`) shows as the
    text `<Figure size 640x480 with 1 Axes>`. This registers the same formatter the inline backend
    registers, with the inline backend's settings (formats, tight bounding box), and nothing else: the
    matplotlib backend is left alone (MPLBACKEND=Agg in tests stays Agg), and explorers, which
    render their own PNG into a widget, are unaffected.
    """
    import sys

    ipython = sys.modules.get("IPython")  # never import IPython outside a shell
    shell = ipython.get_ipython() if ipython is not None else None
    formatters = getattr(getattr(shell, "display_formatter", None), "formatters", {})
    if "image/png" not in formatters:
        return
    from matplotlib.figure import Figure

    if any(Figure in formatters[mime].type_printers for mime in ("image/png", "image/svg+xml", "image/jpeg")
           if mime in formatters):
        return  # the inline backend (or the learner) has chosen already
    from IPython.core.pylabtools import select_figure_formats

    try:
        from matplotlib_inline.backend_inline import InlineBackend

        config = InlineBackend.instance(parent=shell)
        formats, options = config.figure_formats, config.print_figure_kwargs
    except ImportError:  # an IPython without matplotlib-inline: its usual defaults
        formats, options = {"png"}, {"bbox_inches": "tight"}
    select_figure_formats(shell, formats, **options)


_show_figures_as_pictures()

__all__ = [
    "numerical_gradient", "rel_error", "check_gradient",
    "assert_close", "diagnose", "require", "pending",
    "GraphView", "draw_graph",
    "sliders", "Explorer",
    "gate_data", "blobs", "xor_data", "circles", "moons",
]
