using System.Text;

namespace HealthRecord.Sdk.Warmup;

/// <summary>
/// Two small FHIR R4 EMRs of one fictional person (written for the warm-up, no real data): a clinic and a hospital
/// that report some of the same facts, so that the warm-up runs identity linking, duplicate matching, a merge with a
/// conflict and the types most EMRs hold.
/// </summary>
internal static class SyntheticEmrs
{
    private const string Clinic = """
        {"resourceType":"Bundle","type":"collection","entry":[
        {"fullUrl":"https://clinic.example/fhir/Patient/wu-p1","resource":{"resourceType":"Patient","id":"wu-p1",
         "identifier":[{"system":"https://clinic.example/mrn","value":"WU-0001"}],
         "name":[{"family":"Warmup","given":["Example"]}],"gender":"female","birthDate":"1970-01-01",
         "address":[{"line":["1 Example Street"],"city":"Exampleton","postalCode":"00000","country":"US"}],
         "telecom":[{"system":"phone","value":"555-0100"}]}},
        {"fullUrl":"https://clinic.example/fhir/Encounter/wu-e1","resource":{"resourceType":"Encounter","id":"wu-e1","status":"finished",
         "class":{"system":"http://terminology.hl7.org/CodeSystem/v3-ActCode","code":"AMB"},
         "subject":{"reference":"Patient/wu-p1"},"period":{"start":"2020-03-01T09:00:00Z","end":"2020-03-01T09:30:00Z"}}},
        {"fullUrl":"https://clinic.example/fhir/Condition/wu-c1","resource":{"resourceType":"Condition","id":"wu-c1",
         "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
         "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"confirmed"}]},
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006","display":"Diabetes mellitus type 2"}]},
         "subject":{"reference":"Patient/wu-p1"},"encounter":{"reference":"Encounter/wu-e1"},"onsetDateTime":"2019-06-01","recordedDate":"2019-06-02"}},
        {"fullUrl":"https://clinic.example/fhir/Observation/wu-o1","resource":{"resourceType":"Observation","id":"wu-o1","status":"final",
         "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"laboratory"}]}],
         "code":{"coding":[{"system":"http://loinc.org","code":"4548-4","display":"Hemoglobin A1c"}]},
         "subject":{"reference":"Patient/wu-p1"},"effectiveDateTime":"2020-03-01T09:10:00Z",
         "valueQuantity":{"value":7.1,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}},
        {"fullUrl":"https://clinic.example/fhir/MedicationRequest/wu-m1","resource":{"resourceType":"MedicationRequest","id":"wu-m1",
         "status":"active","intent":"order",
         "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975","display":"metformin 500 MG"}]},
         "subject":{"reference":"Patient/wu-p1"},"authoredOn":"2020-03-01"}},
        {"fullUrl":"https://clinic.example/fhir/AllergyIntolerance/wu-a1","resource":{"resourceType":"AllergyIntolerance","id":"wu-a1",
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"91936005","display":"Allergy to penicillin"}]},
         "patient":{"reference":"Patient/wu-p1"},"recordedDate":"2018-05-01"}},
        {"fullUrl":"https://clinic.example/fhir/Immunization/wu-i1","resource":{"resourceType":"Immunization","id":"wu-i1","status":"completed",
         "vaccineCode":{"coding":[{"system":"http://hl7.org/fhir/sid/cvx","code":"140","display":"Influenza, seasonal"}]},
         "patient":{"reference":"Patient/wu-p1"},"occurrenceDateTime":"2019-10-15"}},
        {"fullUrl":"https://clinic.example/fhir/Procedure/wu-pr1","resource":{"resourceType":"Procedure","id":"wu-pr1","status":"completed",
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"73761001","display":"Colonoscopy"}]},
         "subject":{"reference":"Patient/wu-p1"},"performedDateTime":"2019-02-01"}}
        ]}
        """;

    private const string Hospital = """
        {"resourceType":"Bundle","type":"collection","entry":[
        {"fullUrl":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000001","resource":{"resourceType":"Patient","id":"wu-h1",
         "identifier":[{"system":"https://hospital.example/mrn","value":"H-77"},{"system":"https://clinic.example/mrn","value":"WU-0001"}],
         "name":[{"family":"Warmup","given":["Example","E"]}],"gender":"female","birthDate":"1970-01-01",
         "address":[{"line":["1 Example St"],"city":"Exampleton","postalCode":"00000"}]}},
        {"fullUrl":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000002","resource":{"resourceType":"Condition","id":"wu-hc1",
         "clinicalStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-clinical","code":"active"}]},
         "verificationStatus":{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/condition-ver-status","code":"provisional"}]},
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"44054006"}],"text":"Type 2 diabetes"},
         "subject":{"reference":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000001"},"onsetDateTime":"2019-06-01","recordedDate":"2019-06-05"}},
        {"fullUrl":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000003","resource":{"resourceType":"Observation","id":"wu-ho1","status":"final",
         "code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},
         "subject":{"reference":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000001"},"effectiveDateTime":"2020-03-01T09:10:00Z",
         "valueQuantity":{"value":7.1,"unit":"%","system":"http://unitsofmeasure.org","code":"%"}}},
        {"fullUrl":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000004","resource":{"resourceType":"MedicationStatement","id":"wu-hm1","status":"active",
         "medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"860975"}]},
         "subject":{"reference":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000001"},"effectivePeriod":{"start":"2020-03-01"}}},
        {"fullUrl":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000005","resource":{"resourceType":"DiagnosticReport","id":"wu-hd1","status":"final",
         "code":{"coding":[{"system":"http://loinc.org","code":"4548-4"}]},
         "subject":{"reference":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000001"},"effectiveDateTime":"2020-03-01T09:10:00Z",
         "result":[{"reference":"urn:uuid:6f1c2a4e-0000-4000-8000-000000000003"}]}}
        ]}
        """;

    /// <summary>The UTF-8 bytes of EMR <paramref name="index"/> (0: the clinic, 1: the hospital).</summary>
    public static byte[] Document(int index) => Encoding.UTF8.GetBytes(index == 0 ? Clinic : Hospital);
}
