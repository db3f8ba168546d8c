"""Flask extensions, created unbound; create_app() calls init_app on each."""
from flask import request
from flask_babel import Babel
from flask_caching import Cache
from flask_limiter import Limiter
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect


def client_ip() -> str:
    """The client address; ProxyFix (PROXY_HOPS) decides whether X-Forwarded-For is believed."""
    return request.remote_addr or "unknown"


babel = Babel()
cache = Cache()  # the page cache's backend (core/pagecache.py)
csrf = CSRFProtect()
login_manager = LoginManager()
migrate = Migrate()
limiter = Limiter(key_func=client_ip, default_limits=[], headers_enabled=False)
