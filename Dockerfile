# A small image with the prodready binary: build with the Rust toolchain, run on a slim
# Debian with only CA certificates (reqwest uses rustls, so no OpenSSL is needed).
# The scanner alone: without the default `demo` feature the test app (axum, SQLite,
# argon2) is not compiled in, and `prodready demo` says so.
FROM rust:1.95-slim-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --no-default-features --bin prodready

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 prodready
COPY --from=build /src/target/release/prodready /usr/local/bin/prodready
USER prodready
ENTRYPOINT ["prodready"]
CMD ["--help"]
