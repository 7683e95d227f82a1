using System.Xml;
using System.Xml.Linq;
using Firely.Fhir.Validation;
using HealthRecord.Sdk.Export.Ips;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace HealthRecord.Sdk.Tests.Export.Ips;

/// <summary>Structural checks of an IPS document, IPS profile constraints checkable without the IG, and base R4 validation.</summary>
internal static class IpsChecks
{
    private static readonly Lazy<Validator> R4Validator = new(() =>
    {
        // One resolver for the whole test run: loading and compiling the R4 definitions is the expensive part.
        var source = new CachedResolver(ZipSource.CreateValidationSource());
        var terminology = LocalTerminologyService.CreateDefaultForCore(source.AsAsync());
        return new Validator(source.AsAsync(), terminology);
    });

    private static readonly object ValidatorLock = new();

    /// <summary>Section code to the resource types its entries may be (the IPS Composition's section slices).</summary>
    private static readonly Dictionary<string, string[]> EntryTypes = new()
    {
        [IpsSections.Problems] = ["Condition"],
        [IpsSections.Allergies] = ["AllergyIntolerance"],
        [IpsSections.Medications] = ["MedicationStatement", "MedicationRequest"],
        [IpsSections.Immunizations] = ["Immunization"],
        [IpsSections.Results] = ["Observation", "DiagnosticReport"],
        [IpsSections.Procedures] = ["Procedure"],
        [IpsSections.Devices] = ["DeviceUseStatement", "Device"],
        [IpsSections.VitalSigns] = ["Observation"],
        [IpsSections.PastIllness] = ["Condition"],
        [IpsSections.FunctionalStatus] = ["ClinicalImpression", "Observation", "Condition"],
        [IpsSections.PlanOfCare] = ["CarePlan"],
        [IpsSections.SocialHistory] = ["Observation"],
        [IpsSections.Pregnancy] = ["Observation"],
        [IpsSections.AdvanceDirectives] = ["Consent", "DocumentReference"],
    };

    /// <summary>Every structural problem of the document (empty when it is a well-formed IPS).</summary>
    public static List<string> Structure(Bundle ips)
    {
        var problems = new List<string>();
        if (ips.Type != Bundle.BundleType.Document)
        {
            problems.Add("the bundle is not a document");
        }

        if (ips.Identifier?.System is null || ips.Identifier.Value is null || ips.Timestamp is null)
        {
            problems.Add("a document bundle needs an identifier (system and value) and a timestamp");
        }

        if (ips.Entry.FirstOrDefault()?.Resource is not Composition composition)
        {
            problems.Add("the first entry is not the Composition");
            return problems;
        }

        var urls = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in ips.Entry)
        {
            if (e.FullUrl is null || e.Resource is null || !urls.Add(e.FullUrl))
            {
                problems.Add($"entry without a resource or a unique fullUrl: {e.FullUrl}");
            }
        }

        // Composition: IPS type, subject, author, date, title, confidentiality.
        if (composition.Type?.Coding.Any(c => c.System == IpsSections.Loinc && c.Code == IpsSections.DocumentType) != true)
        {
            problems.Add("Composition.type is not LOINC 60591-5");
        }

        if (composition.Subject?.Reference is not { } subject || !urls.Contains(subject) || Resolve(ips, subject) is not Patient)
        {
            problems.Add("Composition.subject does not resolve to the document's Patient");
        }

        if (composition.Author.Count == 0 || composition.Date is null || string.IsNullOrEmpty(composition.Title) || composition.Confidentiality is null)
        {
            problems.Add("Composition needs author, date, title and confidentiality");
        }

        // Sections: known codes, document order, the required ones present, emptyReason exactly when empty.
        var order = IpsSections.All.Select(s => s.Code).ToList();
        var codes = composition.Section.Select(s => s.Code?.Coding.FirstOrDefault(c => c.System == IpsSections.Loinc)?.Code ?? "").ToList();
        if (codes.Any(c => !order.Contains(c)))
        {
            problems.Add("a section code is not an IPS section: " + string.Join(",", codes));
        }

