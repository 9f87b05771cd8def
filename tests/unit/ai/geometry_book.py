"""A small geometry book built into a package with the hashing embedder: the refusal and
judge tests' shared fixture data."""

from __future__ import annotations

from pathlib import Path

from nexus_app.ai.embedder import HashingEmbedder
from nexus_app.ai.pdftext import Page
from nexus_app.ai.retriever import Retriever
from nexus_app.ai.vkp import Package, build_package, load_current

BOOK = (
    "# Geometri\n\n## Lingkaran\n\n"
    "Lingkaran adalah kumpulan titik yang jaraknya sama dari satu titik pusat. "
    "Jarak itu disebut jari-jari lingkaran. "
    "Bola yang dipantulkan ke lantai memantul setinggi tiga perempat tinggi sebelumnya.\n\n"
    "## Segitiga\n\n"
    "Segitiga siku-siku memiliki satu sudut yang besarnya sembilan puluh derajat. "
    "Sisi terpanjang segitiga siku-siku disebut hipotenusa.\n"
)


def geometry_package(tmp_path: Path) -> Package:
    res = build_package(
        [Page(1, BOOK)],
        root=tmp_path / "pk",
        subject="MAT",
        title="Geometri",
        embedder=HashingEmbedder(),
        source_name="geo.md",
    )
    return load_current(res.path.parent)


def hashing_retriever(package: Package) -> Retriever:
    return Retriever([package], embedder_for=lambda _: HashingEmbedder())
