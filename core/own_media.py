"""Files of a staff member's own, stored without a conversation (photos of problems met offline).

The media store keys every file by a conversation; an own file takes the key `own:<uploader id>` instead,
so it is scoped to its uploader (and to the ledger entries that cite it), never to a conversation.
"""

from __future__ import annotations

FORM_VALUE = "own"  # the upload form's conversation_id that asks for an own file
PREFIX = "own:"


def own_key(uploader_id: str) -> str:
    """The conversation key of `uploader_id`'s own files."""
    return PREFIX + uploader_id


def owner_of(conversation_key: str | None) -> str | None:
    """The uploader of an own file's key, None for a conversation's file."""
    if conversation_key and conversation_key.startswith(PREFIX):
        return conversation_key[len(PREFIX):]
    return None
