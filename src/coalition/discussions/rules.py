"""Pure rules of discussions: mentions in a body, replies arranged under the messages they
answer (as a reader sees them), and the plain-text export."""

from __future__ import annotations

import re
import uuid
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

from coalition.discussions.schemas import MessageOut

#: '@' and an e-mail address, not inside a longer word or address: "ask @bob@uksl.example."
MENTION = re.compile(
    r"(?<![\w@.+-])@([a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b",
    re.IGNORECASE,
)


def mentioned(body: str, listed: Sequence[str] = ()) -> list[str]:
    """The e-mail addresses mentioned in ``body`` and ``listed``, lower case, each once, in
    the order they first appear."""
    found = [m.lower() for m in MENTION.findall(body)]
    return list(dict.fromkeys([*(e.strip().lower() for e in listed), *found]))


def nearest_visible(
    parents: Mapping[uuid.UUID, uuid.UUID | None], visible: Collection[uuid.UUID]
) -> dict[uuid.UUID, uuid.UUID | None]:
    """For each visible message, the nearest message above it that is visible too: a reply
    to a message the reader may not see hangs under what they do see, and the hidden one's
    id is never shown."""
    out: dict[uuid.UUID, uuid.UUID | None] = {}
    for message in visible:
        up = parents.get(message)
        walked: set[uuid.UUID] = set()
        while up is not None and up not in visible and up not in walked:
            walked.add(up)
            up = parents.get(up)
        out[message] = up
    return out


def threaded(
    order: Sequence[uuid.UUID], parents: Mapping[uuid.UUID, uuid.UUID | None]
) -> list[tuple[uuid.UUID, int]]:
    """The messages depth first, each followed by its replies in ``order``, with its depth
    (0 at the top of the thread)."""
    known = set(order)
    children: dict[uuid.UUID | None, list[uuid.UUID]] = defaultdict(list)
    for message in order:
        parent = parents.get(message)
        children[parent if parent in known else None].append(message)
    out: list[tuple[uuid.UUID, int]] = []
    stack = [(m, 0) for m in reversed(children[None])]
    while stack:
        message, depth = stack.pop()
        out.append((message, depth))
        stack.extend((c, depth + 1) for c in reversed(children[message]))
    return out


def mention_title(author: str, project_code: str) -> str:
    """The notice of a mention: never the message's words nor the thread's title, which
    can carry what its label protects (caveats, export controls, a restricted level) and
    notices also go out by e-mail. The reader follows the link to see them."""
    return f"{author} mentioned you in a discussion on {project_code}"


def export_text(
    *,
    title: str,
    thread_banner: str,
    subject: str,
    highest_banner: str,
    exported_at: datetime,
    exported_by: str,
    messages: Sequence[MessageOut],
) -> str:
    """The thread as plain text for the record: the highest label at the top and bottom,
    each message's banner line above its body, replies numbered after what they answer."""
    numbers = {m.id: n for n, m in enumerate(messages, start=1)}
    lines = [
        highest_banner,
        "",
        f"Discussion: {title}",
        f"Thread label: {thread_banner}",
        f"Subject: {subject}",
        f"Highest label of this export: {highest_banner}",
        f"Exported {exported_at:%Y-%m-%d %H:%M} UTC by {exported_by}: {len(messages)} "
        "message(s), those the reader may see.",
    ]
    for message in messages:
        answering = (
            f", in reply to #{numbers[message.parent_id]}" if message.parent_id in numbers else ""
        )
        lines += [
            "",
            message.label.banner,
            f"#{numbers[message.id]} {message.author} ({message.author_organisation}), "
            f"{message.created_at:%Y-%m-%d %H:%M} UTC{answering}",
            message.body,
        ]
        lines += [f"Attached: {a.reference} {a.title} [{a.banner}]" for a in message.attachments]
        lines.append(message.label.banner)
    lines += ["", highest_banner]
    return "\n".join(lines) + "\n"
