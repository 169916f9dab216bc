"""Fixed vocabularies of a case (DESIGN.md "Three levels of data"), coerced once at the edge."""

from __future__ import annotations

from enum import Enum


class Purpose(str, Enum):
    """Why the case is shared; the purpose decides the level of de-identification."""

    DIRECT_CARE = "direct-care"
    CONSULTATION = "consultation"
    TEACHING = "teaching"
    RESEARCH = "research"
    PRINTED_PUBLICATION = "printed-publication"
    INTERNET_PUBLICATION = "internet-publication"


class ConsentLevel(str, Enum):
    """What the patient agreed to, narrowest first; the order is the order of ``RANK``."""

    RECORD_ONLY = "record-only"
    TEACHING = "teaching"
    PRINTED_PUBLICATION = "printed-publication"
    INTERNET_PUBLICATION = "internet-publication"

    @property
    def rank(self) -> int:
        return list(ConsentLevel).index(self)

    def covers(self, needed: ConsentLevel) -> bool:
        """Consent beyond what the purpose needs is fine; consent short of it is not."""
        return self.rank >= needed.rank


class MaterialKind(str, Enum):
    """What a case item is; each kind has (or lacks) a cleaner in ``case.cleaners``."""

    DICOM = "dicom"
    TEXT = "text"
    PHOTO = "photo"
    VOLUME = "volume"
