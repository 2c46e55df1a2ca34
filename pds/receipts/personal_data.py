"""How each record type of the catalogue is named in consent receipts: W3C DPV-PD categories.

Sensitivity follows the catalogue's `sensitive` flag (special-category data: health, government
ids, benefits), which receipts report as Kantara's `sensitive` / `spiCat`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from consent.receipt_content import PersonalDataCategory
from pds.records.catalogue import CATALOGUE

# Terms of https://w3id.org/dpv/pd (prefix `pd:`).
DPV_PD_TERMS: Mapping[str, str] = MappingProxyType(
    {
        "identity.name": "pd:Name",
        "identity.date_of_birth": "pd:BirthDate",
        "identity.government_id": "pd:OfficialID",
        "contact.phone": "pd:TelephoneNumber",
        "contact.email": "pd:EmailAddress",
        "contact.address": "pd:PhysicalAddress",
        "household.members": "pd:FamilyStructure",
        "health.immunisations": "pd:HealthRecord",
        "health.conditions": "pd:HealthHistory",
        "education.enrolment": "pd:EducationExperience",
        "income.benefits": "pd:Income",
        "employment.status": "pd:CurrentEmployment",
    }
)


class UnmappedRecordType(RuntimeError):
    """A record type was added to the catalogue without a DPV-PD category for receipts."""


def personal_data_categories() -> Mapping[str, PersonalDataCategory]:
    """Every catalogue record type with its receipt category; fails at start-up if one lacks it."""
    missing = sorted(set(CATALOGUE) - set(DPV_PD_TERMS))
    if missing:
        raise UnmappedRecordType(f"no DPV-PD category for record types: {', '.join(missing)}")
    return MappingProxyType(
        {
            name: PersonalDataCategory(DPV_PD_TERMS[name], record_type.sensitive)
            for name, record_type in CATALOGUE.items()
        }
    )
