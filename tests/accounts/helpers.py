"""Small helpers shared by the account tests."""

import re

from django.core import mail


def link_in(message, path_prefix):
    """The first link in an email whose path starts with path_prefix, as a path the test client can open."""
    match = re.search(rf"https?://[^/\s]+({re.escape(path_prefix)}\S*)", message.body)
    assert match, f"No {path_prefix} link in: {message.body}"
    return match.group(1)


def last_email_to(address):
    sent = [message for message in mail.outbox if address in message.to]
    assert sent, f"No email to {address}"
    return sent[-1]


def signed_in_user_id(client):
    """The id of the user the client's session is signed in as, or None."""
    user_id = client.session.get("_auth_user_id")
    return int(user_id) if user_id else None


def reauthenticate(client, password):
    """Enter the password again, as allauth asks before changing email or closing an account."""
    response = client.post("/account/reauthenticate/", {"password": password})
    assert response.status_code == 302, response.content
    return response
