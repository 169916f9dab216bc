"""Independent checks of outputs: the residual-identifier scan (DESIGN.md "Verify, don't trust").

``collect_identifiers`` reads the original dataset and lists every identifying
value in every form it could take (``collect_identifiers_from_bytes`` does the
same from the file's bytes, without pydicom's Dataset, where it can prove the
reading equal); ``scan_file`` searches an output file for them, in its raw
bytes and in its decoded values, and checks the structural flags a released
file must carry. This package reads DICOM with pydicom or with its own byte
reader, and imports nothing of medanon but ``core``: it never calls the cleaner
it checks.
"""

from medanon.verify._keywords import CATEGORIES
from medanon.verify.collect import collect_identifiers, collect_identifiers_from_bytes
from medanon.verify.model import Identifier, Identifiers
from medanon.verify.residual import scan_bytes, scan_file

__all__ = ["CATEGORIES", "Identifier", "Identifiers", "collect_identifiers", "collect_identifiers_from_bytes",
           "scan_bytes", "scan_file"]
