"""A whole case: mixed material, purpose and consent, review, sharing record, export package.

See ``docs/guide/case.md``. The case composes the engines this installation
has (``case.cleaners``); material with no cleaner is quarantined with that reason.
"""

from medanon.case.cleaners import NO_CLEANER, available_kinds, register, unregister
from medanon.case.enum import ConsentLevel, MaterialKind, Purpose
from medanon.case.log import LogTampered, append_entry, verify_log
from medanon.case.model import CaseManifest, Material, SignOff, load_manifest, save_manifest
from medanon.case.package import Encryption, build_package, export_key, new_identity, open_package
from medanon.case.rules import Decision, ReviewItem, SharingPolicy, decide
from medanon.case.workflow import add_material, check_case, export_case, init_case, run_case, signoff

__all__ = [
    "NO_CLEANER", "CaseManifest", "ConsentLevel", "Decision", "Encryption", "LogTampered", "Material",
    "MaterialKind", "Purpose", "ReviewItem", "SharingPolicy", "SignOff", "add_material", "append_entry",
    "available_kinds", "build_package", "check_case", "decide", "export_case", "export_key", "init_case",
    "load_manifest", "new_identity", "open_package", "register", "run_case", "save_manifest", "signoff",
    "unregister", "verify_log",
]
