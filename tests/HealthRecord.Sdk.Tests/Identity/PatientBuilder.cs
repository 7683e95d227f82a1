using HealthRecord.Sdk.Identity;
using Hl7.Fhir.Model;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Identity;

/// <summary>Builds FHIR Patients for linkage tests (hand-made from C-CDA recordTarget data, or generated families).</summary>
internal static class PatientBuilder
{
    public static PatientCandidate Candidate(string source, string id, string given, string family, string? birthDate, AdministrativeGender? gender = null,
        string? line = null, string? city = null, string? state = null, string? postalCode = null, string? phone = null,
        string? ssn = null, (string System, string Value)? mrn = null, string? middle = null, bool multipleBirth = false)
    {
        var patient = new Patient { Id = id, BirthDate = birthDate, Gender = gender };
        var name = new HumanName { Family = family, Use = HumanName.NameUse.Official };
        name.Given = middle is null ? [given] : [given, middle];
        patient.Name.Add(name);
        if (line is not null || city is not null || postalCode is not null)
        {
            patient.Address.Add(new Address { Line = line is null ? [] : [line], City = city, State = state, PostalCode = postalCode, Use = Address.AddressUse.Home });
        }

        if (phone is not null)
        {
            patient.Telecom.Add(new ContactPoint(ContactPoint.ContactPointSystem.Phone, ContactPoint.ContactPointUse.Home, phone));
        }

        if (ssn is not null)
        {
            patient.Identifier.Add(new Identifier("http://hl7.org/fhir/sid/us-ssn", ssn));
        }

        if (mrn is { } m)
        {
            patient.Identifier.Add(new Identifier(m.System, m.Value)
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "MR"),
            });
        }

        if (multipleBirth)
        {
            patient.MultipleBirth = new FhirBoolean(true);
        }

        return new PatientCandidate($"{source}:Patient/{id}", source, patient);
    }

    public static string[] PersonOf(this PatientLinkResult result, string key) =>
        result.Persons.Single(p => p.Contains(key)).ToArray();

    public static bool SamePerson(this PatientLinkResult result, string a, string b) => result.PersonOf(a).Contains(b);

    public static PatientLink? LinkBetween(this PatientLinkResult result, string a, string b) =>
        result.Links.SingleOrDefault(l => (l.Left == a && l.Right == b) || (l.Left == b && l.Right == a));
}
