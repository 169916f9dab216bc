"""Fast access to a pydicom Dataset's stored elements, for the per-file hot paths.

pydicom's public accessors convert every key with ``Tag()`` and compare
BaseTags with a Python-level ``__eq__``/``__lt__``; over the ~100 elements of
every file of a batch that is a visible share of the header path. These
helpers read the dataset's own dict with its own key objects (dict lookups
then match by identity) and sort tags as plain ints. Differential tests
(tests/dicom/test_writer.py, the engine's package-file tests) hold the
results equal to those of the public API.
"""

from __future__ import annotations

from pydicom.dataelem import DataElement, RawDataElement
from pydicom.dataset import Dataset


def stored(ds: Dataset, tag: int) -> DataElement | RawDataElement:
    """The element as stored (raw until something converts it).

    medanon reads from bytes with nothing deferred; a deferred element would
    still be read, by ``get_item``.
    """
    element = ds._dict.get(tag)  # type: ignore[call-overload]  # BaseTag keys are ints
    if element is None or (isinstance(element, RawDataElement) and element.value is None):
        return ds.get_item(tag)  # type: ignore[return-value]  # a tag, not a slice: an element
    return element  # type: ignore[no-any-return]


def tags_in_order(ds: Dataset) -> list[int]:
    """The dataset's own tag objects in ascending order, compared as C ints rather than by BaseTag.__lt__."""
    return sorted(ds._dict, key=int)
