# syntax=docker/dockerfile:1
# A small static image that runs the bridge as a non-root user.
#
# Base images are pinned by digest, so a build is repeatable and a
# republished tag cannot change what runs. To move to newer ones:
#   docker buildx imagetools inspect golang:1.26 --format '{{json .Manifest.Digest}}'
#   docker buildx imagetools inspect gcr.io/distroless/static-debian12:nonroot --format '{{json .Manifest.Digest}}'
# (or `crane digest IMAGE`), then replace the digests below.
FROM golang:1.26@sha256:595c7847cff97c9a9e76f015083c481d26078f961c9c8dca3923132f51fe12f1 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/bridge-dev/bridge/internal/buildinfo.Version=${VERSION}" -o /out/bridge ./cmd/bridge \
 && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot@sha256:afa5c872c891853ca7fcf1f12c3edb23f7eeef36189728842dd51042ff57f7ab
ARG VERSION=dev
ARG REVISION=unknown
LABEL org.opencontainers.image.title="bridge" \
      org.opencontainers.image.description="Turns providers' webhooks into CloudEvents stored in NATS JetStream" \
      org.opencontainers.image.source="https://github.com/bridge-dev/bridge" \
      org.opencontainers.image.documentation="https://github.com/bridge-dev/bridge#readme" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.base.name="gcr.io/distroless/static-debian12:nonroot"
COPY --from=build /out/bridge /usr/local/bin/bridge
COPY mappings /etc/bridge/mappings
COPY schemas /etc/bridge/schemas
# The embedded JetStream's store (BRIDGE_DATA) belongs to the user the
# bridge runs as (nonroot, uid 65532): without a volume it can still write.
COPY --from=build --chown=65532:65532 /out/data /var/lib/bridge/data
WORKDIR /var/lib/bridge
USER nonroot:nonroot
# 8080: webhooks; 9090: admin (health); 4222: the embedded NATS server, if used.
EXPOSE 8080 9090 4222
ENV BRIDGE_MAPPINGS=/etc/bridge/mappings \
    BRIDGE_SCHEMAS=/etc/bridge/schemas \
    BRIDGE_DATA=/var/lib/bridge/data \
    BRIDGE_ADMIN=0.0.0.0:9090
# Ready = GET /readyz answers 200 (the image has no shell or curl: the
# bridge probes itself). Kubernetes ignores this; use the probes in
# examples/kubernetes.
HEALTHCHECK --interval=10s --timeout=4s --start-period=60s --retries=3 \
    CMD ["/usr/local/bin/bridge", "health", "--quiet"]
ENTRYPOINT ["/usr/local/bin/bridge"]
CMD ["run"]
