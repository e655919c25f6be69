"""Password policy, shared by the CLI and the password-change endpoint."""

from __future__ import annotations

MIN_LENGTH = 8
COMMON_PASSWORDS = frozenset(
    {
        "password",
        "password1",
        "12345678",
        "123456789",
        "1234567890",
        "qwertyui",
        "qwerty123",
        "iloveyou",
        "11111111",
        "00000000",
        "abcdefgh",
        "letmein1",
        "welcome1",
        "admin123",
    }
)


def password_problems(password: str, email: str = "") -> list[str]:
    """Why `password` is too weak; an empty list when it is acceptable."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"The password must be at least {MIN_LENGTH} characters long.")
    if password.isdigit():
        problems.append("The password cannot be entirely numeric.")
    if password.lower() in COMMON_PASSWORDS:
        problems.append("The password is too common.")
    if email and password.lower() == email.lower():
        problems.append("The password cannot be the e-mail address.")
    return problems
