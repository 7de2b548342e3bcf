#!/bin/sh
# Runs "$@" with a gnome-keyring Secret Service unlocked by a throw-away password, inside
# the D-Bus session dbus-run-session made for it. HOME is a temporary folder so the user's
# own keyrings are never touched.
set -e
HOME=$(mktemp -d)
export HOME
export XDG_DATA_HOME="$HOME/.local/share"
trap 'rm -rf "$HOME"' EXIT
eval "$(printf 'test-password' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
"$@"
