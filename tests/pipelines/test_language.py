"""Language identification with the bundled fastText lite model, on hand-made sentences."""

from __future__ import annotations

from assay.pipelines.registry import build_step
from tests.pipelines.helpers import batch

SENTENCES = {
    "en": "The weather is lovely today and we are going for a walk in the park.",
    "de": "Das Wetter ist heute schön und wir gehen im Park spazieren.",
    "fr": "Il fait beau aujourd'hui et nous allons nous promener dans le parc.",
    "es": "Hoy hace buen tiempo y vamos a dar un paseo por el parque.",
    "zh": "今天天气很好，我们要去公园散步。",
    "ru": "Сегодня прекрасная погода, и мы идём гулять в парк.",
    "ar": "الطقس جميل اليوم وسنذهب في نزهة في الحديقة.",
}


def test_identifies_seven_languages() -> None:
    b = batch(*[(s, "") for s in SENTENCES.values()])
    out = build_step("language").process(b)
    assert out.table.column("language__lang").to_pylist() == list(SENTENCES)
    assert min(out.table.column("language__score").to_pylist()) > 0.5
    assert out.stats.kept == len(SENTENCES)  # annotate only without `keep`


def test_keep_filter_counts_reasons_and_blank_text() -> None:
    b = batch((SENTENCES["en"], ""), (SENTENCES["de"], ""), (SENTENCES["zh"], ""), ("   ", ""))
    out = build_step("language", {"keep": ["en", "de"]}).process(b)
    assert out.table.column("id").to_pylist() == ["r0000", "r0001"]
    assert out.stats.dropped == {"lang_zh": 1, "lang_none": 1}
