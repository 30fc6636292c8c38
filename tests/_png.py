"""Open a PNG the way a viewer would and check it is a real picture."""
import struct

import numpy as np

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def check_png(path, size=None, min_variance=1e-3):
    """Assert ``path`` is a complete, non-blank PNG (of ``size`` = (width, height) pixels when
    given): signature, IHDR size, decoded by matplotlib.image.imread, pixel variance above
    ``min_variance``. Returns the decoded pixels."""
    import matplotlib.image
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == PNG_SIGNATURE, f"{path} is not a PNG"
    assert head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    if size is not None:
        assert (width, height) == size
    pixels = matplotlib.image.imread(path)
    assert pixels.shape[:2] == (height, width)
    rgb = pixels[..., :3].astype(np.float64)
    assert rgb.var() > min_variance, f"{path} looks blank (variance {rgb.var():.2e})"
    return pixels
