"""``python -m minispore.ckpt {inspect,verify,diff,convert} ...`` (same as ``minispore-ckpt``).

A shim kept for the documented command; the CLI lives in :mod:`minispore.cli`.
"""
import sys

if __name__ == "__main__":
    from .cli import main
    sys.exit(main(prog="python -m minispore.ckpt"))
