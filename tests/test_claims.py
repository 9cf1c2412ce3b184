"""The chapters' claim checker: a failing claim raises where asserted, is recorded where not."""

from __future__ import annotations

import math

import pytest

from gft.experiments import ClaimFailed, Claims


def test_a_failing_claim_raises_with_its_numbers_at_an_asserting_preset():
    claims = Claims("book")
    claims.check("GFT-r beats RFF tenfold", 1e-4, "<", 2e-3)
    with pytest.raises(ClaimFailed, match=r"tenfold.*'book'.*measured 0\.005.*< 0\.002"):
        claims.check("GFT-r beats RFF tenfold", 5e-3, "<", 2e-3)
    assert isinstance(ClaimFailed("x"), AssertionError)  # a notebook cell fails like an assert


def test_smoke_records_a_failing_claim_without_raising():
    claims = Claims("smoke")
    assert not claims.asserted
    claims.check("count", 3, ">=", 3)
    claims.check("ratio", 0.5, ">", 1.0)
    frame = claims.frame()
    assert frame["held"].tolist() == [True, False]
    assert not claims.all_held
    html = claims.table().to_html()
    assert "not asserted" in html and "smoke" in html


def test_nan_measurement_is_a_failure_and_nan_threshold_an_error():
    with pytest.raises(ClaimFailed):
        Claims("book").check("finite", math.nan, "<", 1.0)
    with pytest.raises(ValueError, match="NaN"):
        Claims("book").check("bad threshold", 1.0, "<", math.nan)
    with pytest.raises(ValueError, match="relation"):
        Claims("book").check("bad relation", 1.0, "==", 1.0)


def test_margin_is_the_factor_inside_the_threshold():
    claims = Claims("smoke")
    claims.check("below", 2.0, "<", 10.0)     # 5x inside
    claims.check("above", 30.0, ">", 10.0)    # 3x inside
    claims.check("failed above", 5.0, ">", 10.0)
    claims.check("count against zero", 3, ">", 0)
    margins = claims.frame()["margin"].tolist()
    assert margins[:3] == pytest.approx([5.0, 3.0, 0.5])
    assert math.isnan(margins[3])


def test_boundaries_follow_the_relation():
    claims = Claims("book")
    claims.check("at most", 1.0, "<=", 1.0)
    claims.check("at least", 1.0, ">=", 1.0)
    assert claims.frame()["held"].tolist() == [True, True]
    with pytest.raises(ClaimFailed):
        claims.check("strictly below", 1.0, "<", 1.0)


def test_record_appends_every_run_to_one_csv(tmp_path):
    import pandas as pd

    path = tmp_path / "claims.csv"
    for seed, value in ((0, 1.0), (1, 3.0)):
        claims = Claims("smoke", record=path, label=f"seed={seed}")
        claims.check("below two", value, "<", 2.0)
        claims.table()
    df = pd.read_csv(path)
    assert df["label"].tolist() == ["seed=0", "seed=1"]
    assert df["held"].tolist() == [True, False]
    assert df["margin"].tolist() == pytest.approx([2.0, 2 / 3])


def test_start_chapter_seeds_every_generator_and_passes_the_parameters_on(tmp_path):
    import random

    import numpy as np
    import torch

    from gft.experiments import start_chapter

    def draws():
        return random.random(), float(np.random.rand()), float(torch.rand(()))

    start_chapter("book", 7)
    first = draws()
    claims = start_chapter("book", 7, assert_claims=False, claims_file=tmp_path / "c.csv")
    assert draws() == first
    start_chapter("book", 8)
    assert draws() != first
    assert not claims.asserted and claims.record == tmp_path / "c.csv"
    assert start_chapter("book", 0).asserted and not start_chapter("smoke", 0).asserted
