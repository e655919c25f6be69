"""Authentication: JWT access/refresh tokens, local and Google sign-in, the Flask-Login request loader."""
