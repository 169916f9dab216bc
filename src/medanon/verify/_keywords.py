"""Which attributes carry which kind of identifier, as explicit keyword lists.

These lists are hand-kept on purpose, although STYLE.md prefers generated
tables: ``verify/`` must stay independent of the cleaner (DESIGN.md "Verify,
don't trust"), so it does not read ``medanon.dicom._ps315``. They were checked
against PS3.15 2023b Table E.1-1 (the "Retain Device Identity" and "Retain
Institution Identity" columns) and against pydicom's data dictionary.

The category of an attribute is decided in this order: its keyword here, then
the code sequence it sits in (:data:`CODE_SEQUENCES`), then its VR (PN is a
name, DA/DT a date, UI a UID). Keyword first, so that e.g. ``DeviceUID`` and
``DateOfLastCalibration`` are *device* values and stay unsearched when a
policy retains device identity.
"""

from __future__ import annotations

#: Every category an :class:`~medanon.verify.model.Identifier` may have.
CATEGORIES: frozenset[str] = frozenset(
    {"name", "id", "date", "uid", "institution", "device", "address", "phone", "other"}
)

#: Unique numbers that point at a patient or an encounter (DESIGN.md "Identifiers").
ID_KEYWORDS: frozenset[str] = frozenset(
    {
        "PatientID",  # also OtherPatientIDsSequence > PatientID, found by keyword at any depth
        "OtherPatientIDs",
        "IssuerOfPatientID",
        "AccessionNumber",
        "StudyID",
        "MedicalRecordLocator",
        "AdmissionID",
        "IssuerOfAdmissionID",
        "ServiceEpisodeID",
        "RequestedProcedureID",
        "PerformedProcedureStepID",
        "ScheduledProcedureStepID",
        "FillerOrderNumberImagingServiceRequest",
        "PlacerOrderNumberImagingServiceRequest",
        "FillerOrderNumberProcedure",
        "PlacerOrderNumberProcedure",
        "InsurancePlanIdentification",
        "ClinicalTrialSubjectID",
        "ClinicalTrialSubjectReadingID",
    }
)

#: PS3.15 "Retain Institution Identity" attributes that name a place of care.
INSTITUTION_KEYWORDS: frozenset[str] = frozenset(
    {
        "InstitutionName",
        "InstitutionAddress",
        "InstitutionalDepartmentName",
        "ClinicalTrialSiteName",
        "ClinicalTrialSiteID",
    }
)

#: PS3.15 "Retain Device Identity" attributes that single out one machine or station.
DEVICE_KEYWORDS: frozenset[str] = frozenset(
    {
        "StationName",
        "DeviceSerialNumber",
        "DeviceID",
        "DeviceUID",
        "ManufacturerDeviceClassUID",
        "DetectorID",
        "PlateID",
        "GantryID",
        "CassetteID",
        "GeneratorID",
        "XRayDetectorID",
        "XRayDetectorLabel",
        "XRaySourceID",
        "DeviceLabel",
        "DeviceAlternateIdentifier",
        "ManufacturerDeviceIdentifier",
        "UniqueDeviceIdentifier",
        "ModifyingDeviceID",
        "SourceSerialNumber",
        "LensSerialNumber",
        "TreatmentMachineName",
        "PerformedStationName",
        "ScheduledStationName",
        "StationAETitle",
        "PerformedStationAETitle",
        "ScheduledStationAETitle",
        "SourceApplicationEntityTitle",
        "SendingApplicationEntityTitle",
        "ReceivingApplicationEntityTitle",
        # calibration dates are kept with the device under that option, so they count as device
        "DateOfLastCalibration",
        "DateOfLastDetectorCalibration",
        "CalibrationDate",
        "CalibrationDateTime",
        "DateTimeOfLastCalibration",
    }
)

#: Where a patient or a person lives. Country of residence is too coarse to search for.
ADDRESS_KEYWORDS: frozenset[str] = frozenset(
    {"PatientAddress", "PersonAddress", "ReferringPhysicianAddress", "RegionOfResidence"}
)

#: Telephone numbers and telecom text (may also hold an e-mail address).
PHONE_KEYWORDS: frozenset[str] = frozenset(
    {
        "PatientTelephoneNumbers",
        "PatientTelecomInformation",
        "PersonTelephoneNumbers",
        "PersonTelecomInformation",
        "ReferringPhysicianTelephoneNumbers",
    }
)

#: Other values that locate a patient: ward, residence, responsible body, URLs.
OTHER_KEYWORDS: frozenset[str] = frozenset(
    {
        "CurrentPatientLocation",
        "PatientInstitutionResidence",
        "AssignedLocation",
        "ResponsibleOrganization",
        "RetrieveURL",
        "RetrieveURI",
    }
)

#: Keyword -> category, built from the lists above.
KEYWORD_CATEGORY: dict[str, str] = {
    **{k: "id" for k in ID_KEYWORDS},
    **{k: "institution" for k in INSTITUTION_KEYWORDS},
    **{k: "device" for k in DEVICE_KEYWORDS},
    **{k: "address" for k in ADDRESS_KEYWORDS},
    **{k: "phone" for k in PHONE_KEYWORDS},
    **{k: "other" for k in OTHER_KEYWORDS},
}

#: Keywords whose values get address forms (parts, postcodes) whatever their category.
ADDRESS_LIKE_KEYWORDS: frozenset[str] = ADDRESS_KEYWORDS | {"InstitutionAddress"}

#: Code sequences whose code values and meanings name an identifier of that category.
CODE_SEQUENCES: dict[str, str] = {
    "InstitutionCodeSequence": "institution",
    "PerformedStationNameCodeSequence": "device",
    "ScheduledStationNameCodeSequence": "device",
    "PersonIdentificationCodeSequence": "id",
}

#: The parts of a code item that carry its value (not the coding scheme designator).
CODE_VALUE_KEYWORDS: frozenset[str] = frozenset({"CodeValue", "LongCodeValue", "URNCodeValue", "CodeMeaning"})

#: UI attributes naming software, SOP classes or coding schemes, never a patient or study.
NON_IDENTIFYING_UID_KEYWORDS: frozenset[str] = frozenset(
    {
        "ImplementationClassUID",
        "PrivateInformationCreatorUID",
        "TransferSyntaxUID",
        "ReferencedTransferSyntaxUIDInFile",
        "SOPClassUID",
        "MediaStorageSOPClassUID",
        "ReferencedSOPClassUID",
        "ReferencedSOPClassUIDInFile",
        "AffectedSOPClassUID",
        "RequestedSOPClassUID",
        "CodingSchemeUID",
        "ContextUID",
        "ContextGroupExtensionCreatorUID",
        "TemplateExtensionCreatorUID",
    }
)

#: Values (compared lower case, stripped) that identify no-one. Values with no letter
#: or digit other than ``0`` ("", "^", "-", "0000") are placeholders too.
PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "anonymous",
        "anonymized",
        "anonymised",
        "anon",
        "unknown",
        "none",
        "n/a",
        "na",
        "nil",
        "null",
        "removed",
        "redacted",
        "test",
        "xxx",
    }
)

#: Value representations whose values are text worth searching once decoded.
TEXT_VRS: frozenset[str] = frozenset(
    {"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UI", "UR", "UT"}
)
