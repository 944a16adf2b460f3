"""Code systems, identifier systems and profile URLs, as the French guides and HL7 publish them.

Sources (docs/fhir.md lists them with their versions):

* INS: ANS "Référentiel INS"; the FHIR systems are the OIDs of the DMP mapping (IG-FHIR-PDSM4DMP-EEDS, TD0.2).
* Professionals and establishments: IdNat_PS ("8" + RPPS) and IdNat_Struct ("1" + FINESS), ANS Annuaire Santé.
* TRE_A07-StatutVisibiliteDocument (OID 1.2.250.1.213.1.1.4.13): ANS Terminologies de santé; the DMP mapping
  (TD3.3a/b) lifts a restriction with ``N`` of HL7 v3 Confidentiality.
* MHD list types, PDSm profiles: IHE MHD 4.2 and ANS PDSm 3.1 (``ans.fhir.fr.pdsm``).
* Mesures de santé profiles and the PhdDevice profile: ANS "Mesures de santé" 3.1 (``ans.fhir.fr.mesures``).

Standard library only.
"""

from __future__ import annotations

FHIR_VERSION = "4.0.1"
FHIR_JSON = "application/fhir+json"
JSON_PATCH = "application/json-patch+json"

# -- identifiers ----------------------------------------------------------------------------------------------
INS_NIR = "urn:oid:1.2.250.1.213.1.4.8"
INS_NIA = "urn:oid:1.2.250.1.213.1.4.9"  # a provisional INS: ens has none, and refuses it by name
IDNAT_PS = "urn:oid:1.2.250.1.71.4.2.1"  # national identifier of a professional: "8" + RPPS
IDNAT_STRUCT = "urn:oid:1.2.250.1.71.4.2.2"  # national identifier of an establishment: "1" + FINESS
RFC3986 = "urn:ietf:rfc:3986"
ENS_APP = "urn:ens:fhir:NamingSystem:app-id"  # a catalogue app's app_id (CONTRACT §7)
FR_CORE_V2_0203 = "https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203"  # identifier types: INS-NIR
IHE_FORMAT = "http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode"
MIME_SUFFICIENT = "urn:ihe:iti:xds:2017:mimeTypeSufficient"

# -- terminologies --------------------------------------------------------------------------------------------
LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
TRE_A07 = "https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument"
TRE_A07_OID = "urn:oid:1.2.250.1.213.1.1.4.13"
MASQUE_PS = "MASQUE_PS"  # hidden from professionals (the patient masked it)
INVISIBLE_PATIENT = "INVISIBLE_PATIENT"  # hidden from the patient until the author lifts it
INVISIBLE_REPRESENTANTS_LEGAUX = "INVISIBLE_REPRESENTANTS_LEGAUX"  # not in ens's Document yet (CONTRACT §10)
V3_CONFIDENTIALITY = "http://terminology.hl7.org/CodeSystem/v3-Confidentiality"
NORMAL = "N"
ENS_CATEGORY = "urn:ens:fhir:CodeSystem:document-category"  # the patient-facing categories of document_types.json
ENS_ERROR = "urn:ens:fhir:CodeSystem:error-code"  # the stable ``code`` of ens's REST errors
ENS_ACCESS = "urn:ens:fhir:CodeSystem:access-action"  # the ``action`` of an access-log entry
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
ALLERGY_VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"
DICOM = "http://dicom.nema.org/resources/ontology/DCM"
RESTFUL_INTERACTION = "http://hl7.org/fhir/restful-interaction"
V3_ACT_REASON = "http://terminology.hl7.org/CodeSystem/v3-ActReason"
V3_PARTICIPATION = "http://terminology.hl7.org/CodeSystem/v3-ParticipationType"
AUDIT_SOURCE_TYPE = "http://terminology.hl7.org/CodeSystem/security-source-type"
MHD_LIST_TYPES = "https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes"
SUBMISSIONSET = "submissionset"
FOLDER = "folder"

# -- profiles -------------------------------------------------------------------------------------------------
PDSM = "https://interop.esante.gouv.fr/ig/fhir/pdsm/StructureDefinition/"
PDSM_DOCUMENT_REFERENCE = PDSM + "pdsm-comprehensive-document-reference"
PDSM_FIND_RESPONSE = PDSM + "pdsm-find-documentreferences-comprehensive-response"
FR_CORE_PATIENT = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient"
PHD_DEVICE = "http://hl7.org/fhir/uv/phd/StructureDefinition/PhdDevice"
MES_PROFILES = ("http://esante.gouv.fr/ci-sis/fhir/StructureDefinition/",
                "https://interop.esante.gouv.fr/ig/fhir/mesures/StructureDefinition/")

# Mesures de santé: the Observation profile of each vital sign ens stores (LOINC code -> profile name). A
# blood-pressure panel (85354-9) carries systolic and diastolic as components.
BP_PANEL = "85354-9"
MES_PROFILE_OF = {
    "29463-7": "ENS_FrObservationBodyWeight",
    "8302-2": "ENS_FrObservationBodyHeight",
    BP_PANEL: "ENS_FrObservationBp",
    "8480-6": "ENS_FrObservationBp",
    "8462-4": "ENS_FrObservationBp",
    "2339-0": "ENS_ObservationGlucose",
    "39156-5": "ENS_FrObservationBmi",
    "8310-5": "ENS_FrObservationBodyTemperature",
    "8867-4": "ENS_FrObservationHeartrate",
}


def mes_profile(code: str) -> str:
    """The canonical URL of the Mesures de santé profile for a LOINC code ens stores."""
    return MES_PROFILES[0] + MES_PROFILE_OF[code]


def idnat_ps(rpps: str) -> str:
    return "8" + rpps


def idnat_struct(finess: str) -> str:
    return "1" + finess
