"""Source viewer (/sumber) benchmark: what opening a citation costs, without the database.

Run from the repo root:  python bench/bench_source_view.py [--pages 300]

- Markdown (the demo book matematika-10.md): cutting the book into sections, and placing each
  of its chunks (finding its section and marking its sentences), per chunk;
- PDF (a text PDF of --pages pages written here, like the tests'): one page's text read as
  ingestion reads it (the file is opened on every call, as the viewer does), and, when
  pypdfium2 is installed, one page rendered to a PNG about 1000 px wide (size reported).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nexus_app.ai import pageview
from nexus_app.ai.chunking import chunk_pages
from nexus_app.ai.pdftext import extract_document
from tests.unit.ai.test_pdftext import make_text_pdf

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "nexus_app" / "demo" / "data" / "books" / "matematika-10.md"


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def markdown() -> None:
    t = time.perf_counter()
    pages = extract_document(BOOK)
    found = pageview.sections(pages)
    cut = time.perf_counter() - t
    chunks = chunk_pages(pages)
    times: list[float] = []
    marked = 0
    for chunk in chunks:
        t = time.perf_counter()
        at = pageview.section_of_chunk(found, chunk)
        spans = pageview.highlight_spans(found[at].text, chunk.text)
        times.append(time.perf_counter() - t)
        marked += bool(spans)
    print(f"markdown {BOOK.name}: {len(found)} sections, cut in {_ms(cut)}")
    print(
        f"  placing a chunk: median {_ms(statistics.median(times))}, max {_ms(max(times))}; "
        f"{marked}/{len(chunks)} chunks marked in their section"
    )


def pdf(n_pages: int) -> None:
    lines = [
        f"Halaman {{}} baris {i}: kalimat contoh tentang gerak lurus dan gaya pada benda."
        for i in range(40)
    ]
    with tempfile.TemporaryDirectory() as scratch:
        path = Path(scratch) / "buku.pdf"
        path.write_bytes(make_text_pdf([[ln.format(p) for ln in lines] for p in range(n_pages)]))
        size_mb = path.stat().st_size / 2**20
        probes = [1, n_pages // 2, n_pages]
        text_times = []
        for number in probes:
            t = time.perf_counter()
            pageview.pdf_page(path, number)
            text_times.append(time.perf_counter() - t)
        print(f"pdf {n_pages} pages ({size_mb:.1f} MB):")
        print("  page text (open + extract): " + ", ".join(_ms(x) for x in text_times))
        if pageview.pdf_renderer() is None:
            print("  render: pypdfium2 not installed")
            return
        render_times, sizes = [], []
        for number in probes:
            t = time.perf_counter()
            png = pageview.render_pdf_page(path, number, width=1000)
            render_times.append(time.perf_counter() - t)
            sizes.append(len(png) / 1024)
        print(
            "  render to PNG (1000 px): "
            + ", ".join(
                f"{_ms(x)} ({kb:.0f} KB)" for x, kb in zip(render_times, sizes, strict=True)
            )
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    args = parser.parse_args()
    markdown()
    pdf(args.pages)


if __name__ == "__main__":
    main()
