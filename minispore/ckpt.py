"""``python -m minispore.ckpt {inspect,verify,diff,convert} ...`` (same as ``minispore-ckpt``).

See :mod:`minispore.cli` for the subcommands, exit codes and examples.
"""
import sys

if __name__ == "__main__":
    from .cli import main
    sys.exit(main(prog="python -m minispore.ckpt"))
