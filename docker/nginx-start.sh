#!/bin/sh
# Render nginx.conf with the upstream taken from APP_UPSTREAM (host:port; ECS
# uses the default 127.0.0.1:8000, docker-compose app:8000), then run nginx in
# the foreground. The root filesystem may be read-only: the result goes to /tmp.
#
#   nginx-start              render and exec nginx
#   nginx-start --render     render only (used by the tests)
set -eu

template="${NGINX_CONF_TEMPLATE:-/etc/nginx/nginx.conf}"
rendered="${NGINX_CONF_RENDERED:-/tmp/nginx.conf}"
upstream="${APP_UPSTREAM:-127.0.0.1:8000}"

case "$upstream" in
    "" | *[!A-Za-z0-9.:_-]*)
        echo "nginx-start: APP_UPSTREAM must look like host:port, not '$upstream'" >&2
        exit 64
        ;;
esac

sed "s/^\( *server \)127\.0\.0\.1:8000;/\1${upstream};/" "$template" > "$rendered"
if ! grep -q "^ *server ${upstream};" "$rendered"; then
    echo "nginx-start: no 'server 127.0.0.1:8000;' line to replace in $template" >&2
    exit 65
fi

if [ "${1:-}" = "--render" ]; then
    exit 0
fi
exec nginx -c "$rendered" -g 'daemon off;'
