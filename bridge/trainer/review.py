"""Conversation review (对话回顾): trainers read real bot conversations and turn them into training data.

A trainer claims a conversation before acting on it (a guarded write in `conv_reviews`, whose `_id`
is the conversation id), so two trainers do not review the same one; a claim older than
`CLAIM_STALE` may be taken over. From a turn the trainer can write a reviewed NLU example (intent and
matter corrected, masked) through the NLU edit service, file a draft for the knowledge base (the
drafts review queue), or save the exchange as a Rasa test story.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from typing import Any

from pymongo.errors import DuplicateKeyError

from bridge.domain.auth import Principal
from bridge.trainer import history, project, review_turns
from bridge.trainer.nlu_files import add_example, check_example
from bridge.trainer.nlu_service import NluService
from core.catalogue import Catalogue
from core.clock import iso, now
from core.errors import ApiError
from core.pii import mask_pii

CLAIM_STALE = dt.timedelta(minutes=30)
SCAN = 300  # conversations read per listing (newest first)
SHOWN = 100
_STORIES_LOCK = asyncio.Lock()


def _who(p: Principal) -> dict[str, str]:
    return {"id": p.id, "name": p.name}


def review_wire(doc: dict[str, Any] | None) -> dict[str, Any] | None:
    if not doc:
        return None
    return {"status": doc["status"], "by": doc.get("by"), "at": iso(doc.get("at")),
            "actions": doc.get("actions", [])}


class ReviewService:
    def __init__(self, store, catalogue: Catalogue, nlu: NluService) -> None:
        self.store = store
        self.catalogue = catalogue
        self.nlu = nlu

    async def list(self, scope: dict[str, Any], since: dt.datetime | None, until: dt.datetime | None,
                   matter: str | None, outcome: str | None) -> list[dict[str, Any]]:
        """Bot conversations of the period (newest first) with their outcomes, filtered."""
        q: dict[str, Any] = {**scope}
        if since or until:
            q["created_at"] = {**({"$gte": since} if since else {}), **({"$lt": until} if until else {})}
        if matter:
            q["matter"] = matter
        convs = await self.store.conversations.find(q, sort=[("created_at", -1)], limit=SCAN).to_list(None)
        ids = [c["_id"] for c in convs]
        msgs: dict[str, list[dict]] = {i: [] for i in ids}
        async for m in self.store.messages.find({"conversation_id": {"$in": ids},
                                                 "sender.role": {"$in": ["user", "bot"]}}, sort=[("seq", 1)]):
            msgs[m["conversation_id"]].append(m)
        ratings = {r["conversation_id"]: r for r in await self.store.ratings.find(
            {"conversation_id": {"$in": ids}, "target": "bot"}).to_list(None)}
        open_q = set(await self.store.unanswered.distinct("conversations", {"conversations": {"$in": ids}}))
        reviews = {r["_id"]: r for r in await self.store.conv_reviews.find({"_id": {"$in": ids}}).to_list(None)}
        out = []
        for c in convs:
            conv_turns = review_turns.turns(msgs[c["_id"]])
            if not any(t["answers"] for t in conv_turns):
                continue  # never reached the bot
            found = review_turns.outcomes(c, conv_turns, ratings.get(c["_id"]), c["_id"] in open_q)
            if outcome and outcome not in found:
                continue
            out.append({"id": c["_id"], "created_at": iso(c.get("created_at")), "matter": c.get("matter"),
                        "channel": c.get("channel"), "state": c.get("state"), "question": conv_turns[0]["text"],
                        "turns": len(conv_turns), "outcomes": found, "review": review_wire(reviews.get(c["_id"]))})
            if len(out) >= SHOWN:
                break
        return out

    async def detail(self, conv: dict[str, Any]) -> dict[str, Any]:
        """One conversation's turns (masked), its outcomes, rating and review state."""
        cid = conv["_id"]
        msgs = await self.store.messages.find({"conversation_id": cid, "sender.role": {"$in": ["user", "bot"]}},
                                              sort=[("seq", 1)]).to_list(None)
        conv_turns = review_turns.turns(msgs)
        rating = await self.store.ratings.find_one({"conversation_id": cid, "target": "bot"})
        unanswered = await self.store.unanswered.count_documents({"conversations": cid}, limit=1) > 0
        return {"id": cid, "created_at": iso(conv.get("created_at")), "matter": conv.get("matter"),
                "state": conv.get("state"), "turns": conv_turns,
                "outcomes": review_turns.outcomes(conv, conv_turns, rating, unanswered),
                "rating": {"score": rating.get("score"), "resolved": rating.get("resolved")} if rating else None,
                "review": review_wire(await self.store.conv_reviews.find_one({"_id": cid}))}

    async def claim(self, cid: str, who: Principal) -> dict[str, Any]:
        """Claim a conversation for review; 409 while another trainer's claim is fresh."""
        t = now()
        doc = {"_id": cid, "status": "claimed", "by": _who(who), "at": t, "actions": []}
        try:
            await self.store.conv_reviews.insert_one(doc)
            return review_wire(doc) or {}
        except DuplicateKeyError:
            pass
        cur = await self.store.conv_reviews.find_one({"_id": cid}) or {}
        if (cur.get("by") or {}).get("id") == who.id:
            return review_wire(cur) or {}
        if cur.get("status") == "claimed" and cur.get("at") and cur["at"] < t - CLAIM_STALE:
            res = await self.store.conv_reviews.update_one(
                {"_id": cid, "status": "claimed", "at": cur["at"]}, {"$set": {"by": _who(who), "at": t}})
            if res.modified_count == 1:
                return review_wire({**cur, "by": _who(who), "at": t}) or {}
        raise ApiError(409, "already_claimed", f"该会话已由{(cur.get('by') or {}).get('name', '其他训练师')}回顾。")

    async def finish(self, cid: str, who: Principal) -> dict[str, Any]:
        """Mark the caller's claim as reviewed."""
        res = await self.store.conv_reviews.find_one_and_update(
            {"_id": cid, "by.id": who.id}, {"$set": {"status": "done", "done_at": now()}}, return_document=True)
        if res is None:
            raise ApiError(409, "not_claimed", "请先认领该会话再操作。")
        return review_wire(res) or {}

    async def _mine(self, cid: str, who: Principal) -> None:
        if await self.store.conv_reviews.count_documents({"_id": cid, "by.id": who.id}, limit=1) == 0:
            raise ApiError(409, "not_claimed", "请先认领该会话再操作。")

    async def _note(self, cid: str, action: dict[str, Any]) -> None:
        await self.store.conv_reviews.update_one({"_id": cid}, {"$push": {"actions": {**action, "at": iso(now())}}})

    @staticmethod
    def turn_of(detail: dict[str, Any], seq: int) -> dict[str, Any]:
        turn = next((t for t in detail["turns"] if t["seq"] == seq), None)
        if turn is None:
            raise ApiError(404, "not_found", "没有这一轮对话。")
        return turn

    async def correct(self, conv: dict, seq: int, who: Principal, intent: str, matter: str | None,
                      phrase: str | None) -> dict[str, Any]:
        """A reviewed NLU example of the turn: its (masked) text under `intent`, `phrase` marking `matter`."""
        await self._mine(conv["_id"], who)
        turn = self.turn_of(await self.detail(conv), seq)
        text = check_example(turn["text"])
        if matter and matter not in self.catalogue.matters:
            raise ApiError(400, "unknown_matter")
        phrase = mask_pii(phrase or "").strip()
        if matter and (not review_turns.PHRASE_RE.match(phrase) or phrase not in text):
            raise ApiError(400, "invalid_payload", "请填写问题中指明事项的词（须出现在问题里，2至30个字）。")
        example = review_turns.annotated(text, phrase, matter) if matter else text
        relpath = self.nlu.locate("intent", intent)

        def edit(before: str) -> str:
            after = add_example(before, "intent", intent, example)
            return review_turns.with_lookup(after, phrase) if matter else after

        res = await self.nlu.change(who, relpath, edit, "nlu_add", f"对话回顾：意图 {intent} 新增例句：{example}",
                                    {"kind": "intent", "name": intent, "example": example, "conversation": conv["_id"]})
        if res.get("changed"):
            await self._note(conv["_id"], {"kind": "nlu", "seq": seq, "intent": intent, "matter": matter,
                                            "example": example, "by": _who(who)})
        return {**res, "example": example, "file": relpath}

    async def wrong_answer(self, conv: dict, seq: int, who: Principal, article_id: str | None,
                           answer: str | None) -> dict[str, Any]:
        """A pending KB draft from a wrongly answered turn: the right article picked, or an answer written."""
        await self._mine(conv["_id"], who)
        turn = self.turn_of(await self.detail(conv), seq)
        article = await self.store.kb_articles.find_one({"_id": article_id}) if article_id else None
        if article_id and article is None:
            raise ApiError(404, "not_found", "没有这篇文章。")
        if not (article or (answer or "").strip()):
            raise ApiError(400, "invalid_payload", "请选择正确的文章或填写答复草稿。")
        matter = (article or {}).get("matter") or turn["understood"].get("matter") or conv.get("matter")
        draft = {"_id": uuid.uuid4().hex, "status": "pending", "matter": matter,
                 "department": self.catalogue.route(matter if matter in self.catalogue.matters else None),
                 "question": turn["text"], "answer": mask_pii((answer or "").strip() or article["answer"]),
                 "agent_answers": turn["answers"][:5], "conversation_id": conv["_id"], "agent": _who(who),
                 "article_id": article_id, "source": "review", "wrong_article": turn["understood"].get("kb_article"),
                 "created_at": now()}
        await self.store.kb_drafts.insert_one(draft)
        await self._note(conv["_id"], {"kind": "draft", "seq": seq, "draft": draft["_id"], "by": _who(who)})
        return draft

    async def save_test(self, conv: dict, seqs: list[int], who: Principal,
                        intents: dict[int, str]) -> dict[str, Any]:
        """The turns `seqs` as a Rasa test story in `data/test_stories/reviewed.yml` (intents corrected)."""
        await self._mine(conv["_id"], who)
        detail = await self.detail(conv)
        root = project.project_root()
        actions = review_turns.intent_actions((root / project.RULES).read_text(encoding="utf-8"))
        steps = []
        for seq in seqs:
            turn = self.turn_of(detail, seq)
            intent = intents.get(seq) or turn["understood"].get("intent")
            if not intent or intent not in actions:
                raise ApiError(400, "invalid_payload", f"第{seq}条没有可用的意图，请先指定。")
            steps.append((check_example(turn["text"]), intent, actions[intent]))
        story = review_turns.test_story(review_turns.story_name(conv["_id"], seqs), steps)
        path = root / review_turns.TEST_STORIES
        async with _STORIES_LOCK:
            path.parent.mkdir(parents=True, exist_ok=True)
            before = path.read_text(encoding="utf-8") if path.exists() else ""
            after = review_turns.with_test_story(before, story)
            project.write_atomic(path, after)
        await history.record(self.store, who, "test_story", review_turns.TEST_STORIES,
                             f"对话回顾：保存测试对话 {story['story']}", {review_turns.TEST_STORIES: (before, after)},
                             {"conversation": conv["_id"]})
        await self._note(conv["_id"], {"kind": "test", "seqs": seqs, "story": story["story"], "by": _who(who)})
        return {"file": review_turns.TEST_STORIES, "story": story}
