"""Every Flask extension, created unbound; `create_app` binds them to an app."""

from flask_cors import CORS
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from app.models.base import Base
from app.ratelimits import DEFAULT_LIMITS

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
cors = CORS()
csrf = CSRFProtect()  # checked by the /account/ pages alone (WTF_CSRF_CHECK_DEFAULT is off)
limiter = Limiter(key_func=get_remote_address, default_limits=DEFAULT_LIMITS)
