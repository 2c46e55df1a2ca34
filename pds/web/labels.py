"""Words the record forms show that the catalogue's models do not carry in plain language.

Field names and enum values are identifiers (`village_or_city`, `pm_kisan`); people see these
labels instead. A name missing here is shown humanised ("Village or city"), so a new catalogue
field still gets a usable form; `tests/pds/web/test_i18n.py` makes sure every label is translated.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pds.web.i18n import N_

FIELD_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "given_name": N_("Given name"),
        "family_name": N_("Family name"),
        "other_names": N_("Other names"),
        "preferred_name": N_("Preferred name"),
        "date": N_("Date"),
        "approximate": N_("The date is approximate"),
        "scheme": N_("Scheme"),
        "number": N_("Number"),
        "issued_by": N_("Issued by"),
        "kind": N_("Kind"),
        "email": N_("Email"),
        "country": N_("Country code"),
        "line1": N_("Address line 1"),
        "line2": N_("Address line 2"),
        "village_or_city": N_("Village or city"),
        "district": N_("District"),
        "state": N_("State"),
        "postal_code": N_("PIN code"),
        "members": N_("Household members"),
        "name": N_("Name"),
        "relationship": N_("Relationship"),
        "year_of_birth": N_("Year of birth"),
        "vaccine": N_("Vaccine"),
        "other_name": N_("Name, if other"),
        "dose": N_("Dose number"),
        "administered_by": N_("Given by"),
        "batch": N_("Batch number"),
        "icd10_code": N_("ICD-10 code"),
        "diagnosed_on": N_("Diagnosed on"),
        "status": N_("Status"),
        "notes": N_("Notes"),
        "institution": N_("School, college or centre"),
        "level": N_("Level"),
        "grade": N_("Class or year"),
        "start_date": N_("Start date"),
        "end_date": N_("End date"),
        "beneficiary_id": N_("Beneficiary ID"),
        "amount_inr": N_("Amount (rupees)"),
        "frequency": N_("How often"),
        "since": N_("Since"),
        "occupation": N_("Occupation"),
        "employer": N_("Employer"),
        "monthly_income_inr": N_("Monthly income (rupees)"),
    }
)

OPTION_LABELS: Mapping[str, str] = MappingProxyType(
    {
        # government ID schemes
        "aadhaar": N_("Aadhaar"),
        "pan": N_("PAN card"),
        "voter_id": N_("Voter ID (EPIC)"),
        "passport": N_("Passport"),
        "ration_card": N_("Ration card"),
        "driving_licence": N_("Driving licence"),
        "other": N_("Other"),
        # phone kinds
        "mobile": N_("Mobile"),
        "landline": N_("Landline"),
        "whatsapp": N_("WhatsApp"),
        # relationships
        "self": N_("Self"),
        "spouse": N_("Husband or wife"),
        "child": N_("Child"),
        "parent": N_("Parent"),
        "sibling": N_("Brother or sister"),
        "grandparent": N_("Grandparent"),
        "grandchild": N_("Grandchild"),
        "parent_in_law": N_("Parent-in-law"),
        "child_in_law": N_("Son- or daughter-in-law"),
        "sibling_in_law": N_("Brother- or sister-in-law"),
        "other_relative": N_("Other relative"),
        "not_related": N_("Not related"),
        # vaccines
        "bcg": N_("BCG"),
        "hepatitis_b": N_("Hepatitis B"),
        "opv": N_("OPV (oral polio)"),
        "ipv": N_("IPV (injected polio)"),
        "pentavalent": N_("Pentavalent"),
        "rotavirus": N_("Rotavirus"),
        "pcv": N_("PCV (pneumococcal)"),
        "measles_rubella": N_("Measles and rubella (MR)"),
        "japanese_encephalitis": N_("Japanese encephalitis (JE)"),
        "dpt": N_("DPT"),
        "td": N_("Td (tetanus and diphtheria)"),
        "tt": N_("TT (tetanus)"),
        "hpv": N_("HPV"),
        "covid_19": N_("COVID-19"),
        # condition, enrolment, benefit statuses
        "active": N_("Active"),
        "managed": N_("Under control"),
        "resolved": N_("Over"),
        "enrolled": N_("Studying now"),
        "completed": N_("Completed"),
        "dropped_out": N_("Left before finishing"),
        "transferred": N_("Moved to another place"),
        "applied": N_("Applied"),
        "receiving": N_("Receiving"),
        "suspended": N_("Suspended"),
        "stopped": N_("Stopped"),
        "rejected": N_("Rejected"),
        # education levels
        "pre_primary": N_("Pre-primary (anganwadi)"),
        "primary": N_("Primary (class 1-5)"),
        "upper_primary": N_("Upper primary (class 6-8)"),
        "secondary": N_("Secondary (class 9-10)"),
        "higher_secondary": N_("Higher secondary (class 11-12)"),
        "vocational": N_("Vocational training"),
        "undergraduate": N_("Undergraduate"),
        "postgraduate": N_("Postgraduate"),
        # benefit schemes
        "pm_kisan": N_("PM-KISAN"),
        "mgnrega": N_("MGNREGA"),
        "old_age_pension": N_("Old age pension"),
        "widow_pension": N_("Widow pension"),
        "disability_pension": N_("Disability pension"),
        "public_distribution_system": N_("Ration (PDS)"),
        "pm_awas_yojana": N_("PM Awas Yojana (housing)"),
        "pm_jay": N_("PM-JAY (Ayushman Bharat)"),
        "maternity_benefit": N_("Maternity benefit"),
        "scholarship": N_("Scholarship"),
        # payment frequencies
        "one_time": N_("Once"),
        "daily": N_("Every day"),
        "weekly": N_("Every week"),
        "fortnightly": N_("Every two weeks"),
        "monthly": N_("Every month"),
        "quarterly": N_("Every three months"),
        "yearly": N_("Every year"),
        "irregular": N_("Irregularly"),
        # work status
        "employed": N_("Employed"),
        "self_employed": N_("Self-employed"),
        "unemployed": N_("Looking for work"),
        "student": N_("Student"),
        "homemaker": N_("Homemaker"),
        "retired": N_("Retired"),
        "unable_to_work": N_("Unable to work"),
    }
)


# Hints said for a person filling in a form, where the catalogue's API descriptions are technical.
# Keyed by record type and field; an empty hint means none. Other fields show the description.
HINTS: Mapping[str, str] = MappingProxyType(
    {
        "identity.name.given_name": N_("Your own name. If you have only one name, write it here."),
        "identity.date_of_birth.date": "",
        "identity.date_of_birth.approximate": N_(
            "Tick this if only the year, or the year and month, are known."
        ),
        "identity.government_id.number": N_(
            "As printed on the card. Spaces and hyphens do not matter."
        ),
        "identity.government_id.issued_by": N_(
            "For example a state's food department. Needed when the kind is Other."
        ),
        "contact.phone.number": N_(
            "A 10-digit mobile number, or a number with its country code, like +971 50 123 4567."
        ),
        "contact.email.email": "",
        "contact.address.country": N_("Two letters: IN for India."),
        "contact.address.state": N_("In India, a state or union territory, like Tamil Nadu."),
        "contact.address.postal_code": N_("In India, the 6-digit PIN code."),
        "household.members.members": N_("Everyone who lives in your household, you included."),
        "household.members.relationship": N_("How this person is related to you."),
        "health.immunisations.other_name": N_("Needed when the vaccine is Other."),
        "health.immunisations.date": "",
        "health.conditions.status": N_(
            "Active: not under control. Under control: treated or controlled. Over: resolved."
        ),
        "health.conditions.diagnosed_on": "",
        "education.enrolment.start_date": "",
        "income.benefits.other_name": N_("Needed when the scheme is Other."),
        "income.benefits.since": "",
        "employment.status.employer": N_("Only when the status is Employed."),
        "employment.status.since": "",
    }
)


def field_hint(record_type: str, key: str, description: str | None) -> str | None:
    """The hint under a field: the web's own words if it has them, else the catalogue's."""
    hint = HINTS.get(f"{record_type}.{key}", description)
    return hint or None


def humanise(identifier: str) -> str:
    return identifier.replace("_", " ").capitalize()


def field_label(name: str) -> str:
    return FIELD_LABELS.get(name, humanise(name))


def option_label(value: str) -> str:
    return OPTION_LABELS.get(value, humanise(value))
