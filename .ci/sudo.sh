# Sourced by the .ci scripts: SUDO is how to run apt-get here ("" as root, "sudo", or "missing").
if [ "$(id -u)" = 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    SUDO="missing"
fi
