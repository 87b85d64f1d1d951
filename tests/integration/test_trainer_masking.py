"""Examples typed in the trainer console reach `data/nlu` with ID, phone and bank-card numbers masked (PIPL).

Lite system (one bridge, no Rasa server; the trainer's validation worker runs); it edits its own copy
of the project.
"""

from __future__ import annotations

from pathlib import Path

from tests.integration.systems import MultiHarness

ID, PHONE, CARD = "310101199003071234", "13812345678", "6222021234567890123"


async def test_trainer_typed_examples_are_stored_masked(lh: MultiHarness):
    username, _ = await lh.make_staff([], "trainer")
    token = await lh.staff_token(username)
    ask = Path(lh.system.cfg.extra_env["BANGBAN_TRAINER_ROOT"]) / "data/nlu/ask.yml"
    text = f"我的身份证{ID}手机{PHONE}卡号{CARD}补办要交多少钱"
    status, body = await lh.http("POST", "/api/v1/trainer/nlu/examples", token=token,
                                 json={"name": "ask_fees", "text": text})
    assert status == 200 and body["changed"], body
    stored = ask.read_text(encoding="utf-8")
    assert "    - 我的身份证310***********1234手机138****5678卡号***************0123补办要交多少钱\n" in stored
    # editing an example masks the new text too; the masked example is found by its raw or masked form
    status, body = await lh.http("PUT", "/api/v1/trainer/nlu/examples", token=token, json={
        "name": "ask_fees", "old": text, "text": f"电话{PHONE}补办要交多少钱"})
    assert status == 200 and body["changed"], body
    # a whole file written through the editor is masked as well
    status, body = await lh.http("GET", "/api/v1/trainer/files?path=data/nlu/ask.yml", token=token)
    assert status == 200
    edited = body["text"].replace("    - 电话138****5678补办要交多少钱\n", f"    - 身份证号{ID}补办收费吗\n")
    status, body = await lh.http("PUT", "/api/v1/trainer/files", token=token,
                                 json={"path": "data/nlu/ask.yml", "text": edited})
    assert status == 200 and body["changed"], body
    stored = ask.read_text(encoding="utf-8")
    assert "    - 身份证号310***********1234补办收费吗\n" in stored
    assert not any(s in stored for s in (ID, PHONE, CARD)), "unmasked number in data/nlu"
    # nor in the change history the console shows
    status, body = await lh.http("GET", "/api/v1/trainer/history?target=data/nlu/ask.yml", token=token)
    assert status == 200 and body["history"]
    assert not any(s in str(body["history"]) for s in (ID, PHONE, CARD))
