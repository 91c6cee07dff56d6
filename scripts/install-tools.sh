#!/usr/bin/env bash
# Installs the tools the tests run for real, into the git-ignored .tools/ of this checkout:
#   - PowerShell 7.6.9 as a .NET tool           -> .tools/pwsh/pwsh
#   - Pester 5.7.1 from NuGet                   -> .tools/Modules/Pester/5.7.1
#   - Debian's hivex tools (libhivex-bin, libwin-hivex-perl) for the real registry hive tests.
# Idempotent: whatever is present is left alone, so `npm test` calls it every time (pretest). RDPG_PWSH
# (a pwsh executable) and RDPG_PSMODULEPATH (a folder holding Pester) point the tests elsewhere; then
# that tool is not installed here.
# Anything it cannot install is an error: the tests need all three and never skip.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tools="$root/.tools"
PWSH_VERSION=7.6.9
PESTER_VERSION=5.7.1

log() { echo "install-tools: $*" >&2; }

if [ -n "${RDPG_PWSH:-}" ]; then
  [ -x "$RDPG_PWSH" ] || { log "RDPG_PWSH=$RDPG_PWSH is not an executable"; exit 1; }
elif [ ! -x "$tools/pwsh/pwsh" ]; then
  if ! command -v dotnet >/dev/null 2>&1; then
    log "dotnet (the .NET SDK) is needed to install PowerShell $PWSH_VERSION"
    exit 1
  fi
  log "installing PowerShell $PWSH_VERSION into $tools/pwsh"
  dotnet tool install --tool-path "$tools/pwsh" PowerShell --version "$PWSH_VERSION" >&2
fi

pester="${RDPG_PSMODULEPATH:-$tools/Modules}/Pester/$PESTER_VERSION"
if [ -n "${RDPG_PSMODULEPATH:-}" ]; then
  [ -f "$pester/Pester.psd1" ] || { log "RDPG_PSMODULEPATH=$RDPG_PSMODULEPATH has no Pester $PESTER_VERSION"; exit 1; }
elif [ ! -f "$pester/Pester.psd1" ]; then
  log "installing Pester $PESTER_VERSION into $pester"
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  url="https://api.nuget.org/v3-flatcontainer/pester/$PESTER_VERSION/pester.$PESTER_VERSION.nupkg"
  curl -fsSL --retry 3 -o "$tmp/pester.nupkg" "$url"
  unzip -q "$tmp/pester.nupkg" 'tools/*' -d "$tmp/pkg"
  mkdir -p "$(dirname "$pester")"
  rm -rf "$pester.partial" && mv "$tmp/pkg/tools" "$pester.partial" && mv "$pester.partial" "$pester"
fi

if ! command -v hivexregedit >/dev/null 2>&1 || ! command -v hivexget >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    log "installing libhivex-bin libwin-hivex-perl (apt-get)"
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libhivex-bin libwin-hivex-perl >&2
  else
    log "hivexregedit/hivexget missing: install Debian's libhivex-bin and libwin-hivex-perl (as root)"
    exit 1
  fi
fi
