"""The purposes an organisation may state, as W3C Data Privacy Vocabulary (DPV) terms.

Only these terms are accepted, so a purpose on a grant is always one a person can be shown in
plain language. The list is a deliberate subset of DPV's purpose taxonomy: the purposes an NGO
working with a person's records plausibly has.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

DPV_NAMESPACE = "https://w3id.org/dpv#"

PURPOSES: Mapping[str, str] = MappingProxyType(
    {
        "dpv:ServiceProvision": "to provide you with a service",
        "dpv:RequestedServiceProvision": "to provide a service you asked for",
        "dpv:ServiceRegistration": "to register you for a service",
        "dpv:ServicePersonalisation": "to tailor their service to you",
        "dpv:ServiceOptimisation": "to improve their service",
        "dpv:CommunicationManagement": "to communicate with you",
        "dpv:CustomerCare": "to help you when you contact them",
        "dpv:AccountManagement": "to manage your account with them",
        "dpv:IdentityVerification": "to check who you are",
        "dpv:PaymentManagement": "to manage payments to or from you",
        "dpv:RecordManagement": "to keep their records about you up to date",
        "dpv:LegalCompliance": "to meet a legal obligation",
        "dpv:FraudPreventionAndDetection": "to prevent and detect fraud",
        "dpv:ResearchAndDevelopment": "for research and development",
        "dpv:AcademicResearch": "for academic research",
        "dpv:NonCommercialResearch": "for non-commercial research",
    }
)


class UnknownPurpose(ValueError):
    """A purpose that is not one of the DPV terms this service accepts."""

    def __init__(self, purpose: str) -> None:
        super().__init__(f"unknown purpose: {purpose[:100]!r}")
        self.purpose = purpose[:100]


def validate_purpose(purpose: str) -> str:
    """The purpose in its compact form (`dpv:Term`); full DPV IRIs are accepted and compacted."""
    compact = (
        "dpv:" + purpose.removeprefix(DPV_NAMESPACE)
        if purpose.startswith(DPV_NAMESPACE)
        else purpose
    )
    if compact not in PURPOSES:
        raise UnknownPurpose(purpose)
    return compact


def purpose_label(purpose: str) -> str:
    return PURPOSES.get(purpose, purpose)