        if (!codes.SequenceEqual(codes.OrderBy(order.IndexOf)) || codes.Distinct().Count() != codes.Count)
        {
            problems.Add("sections are out of order or repeated: " + string.Join(",", codes));
        }

        foreach (var required in IpsSections.All.Where(s => s.Required))
        {
            if (!codes.Contains(required.Code))
            {
                problems.Add($"required section {required.Code} is missing");
            }
        }

        var entryUrls = new HashSet<string>(StringComparer.Ordinal);
        foreach (var s in composition.Section)
        {
            var code = s.Code?.Coding.FirstOrDefault()?.Code ?? "";
            if (s.Entry.Count == 0 != (s.EmptyReason is not null))
            {
                problems.Add($"section {code}: emptyReason must be present exactly when there are no entries");
            }

            if (s.Text?.Div is null)
            {
                problems.Add($"section {code} has no narrative");
            }

            if (string.IsNullOrEmpty(s.Title))
            {
                problems.Add($"section {code} has no title");
            }

            foreach (var entry in s.Entry)
            {
                var target = entry.Reference is { } r ? Resolve(ips, r) : null;
                if (target is null)
                {
                    problems.Add($"section {code} entry {entry.Reference} does not resolve");
                }
                else if (EntryTypes.TryGetValue(code, out var types) && !types.Contains(target.TypeName))
                {
                    problems.Add($"section {code} holds a {target.TypeName}");
                }

                if (entry.Reference is { } u && !entryUrls.Add(u))
                {
                    problems.Add($"{u} is an entry of two sections (every fact appears once)");
                }
            }
        }

        // Every reference inside the document resolves inside it; every narrative is well-formed XHTML.
        foreach (var e in ips.Entry.Where(e => e.Resource is not null))
        {
            foreach (var (element, reference) in ResourceReferences.Enumerate(e.Resource!))
            {
                if (reference.Reference is { } text && !text.StartsWith('#') && !urls.Contains(text))
                {
                    problems.Add($"{e.Resource!.TypeName}.{element} refers to {text}, which is not in the document");
                }
            }

            foreach (var div in Narratives(e.Resource!))
            {
                if (!IsWellFormedXhtml(div))
                {
                    problems.Add($"{e.Resource!.TypeName}/{e.Resource.Id}: a narrative is not well-formed XHTML");
                }
            }
        }

        if (composition.Text?.Div is null)
        {
            problems.Add("the Composition has no narrative");
        }

        // Round trip through Firely's parser.
        var json = FhirJson.Serialize(ips);
        if (FhirJson.Serialize(FhirJson.Parse<Bundle>(json)) != json)
        {
            problems.Add("the document does not round-trip through Firely's parser");
        }

