"""Long answers cut where a reader would pause."""

from __future__ import annotations

from adapters.chunks import split_text


def test_short_text_is_one_piece_without_outer_blanks() -> None:
    assert split_text("  Thank you!\n", 4096) == ["Thank you!"]
    assert split_text("   ", 4096) == []


def test_a_long_paragraph_is_cut_between_lines_then_sentences_then_words() -> None:
    lines = "\n".join(f"Line {n} of the tracking history." for n in range(1, 6))  # 33-34 characters a line
    assert split_text(lines, 80) == [
        "Line 1 of the tracking history.\nLine 2 of the tracking history.",
        "Line 3 of the tracking history.\nLine 4 of the tracking history.",
        "Line 5 of the tracking history.",
    ]
    sentences = "Your parcel left Shenzhen. It is now in Moscow. It clears customs soon."
    assert split_text(sentences, 50) == ["Your parcel left Shenzhen. It is now in Moscow.", "It clears customs soon."]
    assert split_text("word " * 30, 20) == ["word word word word"] * 7 + ["word word"]
    assert split_text("x" * 25, 10) == ["x" * 10, "x" * 10, "x" * 5]  # no boundary at all: a hard cut
