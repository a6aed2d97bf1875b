"""``python -m ctxload options [--markdown]``: list every ctxload option (``locust --help`` cannot)."""

import argparse
import sys

from ctxload.option_list import as_markdown, as_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ctxload", description="ctxload's own commands")
    commands = parser.add_subparsers(dest="command", required=True)
    listing = commands.add_parser(
        "options", help="list every ctxload option: flag, environment variable, default, help"
    )
    listing.add_argument("--markdown", action="store_true", help="as the Markdown of docs/options.md")
    args = parser.parse_args(argv)
    print(as_markdown() if args.markdown else as_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
