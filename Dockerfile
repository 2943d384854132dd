# SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
# credwatch's container image: the agent built on Debian bookworm, run on bookworm-slim with
# only the libraries ./credwatch links (dpkg -S of its ldd list; tests/e2e/test_deploy.py
# checks the list against the built binary). The image runs as root: the DaemonSet gives it
# only the capabilities of docs/capabilities.md (docs/kubernetes.md).
#
#   docker build -t credwatch:dev .            # or: podman build / buildah bud
#   scripts/build-image                        # offline: FROM scratch from ./credwatch
ARG DEBIAN=bookworm

FROM debian:${DEBIAN} AS build
# The build dependencies of scripts/setup (its "Build:" list), less what only a developer
# needs (clang-format).
RUN apt-get update \
 && apt-get install -y --no-install-recommends make gcc pkg-config clang llvm libbpf-dev \
	libelf-dev zlib1g-dev libpcre2-dev libyaml-dev libssl-dev libvectorscan-dev \
	libnghttp2-dev libcapstone-dev libjansson-dev uthash-dev libcurl4-openssl-dev bpftool \
	libisal-dev libseccomp-dev ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# VERSION: what `credwatch --version` prints (default "dev").
ARG VERSION=dev
RUN make -j"$(nproc)" VERSION="${VERSION}" \
 && ./credwatch --version \
 && ./credwatch rules check

FROM debian:${DEBIAN}-slim
# The runtime libraries: each package holds one of the libraries ./credwatch links
# (libbpf, libelf, zlib, PCRE2, libyaml, OpenSSL, Vectorscan, nghttp2, Capstone, jansson,
# libcurl, ISA-L, libseccomp; apt brings what they link); CA certificates for HTTPS outputs.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libbpf1 libelf1 zlib1g libpcre2-8-0 \
	libyaml-0-2 libssl3 libvectorscan5 libnghttp2-14 libcapstone4 libjansson4 libcurl4 \
	libisal2 libseccomp2 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/lib/credwatch /run/credwatch
COPY --from=build /src/credwatch /usr/bin/credwatch
COPY deploy/container/credwatch.yaml /etc/credwatch/credwatch.yaml
ARG VERSION=dev
LABEL org.opencontainers.image.title="credwatch" \
      org.opencontainers.image.description="eBPF runtime credential exposure monitor (node agent)" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="GPL-2.0 OR BSD-3-Clause"
USER 0:0
ENTRYPOINT ["/usr/bin/credwatch", "run", "--config", "/etc/credwatch/credwatch.yaml"]
