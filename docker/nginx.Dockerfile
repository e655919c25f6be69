# syntax=docker/dockerfile:1
# nginx with our config, running unprivileged on port 8080.
# Build from the repository root: docker build -f docker/nginx.Dockerfile .

FROM nginx:1.27-alpine

COPY nginx.conf /etc/nginx/nginx.conf
COPY --chmod=0755 docker/nginx-start.sh /usr/local/bin/nginx-start

# The official image's nginx user, by number (101:101) so the runtime can tell it is not root; the config
# keeps pid and temp files in /tmp and listens on 8080.
USER 101:101
EXPOSE 8080

HEALTHCHECK --interval=15s --timeout=5s --start-period=10s --retries=3 \
    CMD ["wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/health-check"]

ENTRYPOINT ["/usr/local/bin/nginx-start"]
