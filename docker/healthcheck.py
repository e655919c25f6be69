"""Container health check: exit 0 when the app's /health-check answers 200, 1 otherwise.

Standard library only, so the image needs no curl. The port is taken from GUNICORN_BIND.
"""

import os
import sys
import urllib.error
import urllib.request


def main() -> int:
    """Ask the local gunicorn for /health-check and turn the answer into an exit code."""
    port = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000").rsplit(":", 1)[-1]
    url = f"http://127.0.0.1:{port}/health-check"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # a fixed loopback URL
            return 0 if response.status == 200 else 1
    except (urllib.error.URLError, OSError) as exc:
        print(f"health check failed: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
