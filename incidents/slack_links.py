"""Who a Slack user is in PixelView: an explicit link, or the same e-mail address.

An explicit link is a person's contact method of kind `slack` whose address is their Slack user
id (`POST /api/v1/users/{id}/contact-methods`, the same record that lets PixelView page them in
Slack). Without one, the Slack profile's e-mail address (the bot reads it with `users.info`)
is matched against the users' addresses. A Slack user who is neither linked nor matched, or is
linked to several people, is unknown: they may read, never act.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlmodel import Session, col

from core.errors import Conflict
from incidents.models.notification import ChannelKind, ContactMethod
from incidents.models.people import User


def linked_user(session: Session, slack_user_id: str) -> User | None:
    """The active user whose Slack contact method is `slack_user_id`, or None.

    Raises:
        Conflict: the Slack user is linked to more than one active user.
    """
    users = list(
        session.scalars(
            select(User)
            .join(ContactMethod, col(ContactMethod.user_id) == col(User.id))
            .where(
                col(ContactMethod.kind) == ChannelKind.SLACK.value,
                col(ContactMethod.address) == slack_user_id,
                col(User.active).is_(True),
            )
            .distinct()
        )
    )
    if len(users) > 1:
        names = ", ".join(sorted(u.email for u in users))
        raise Conflict(f"Slack user {slack_user_id} is linked to several PixelView users: {names}")
    return users[0] if users else None


def user_by_email(session: Session, email: str) -> User | None:
    """The active user with this e-mail address (case does not matter), or None."""
    user = session.scalars(
        select(User).where(func.lower(col(User.email)) == email.strip().lower())
    ).first()
    return user if user is not None and user.active else None


def slack_ids(session: Session, user_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, str]:
    """The Slack user id of each of these users that has one (the first they added)."""
    wanted = list(set(user_ids))
    if not wanted:
        return {}
    found: dict[uuid.UUID, str] = {}
    for method in session.scalars(
        select(ContactMethod)
        .where(
            col(ContactMethod.user_id).in_(wanted),
            col(ContactMethod.kind) == ChannelKind.SLACK.value,
        )
        .order_by(col(ContactMethod.created_at))
    ):
        found.setdefault(method.user_id, method.address)
    return found
