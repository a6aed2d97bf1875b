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
from pathlib import Path

import pandas as pd
from boltons.fileutils import atomic_save

STYLE = """body{font-family:system-ui,sans-serif;margin:2em;max-width:1200px}
table{border-collapse:collapse;margin:1em 0}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}
td:first-child{text-align:left}
img{max-width:100%;border:1px solid #eee}.warn{color:#a40}"""


def write_text(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_save(str(path), text_mode=True) as handle:
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
        self._markdown.append(frame.to_markdown(index=False, floatfmt=".4g") + "\n")
        self._html.append(frame.to_html(index=False, float_format=lambda v: f"{v:.4g}", na_rep="", border=0))

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
