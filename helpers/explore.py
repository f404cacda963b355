"""Widget explorers: sliders that drive the learner's own code and redraw a figure.

The figure is rendered to PNG into an ipywidgets.Image rather than shown with
pyplot, so it works the same in every frontend and can be tested without a kernel.

Rendering is incremental, so a slider feels immediate: the layout is computed once, and
the artists that `update` leaves alone are drawn once into a cached background; each
change then redraws only what changed (and whatever lies above it and overlaps it).
"""
import asyncio
import html
import inspect
import math
import numbers
import struct
import time
import zlib
from operator import attrgetter

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.spines import Spine
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from .checks import _cause, describe_error
from .i18n import _, given


def _default_step(lo, hi, value):
    """The largest of 1, 2, 5 x 10^k not above (hi - lo) / 100 whose grid from lo holds value.

    A slider snaps its value to lo + k * step in the browser, so a value off that grid would be
    shown (and sent back) changed; (hi - lo) / 100 itself, e.g. 0.08, rarely fits 1.0.
    """
    span = (hi - lo) / 100
    for exponent in range(math.floor(math.log10(span)), math.floor(math.log10(span)) - 7, -1):
        for mantissa in (5, 2, 1):
            step = mantissa * 10.0 ** exponent
            if step <= span * (1 + 1e-9):
                k = (value - lo) / step
                if abs(k - round(k)) < 1e-6:
                    return step
    return span


def sliders(**specs):
    """Make one FloatSlider per keyword.

    Introduced in Lesson 1 (chain rule).

    Inputs:
    - specs: name=(min, max, value) or name=(min, max, value, step);
      step defaults to the largest round step (1, 2 or 5 x 10^k) of at most
      (max - min) / 100 that puts value on the slider's grid

    Returns:
    - controls: dict name -> ipywidgets.FloatSlider, in keyword order
    """
    controls = {}
    for name, spec in specs.items():
        if not (isinstance(spec, (tuple, list)) and len(spec) in (3, 4)
                and all(isinstance(v, numbers.Real) and np.isfinite(v) for v in spec)):
            raise ValueError(f"{name} must be (min, max, value) or (min, max, value, step) "
                             f"of finite numbers; got {spec!r}")
        lo, hi, value = map(float, spec[:3])
        if not lo < hi:
            raise ValueError(f"{name}: min must be below max; got min {lo:g}, max {hi:g}")
        if not lo <= value <= hi:
            raise ValueError(f"{name}: value must lie in [{lo:g}, {hi:g}]; got {value:g}")
        step = float(spec[3]) if len(spec) == 4 else _default_step(lo, hi, value)
        if step <= 0:
            raise ValueError(f"{name}: step must be positive; got {step:g}")
        controls[name] = widgets.FloatSlider(min=lo, max=hi, value=value, step=step,
                                             description=name, continuous_update=True,
                                             readout_format=".2f")
    return controls


def _failure(error, user):
    """The status line when the learner's code behind an explorer (`user`: "this explorer") raised `error`.

    Another error names the notebook function that raised it and what it raised. A NotImplementedError
    is "not done yet" only when a stub raised it or nothing else explains it; one raised because an
    earlier cell stopped with an error (e.g. training crashed, so there is no trained network) says so.
    """
    if not isinstance(error, NotImplementedError):
        return describe_error(error)
    kind, detail = _cause(error)
    if kind == "crashed":
        return _("{user} needs the result of an earlier cell, which stopped with an error: {error}. "
                 "Fix that error and run that cell again.").format(user=user, error=detail)
    if kind == "unfinished":
        return _("NotImplementedError: the exercise {user} uses is not done yet "
                 "(`{function}` still raises NotImplementedError).").format(user=user, function=detail)
    return _("NotImplementedError: the exercise {user} uses is not done yet{why}.").format(
        user=user, why=f" ({given(str(error))})" if str(error) else "")


