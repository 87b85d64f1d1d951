"""Pure logic of the trainer console: NLU file edits, schema check, evaluation gate, ledger rules."""

from __future__ import annotations

import csv
import io

import pytest

from bridge.trainer import evaluation, ledger
from bridge.trainer.nlu_files import EditError, add_example, delete_example, edit_example, plain
from bridge.trainer.validate import nlu_problems, story_problems

NLU = """version: "3.1"
# a comment that must survive
nlu:
- intent: ask_fees
  examples: |
    - [居住证](matter)要钱吗
    - 办这个收费吗
- intent: greet
  examples: |
    - 你好
- synonym: residence-permit
  examples: |
    - 居住证
"""


def test_add_edit_delete_keep_the_rest_of_the_file() -> None:
    text = add_example(NLU, "intent", "ask_fees", "补办要交费吗")
    assert "# a comment that must survive" in text
    assert "    - 办这个收费吗\n    - 补办要交费吗\n- intent: greet" in text
    text = edit_example(text, "intent", "ask_fees", "补办要交费吗", "补办要交多少钱")
    assert "补办要交多少钱" in text and "补办要交费吗" not in text
    text = delete_example(text, "intent", "ask_fees", "补办要交多少钱")
    assert text == NLU
    assert "    - 暂住证" in add_example(NLU, "synonym", "residence-permit", "暂住证")


def test_edit_errors() -> None:
    with pytest.raises(EditError):
        add_example(NLU, "intent", "ask_fees", "办这个收费吗")  # duplicate
    with pytest.raises(EditError):
        add_example(NLU, "intent", "nope", "x")
    with pytest.raises(EditError):
        add_example(NLU, "intent", "ask_fees", "两行\n例句")
    with pytest.raises(EditError):
        delete_example(NLU, "intent", "greet", "你好")  # the last one


def test_schema_check() -> None:
    assert plain("[居住证](matter)要钱吗") == "居住证要钱吗"
    assert nlu_problems({"a.yml": NLU}, {"ask_fees", "greet"}, {"matter"}) == []
    dup = NLU.replace("    - 你好", "    - 办这个收费吗")
    assert any("同时出现在" in p for p in nlu_problems({"a.yml": dup}, {"ask_fees", "greet"}, {"matter"}))
    assert any("不在 domain.yml" in p for p in nlu_problems({"a.yml": NLU}, {"ask_fees"}, {"matter"}))
    assert any("YAML" in p for p in nlu_problems({"a.yml": "nlu: [\n"}, set(), set()))
    good = "rules:\n- rule: r\n  steps:\n  - intent: greet\n  - action: a\n"
    assert story_problems(good, "r.yml", "rules", "rule") == []
    assert story_problems("rules:\n- rule: r\n  steps: []\n", "r.yml", "rules", "rule")


def test_evaluation_gate() -> None:
    qs = [{"scope": "in_scope", "aspect": "fees"}, {"scope": "in_scope"}, {"scope": "chitchat"},
          {"scope": "request_human"}]
    assert evaluation.accuracy(qs, ["ask_fees", "ask_matter", "greet", "request_human"]) == 1.0
    assert evaluation.accuracy(qs, ["ask_matter", "greet", "greet", "request_human"]) == 0.5
    assert evaluation.gate(0.8, 0.8).passed and evaluation.gate(0.81, 0.8).passed
    # issue 19: the candidate's article accuracy may not drop below the live model's at all
    assert not evaluation.gate(0.78, 0.8).passed and "低于线上模型" in evaluation.gate(0.78, 0.8).reason
    assert not evaluation.gate(0.7, 0.8).passed
    assert not evaluation.gate(0.4, None).passed


def test_evaluation_gate_reads_a_drop_of_one_question_in_a_hundred_as_noise() -> None:
    """Session 8: on the go-live set (182 matter questions) one question more or less is noise; two are not,
    and a set under 100 questions tolerates nothing."""
    assert evaluation.noise(182) == 1 and evaluation.noise(250) == 2 and evaluation.noise(99) < 0
    live = 150 / 182
    one, two = evaluation.gate(149 / 182, live, asked=182), evaluation.gate(148 / 182, live, asked=182)
    assert one.passed and "少答对1题" in one.reason
    assert not two.passed and "低于线上模型" in two.reason
    assert not evaluation.gate(0.5, 1.0, asked=2).passed and not evaluation.gate(79 / 99, 80 / 99, asked=99).passed
    sample = [{"articles": ["a"]}, {"articles": []}, {"articles": ["b"], "scope": "chitchat"}]
    assert evaluation.matter_questions(sample) == 1


def test_ledger_transitions() -> None:
    entry = {"status": "open"}
    with pytest.raises(ledger.LedgerError):
        ledger.check_transition(entry, "rectifying", {})  # needs plan and owner
    ledger.check_transition(entry, "rectifying", {"plan": "改流程", "owner": "张三"})
    with pytest.raises(ledger.LedgerError):
        ledger.check_transition({"status": "rectifying"}, "closed", {})  # needs a result
    ledger.check_transition({"status": "rectifying"}, "closed", {"result": "已整改"})
    with pytest.raises(ledger.LedgerError):
        ledger.check_transition({"status": "rectifying"}, "open", {})
    assert ledger.can_move("closed", "rectifying")


def test_hotspots() -> None:
    convs = [{"_id": f"c{i}", "matter": "m1", "state": "closed", "resolved": i < 2} for i in range(5)]
    convs += [{"_id": "d1", "matter": "m2", "state": "closed", "resolved": True}]
    ratings = [{"conversation_id": "c0", "score": 1}, {"conversation_id": "d1", "score": 2}]
    spots = ledger.hotspots(convs, ratings, min_count=3)
    assert spots == [{"matter": "m1", "conversations": 5, "unresolved": 3, "bad_ratings": 1, "score": 4}]


def test_exports() -> None:
    doc = ledger.new_entry({"problem": "材料要求不一致", "matter": "m1", "source": "offline", "owner": "李四"},
                           {"id": "u", "name": "王"})
    rows = list(csv.reader(io.StringIO(ledger.to_csv([doc]).decode("utf-8-sig"))))
    assert rows[0][0] == "编号" and rows[1][1] == "材料要求不一致" and rows[1][4] == "线下帮办"
    from openpyxl import load_workbook

    ws = load_workbook(io.BytesIO(ledger.to_xlsx([doc]))).active
    assert ws["B2"].value == "材料要求不一致" and ws["K2"].value == "挂账"
