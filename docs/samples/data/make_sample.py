#!/usr/bin/env python3
"""Builds the demo's three simulated EMRs from one Synthea patient (Apache-2.0, see NOTICE.md).

Run from the repository root with the shared corpus beside it:
    python3 docs/samples/data/make_sample.py ../shared/corpus/fhir-bundles/synthea/Man_Schamberger_658406c8-d60a-4fce-85c0-602a712aaa86.json

What it simulates (and what the demo must therefore show):
  valley-primary-care  FHIR transaction bundle (Synthea's own form, urn:uuid references): the ambulatory
                       encounters and everything recorded at them, the patient, the practice.
  st-marys-hospital    FHIR collection bundle with relative Type/id references and its own ids and MRN:
                       the emergency and inpatient encounters, plus the copies of the problem list,
                       medication list and immunizations it received from the practice (same business
                       identifiers, no encounter links); one problem is stale (still 'active' here,
                       'resolved' at the practice), which the EHR must report as a conflict.
  northeast-lab        Bulk-data style NDJSON folder with its own patient id: copies of every laboratory
                       result, plus two records a real feed would carry that cannot be used (a result
                       without a code, a result without a patient) and must be rejected with a reason.
"""
import copy, hashlib, json, os, sys

src = sys.argv[1]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)))
bundle = json.load(open(src))
res = [e["resource"] for e in bundle["entry"]]
full = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
patient = next(r for r in res if r["resourceType"] == "Patient")
PRACTICE_ID = "urn:oid:2.16.840.1.113883.3.7001.1"  # the practice's record-id namespace (fictional OID)

def rid(*parts):
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]

def ref_target(r):
    x = r.get("reference", "")
    return full.get(x)

def encounter_of(r):
    for key in ("encounter", "context"):
        v = r.get(key)
        if isinstance(v, dict) and ref_target(v):
            return ref_target(v)
    if r["resourceType"] in ("Claim",):
        for item in r.get("item", []):
            for e in item.get("encounter", []):
                if ref_target(e):
                    return ref_target(e)
    if r["resourceType"] == "ExplanationOfBenefit":
        for item in r.get("item", []):
            for e in item.get("encounter", []):
                if ref_target(e):
                    return ref_target(e)
    return None

def is_lab(r):
    return r["resourceType"] == "Observation" and any(
        c.get("code") == "laboratory" for cat in r.get("category", []) for c in cat.get("coding", []))

hospital_classes = {"EMER", "IMP"}
A, B = [], []
for e in bundle["entry"]:
    r = e["resource"]
    t = r["resourceType"]
    if t in ("Patient", "Organization", "Practitioner"):
        A.append(e); continue
    enc = r if t == "Encounter" else encounter_of(r)
    if t == "ExplanationOfBenefit" and enc is None:
        claim = ref_target(r.get("claim", {}))
        enc = encounter_of(claim) if claim else None
    if enc is not None and enc["class"]["code"] in hospital_classes:
        B.append(e)
    else:
        A.append(e)

# Business identifiers for the practice's clinical records, so copies elsewhere can be recognised.
for e in A:
    r = e["resource"]
    if r["resourceType"] in ("Condition", "MedicationRequest", "Immunization", "Observation", "DiagnosticReport", "Procedure"):
        r.setdefault("identifier", []).append({"system": PRACTICE_ID, "value": f'{r["resourceType"]}-{r["id"]}'})
patient.setdefault("identifier", []).append(
    {"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
     "system": "urn:oid:2.16.840.1.113883.3.7001.2", "value": "VPC-" + patient["id"][:8].upper()})

with open(os.path.join(out, "valley-primary-care.json"), "w") as f:
    json.dump({"resourceType": "Bundle", "type": "transaction", "entry": A}, f, indent=1)

# The hospital: own ids, relative references.
hosp_ids = {}
def hid(r):
    key = r["resourceType"] + "/" + r["id"]
    hosp_ids.setdefault(key, rid("st-marys", key))
    return hosp_ids[key]

hp = copy.deepcopy(patient)
hp["id"] = hid(patient)
hp["identifier"] = [i for i in hp["identifier"] if i.get("system") != "urn:oid:2.16.840.1.113883.3.7001.2"]
hp["identifier"].append({"type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}]},
                         "system": "urn:oid:2.16.840.1.113883.3.7002.2", "value": "SMH" + patient["id"][-6:].upper()})
hospital = [hp]

