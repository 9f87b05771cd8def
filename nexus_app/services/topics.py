"""Display names for topic keys (questions.sub_type), shown on students' pages.

The bank stores topics as keys such as ``fungsi_linear``; students should read
"Fungsi linear". Admin pages keep the raw keys because those are what the bank
files contain.
"""

from __future__ import annotations

# Abbreviations that stay upper-case when a key is turned into words.
ABBREVIATIONS = frozenset({"spldv", "spltv", "spl", "fpb", "kpk", "hots", "ipa", "ips"})


def topic_label(key: str | None) -> str:
    """``fungsi_linear`` → "Fungsi linear", ``spldv`` → "SPLDV"; empty stays empty."""
    words = (key or "").replace("_", " ").replace("-", " ").split()
    if not words:
        return ""
    shown = [w.upper() if w.lower() in ABBREVIATIONS else w for w in words]
    first = shown[0]
    shown[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(shown)
