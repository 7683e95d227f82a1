#!/usr/bin/env python3
"""Population generator for docs/performance.md (no data is committed).

Multiplies the corpus's real Synthea patients into distinct people (each copy gets its own name, birth date,
identifiers and resource ids) and splits each person over several EMRs: every encounter and what points at it go
to one EMR, other records to an EMR chosen from their id, and about 10% of the records are re-sent by a second
EMR (duplicates to merge). Claims and ExplanationOfBenefit are left out (an EMR export has no claims).

    python3 tests/HealthRecord.Sdk.Population/generate.py --corpus /work/shared/corpus --copies 5 --emrs 10 --out /tmp/pop
writes /tmp/pop/emr-00 … /tmp/pop/emr-09, one file per person per EMR that holds records of that person.
"""
import argparse, hashlib, json, os, uuid, glob

SKIP = {"Claim", "ExplanationOfBenefit"}
FAMILY = ["", "Ashdown", "Brightwater", "Calloway", "Dunmore", "Everleigh", "Fairbanks", "Glenister", "Holloway", "Ingleby",
          "Jessop", "Kingsmill", "Lockhart", "Merriweather", "Northcott", "Oakhurst", "Pennington"]
GIVEN = ["", "Ada", "Bram", "Cleo", "Dov", "Esme", "Finn", "Greta", "Hugo", "Iris", "Jude", "Kira", "Leon", "Mira", "Nico", "Opal", "Pia"]

def h(text):
    return int(hashlib.sha256(text.encode()).hexdigest(), 16)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--emrs", type=int, default=10)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    files = sorted(glob.glob(os.path.join(a.corpus, "fhir-bundles", "synthea", "*.json")))
    people = written = 0
    for copy in range(a.copies):
        for path in files:
            text = open(path, encoding="utf-8").read()
            bundle = json.loads(text)
            ids = {e["resource"]["id"] for e in bundle["entry"] if "id" in e.get("resource", {})}
            if copy > 0:
                # New ids everywhere they appear (fullUrls, references, ids) so each copy is its own set of records.
                for old in ids:
                    text = text.replace(old, str(uuid.uuid5(uuid.NAMESPACE_URL, f"{copy}/{old}")))
                bundle = json.loads(text)
            entries = [e for e in bundle["entry"] if e["resource"]["resourceType"] not in SKIP]
            for e in entries:
                r = e["resource"]
                if r["resourceType"] == "Patient" and copy > 0:
                    # A different person: other names (not a suffix the matcher would forgive), birth date, address.
                    for n in r.get("name", []):
                        n["family"] = FAMILY[copy % len(FAMILY)] + n.get("family", "")[::-1].lower() + (str(copy // len(FAMILY)) if copy >= len(FAMILY) else "")
                        n["given"] = [GIVEN[copy % len(GIVEN)] + g[::-1].lower() for g in n.get("given", [])]
                        n.pop("prefix", None)
                    y, m, d = r["birthDate"].split("-")
                    r["birthDate"] = f"{int(y) - 3 * copy:04d}-{(int(m) + copy) % 12 + 1:02d}-{min(int(d), 28):02d}"
                    for ad in r.get("address", []):
                        ad["line"] = [f"{h(str(copy) + l) % 9000 + 100} {FAMILY[(copy + 3) % len(FAMILY)] or 'Main'} Street" for l in ad.get("line", [])]
                        ad["postalCode"] = f"{h(str(copy) + ad.get('postalCode', '')) % 90000 + 10000:05d}"
                    for i in r.get("identifier", []):
                        i["value"] = f"{i.get('value', '')}-c{copy}"
                    for t in r.get("telecom", []):
                        t["value"] = f"555-{copy:03d}-{h(t.get('value', '')) % 10000:04d}"
            by_url = {e["fullUrl"]: e for e in entries}
            emr_of = {}
            for e in entries:
                r = e["resource"]
                enc = r.get("encounter", {}).get("reference") if isinstance(r.get("encounter"), dict) else None
                key = enc if enc in by_url else e["fullUrl"]
                emr_of[e["fullUrl"]] = h(key) % a.emrs
            patient = next(e for e in entries if e["resource"]["resourceType"] == "Patient")
            shared = [e for e in entries if e["resource"]["resourceType"] in ("Organization", "Practitioner", "Location", "PractitionerRole", "Medication")]
            per_emr = {i: [] for i in range(a.emrs)}
            for e in entries:
                if e is patient or e in shared:
                    continue
                first = emr_of[e["fullUrl"]]
                per_emr[first].append(e)
                if h("resend/" + e["fullUrl"]) % 10 == 0:
                    per_emr[(first + 1 + h(e["fullUrl"]) % (a.emrs - 1)) % a.emrs].append(e)
            people += 1
            name = os.path.basename(path).rsplit(".", 1)[0] + f"-{copy}"
            for i, records in per_emr.items():
                if not records:
                    continue
                folder = os.path.join(a.out, f"emr-{i:02d}")
                os.makedirs(folder, exist_ok=True)
                out = {"resourceType": "Bundle", "type": "collection", "entry": [patient] + shared + records}
                with open(os.path.join(folder, name + ".json"), "w", encoding="utf-8") as f:
                    json.dump(out, f, separators=(",", ":"))
                written += 1
    print(f"{people} people, {written} EMR files under {a.out}")

if __name__ == "__main__":
    main()
