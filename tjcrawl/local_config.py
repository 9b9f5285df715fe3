"""This machine's tjcrawl settings, kept outside the repository so that `git pull` never meets
them: which sources not to crawl.

The file is `$TJCRAWL_CONFIG` when set (it must then exist; an empty value means none), else
the first that exists of `$XDG_CONFIG_HOME/tjcrawl/config.toml` (`~/.config/tjcrawl/config.toml`)
and `/etc/tjcrawl/config.toml` (for a system service such as deploy/tjcrawl-nightly.service).
It is TOML:

    # sources this machine does not crawl when none is named
    disabled = ["eco_city", "tj_kxjs"]
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path

CONFIG_ENV = "TJCRAWL_CONFIG"
SYSTEM_CONFIG = Path("/etc/tjcrawl/config.toml")
KEYS = {"disabled"}


class ConfigError(ValueError):
    """A config file that cannot be used, in one line naming the file."""


@dataclass(frozen=True)
class LocalConfig:
    path: Path | None  # None: no config file
    disabled: tuple[str, ...] = ()


def config_path() -> Path | None:
    """The config file in use, or None when there is none."""
    if CONFIG_ENV in os.environ:
        value = os.environ[CONFIG_ENV]
        if not value:
            return None
        path = Path(value).expanduser()
        if not path.is_file():
            raise ConfigError(f"{CONFIG_ENV}={value}: no such file")
        return path
    candidates = [SYSTEM_CONFIG]
    try:
        base = os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config"
        candidates.insert(0, Path(base) / "tjcrawl" / "config.toml")
    except RuntimeError:  # no home folder at all (a bare service account): only the system's
        pass
    return next((path for path in candidates if path.is_file()), None)


def load_config() -> LocalConfig:
    path = config_path()
    if path is None:
        return LocalConfig(None)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read it ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML ({exc})") from None
    unknown = sorted(set(data) - KEYS)
    if unknown:
        raise ConfigError(
            f"{path}: unknown key {', '.join(unknown)} (known: {', '.join(sorted(KEYS))})"
        )
    disabled = data.get("disabled", [])
    if not isinstance(disabled, list) or not all(isinstance(s, str) for s in disabled):
        raise ConfigError(f'{path}: disabled must be a list of source slugs, like ["eco_city"]')
    return LocalConfig(path, tuple(disabled))
