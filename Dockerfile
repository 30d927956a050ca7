# healthlint's own image: a static binary and nothing else.
#
# Build the binary first (static glibc; no musl toolchain needed):
#   RUSTFLAGS="-C target-feature=+crt-static" \
#     cargo build --release --target x86_64-unknown-linux-gnu
#   cp target/x86_64-unknown-linux-gnu/release/healthlint .
#   docker build -t healthlint .
# Then lint a project mounted at /work:
#   docker run --rm -v "$PWD:/work" -w /work healthlint compose.yml
FROM scratch
COPY healthlint /usr/local/bin/healthlint
WORKDIR /work
ENTRYPOINT ["/usr/local/bin/healthlint"]