        return problems;
    }

    /// <summary>IPS profile constraints that need no IG package: what the IPS profiles require of the entries.</summary>
    public static List<string> IpsProfileConstraints(Bundle ips)
    {
        var problems = new List<string>();
        var composition = (Composition)ips.Entry[0].Resource!;
        var patientUrl = composition.Subject!.Reference!;
        foreach (var s in composition.Section)
        {
            foreach (var entry in s.Entry)
            {
                var r = Resolve(ips, entry.Reference!)!;
                var (subject, code) = r switch
                {
                    Condition c => (c.Subject?.Reference, c.Code),
                    AllergyIntolerance a => (a.Patient?.Reference, a.Code),
                    MedicationStatement m => (m.Subject?.Reference, m.Medication as CodeableConcept ?? (m.Medication is ResourceReference mr ? new CodeableConcept { Text = mr.Reference } : null)),
                    MedicationRequest m => (m.Subject?.Reference, m.Medication as CodeableConcept ?? (m.Medication is ResourceReference mr ? new CodeableConcept { Text = mr.Reference } : null)),
                    Immunization i => (i.Patient?.Reference, i.VaccineCode),
                    Observation o => (o.Subject?.Reference, o.Code),
                    Procedure p => (p.Subject?.Reference, p.Code),
                    _ => (patientUrl, new CodeableConcept { Text = "n/a" }),
                };
                if (subject != patientUrl)
                {
                    problems.Add($"{r.TypeName}/{r.Id}: its subject is not the document's Patient ({subject})");
                }

                if (code is null)
                {
                    problems.Add($"{r.TypeName}/{r.Id}: no code (IPS entries say what they are about)");
                }

                if (r is Immunization { Occurrence: null })
                {
                    problems.Add($"Immunization/{r.Id}: no occurrence");
                }

                if (r is Observation { Effective: null })
                {
                    problems.Add($"Observation/{r.Id}: no effective time");
                }
            }

            // "No known …" entries stand alone in their section and use the IPS absent/unknown codes.
            var noKnown = s.Entry.Select(e => Resolve(ips, e.Reference!)).Count(r => FhirJson.Serialize(r!).Contains(IpsSections.AbsentUnknownSystem, StringComparison.Ordinal));
            if (noKnown > 0 && s.Entry.Count != 1)
            {
                problems.Add($"section {s.Title}: a 'no known' statement beside other entries");
            }
        }

        if (ips.Meta?.Security.Any(c => c.Code == composition.Confidentiality?.ToString()) != true)
        {
            problems.Add("the bundle's confidentiality label differs from the Composition's");
        }

        return problems;
    }

    /// <summary>Errors (and fatal issues) from validating the bundle against base FHIR R4.</summary>
    public static List<string> ValidateR4(Bundle ips) => ValidateR4((Resource)ips);

    /// <summary>
    /// The base R4 errors of the document that the IPS did not add: errors in a record the document carries as the EHR
    /// holds it, which the EHR's own copy of that record has too (a source or adapter defect, reported, not hidden).
    /// </summary>
    public static (List<string> Added, List<string> Inherited) ValidateR4Against(Bundle ips, Func<string, Resource?> ehrRecord)
    {
        var added = new List<string>();
        var inherited = new List<string>();
        foreach (var error in ValidateR4(ips))
        {
            var match = System.Text.RegularExpressions.Regex.Match(error, @"^Bundle\.entry\[(\d+)\]\.resource\[0\]");
            var index = match.Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : -1;
            var carried = index >= 0 && index < ips.Entry.Count ? ips.Entry[index].Resource : null;
            var original = carried is null ? null : ehrRecord($"{carried.TypeName}/{carried.Id}");
            var message = error[(error.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim();
            if (original is not null && ValidateR4(original).Any(e => e.EndsWith(message, StringComparison.Ordinal)))
            {
                inherited.Add($"{carried!.TypeName}/{carried.Id}: {message}");
            }
            else
            {
                added.Add(error);
            }
        }

        return (added, inherited);
    }

    public static List<string> ValidateR4(Resource resource)
    {
        OperationOutcome outcome;
        lock (ValidatorLock)
        {
            outcome = R4Validator.Value.Validate(resource);
        }

        return [.. outcome.Issue
            .Where(i => i.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal)
            .Select(i => $"{string.Join(",", i.Expression)}: {i.Details?.Text ?? i.Diagnostics}")];
    }

    public static bool IsWellFormedXhtml(string div)
    {
        try
        {
            using var reader = XmlReader.Create(new StringReader(div), new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit });
            var root = XElement.Load(reader);
            return root.Name == XName.Get("div", "http://www.w3.org/1999/xhtml");
        }
        catch (XmlException)
        {
            return false;
        }
    }

    public static IEnumerable<string> Narratives(Resource resource)
    {
        if (resource is DomainResource { Text.Div: { } div })
        {
            yield return div;
        }

        if (resource is Composition c)
        {
            foreach (var s in c.Section)
            {
                if (s.Text?.Div is { } sd)
                {
                    yield return sd;
                }
            }
        }
    }

    public static Resource? Resolve(Bundle ips, string reference) => ips.Entry.FirstOrDefault(e => e.FullUrl == reference)?.Resource;
}
