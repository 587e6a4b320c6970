# slotgate: one static binary (pure Go, no cgo) in a small non-root image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/slotgate ./cmd/slotgate

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/slotgate /slotgate
ENV SLOTGATE_HTTP_ADDR=:8080 SLOTGATE_LOG_FORMAT=json SLOTGATE_DATA_DIR=/tmp/slotgate-data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 CMD ["/slotgate", "healthcheck"]
ENTRYPOINT ["/slotgate"]
CMD ["serve"]
