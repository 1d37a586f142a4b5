# Multi-stage build of the duluan binary; the runtime image holds only the binary, the default
# configuration and the rule packs. Build: docker build -t duluan .
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin duluan

FROM debian:bookworm-slim
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /srv/duluan --shell /usr/sbin/nologin duluan
WORKDIR /srv/duluan
COPY --from=build /src/target/release/duluan /usr/local/bin/duluan
COPY config ./config
COPY rules ./rules
RUN mkdir -p /srv/duluan/data && chown duluan /srv/duluan/data
USER duluan
VOLUME ["/srv/duluan/data"]
EXPOSE 8080
ENV DULUAN__SERVER__LISTEN=0.0.0.0:8080
ENTRYPOINT ["duluan"]
CMD ["serve"]
