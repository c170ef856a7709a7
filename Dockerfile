# The portal's image: the API server (server/main.ts) and the built console, the Pulumi program it runs (this
# project, read-only), its production node_modules, and the Pulumi CLI with the provider plugins the program
# needs, so that a pod downloads nothing at run time. Built by your pipeline with BuildKit (Docker 23 or
# later, or buildx), never by this repository's tests or CI; docs/deploy.md has the build, the mirrors for
# mainland China and the pins.
#
#   docker build -t <registry>/mesh/portal:<version> .
#
# Build arguments, all optional:
#   REGISTRY              where the base image comes from; a mirror of Docker Hub's library, e.g. an ACR EE
#                         instance: mesh-registry.cn-shanghai.cr.aliyuncs.com/library (the digest stays valid)
#   NODE_IMAGE            the base image, Node.js 24 LTS on Debian 13, pinned by digest
#   DEBIAN_MIRROR         a Debian mirror for apt, e.g. http://mirrors.aliyun.com
#   NPM_REGISTRY          an npm registry mirror, e.g. https://registry.npmmirror.com
#   PULUMI_DOWNLOAD_URL   Pulumi's release bucket, or a mirror with the same sdk/ and plugins/ folders; every
#                         file is checked against deploy/image/pulumi-pins.txt wherever it comes from
ARG REGISTRY=docker.io/library
ARG NODE_IMAGE=node:24.21.0-trixie-slim@sha256:8ec5d7557396cfe32d21c3f9c13072355ceab22b584578ca4bb28af31120cffe

# --- the project: dependencies, the console's build, then production dependencies only
FROM ${REGISTRY}/${NODE_IMAGE} AS build
ARG DEBIAN_MIRROR=
ARG NPM_REGISTRY=
# better-sqlite3 compiles from source, against the base image's Node headers, when its prebuilt binary
# cannot be fetched (GitHub is often unreachable from mainland China)
RUN set -eu; \
    if [ -n "$DEBIAN_MIRROR" ]; then sed -i "s|http://deb.debian.org|$DEBIAN_MIRROR|g" /etc/apt/sources.list.d/debian.sources; fi; \
    apt-get update; \
    apt-get install -y --no-install-recommends python3 make g++; \
    rm -rf /var/lib/apt/lists/*
ENV npm_config_nodedir=/usr/local
WORKDIR /src
COPY . .
# the Pulumi CLI is not on PATH here, so @pulumi/kubernetes' install script downloads no plugin of its own
RUN --mount=type=cache,target=/root/.npm \
    npm ci --no-audit --no-fund ${NPM_REGISTRY:+--registry=$NPM_REGISTRY}
# the web console (console/, built by Vite into console/dist); npm ci's prepare runs it too
RUN npm run build
# charts/ holds vendored Istio charts where a site has them (mesh:istio.repo: ./charts/...); empty otherwise
RUN npm prune --omit=dev --no-audit --no-fund && mkdir -p charts

# --- the Pulumi CLI and the provider plugins, each checked against its pinned SHA-256
FROM ${REGISTRY}/${NODE_IMAGE} AS pulumi
ARG PULUMI_DOWNLOAD_URL=https://get.pulumi.com/releases
ARG TARGETARCH
WORKDIR /pins
COPY deploy/image/pulumi-pins.txt deploy/image/install-pulumi.ts ./
RUN node install-pulumi.ts pulumi-pins.txt "$PULUMI_DOWNLOAD_URL" "${TARGETARCH:-amd64}" /opt/pulumi

# --- the image: read-only at run time, as user 1000 (node); writable only where the chart mounts volumes
FROM ${REGISTRY}/${NODE_IMAGE}
ARG DEBIAN_MIRROR=
# tini reaps the processes the Pulumi CLI leaves behind (providers, language hosts) and passes SIGTERM on;
# the CLI and the providers speak TLS with the system's CA certificates
RUN set -eu; \
    if [ -n "$DEBIAN_MIRROR" ]; then sed -i "s|http://deb.debian.org|$DEBIAN_MIRROR|g" /etc/apt/sources.list.d/debian.sources; fi; \
    apt-get update; \
    apt-get install -y --no-install-recommends ca-certificates tini; \
    rm -rf /var/lib/apt/lists/*; \
    mkdir -p /var/lib/mesh; \
    chown 1000:1000 /var/lib/mesh
ENV NODE_ENV=production \
    HOME=/var/lib/mesh \
    PULUMI_HOME=/var/lib/mesh/.pulumi \
    MESH_PULUMI_ROOT=/opt/pulumi \
    MESH_PULUMI_VERSION=3.248.0 \
    PULUMI_SKIP_UPDATE_CHECK=true \
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true \
    PATH=/opt/pulumi/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    MESH_API_HOST=0.0.0.0 \
    MESH_API_PORT=8080
COPY --from=pulumi /opt/pulumi /opt/pulumi
WORKDIR /app
COPY --from=build /src/package.json /src/package-lock.json /src/tsconfig.json ./
COPY --from=build /src/Pulumi.yaml /src/Pulumi.*.yaml ./
COPY --from=build /src/index.ts /src/config.ts ./
COPY --from=build /src/automation automation
COPY --from=build /src/cli cli
COPY --from=build /src/components components
COPY --from=build /src/io io
COPY --from=build /src/model model
COPY --from=build /src/plan plan
COPY --from=build /src/policy policy
COPY --from=build /src/server server
COPY --from=build /src/verify verify
COPY --from=build /src/charts charts
COPY --from=build /src/console/dist console/dist
COPY --from=build /src/deploy/image/entrypoint.sh deploy/image/entrypoint.sh
COPY --from=build /src/node_modules node_modules
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "/app/deploy/image/entrypoint.sh"]
