# syntax=docker/dockerfile:1
# segsync as a container, and the image Airbyte runs as a custom source (docs/airbyte.md).
# Build stage: Debian 12 with the compilers builds the Debian package (CPack). Run stage: slim
# Debian 12 with that package installed, which pulls in the runtime libraries and nothing else.
#   docker build -t segsync/source-segsync:0.1.0 .
#   docker run --rm segsync/source-segsync:0.1.0 spec
FROM debian:bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
      ca-certificates cmake make g++ pkg-config dpkg-dev file \
      libcurl4-openssl-dev libsimdjson-dev libcli11-dev libsqlite3-dev libpq-dev \
      libcpp-httplib-dev libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DBUILD_TESTING=OFF \
         -DCMAKE_INSTALL_PREFIX=/usr \
    && cmake --build /build -j "$(nproc)" \
    && cd /build && cpack -G DEB && mv segsync_*.deb /segsync.deb

FROM debian:bookworm-slim
COPY --from=build /segsync.deb /tmp/segsync.deb
RUN apt-get update && apt-get install -y --no-install-recommends /tmp/segsync.deb ca-certificates \
    && rm -rf /var/lib/apt/lists/* /tmp/segsync.deb
# Airbyte runs the image with spec|check|discover|read and these arguments.
ENV AIRBYTE_ENTRYPOINT="/usr/bin/segsync airbyte"
ENTRYPOINT ["/usr/bin/segsync", "airbyte"]
LABEL io.airbyte.name=segsync/source-segsync io.airbyte.version=0.1.0
