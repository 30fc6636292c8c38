"""matplotlib behind a soft import, without pyplot: figures that render with the Agg canvas and
PNGs written atomically.

minispore never calls ``matplotlib.use`` or ``pyplot``: a ``matplotlib.figure.Figure`` attached
to its own ``FigureCanvasAgg`` renders off-screen while the user's backend, rcParams and open
pyplot figures stay as they were.
"""
import os
import tempfile

__all__ = ["PLOT_HINT", "load_matplotlib", "new_figure", "save_png"]

PLOT_HINT = "pip install matplotlib (or pip install -e \".[plot]\") for the pictures"


def load_matplotlib():
    """``(Figure, FigureCanvasAgg)`` when matplotlib imports, else None (the soft import;
    tests replace this function to simulate a machine without matplotlib)."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg   # noqa: PLC0415
        from matplotlib.figure import Figure                          # noqa: PLC0415
    except ImportError:
        return None
    return Figure, FigureCanvasAgg


def new_figure(width, height, dpi=100):
    """A Figure of ``width`` x ``height`` inches with an Agg canvas, or None without matplotlib."""
    loaded = load_matplotlib()
    if loaded is None:
        return None
    figure_class, canvas_class = loaded
    fig = figure_class(figsize=(width, height), dpi=dpi)
    canvas_class(fig)
    return fig


def save_png(fig, path, dpi=None):
    """Write ``fig`` to ``path`` as a PNG so that a reader never sees half a file: the PNG goes
    to a temporary file in the same folder, which then replaces ``path`` (``os.replace``).

    Raises:
        ValueError: the folder of ``path`` does not exist.
    """
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise ValueError(f"cannot write the plot {path!r}: its folder does not exist")
    fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path) + ".",
                               suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            fig.savefig(f, format="png", dpi=dpi if dpi is not None else fig.dpi)
        os.chmod(tmp, 0o644)   # mkstemp makes 0600; a picture is for others to look at
        os.replace(tmp, path)
    except BaseException:
        try:
            os.remove(tmp)
        except OSError:
            pass
        raise
    return path
