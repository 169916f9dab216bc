"""Named plug-ins imported only when first asked for (heavy models and engines stay unloaded until used)."""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from typing import Any


def instantiate(plugins: Mapping[str, tuple[str, str]], name: str, what: str) -> Any:
    """A new instance, with default settings, of the class registered as ``name`` (module, class name).

    Raises
    ------
    ValueError
        If no plug-in is registered under ``name``; ``what`` names the kind in the message.
    """
    try:
        module_name, class_name = plugins[name]
    except KeyError:
        raise ValueError(f"unknown {what} {name!r}; known: {', '.join(plugins)}") from None
    return getattr(importlib.import_module(module_name), class_name)()
