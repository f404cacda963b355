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

__all__ = [
    "numerical_gradient", "rel_error", "check_gradient",
    "assert_close", "diagnose", "require", "pending",
    "GraphView", "draw_graph",
    "sliders", "Explorer",
    "gate_data", "blobs", "xor_data", "circles", "moons",
]
