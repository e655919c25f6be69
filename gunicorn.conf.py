"""Gunicorn settings (`gunicorn -c gunicorn.conf.py wsgi:app`), each overridable from the environment.

Threaded workers (gthread): requests mostly wait on PostgreSQL, so a few processes with several
threads each serve more requests per MB of memory than many single-threaded processes.
"""

import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")  # all interfaces: inside a container
workers = _int("GUNICORN_WORKERS", 2)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"

# A request that takes longer than this is killed; nginx gives up at 60 s, so stay below it.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Longer than nginx's upstream keepalive_timeout, so gunicorn never closes a connection nginx reuses.
keepalive = _int("GUNICORN_KEEPALIVE", 75)

# No recycling by default: a worker's memory stays flat (`make bench BENCH_ARGS="--memory 10000"`), while
# each recycle stalled the keep-alive connections it held (wrk: one 2 s timeout per connection, 304s at a
# quarter of the rate). Set it to bound a leak if one ever appears; jitter keeps workers from restarting at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 0)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 100)

# Logs go to stdout/stderr, where Docker and CloudWatch pick them up.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
# Feed tokens (credentials in feed URLs) are logged as [redacted].
logger_class = "app.access_log.RedactingLogger"
# The client address comes from the proxy's X-Forwarded-For (the socket peer is nginx).
access_log_format = '%({x-forwarded-for}i)s "%(r)s" %(s)s %(b)s %(M)sms "%(a)s"'
