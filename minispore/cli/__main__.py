"""``python -m minispore.cli {inspect,verify,diff,convert} ...`` (same as ``minispore-ckpt``)."""
import sys

from .commands import main

sys.exit(main(prog="python -m minispore.cli"))
