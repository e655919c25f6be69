"""Admin commands: users create/list/set-password, initialize-superuser, seed-labels."""

from __future__ import annotations

from sqlalchemy import func, select

from app.extensions import db
from app.models import Label, User
from tests.conftest import PASSWORD, login

GOOD = "a long enough passphrase"


def user_named(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def test_users_create_makes_a_user_who_can_log_in(app, runner, client):
    result = runner.invoke(
        args=["users", "create", "Jane@Example.com", "--password", GOOD, "--first-name", "Jane", "--last-name", "Doe"]
    )
    assert result.exit_code == 0, result.output
    assert "Created user jane@example.com" in result.output
    with app.app_context():
        user = user_named("jane@example.com")
        assert (user.first_name, user.last_name, user.is_admin) == ("Jane", "Doe", False)
        assert user.password_hash and GOOD not in user.password_hash
    api = login(client, "JANE@example.com", GOOD)
    assert api.get("/api/users/").get_json()["results"][0]["email"] == "jane@example.com"


def test_users_create_prompts_for_the_password(app, runner):
    result = runner.invoke(args=["users", "create", "p@example.com"], input=f"{GOOD}\n{GOOD}\n")
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert user_named("p@example.com").check_password(GOOD)


def test_users_create_admin(app, runner):
    assert runner.invoke(args=["users", "create", "root@example.com", "--password", GOOD, "--admin"]).exit_code == 0
    with app.app_context():
        assert user_named("root@example.com").is_admin


def test_users_create_refuses_a_duplicate_email_whatever_its_case(app, runner):
    runner.invoke(args=["users", "create", "dup@example.com", "--password", GOOD])
    result = runner.invoke(args=["users", "create", "DUP@example.com", "--password", GOOD])
    assert result.exit_code != 0
    assert "already exists" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_users_create_refuses_weak_and_empty_passwords_and_bad_emails(app, runner):
    for password in ("", "short", "12345678901", "password"):
        result = runner.invoke(args=["users", "create", "weak@example.com", "--password", password])
        assert result.exit_code != 0, password
    result = runner.invoke(args=["users", "create", "not-an-email", "--password", GOOD])
    assert result.exit_code != 0
    assert "not a valid e-mail" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_users_list_shows_every_user_with_flags(app, runner):
    runner.invoke(args=["users", "create", "b@example.com", "--password", GOOD, "--admin"])
    runner.invoke(args=["users", "create", "a@example.com", "--password", GOOD])
    result = runner.invoke(args=["users", "list"])
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("a@example.com")
    assert lines[1].startswith("b@example.com") and "[admin]" in lines[1]


def test_users_set_password_changes_the_login_password(app, runner, client, alice):
    result = runner.invoke(args=["users", "set-password", "ALICE@example.com", "--password", "another passphrase"])
    assert result.exit_code == 0, result.output
    login(client, alice.email, "another passphrase")
    old = client.post("/api/api-token-auth/", json={"username": alice.email, "password": PASSWORD})
    assert old.status_code == 401


def test_users_set_password_for_an_unknown_user_fails(app, runner):
    result = runner.invoke(args=["users", "set-password", "ghost@example.com", "--password", GOOD])
    assert result.exit_code != 0
    assert "No user" in result.output


def test_initialize_superuser_creates_the_admin_once(app, runner):
    app.config.update(SUPERUSER_EMAIL="Admin@Example.com", SUPERUSER_PASSWORD=GOOD)
    first = runner.invoke(args=["initialize-superuser"])
    second = runner.invoke(args=["initialize-superuser"])
    assert first.exit_code == 0 and "Created administrator admin@example.com" in first.output
    assert second.exit_code == 0 and "already exists" in second.output
    with app.app_context():
        assert user_named("admin@example.com").is_admin
        assert db.session.scalar(select(func.count()).select_from(User)) == 1


def test_initialize_superuser_without_settings_fails_clearly(app, runner):
    app.config.update(SUPERUSER_EMAIL=None, SUPERUSER_PASSWORD=None)
    result = runner.invoke(args=["initialize-superuser"])
    assert result.exit_code != 0
    assert "SUPERUSER_EMAIL" in result.output


def test_seed_labels_recreates_missing_global_labels_only(app, runner):
    with app.app_context():
        db.session.delete(db.session.scalar(select(Label).where(Label.text == "Archived")))
        db.session.commit()
    result = runner.invoke(args=["seed-labels"])
    assert result.exit_code == 0
    assert "Archived" in result.output
    assert "already exist" in runner.invoke(args=["seed-labels"]).output
    with app.app_context():
        texts = db.session.scalars(select(Label.text).where(Label.user_id.is_(None))).all()
        assert sorted(texts) == ["Applied", "Archived", "Interviewing", "Target"]


def test_every_command_has_help(runner):
    for args in (
        ["users", "--help"],
        ["users", "create", "--help"],
        ["users", "list", "--help"],
        ["users", "set-password", "--help"],
        ["initialize-superuser", "--help"],
        ["seed-labels", "--help"],
    ):
        result = runner.invoke(args=args)
        assert result.exit_code == 0, args
        assert "Usage:" in result.output
