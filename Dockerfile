# One image for every function: `docker run IMAGE serve <function>` (user,
# employee, compliance, leave, attendance, audit, notification), or any other
# `hrms` command (`topics create`, `dlq redrive <topic>`, `audit verify`).
#
#   docker build -t hrms .
#   docker run --rm hrms --help
#
# The build stage compiles the release binary; librdkafka (rdkafka-sys: its
# own configure and make), SQLite (bundled) and aws-lc are built from source
# and linked statically, and so is zlib (LIBZ_SYS_STATIC); librdkafka's TLS and
# SASL/SCRAM use the system OpenSSL (libssl-dev in the build image, libssl3 in
# the runtime one), so the binary needs glibc, libgcc_s, libssl3 and the CA
# certificates its HTTP client loads at start: the distroless `cc` image,
# which has those and no shell or package manager, running as the
# unprivileged user 65532.

ARG RUST_VERSION=1.95

FROM docker.io/library/rust:${RUST_VERSION}-bookworm AS build
WORKDIR /src
ENV CARGO_TERM_COLOR=never \
    LIBZ_SYS_STATIC=1
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p hrms \
    && cp target/release/hrms /usr/local/bin/hrms \
    && strip /usr/local/bin/hrms

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /usr/local/bin/hrms /usr/local/bin/hrms
USER 65532:65532
# Knative sets PORT; the data directory is a volume (emptyDir, PVC) when the
# stores are SQLite.
ENV PORT=8080 \
    HRMS_LOG_JSON=true \
    HRMS_DATA_DIR=/var/lib/hrms
EXPOSE 8080
# Probes belong to the orchestrator (Knative: /healthz, /readyz); the image
# has no shell or HTTP client to run one itself.
HEALTHCHECK NONE
ENTRYPOINT ["/usr/local/bin/hrms"]
CMD ["--help"]
