"""medanon: make medical images and the material around them safe to share.

The library is organised by concern (see DESIGN.md): ``core`` (policy, keys,
results), ``dicom`` (header engine), ``verify`` (independent residual scans),
``text`` (descriptor cleaning), ``pipeline`` (batch runs). Front ends such as
``medanon.cli`` only call the library.
"""

__version__ = "0.1.0"

__all__ = ["__version__"]
