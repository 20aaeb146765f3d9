# Shared by the load scripts in bench/ (sourced, not run).

# install_package_if_missing <debian package>: installs the package with apt-get unless dpkg knows it.
install_package_if_missing() {
  dpkg -s "$1" >/dev/null 2>&1 && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing $1" >&2
  $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}

# install_if_missing <command> <debian package>: installs the package when the command is absent.
install_if_missing() {
  command -v "$1" >/dev/null 2>&1 || install_package_if_missing "$2"
}
