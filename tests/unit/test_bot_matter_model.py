"""The matter model (session 9): naive Bayes plus a numpy logistic regression, tempered, and its calibration."""

from __future__ import annotations

import numpy as np

from bench.matter_calibration import threshold
from bot.actions import softmax_regression
from bot.actions.matter_model import MatterModel


def test_the_logistic_regression_learns_which_features_tell_classes_apart():
    # feature 0 is shared by both classes, 1 and 2 each tell one class
    rows = [[0, 1], [0, 1], [1], [0, 2], [0, 2], [2]] * 20
    labels = [0, 0, 0, 1, 1, 1] * 20
    w, b = softmax_regression.train(rows, labels, 3, 2)
    assert softmax_regression.logits(w, b, [0, 1]).argmax() == 0
    assert softmax_regression.logits(w, b, [0, 2]).argmax() == 1
    shared = softmax_regression.logits(w, b, [0])
    assert abs(shared[0] - shared[1]) < abs(np.diff(softmax_regression.logits(w, b, [1]))[0])


def test_the_model_is_the_same_for_the_same_texts_and_weighs_the_telling_words():
    pairs = [("loan", "公积金贷款买房"), ("loan", "公积金贷款额度多少"), ("loan", "公积金贷款利率"),
             ("withdrawal", "提取公积金还房贷"), ("withdrawal", "公积金提取租房"), ("withdrawal", "公积金取出来")]
    a, b = MatterModel(pairs), MatterModel(pairs)
    assert a.posterior("公积金取出来还房贷") == b.posterior("公积金取出来还房贷")
    assert a.posterior("公积金取出来还房贷")[0][0] == "withdrawal"
    assert a.posterior("公积金贷款能贷多少")[0][0] == "loan"


def test_a_higher_temperature_makes_the_model_less_sure_without_changing_its_order():
    pairs = [("a", "社保卡补办"), ("a", "社保卡丢了"), ("b", "医保报销"), ("b", "医保卡看病报销")]
    hot, cold = MatterModel(pairs, temperature=4.0), MatterModel(pairs, temperature=1.0)
    assert [m for m, _ in hot.posterior("社保卡丢了看病")] == [m for m, _ in cold.posterior("社保卡丢了看病")]
    assert hot.posterior("社保卡丢了看病")[0][1] < cold.posterior("社保卡丢了看病")[0][1]


def test_a_threshold_is_where_the_precision_of_all_above_it_still_meets_the_target():
    conf = np.array([0.99, 0.95, 0.9, 0.8, 0.7, 0.6])
    right = np.array([1, 1, 1, 0, 1, 0], dtype=float)
    assert threshold(conf, right, 0.8) == 0.7  # 4 of 5 down to 0.7
    assert threshold(conf, right, 1.0) == 0.9
    assert threshold(conf, right[::-1] * 0, 0.5) == 1.0  # never met: names nothing
