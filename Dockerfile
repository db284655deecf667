# ccd in a container: a static binary on a small Debian.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -o /out/ccd ./cmd/ccd

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata \
 && rm -rf /var/lib/apt/lists/* && useradd --system --home /var/lib/ccd ccd \
 && mkdir -p /var/lib/ccd && chown ccd /var/lib/ccd
COPY --from=build /out/ccd /usr/local/bin/ccd
USER ccd
ENV CCD_STATE_DIR=/var/lib/ccd CCD_LISTEN=0.0.0.0:8080
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/ccd"]
CMD ["serve"]
