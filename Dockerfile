# The augur operator image: `augur run` as an unprivileged user, with the promtool and amtool
# of the versions augur pins (operator/augur/versions.py), built from their Go source modules
# by the same builder the tests use (`augur dev tools`).
#
#   docker build -t augur:0.1.0 .
#
# tests/image/ runs this file's Python install steps in a fresh venv and lints it with
# hadolint; keep the `python` stage to WORKDIR, ENV, COPY from the context, and RUN.

# --- python: augur and its dependencies, installed into a virtual environment ---------------
FROM python:3.11-slim-bookworm AS python
ENV VENV=/opt/augur \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY operator/ operator/
RUN python -m venv "$VENV" \
 && "$VENV/bin/pip" install --no-cache-dir .

# --- tools: promtool and amtool at the pinned versions, built from source ---------------------
FROM python AS tools
COPY --from=golang:1.26-bookworm /usr/local/go /usr/local/go
ENV PATH=/usr/local/go/bin:$PATH \
    AUGUR_CACHE_DIR=/cache
RUN "$VENV/bin/python" -m augur.dev tools --build promtool amtool

# --- the image: the venv and the two binaries, nothing to build with ------------------------
FROM python:3.11-slim-bookworm
# augur.__version__ (a test keeps them equal)
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="augur" \
      org.opencontainers.image.description="A Kubernetes operator that runs a whole observability stack from four custom resources." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.vendor="augur"
# The binaries keep their cache names (promtool-3.5.0, amtool-0.28.1): augur finds the pinned
# ones there through AUGUR_CACHE_DIR, as it does on a developer's machine.
ENV PATH=/opt/augur/bin:$PATH \
    AUGUR_CACHE_DIR=/opt/augur-tools \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
COPY --from=python /opt/augur /opt/augur
COPY --from=tools /cache/bin/ /opt/augur-tools/bin/
# nobody:nogroup, as the stacks augur deploys; the chart also runs it with a read-only root.
USER 65534:65534
# /healthz (probes) and /metrics; no HEALTHCHECK: Kubernetes probes /healthz itself.
EXPOSE 8080
ENTRYPOINT ["augur"]
CMD ["run"]
