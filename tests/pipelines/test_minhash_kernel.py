"""The compiled MinHash kernel equals the numpy reference bit for bit, on every kind of document."""

from __future__ import annotations

import numpy as np
import pytest

from assay.pipelines import minhash_kernel
from assay.pipelines.minhash_lsh import MinHasher
from assay.pipelines.minhash_shingles import NO_SHINGLE, shingle_hashes
from assay.pipelines.near_dedup import reference_signatures, resolve_config, signatures
from tests.pipelines.test_near_dedup import planted_corpus

ODD_TEXTS = [
    "",  # no words
    "  ,,, ... !!! ",  # separators only
    "a",  # one word, shorter than a shingle
    "one two",  # fewer words than ngram
    "a b c d e",  # exactly one shingle
    "a b c d e f g",
    "supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopic x y z",  # >8, >16, >24 bytes
    "exactly8 sixteen1sixteen2 abcdefgh12345678abcdefgh",  # word lengths on the 8-byte boundaries
    "Hello, wörld! Ünïcode ΑΒΓ δέκα 漢字のテキスト und noch ein paar Wörter hier",  # the non-ASCII path
    "CAPS and caps AND Caps, under_score tab\tnew\nline",
    "x " * 3000,  # long, repetitive
]


@pytest.mark.parametrize("ngram", [1, 3, 5])
@pytest.mark.parametrize("num_perm", [1, 16, 128])
@pytest.mark.slow
def test_kernel_equals_the_numpy_reference(ngram: int, num_perm: int) -> None:
    texts, _, _ = planted_corpus()
    texts = ODD_TEXTS + texts[:200] + ODD_TEXTS
    config = resolve_config(0.7, ngram=ngram, num_perm=num_perm, bands=num_perm, rows=1)
    ref_sh, ref_sig = reference_signatures(texts, config)
    sh, sig = signatures(texts, config)
    assert np.array_equal(sh.offsets, ref_sh.offsets)
    assert np.array_equal(sh.hashes, ref_sh.hashes)
    assert sig.shape == ref_sig.shape == (num_perm, len(texts))
    assert np.array_equal(sig, ref_sig)
    assert (sig[:, 0] == NO_SHINGLE).all() and (sig[:, 1] == NO_SHINGLE).all()  # wordless documents
    assert not (sh.hashes == NO_SHINGLE).any()


@pytest.mark.slow
def test_kernel_matches_the_shingle_reference_across_batch_sizes_and_threads() -> None:
    texts, _, _ = planted_corpus(seed=5)
    texts = texts + ODD_TEXTS
    hasher = MinHasher(32, seed=4)
    ref = shingle_hashes(texts, 5)
    ref_sig = hasher.signatures(ref)
    for batch_bytes in (1, 3000, 1 << 21):  # one document per batch, several, all in one
        for threads in (1, 2, 3):
            sh, sig = minhash_kernel.signatures(texts, 5, hasher.a[:, 0], hasher.b[:, 0], threads=threads,
                                                batch_bytes=batch_bytes)
            assert np.array_equal(sh.hashes, ref.hashes) and np.array_equal(sh.offsets, ref.offsets)
            assert np.array_equal(sig, ref_sig)


def test_empty_input() -> None:
    config = resolve_config(0.8)
    sh, sig = signatures([], config)
    assert sig.shape == (config.num_perm, 0) and len(sh.hashes) == 0 and list(sh.offsets) == [0]
