# syntax=docker/dockerfile:1
# Sandbox Operator image: the admission webhook + controller host (/app/sandbox-operator)
# and the CLI (/app/sandboxctl, also /app/kubectl-sandbox, a link that makes it the kubectl plugin), framework-dependent on the chiseled ASP.NET runtime
# (no shell, no package manager).
#
# The build stage runs on the target platform (no --platform=$BUILDPLATFORM) so the
# apphost executables match the runtime architecture without a runtime-specific
# restore, which the RID-less lock files would refuse in locked mode.

FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /source

COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/ src/

RUN dotnet restore src/SandboxOperator/SandboxOperator.csproj --locked-mode \
 && dotnet restore src/SandboxOperator.Cli/SandboxOperator.Cli.csproj --locked-mode

RUN dotnet publish src/SandboxOperator/SandboxOperator.csproj -c Release --no-restore -o /app -p:UseAppHost=true \
 && dotnet publish src/SandboxOperator.Cli/SandboxOperator.Cli.csproj -c Release --no-restore -o /app -p:UseAppHost=true \
 && ln -s sandboxctl /app/kubectl-sandbox \
 && test -x /app/sandbox-operator && test -x /app/sandboxctl && test -x /app/kubectl-sandbox

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled AS runtime

ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED=unknown
# Set by CI to the repository URL.
ARG SOURCE=""
LABEL org.opencontainers.image.title="sandbox-operator" \
      org.opencontainers.image.description="Kubernetes operator and admission webhook that runs AI-agent workloads in Kata Containers, gVisor or runc with seccomp" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.base.name="mcr.microsoft.com/dotnet/aspnet:10.0-noble-chiseled"

ENV DOTNET_ROOT=/usr/share/dotnet \
    DOTNET_gcServer=0 \
    DOTNET_EnableDiagnostics=0 \
    ASPNETCORE_URLS= \
    TMPDIR=/tmp

WORKDIR /app
COPY --from=build --chown=0:0 --chmod=0555 /app/ /app/

# Matches the chart's runAsUser; the root filesystem is mounted read-only, /tmp is an emptyDir.
USER 65532:65532
EXPOSE 9443 8081 8080
ENTRYPOINT ["/app/sandbox-operator"]
