"""What a burst wrote, from the database's oplog: documents and index entries by `op:collection`.

Every insert or delete of a document also writes or removes one entry in each index of its
collection; the embedded database (secantusd-py) carries out an update as the removal of every
entry of the old document and the writing of every entry of the new one, so an update counts twice
its collection's indexes. Sparse and partial indexes are counted as if every document had their
fields (an upper bound). These counts do not depend on how busy the machine is.
"""

from __future__ import annotations

from collections import Counter

OPS = {"i": "insert", "u": "update", "d": "delete"}


async def last(client):
    """The timestamp of the newest oplog entry (None: empty)."""
    newest = await client.local["oplog.rs"].find({}, {"ts": 1}, sort=[("$natural", -1)], limit=1).to_list(None)
    return newest[0]["ts"] if newest else None


async def written(client, since) -> Counter:
    """Documents written since the oplog entry `since`, by (op, database, collection)."""
    out: Counter = Counter()
    query = {"ts": {"$gt": since}} if since is not None else {}
    async for e in client.local["oplog.rs"].find(query, {"op": 1, "ns": 1}):
        if e.get("op") in OPS and "." in e.get("ns", ""):
            db, coll = e["ns"].split(".", 1)
            out[(e["op"], db, coll)] += 1
    return out


async def report(client, counts: Counter, units: int, main_db: str) -> dict:
    """Documents and index entries per unit of work (those written at least once per ten units).

    Collections of `main_db` are named alone, others as `db.collection` (Rasa's tracker collection is
    also called `conversations`)."""
    indexes = {(db, coll): len(await client[db][coll].index_information()) for _, db, coll in counts}
    docs: dict[str, float] = {}
    entries: dict[str, float] = {}
    for (op, db, coll), n in sorted(counts.items(), key=lambda kv: -kv[1]):
        if n < units / 10:
            continue
        name = coll if db == main_db else f"{db}.{coll}"
        key = f"{op}:{name}"
        docs[key] = round(n / max(1, units), 2)
        entries[key] = round(n * indexes[(db, coll)] * (2 if op == "u" else 1) / max(1, units), 2)
    return {"documents": round(sum(docs.values()), 2), "documents_by_op_collection": docs,
            "index_entries": round(sum(entries.values()), 1), "index_entries_by_op_collection": entries,
            "indexes_per_collection": {coll if db == main_db else f"{db}.{coll}": n
                                       for (db, coll), n in sorted(indexes.items())}}