def rewrite_refs(node, mapping):
    if isinstance(node, dict):
        for k, v in list(node.items()):
            if k == "reference" and isinstance(v, str):
                tgt = full.get(v)
                if tgt is not None:
                    node[k] = mapping(tgt)
            else:
                rewrite_refs(v, mapping)
    elif isinstance(node, list):
        for x in node:
            rewrite_refs(x, mapping)

needed_shared = set()
in_practice = {id(e["resource"]) for e in A}
def hosp_ref(tgt):
    if tgt["resourceType"] in ("Organization", "Practitioner"):
        needed_shared.add(tgt["resourceType"] + "/" + tgt["id"])
    if id(tgt) in in_practice and tgt["resourceType"] in ("Condition", "MedicationRequest", "Immunization"):
        # The hospital holds its own copy of the practice's problem/medication lists; point at that copy.
        return tgt["resourceType"] + "/" + rid("st-marys-copy", tgt["id"])
    return tgt["resourceType"] + "/" + hid(tgt)

for e in B:
    r = copy.deepcopy(e["resource"])
    r["id"] = hid(e["resource"])
    rewrite_refs(r, hosp_ref)
    hospital.append(r)
for e in A:
    r0 = e["resource"]
    if r0["resourceType"] in ("Organization", "Practitioner") and r0["resourceType"] + "/" + r0["id"] in needed_shared:
        r = copy.deepcopy(r0); r["id"] = hid(r0); hospital.append(r)

# Copies the hospital received from the practice (problem list, medication list, immunizations).
stale_done = False
for e in A:
    r0 = e["resource"]
    if r0["resourceType"] not in ("Condition", "MedicationRequest", "Immunization"):
        continue
    r = copy.deepcopy(r0)
    r["id"] = rid("st-marys-copy", r0["id"])
    for key in ("encounter", "context", "requester"):
        r.pop(key, None)
    r.pop("text", None)
    rewrite_refs(r, hosp_ref)
    if r0["resourceType"] == "Condition" and not stale_done and "abatementDateTime" in r0:
        # The hospital never heard that this problem resolved.
        r["clinicalStatus"] = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/condition-clinical", "code": "active"}]}
        r.pop("abatementDateTime", None)
        stale_done = True
    hospital.append(r)

with open(os.path.join(out, "st-marys-hospital.json"), "w") as f:
    json.dump({"resourceType": "Bundle", "type": "collection",
               "entry": [{"fullUrl": f'https://fhir.st-marys.example/{r["resourceType"]}/{r["id"]}', "resource": r} for r in hospital]}, f, indent=1)

# The lab: NDJSON, one file per type, its own patient id.
lab_dir = os.path.join(out, "northeast-lab")
os.makedirs(lab_dir, exist_ok=True)
lp = copy.deepcopy(patient)
lp["id"] = "lab-" + patient["id"][:8]
lp["identifier"] = [{"system": "urn:oid:2.16.840.1.113883.3.7003.2", "value": "NEL" + patient["id"][:6].upper()}]
lp.pop("text", None)
labs = []
for e in A + B:
    r0 = e["resource"]
    if not is_lab(r0):
        continue
    r = copy.deepcopy(r0)
    r["id"] = "obs-" + rid("lab", r0["id"])
    r.pop("encounter", None)
    r["subject"] = {"reference": "Patient/" + lp["id"]}
    if not any(i.get("system") == PRACTICE_ID for i in r.get("identifier", [])):
        r.setdefault("identifier", []).append({"system": PRACTICE_ID, "value": f'Observation-{r0["id"]}'})
    labs.append(r)
bad_code = copy.deepcopy(labs[0]); bad_code["id"] = "obs-missing-code"; bad_code.pop("identifier")
bad_code["code"] = {"coding": [{"display": bad_code["code"]["coding"][0].get("display", "result")}]}  # display only: no code, no text
bad_subject = copy.deepcopy(labs[1]); bad_subject["id"] = "obs-missing-subject"; bad_subject.pop("identifier")
bad_subject.pop("subject")
labs += [bad_code, bad_subject]
with open(os.path.join(lab_dir, "Patient.ndjson"), "w") as f:
    f.write(json.dumps(lp) + "\n")
with open(os.path.join(lab_dir, "Observation.ndjson"), "w") as f:
    for r in labs:
        f.write(json.dumps(r) + "\n")
print(len(A), "practice entries;", len(hospital), "hospital resources;", len(labs), "lab results")
