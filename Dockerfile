# Build: swift build in the official Swift image; run: the binary alone on Debian slim.
# (Images cannot be built on the development machine: no registry. scripts/check-deploy lints this file.)
FROM swift:6.3-bookworm AS build
WORKDIR /src
COPY Package.swift ./
RUN swift package resolve
COPY Sources ./Sources
RUN swift build -c release --product booking --static-swift-stdlib \
    && cp "$(swift build -c release --show-bin-path)/booking" /booking

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates tzdata \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home-dir /data --create-home booking
COPY --from=build /booking /usr/local/bin/booking
USER booking
WORKDIR /data
ENV PORT=8080
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080"]
ENTRYPOINT ["/usr/local/bin/booking"]
CMD ["serve", "--hostname", "0.0.0.0"]
