# syntax=docker/dockerfile:1
# A small static image that runs the bridge as a non-root user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/bridge-dev/bridge/internal/buildinfo.Version=${VERSION}" -o /out/bridge ./cmd/bridge

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bridge /usr/local/bin/bridge
COPY mappings /etc/bridge/mappings
COPY schemas /etc/bridge/schemas
WORKDIR /var/lib/bridge
USER nonroot:nonroot
# 8080: webhooks; 9090: admin (health); 4222: the embedded NATS server, if used.
EXPOSE 8080 9090 4222
ENV BRIDGE_MAPPINGS=/etc/bridge/mappings \
    BRIDGE_SCHEMAS=/etc/bridge/schemas \
    BRIDGE_DATA=/var/lib/bridge/data \
    BRIDGE_ADMIN=0.0.0.0:9090
ENTRYPOINT ["/usr/local/bin/bridge"]
CMD ["run"]
