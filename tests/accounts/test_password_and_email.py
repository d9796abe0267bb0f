from http import HTTPStatus

from django.core import mail
from django.urls import reverse

from allauth.account.models import EmailAddress

from accounts.models import User
from tests.accounts.helpers import last_email_to, link_in, reauthenticate, signed_in_user_id

LOGIN_URL = "/account/login/"
NEW_PASSWORD = "a-fresh-and-unusual-passphrase"
TOO_MANY = "Too many failed login attempts. Try again later."


def sign_in(client, email, password):
    return client.post(LOGIN_URL, {"login": email, "password": password})


# --- Password reset ---------------------------------------------------------------------------------------------------


def test_password_reset_link_sets_a_new_password(client, verified_learner, password):
    response = client.post("/account/password/reset/", {"email": "learner@example.org"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_reset_password_done")

    reset_path = link_in(last_email_to("learner@example.org"), "/account/password/reset/key/")
    # allauth swaps the key in the link for a session-held one before showing the form.
    form_page = client.get(reset_path, follow=True)
    assert form_page.status_code == HTTPStatus.OK
    assert 'name="password1"' in form_page.content.decode()
    set_password_path = form_page.redirect_chain[-1][0]

    done = client.post(set_password_path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == HTTPStatus.FOUND
    assert done.url == reverse("account_reset_password_from_key_done")

    verified_learner.refresh_from_db()
    assert verified_learner.check_password(NEW_PASSWORD)
    assert sign_in(client, "learner@example.org", password).status_code == HTTPStatus.OK
    assert signed_in_user_id(client) is None
    assert sign_in(client, "learner@example.org", NEW_PASSWORD).status_code == HTTPStatus.FOUND
    assert signed_in_user_id(client) == verified_learner.pk


def reset_password_by_link(client, email):
    client.post("/account/password/reset/", {"email": email})
    form_page = client.get(link_in(last_email_to(email), "/account/password/reset/key/"), follow=True)
    done = client.post(form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert done.status_code == HTTPStatus.FOUND


def test_password_reset_link_confirms_an_only_address(client, db):
    """Following the emailed link proves the mailbox, as the confirmation link would; then signing in just works."""
    user = User.objects.create_user(email="invited@nhs.net", password=None, full_name="Ivy Invited")
    EmailAddress.objects.create(user=user, email="invited@nhs.net", primary=True, verified=False)

    reset_password_by_link(client, "invited@nhs.net")

    assert EmailAddress.objects.get(user=user).verified
    response = sign_in(client, "invited@nhs.net", NEW_PASSWORD)
    assert signed_in_user_id(client) == user.pk, response


def test_password_reset_link_confirms_nothing_when_there_are_several_addresses(client, db):
    user = User.objects.create_user(email="two@example.org", password=None, full_name="Tam Two")
    EmailAddress.objects.create(user=user, email="two@example.org", primary=True, verified=False)
    EmailAddress.objects.create(user=user, email="two@nhs.net", primary=False, verified=False)

    reset_password_by_link(client, "two@example.org")

    assert not EmailAddress.objects.filter(user=user, verified=True).exists()


def test_password_reset_link_works_only_once(client, verified_learner):
    client.post("/account/password/reset/", {"email": "learner@example.org"})
    reset_path = link_in(last_email_to("learner@example.org"), "/account/password/reset/key/")
    form_page = client.get(reset_path, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    again = client.get(reset_path, follow=True)

    assert again.status_code == HTTPStatus.OK
    assert again.context["token_fail"]
    assert 'name="password1"' not in again.content.decode()
    assert f'href="{reverse("account_reset_password")}"' in again.content.decode()


def test_password_reset_for_an_unknown_address_reveals_nothing(client, db):
    response = client.post("/account/password/reset/", {"email": "nobody@example.org"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_reset_password_done")
    # ACCOUNT_EMAIL_UNKNOWN_ACCOUNTS: the address is told no account exists; there is no reset link.
    assert all("/account/password/reset/key/" not in message.body for message in mail.outbox)


# --- Changing email address -------------------------------------------------------------------------------------------


def test_change_of_email_takes_effect_once_the_new_address_is_verified(client, verified_learner, password):
    client.force_login(verified_learner)
    reauthenticate(client, password)  # changing email asks for the password again

    response = client.post("/account/email/", {"action_add": "", "email": "alex.new@example.org"})
    assert response.status_code == HTTPStatus.FOUND

    # Until the new address is confirmed, the old one stays the sign-in address.
    verified_learner.refresh_from_db()
    assert verified_learner.email == "learner@example.org"
    pending = EmailAddress.objects.get(email="alex.new@example.org")
    assert not pending.verified
    assert "alex.new@example.org" in client.get("/account/email/").content.decode()

    confirm_path = link_in(last_email_to("alex.new@example.org"), "/account/confirm-email/")
    assert client.get(confirm_path).status_code == HTTPStatus.OK
    assert client.post(confirm_path).status_code == HTTPStatus.FOUND

    verified_learner.refresh_from_db()
    assert verified_learner.email == "alex.new@example.org"
    assert list(EmailAddress.objects.filter(user=verified_learner).values_list("email", "verified", "primary")) == [
        ("alex.new@example.org", True, True)
    ]
    client.logout()
    assert sign_in(client, "learner@example.org", password).status_code == HTTPStatus.OK
    assert signed_in_user_id(client) is None
    assert sign_in(client, "alex.new@example.org", password).status_code == HTTPStatus.FOUND
    assert signed_in_user_id(client) == verified_learner.pk


def test_cannot_take_over_an_address_someone_else_uses(client, verified_learner, password):
    other = User.objects.create_user(email="taken@example.org", password="x-irrelevant-x", full_name="Other Person")
    EmailAddress.objects.create(user=other, email=other.email, verified=True, primary=True)
    client.force_login(verified_learner)
    reauthenticate(client, password)

    # allauth prevents enumeration: the request looks accepted, and the confirmation goes to the address's owner.
    response = client.post("/account/email/", {"action_add": "", "email": "taken@example.org"})
    assert response.status_code == HTTPStatus.FOUND
    confirm_path = link_in(last_email_to("taken@example.org"), "/account/confirm-email/")
    client.post(confirm_path)

    verified_learner.refresh_from_db()
    assert verified_learner.email == "learner@example.org"
    assert not EmailAddress.objects.filter(user=verified_learner, email="taken@example.org", verified=True).exists()
    assert EmailAddress.objects.get(user=other).verified
    client.logout()
    assert sign_in(client, "taken@example.org", password).status_code == HTTPStatus.OK
    assert signed_in_user_id(client) is None


def test_email_page_requires_sign_in(client, db):
    response = client.get("/account/email/")

    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(f"{reverse('account_login')}?next=")


# --- Rate limit on failed sign-ins ------------------------------------------------------------------------------------


def test_repeated_wrong_passwords_lock_out_that_address(client, verified_learner, password):
    for _attempt in range(5):
        response = sign_in(client, "learner@example.org", "wrong-password")
        assert response.status_code == HTTPStatus.OK
        assert TOO_MANY not in response.content.decode()

    blocked = sign_in(client, "learner@example.org", "wrong-password")
    assert blocked.status_code == HTTPStatus.OK
    assert TOO_MANY in blocked.content.decode()

    # Even the right password is refused while the limit lasts.
    with_right_password = sign_in(client, "learner@example.org", password)
    assert with_right_password.status_code == HTTPStatus.OK
    assert TOO_MANY in with_right_password.content.decode()
    assert signed_in_user_id(client) is None


def test_lock_out_is_per_address(client, verified_learner, password):
    for _attempt in range(6):
        sign_in(client, "someone.else@example.org", "wrong-password")

    response = sign_in(client, "learner@example.org", password)

    assert response.status_code == HTTPStatus.FOUND
    assert signed_in_user_id(client) == verified_learner.pk


def test_rate_limit_does_not_leak_between_tests(client, verified_learner, password):
    """Runs after the lock-out test above: the cache-clearing fixture must have reset the counter."""
    response = sign_in(client, "learner@example.org", password)

    assert response.status_code == HTTPStatus.FOUND
    assert signed_in_user_id(client) == verified_learner.pk
