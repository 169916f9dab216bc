"""Batch runs over files, folders and zip archives; composes the engines."""

from medanon.pipeline.batch import BatchOutcome, deidentify_dicom
from medanon.pipeline.inputs import Item, discover
from medanon.pipeline.photo import deidentify_photos
from medanon.pipeline.run import Job, process_item, run_items

__all__ = ["BatchOutcome", "Item", "Job", "deidentify_dicom", "deidentify_photos", "discover", "process_item",
           "run_items"]
