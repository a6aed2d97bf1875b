"""Markdown and self-contained HTML pages for the reports (tables from pandas, plots inlined).

Usage::

    page = Page("Summary of results/run")
    page.text("Run: 200 users for 1 h.")
    page.table("Endpoints", frame)                 # a DataFrame
    page.plot("Latency over time", "over_time.png") # a PNG file written beside the report
    page.write(out_dir / "summary")                 # summary.md (+ links to the PNGs) and summary.html (PNGs inlined)

Files are written atomically (a temporary file renamed into place).
"""

import base64
import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from common.output_files import output_file

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td:first-child{text-align:left}
img{max-width:100%;border:1px solid #eee}.warn{color:#a40}"""


def number(value) -> str:
    """A figure as a reader reads it: no scientific notation, no "nan" (an empty cell), thousands separated,
    three significant digits below 100 (0.0123, 4.56, 45.6), whole numbers above (1,234)."""
    if value is None or pd.isna(value):
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, (int, np.integer)) or float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    magnitude = abs(float(value))
    if magnitude >= 100:
        return f"{value:,.0f}"
    decimals = min(max(2 - math.floor(math.log10(magnitude)), 0), 9) if magnitude else 0
    return f"{value:.{decimals}f}"


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with its numeric columns as ``number`` text (and missing text as empty cells)."""
    shown = frame.copy()
    for column in shown.columns:
        if pd.api.types.is_numeric_dtype(shown[column]) and not pd.api.types.is_bool_dtype(shown[column]):
            shown[column] = [number(value) for value in shown[column]]
        else:
            shown[column] = shown[column].astype(object).where(shown[column].notna(), "").astype(str)
    return shown


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_file(str(path), text=True) as handle:
        handle.write(text)


class Page:
    def __init__(self, title: str):
        self.title = title
        self._markdown: list[str] = [f"# {title}\n"]
        self._html: list[str] = [f"<h1>{html.escape(title)}</h1>"]

    def text(self, paragraph: str, warning: bool = False) -> None:
        self._markdown.append(("**Warning:** " if warning else "") + paragraph + "\n")
        css = ' class="warn"' if warning else ""
        self._html.append(f"<p{css}>{html.escape(paragraph)}</p>")

    def bullets(self, lines: list[str]) -> None:
        self._markdown.append("".join(f"- {line}\n" for line in lines))
        self._html.append("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in lines) + "</ul>")

    def table(self, heading: str, frame: pd.DataFrame) -> None:
        self._markdown.append(f"## {heading}\n")
        self._html.append(f"<h2>{html.escape(heading)}</h2>")
        if frame.empty:
            self._markdown.append("(none)\n")
            self._html.append("<p>(none)</p>")
            return
        shown = readable(frame)
        align = ["right" if pd.api.types.is_numeric_dtype(frame[column]) else "left" for column in frame.columns]
        self._markdown.append(shown.to_markdown(index=False, colalign=align, disable_numparse=True) + "\n")
        self._html.append(shown.to_html(index=False, border=0))

    def plot(self, heading: str, png: Path) -> None:
        self._markdown.append(f"## {heading}\n\n![{heading}]({png.name})\n")
        encoded = base64.b64encode(png.read_bytes()).decode()
        self._html.append(
            f"<h2>{html.escape(heading)}</h2><img alt='{html.escape(heading)}' src='data:image/png;base64,{encoded}'>"
        )

    def write(self, stem: Path) -> tuple[Path, Path]:
        markdown, page = stem.with_suffix(".md"), stem.with_suffix(".html")
        write_text(markdown, "\n".join(self._markdown))
        body = "\n".join(self._html)
        write_text(
            page,
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
            f"<style>{STYLE}</style></head><body>{body}</body></html>\n",
        )
        return markdown, page