class Explorer(widgets.VBox):
    """Controls, a figure redrawn by the learner's code on every change, and a status line.

    Introduced in Lesson 1 (chain rule).

    If `update` raises (an unfinished exercise, or code that fails for some
    slider value), the last good image stays and the error shows in red.

    Inputs:
    - fig: matplotlib Figure whose artists `update` changes
    - update: callable, update(**values) with one keyword per control; or a generator function
      that works in steps (e.g. one training epoch each) and yields after each step: in a
      kernel, the figure is drawn after the first step at once, and the next steps run one by
      one between the kernel's messages, drawn as they go (at most every `frame_seconds`), so a
      control change is answered at once and cancels the steps still to come; without a running
      event loop (a script, a test) all steps run, then the figure is drawn once
    - controls: dict name -> value widget (e.g. from sliders(), or a Dropdown, IntSlider, ...)
    - title: optional str shown above the controls
    - dpi: resolution of the rendered PNG
    - caption: optional widget shown between the controls and the picture, e.g. an ipywidgets.Label that
      `update` writes a changing title into (words in a widget cost nothing to show; drawn in the
      figure, a long title costs milliseconds on every picture)
    - actions: optional dict label -> callable(**values), one button each (e.g. "step",
      "train"); an action may change control values or its own state, and the figure is
      redrawn once when it returns. A long action can call `explorer.show_progress(done, total)`
      and `explorer.render()` to show how far it got.

    Attributes:
    - fig, controls, image (ipywidgets.Image), status (ipywidgets.HTML)
    - buttons: dict label -> ipywidgets.Button (click one in a test with .click())
    - progress: ipywidgets.FloatProgress, hidden until show_progress is called
    - renders: int, number of successful renders so far
    - running: True while the steps of a stepwise update are still to come
    """

    frame_seconds = 0.1  # a stepwise update is drawn at most this often while its steps run

    def __init__(self, fig, update, controls, title=None, dpi=80, actions=None, caption=None):
        if not isinstance(fig, Figure):
            raise ValueError(f"fig must be a matplotlib Figure; got {type(fig).__name__}")
        if not callable(update):
            raise ValueError(f"update must be callable; got {type(update).__name__}")
        if not (isinstance(controls, dict) and controls
                and all(isinstance(w, widgets.ValueWidget) for w in controls.values())):
            raise ValueError("controls must be a non-empty dict name -> value widget")
        actions = {} if actions is None else actions
        if not (isinstance(actions, dict) and all(callable(a) for a in actions.values())):
            raise ValueError("actions must be a dict label -> callable")
        if not (isinstance(dpi, numbers.Real) and dpi > 0):
            raise ValueError(f"dpi must be a positive number; got {dpi!r}")
        if caption is not None and not isinstance(caption, widgets.Widget):
            raise ValueError(f"caption must be an ipywidgets widget; got {type(caption).__name__}")
        if not isinstance(fig.canvas, FigureCanvasAgg):
            FigureCanvasAgg(fig)  # attaches itself as fig.canvas; PNG needs Agg
        self.fig, self.controls, self.dpi, self.renders = fig, controls, dpi, 0
        self._painter = _Painter(fig, dpi)
        self._update, self._holding = update, False
        self._steps, self._drawn_at = None, 0.0  # the stepwise update still running, the time of its last picture
        self.image = widgets.Image(format="png")
        self.status = widgets.HTML("")
        self.progress = widgets.FloatProgress(value=0.0, min=0.0, max=1.0,
                                              layout=widgets.Layout(visibility="hidden"))
        self.buttons = {}
        for label, action in actions.items():
            button = widgets.Button(description=given(label))
            button.on_click(lambda _, action=action: self._act(action))
            self.buttons[label] = button
        row = widgets.HBox([*controls.values(), *self.buttons.values(), self.progress],
                           layout=widgets.Layout(flex_flow="row wrap"))
        for w in controls.values():  # a notebook's words ("batch size"), in the learner's language
            if isinstance(getattr(w, "description", None), str) and w.description:
                w.description = given(w.description)
        head = [widgets.HTML(f"<b>{html.escape(given(title))}</b>")] if title else []
        super().__init__(children=[*head, row, *([caption] if caption is not None else []), self.image, self.status])
        for w in controls.values():
            w.observe(self._refresh, names="value")
        self._refresh()

    def values(self):
        """The controls' current values, name -> value."""
        return {name: w.value for name, w in self.controls.items()}

    def render(self):
        """Run update with the current values and redraw now (e.g. during a long action)."""
        self._draw()

    def show_progress(self, done, total):
        """Show a progress bar at done / total (hidden again once the action returns)."""
        self.progress.layout.visibility = "visible"
        self.progress.value = min(max(done / total, 0.0), 1.0) if total else 1.0

    def _act(self, action):
        """Run a button's action with control changes batched into one redraw."""
        self._holding = True
        try:
            action(**self.values())
        except Exception as e:  # learner code: show the error, keep the widget alive
            self._error(_failure(e, _("this button")))
            return
        finally:
            self._holding = False
            self.progress.layout.visibility = "hidden"
        self._draw()

    def _refresh(self, change=None):
        if not self._holding:  # an action's control changes are drawn once, when it returns
            self._draw()

    @property
    def running(self):
        return self._steps is not None

    def _draw(self):
        """Run update with the current values, then render; report failures. A stepwise update still
        running from an earlier change is cancelled first."""
        self._cancel_steps()
        values = self.values()
        try:
            steps = self._update(**values)
            if inspect.isgenerator(steps):
                self._start_steps(steps)
            png = self._painter.png()
        except Exception as e:  # learner code: show the error, keep the widget alive
            self._failed(e)
            return
        self._show(png)

    def _failed(self, error):
        self._cancel_steps()
        self._error(_failure(error, _("this explorer")))

    def _show(self, png):
        self.image.value = png
        self.status.value = ""
        self.renders += 1
        self._drawn_at = time.monotonic()

    def _start_steps(self, steps):
        """The first step now; the others as callbacks of the running event loop, or all now if there is none."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no event loop: the whole run, then one picture
            for _step in steps:
                pass
            return
        if next(steps, _DONE) is not _DONE:
            self._steps = steps
            loop.call_soon(self._step, steps)

    def _step(self, steps):
        """One more step of a stepwise update (a callback of the event loop); a picture, if due, in another."""
        if steps is not self._steps:  # cancelled by a newer change
            return
        try:
            more = next(steps, _DONE) is not _DONE
        except Exception as e:  # learner code: show the error, keep the last picture
            self._failed(e)
            return
        loop = asyncio.get_running_loop()
        if not more or time.monotonic() - self._drawn_at >= self.frame_seconds:
            loop.call_soon(self._frame, steps, more)
        else:
            loop.call_soon(self._step, steps)

    def _frame(self, steps, more):
        """Draw the steps so far (a callback of its own: a change waits for a step or a picture, not both)."""
        if steps is not self._steps:
            return
        if more and not self._painter.marked_changed():  # the steps since the last picture only computed
            asyncio.get_running_loop().call_soon(self._step, steps)
            return
        try:
            png = self._painter.png()
        except Exception as e:
            self._failed(e)
            return
        self._show(png)
        if more:
            asyncio.get_running_loop().call_soon(self._step, steps)
        else:
            self._steps = None

    def _cancel_steps(self):
        steps, self._steps = self._steps, None
        if steps is not None:
            steps.close()

    def _error(self, text):
        self.status.value = f'<span style="color:#c00000">{html.escape(text)}</span>'


_DONE = object()  # what next() gives for a finished stepwise update


class _Painter:
    """Renders a figure to PNG again and again, redrawing only what changed since the last time.

    The first render lays the figure out; then the layout stays fixed (so axes do not jump as tick
    labels change). Later renders find the artists `update` changed (matplotlib marks them stale),
    keep a background of everything else, and redraw the changed artists plus every artist that
    the figure draws after them (by zorder) and that overlaps them, so the picture is the one a full
    draw gives. An axis counts as its parts (tick marks, tick labels, its label), so a changed image
    under the tick marks redraws those marks only; a changed axis is redrawn into the background.
    Artists that stop changing go back into the background. A change of axis limits, of an Axes'
    position, of the set of artists or of the figure's size redraws the whole background once; a
    changed Axes or figure patch, or a render where nothing is marked changed, means a full draw.
    """

    FORGET_AFTER = 20  # renders without a change before an artist returns to the background

    def __init__(self, fig, dpi):
        self.fig, self.dpi, self.count = fig, dpi, 0
        self.volatile = {}       # container (Figure or Axes) -> {artist: render in which it last changed}
        self.dynamic = {}        # container -> artists redrawn on every render, in drawing order
        self.background = None   # the canvas without the dynamic artists
        self.geometry = None     # what the background depends on
        self.extents = {}        # artist -> _extent, kept while it and the geometry stay unchanged
        self.parts = {}          # unchanged Axis -> what it draws (ticks, labels), redrawn one by one
        self.looks = {}          # text frame -> _look as last drawn
        self.encoder = _PngEncoder()

    def png(self):
        canvas, self.count = self.fig.canvas, self.count + 1
        changed = self._changed()
        # where the changed artists were in the background (missing if never measured)
        was = {a: self.extents.pop(a, None) for artists in (changed or {}).values() for a in artists}
        # A changed axis is redrawn in the background (its parts that overlap a change, every time)
        axes = [axis for axis in was if isinstance(axis, Axis)]
        for axis in axes:
            changed = {c: [a for a in artists if a is not axis] for c, artists in changed.items()}
            for part in self.parts.pop(axis, ()):  # its ticks may have moved or changed
                self.extents.pop(part, None)
        wanted = None
        if changed is not None and self.geometry is not None:
            geometry = self._geometry()
            if geometry != self.geometry:  # new limits or places: every artist may move, the background too
                self.extents.clear()
                self.parts.clear()
                self.background, self.geometry = None, geometry
            wanted = self._wanted(changed, canvas.get_renderer())
        if wanted is None:
            self._full_draw()
        else:
            if self.background is None or wanted != self.dynamic or axes:
                region = self._region(wanted, was, axes, canvas.get_renderer()) if self.background else None
                self._set_dynamic(wanted)
                if region is None:
                    self._draw_background()  # everything but the dynamic artists
                elif region is not _NOWHERE:
                    self._redraw_background_in(region, canvas.get_renderer())
                if region is not _NOWHERE:
                    self.background = canvas.copy_from_bbox(self.fig.bbox)
            if self._geometry() != self.geometry:  # the draw itself moved something (e.g. an aspect ratio)
                self._full_draw()
            else:
                canvas.restore_region(self.background)
                self._draw_dynamic(canvas.get_renderer())
        self._unstale()
        return self.encoder.encode(np.asarray(canvas.buffer_rgba()))

    def marked_changed(self):
        """Whether any artist was marked changed (stale) since the last render; an animated artist, as the
        redrawn ones are, does not pass the mark on to its figure, so each is asked."""
        fig = self.fig
        return fig.patch.stale or any(self._marked(artist)
                                      for container in [fig, *fig.axes] for artist in container.get_children())

    def _region(self, wanted, was, axes, renderer):
        """Whole pixels holding every artist that enters or leaves the background, as it is drawn there, and
        every changed axis, where it was and where it will be; None if that is not known."""
        moving = {a for arts in wanted.values() for a in arts} ^ {a for arts in self.dynamic.values() for a in arts}
        boxes = [(was[a] or _clip_bound(a)) if a in was else self._extent_of(a, renderer) for a in moving]
        boxes += [was[axis] for axis in axes] + [self._extent_of(axis, renderer) for axis in axes]
        if any(box is None for box in boxes):
            return None
        boxes = [box for box in boxes if box is not _NOWHERE]
        if not boxes:
            return _NOWHERE  # what enters or leaves paints nothing: the background stays as it is
        box = Bbox.intersection(Bbox.union(boxes), self.fig.bbox)
        if box is None:
            return None
        x0, y0, x1, y1 = box.extents
        return Bbox.from_extents(math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1))

    def _redraw_background_in(self, region, renderer):
        """Bring the background up to date inside region: a draw that leaves out the artists that do not
        reach into it gives the right pixels there, and only those are copied into the old background."""
        canvas, left_out = self.fig.canvas, []
        for container in [self.fig, *self.fig.axes]:
            for artist in container.get_children():
                if artist.get_animated() or isinstance(artist, Axes) or artist is container.patch:
                    continue
                box = self._extent_of(artist, renderer)
                if not _meet(box, region):
                    left_out.append(artist)
        for artist in left_out:
            artist.set_animated(True)
        try:
            self._draw_background()
        finally:
            for artist in left_out:
                artist.set_animated(False)
        inside = canvas.copy_from_bbox(region)
        canvas.restore_region(self.background)
        canvas.restore_region(inside)

    def _extent_of(self, artist, renderer):
        if artist not in self.extents:
            self.extents[artist] = _extent(artist, renderer)
        return self.extents[artist]

    def _wanted(self, changed, renderer):
        """Container -> artists to redraw, or None if only a full draw is right."""
        for container, artists in changed.items():
            seen = self.volatile.setdefault(container, {})
            seen.update(dict.fromkeys(artists, self.count))
        forgotten = False
        for seen in self.volatile.values():
            for artist in [a for a, last in seen.items() if self.count - last > self.FORGET_AFTER]:
                del seen[artist]
                forgotten = True
        # Until an artist is forgotten the redrawn set only grows, so the background is not redrawn back and forth.
        def seeds(container):
            return set(self.volatile.get(container, ())) | set(() if forgotten else self.dynamic.get(container, ()))

        wanted, boxes, on_figure = {}, _Boxes(), seeds(self.fig)  # boxes: what is redrawn, so far in drawing order
        for child in self._drawing_order(self.fig):
            if isinstance(child, Axes):
                if boxes.meet(self._extent_of(child.patch, renderer)):
                    return None  # a figure-level artist, or another Axes, under this one's background
                wanted[child] = self._to_redraw(child, renderer, seeds(child), boxes)
            elif child in on_figure or (boxes and child.get_visible() and boxes.meet(self._extent_of(child, renderer))):
                wanted.setdefault(self.fig, []).append(child)
                boxes.add(self._extent_of(child, renderer))
        return {c: arts for c, arts in wanted.items() if arts}

    def _draw_dynamic(self, renderer):
        for child in self._drawing_order(self.fig):
            if child in self.dynamic:
                for artist in self.dynamic[child]:
                    artist.draw(renderer)
            elif child in self.dynamic.get(self.fig, ()):
                child.draw(renderer)

    def _full_draw(self):
        """Draw everything (the first time: at the explorer's dpi, then fix the layout)."""
        if self.geometry is None:
            self.fig.set_dpi(self.dpi)
        self._set_dynamic({})
        self.extents.clear()
        self.parts.clear()
        self.fig.canvas.draw()
        if self.geometry is None and self.fig.get_layout_engine() is not None:
            self.fig.set_layout_engine("none")  # keep the positions just computed
        self.background, self.geometry = None, self._geometry()
        renderer = self.fig.canvas.get_renderer()
        for container in [self.fig, *self.fig.axes]:  # where everything is: a change then redraws only around it
            for artist in self._drawing_order(container):
                self._extent_of(artist, renderer)

    def _set_dynamic(self, dynamic):
        for artists in self.dynamic.values():
            for artist in artists:
                artist.set_animated(False)
        self.dynamic = dynamic
        for container, artists in self.dynamic.items():
            children = set(container.get_children())
            for artist in artists:
                if artist in children:
                    artist.set_animated(True)  # canvas.draw() leaves it out of the background

    def _draw_background(self):
        """canvas.draw() without the dynamic artists: an Axes skips its animated children, and the
        dynamic parts of an axis draw nothing while it draws the rest."""
        parts = [a for artists in self.dynamic.values() for a in artists if not a.get_animated()]
        for part in parts:
            part.draw = _draw_nothing
        try:
            self.fig.canvas.draw()
        finally:
            for part in parts:
                del part.draw

    def _geometry(self):
        return (self.fig.bbox.bounds, self.fig.dpi, tuple(
            (ax.viewLim.bounds, ax.get_position().bounds, ax.get_xscale(), ax.get_yscale(),
             ax.get_visible(), tuple(map(id, ax.get_children())))
            for ax in self.fig.axes), tuple(map(id, self.fig.get_children())))

    def _changed(self):
        """Container -> its changed artists; None when a full draw is needed."""
        fig, changed = self.fig, {}
        if fig.patch.stale:
            return None
        for child in fig.get_children():
            if child is fig.patch:
                continue
            if not isinstance(child, Axes):
                if self._marked(child):
                    changed.setdefault(fig, []).append(child)
                continue
            if child.patch.stale:
                return None
            for artist in child.get_children():
                if artist is not child.patch and self._marked(artist):
                    changed.setdefault(child, []).append(artist)
        for container, artists in changed.items():
            artists += _followers(container, [a for a in artists if a.stale])  # a recoloured frame moves nothing
        return changed or None

    def _marked(self, artist):
        """Whether the artist was marked changed (stale), or its text frame or arrow was."""
        return artist.stale or self._frame_changed(artist)

    def _frame_changed(self, artist):
        """Whether a text's arrow changed, or its frame; a frame given the colours it had (as when
        all nodes of a graph are highlighted again) has not."""
        changed = False
        for part in _parts(artist):
            if part is getattr(artist, "_bbox_patch", None) and part.stale:
                changed |= self.looks.get(part) != _look(part)
            else:
                changed |= part.stale
        return changed

    def _drawing_order(self, container):
        """The container's artists in the order it draws them (a stable sort by zorder); an axis stands for
        its parts, so only those that overlap a change are redrawn."""
        artists = [a for a in container.get_children() if a is not container.patch]
        if isinstance(container, Axes):
            if not (container.axison and container.get_frame_on()):
                artists = [a for a in artists if not isinstance(a, Spine)]
            if not container.axison:
                artists = [a for a in artists if not isinstance(a, Axis)]
        ordered = []
        for artist in sorted(artists, key=attrgetter("zorder")):
            if isinstance(artist, Axis) and artist.get_visible():
                ordered += self._parts_of(artist)
            else:
                ordered.append(artist)
        return ordered

    def _parts_of(self, axis):
        """What an axis draws, in its order: each tick it shows (grid line, tick marks, labels), its label
        and offset text, as placed at its last draw."""
        if axis not in self.parts:
            self._extent_of(axis, self.fig.canvas.get_renderer())  # places its ticks and labels; known if it changes
            ticks = [tick for tick in axis._update_ticks() if tick.get_visible()]  # the ticks its draw shows
            self.parts[axis] = [part for tick in ticks for part in
                                (tick.gridline, tick.tick1line, tick.tick2line, tick.label1, tick.label2)]
            self.parts[axis] += [axis.label, axis.offsetText]
        return self.parts[axis]

    def _to_redraw(self, container, renderer, seeds, boxes):
        """The container's artists in seeds and every one overlapping one redrawn before it (boxes: the
        extents of those redrawn before, extended with the new ones)."""
        redraw = []
        for artist in self._drawing_order(container):
            if artist not in seeds and (not boxes or not artist.get_visible()):
                continue  # below every changed artist, or invisible: stays in the background
            box = self._extent_of(artist, renderer)
            if artist in seeds or boxes.meet(box):
                redraw.append(artist)
                boxes.add(box)
        return redraw

    def _unstale(self):
        for container in [self.fig, *self.fig.axes]:
            for artist in container.get_children():
                artist.stale = False
                for part in _parts(artist):
                    part.stale = False
                frame = getattr(artist, "_bbox_patch", None)
                if frame is not None:
                    self.looks[frame] = _look(frame)
            container.stale = False


def _draw_nothing(renderer):
    pass


def _parts(artist):
    """Patches a text owns and draws itself: its frame, an annotation's arrow."""
    return [p for p in (getattr(artist, "_bbox_patch", None), getattr(artist, "arrow_patch", None)) if p is not None]


def _look(frame):
    """What a text's frame is drawn with (its place and size follow the text)."""
    return (tuple(frame.get_facecolor()), tuple(frame.get_edgecolor()), frame.get_linewidth(),
            str(frame.get_linestyle()), frame.get_hatch(), frame.get_alpha(), frame.get_visible(),
            frame.get_fill(), frame.get_antialiased(), frame.get_joinstyle(), frame.get_capstyle(),
            id(frame.get_boxstyle()), frame.get_mutation_scale(), frame.get_mutation_aspect(),
            tuple(map(id, frame.get_path_effects())), frame.get_sketch_params(), frame.get_clip_on())


def _followers(ax, changed):
    """Annotations of ax that follow a changed artist: an arrow clipped by its frame, or positioned on it."""
    moved = set(changed) | {part for artist in changed for part in _parts(artist)}
    followers = []
    for artist in ax.get_children():
        arrow = getattr(artist, "arrow_patch", None)
        anchors = [getattr(artist, "xycoords", None), getattr(artist, "_textcoords", None)]
        if arrow is not None:
            anchors += [arrow.patchA, arrow.patchB]
        if artist not in moved and any(isinstance(a, Artist) and a in moved for a in anchors):  # not a transform
            followers.append(artist)
    return followers


def _extent(artist, renderer):
    """Where an artist may paint on the canvas, or None for anywhere: a text, line or patch within its
    extent padded by its line width, any artist within its clip box (Agg clips to whole pixels)."""
    if _paints_nothing(artist):
        return _NOWHERE
    box, clip = _drawn_extent(artist, renderer), _clip_bound(artist)
    if clip is None:
        return box
    return clip if box is None else Bbox.intersection(box, clip) or clip


_NOWHERE = Bbox.null()  # the extent of an artist that paints nothing


def _paints_nothing(artist):
    if not artist.get_visible():
        return True
    if isinstance(artist, Line2D):
        return len(artist.get_xdata()) == 0
    return isinstance(artist, Text) and not artist.get_text() and not _parts(artist)


class _Boxes:
    """Extents (as _extent gives them) collected to ask quickly whether a new one meets any of them."""

    def __init__(self):
        self.rows, self.anywhere, self.array = [], False, None

    def __bool__(self):
        return self.anywhere or bool(self.rows)

    def add(self, box):
        if box is None:
            self.anywhere = True
        elif box is not _NOWHERE:
            (x0, x1), (y0, y1) = sorted(box.intervalx), sorted(box.intervaly)
            self.rows.append((x0, y0, x1, y1))
            self.array = None

    def meet(self, box):
        """Whether box may share a pixel with one of them (as _meet)."""
        if box is _NOWHERE or not self:
            return False
        if box is None or self.anywhere:
            return True
        if self.array is None:
            self.array = np.array(self.rows)
        (x0, x1), (y0, y1) = sorted(box.intervalx), sorted(box.intervaly)
        a = self.array
        return bool(np.any((a[:, 0] < x1) & (x0 < a[:, 2]) & (a[:, 1] < y1) & (y0 < a[:, 3])))  # edges: no pixel


def _meet(a, b):
    """Whether two extents may share a pixel (None: anywhere)."""
    if a is _NOWHERE or b is _NOWHERE:
        return False
    return a is None or b is None or a.overlaps(b)


def _clip_bound(artist):
    """The artist's clip box with the pixel that Agg may round it to; None if not clipped (an axis's
    clip box holds only its grid lines: its ticks and labels lie outside)."""
    clip = artist.get_clip_box() if artist.get_clip_on() and not isinstance(artist, Axis) else None
    return None if clip is None else clip.padded(1)


def _drawn_extent(artist, renderer):
    if isinstance(artist, Axis):
        return _axis_extent(artist, renderer)
    if isinstance(artist, Legend):  # its frame holds everything it draws (the frame's edge is padded for)
        box = artist.get_window_extent(renderer)
        return _pixels(box.padded(3)) if np.isfinite(box.bounds).all() else None
    if not isinstance(artist, (Text, Line2D, Patch)):
        return None
    if isinstance(artist, Spine) and artist.spine_type in ("left", "right", "bottom", "top"):
        # a straight line (its window extent also holds the tick marks): half its width, a pixel of snapping
        box = artist.get_path().get_extents(artist.get_transform())
        return _pixels(box.padded(renderer.points_to_pixels(artist.get_linewidth()) / 2 + 1))
    try:
        box = artist.get_window_extent(renderer)
        frame = artist.get_bbox_patch() if isinstance(artist, Text) else None
        if frame is not None:
            artist.update_bbox_position_size(renderer)  # else the frame is where it was last drawn
            box = Bbox.union([box, frame.get_window_extent(renderer)])
            artist = frame
    except Exception:  # cannot say where it draws: assume everywhere
        return None
    if isinstance(artist, Text):  # drawn at a rounded place, a bitmap reaching at most half a pixel further
        return _pixels(box.padded(1)) if np.isfinite(box.bounds).all() else None
    has_marks = isinstance(artist, Line2D) and artist.get_marker() not in (None, "None", "none", "", ",")
    if has_marks and artist.get_linestyle() in ("None", "none", "", " "):
        return _marks_extent(artist, renderer)
    width = artist.get_linewidth() if isinstance(artist, (Line2D, Patch)) else 0
    if has_marks:  # matplotlib pads by half the marker size; a tick mark reaches a whole marker size from its point
        width += artist.get_markersize() / 2 + artist.get_markeredgewidth()
    pad = 3 + renderer.points_to_pixels(width or 0)
    return box.padded(pad) if np.isfinite(box.bounds).all() else None


def _marks_extent(line, renderer):
    """Where a line of markers only (e.g. tick marks) paints: the pixels that the marker's outline around each
    point, widened by half its edge and moved by up to half a pixel (Agg snaps markers to pixels), touches."""
    points = line.get_transform().transform(np.asarray(line.get_xydata(), dtype=float).reshape(-1, 2))
    if not len(points) or not np.isfinite(points).all():
        return None
    size = renderer.points_to_pixels(line.get_markersize())
    mark = line._marker.get_path().get_extents(line._marker.get_transform().scale(size))
    box = Bbox.from_extents(*(points.min(axis=0) + mark.p0), *(points.max(axis=0) + mark.p1))
    return _pixels(box.padded(renderer.points_to_pixels(line.get_markeredgewidth()) / 2 + 0.5))


def _pixels(box):
    """The whole pixels a box touches."""
    return Bbox.from_extents(math.floor(box.x0), math.floor(box.y0), math.ceil(box.x1), math.ceil(box.y1))


def _axis_extent(axis, renderer):
    """Where an axis paints: its ticks, grid lines and labels, placed as its next draw will place them."""
    axis.get_tightbbox(renderer)  # places its ticks, and its label beside the tick labels
    parts = [axis.label, axis.offsetText]
    for tick in axis.get_major_ticks() + axis.get_minor_ticks():
        parts += [tick.tick1line, tick.tick2line, tick.gridline, tick.label1, tick.label2]
    boxes = [_drawn_extent(part, renderer) for part in parts if part.get_visible()]
    if not boxes or any(box is None for box in boxes):
        return None
    return Bbox.union(boxes)


class _PngEncoder:
    """Encodes RGBA pictures as RGB PNG, compressing again only the bands of rows that changed.

    Each band of BAND rows is deflated on its own (a full flush ends it on a byte boundary with an
    empty dictionary), so the compressed bands of the last picture can be reused as they are.
    """

    BAND = 16

    def __init__(self):
        self.bands = {}  # band index -> (raw bytes, deflated bytes)

    def encode(self, rgba):
        height, width = rgba.shape[:2]
        rows = np.empty((height, 1 + 3 * width), np.uint8)
        rows[:, 0] = 0  # PNG filter type None: fast, and flat plots still compress well
        rows[:, 1:] = rgba[..., :3].reshape(height, -1)
        raw, parts = rows.tobytes(), []
        step = self.BAND * rows.shape[1]
        for i, start in enumerate(range(0, len(raw), step)):
            band = raw[start:start + step]
            cached = self.bands.get(i)
            if cached is None or cached[0] != band:
                deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
                cached = self.bands[i] = band, deflate.compress(band) + deflate.flush(zlib.Z_FULL_FLUSH)
            parts.append(cached[1])
        end = zlib.compressobj(1, zlib.DEFLATED, -15).flush()  # an empty final block
        data = b"\x78\x01" + b"".join(parts) + end + struct.pack(">I", zlib.adler32(raw))
        header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
        return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", data) + _chunk(b"IEND", b"")


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
