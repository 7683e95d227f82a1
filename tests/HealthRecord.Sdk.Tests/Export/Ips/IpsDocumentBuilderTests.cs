#nullable disable warnings
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Export;
using HealthRecord.Sdk.Export.Ips;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Model;
using HealthRecord.Sdk.Security;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using static HealthRecord.Sdk.Tests.Consent.TestEhr;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Export.Ips;

public class IpsDocumentBuilderTests
{
    private static readonly DateTimeOffset DocumentDate = new(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);

    internal static async Task<(EhrAggregate Ehr, IpsDocument Ips)> SampleAsync(bool provenance = true)
    {
        var result = await TestHost.AggregateAsync(TestHost.SampleSources, hr => hr.Configure((HealthRecordOptions o) =>
        {
            o.SaveToStore = false;
            foreach (var s in TestHost.SampleSources)
            {
                o.SourcePriority.Add(s.Name);
            }
        }));
        var ehr = Assert.Single(result.Ehrs);
        using var sp = Services();
        var ips = await sp.GetRequiredService<IIpsDocumentBuilder>().BuildAsync(ehr, new IpsRequest { Date = DocumentDate, IncludeProvenance = provenance });
        return (ehr, ips);
    }

    private static async Task<IpsDocument> BuildAsync(Bundle ehr, IpsRequest? request = null)
    {
        using var sp = Services();
        return await sp.GetRequiredService<IIpsDocumentBuilder>().BuildAsync(ehr, request ?? new IpsRequest { Date = DocumentDate });
    }

    [Fact]
    public async Task BuildAsync_SamplePatient_IsAWellFormedIpsThatValidatesAgainstR4()
    {
        var (_, ips) = await SampleAsync();

        Assert.Empty(IpsChecks.Structure(ips.Bundle));
        Assert.Empty(IpsChecks.IpsProfileConstraints(ips.Bundle));
        Assert.Empty(IpsChecks.ValidateR4(ips.Bundle));
        Assert.Equal(["11450-4", "48765-2", "10160-0"], ips.Sections.Take(3).Select(s => s.Code));
        Assert.Contains(ips.Bundle.Entry, e => e.Resource is Provenance);
    }

    [Fact]
    public async Task BuildAsync_SamplePatient_MatchesSnapshot()
    {
        var (_, ips) = await SampleAsync();

        Snapshots.Match(Newtonsoft.Json.Linq.JToken.Parse(FhirJson.Serialize(ips.Bundle)), "ips-sample");
    }

    [Fact]
    public async Task BuildAsync_SamplePatient_EveryActiveProblemMedicationAndAllergyOfTheCurrentViewOnce()
    {
        var (ehr, ips) = await SampleAsync(provenance: false);
        var view = global::HealthRecord.Sdk.Views.EhrCurrentView.Of(ehr);
        var problems = ips.Composition.Section.Single(s => s.Code.Coding[0].Code == IpsSections.Problems);
        var medications = ips.Composition.Section.Single(s => s.Code.Coding[0].Code == IpsSections.Medications);

        Assert.Equal(view.Problems.Select(p => EhrIds.FullUrl(p.Reference.Split('/')[1])).Order(), problems.Entry.Select(e => e.Reference).Order());
        Assert.Equal(view.Medications.Select(p => EhrIds.FullUrl(p.Reference.Split('/')[1])).Order(), medications.Entry.Select(e => e.Reference).Order());
    }

    [Fact]
    public async Task BuildAsync_NothingOfARequiredKind_SectionCarriesEmptyReasonAndSaysNoInformation()
    {
        var ips = await BuildAsync(Bundle(Patient(), Condition("c1", Icd10, "J45.909", "Asthma")));

        var allergies = ips.Composition.Section.Single(s => s.Code.Coding[0].Code == IpsSections.Allergies);
        Assert.Empty(allergies.Entry);
        Assert.Equal("unavailable", allergies.EmptyReason.Coding[0].Code);
        Assert.Contains("No information about allergies", allergies.Text.Div, StringComparison.Ordinal);
        Assert.Equal(3, ips.Composition.Section.Count); // recommended sections only when the EHR has something for them
        Assert.Empty(IpsChecks.Structure(ips.Bundle));
        Assert.Empty(IpsChecks.ValidateR4(ips.Bundle));
    }

    [Fact]
    public async Task BuildAsync_OnlyInactiveRecordsOfARequiredKind_NoKnownStatementEntry()
    {
        var allergy = new AllergyIntolerance
        {
            Id = Id("a1"),
            Patient = new ResourceReference(Urn("patient")),
            ClinicalStatus = new CodeableConcept("http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical", "resolved"),
            Code = new CodeableConcept("http://snomed.info/sct", "91936005", "Penicillin allergy"),
        };
        var stopped = new MedicationRequest
        {
            Id = Id("m1"),
            Status = MedicationRequest.MedicationrequestStatus.Stopped,
            Intent = MedicationRequest.MedicationRequestIntent.Order,
            Subject = new ResourceReference(Urn("patient")),
            Medication = new CodeableConcept("http://www.nlm.nih.gov/research/umls/rxnorm", "197361", "Amlodipine 5 MG"),
        };
        var ips = await BuildAsync(Bundle(Patient(), allergy, stopped));

        var allergies = ips.Sections.Single(s => s.Code == IpsSections.Allergies);
        var medications = ips.Sections.Single(s => s.Code == IpsSections.Medications);
        Assert.True(allergies.NoKnown);
        Assert.True(medications.NoKnown);
        Assert.Null(allergies.EmptyReason);
        var noKnown = Assert.IsType<AllergyIntolerance>(IpsChecks.Resolve(ips.Bundle, ips.Composition.Section[1].Entry[0].Reference));
        Assert.Equal("no-known-allergies", noKnown.Code.Coding[0].Code);
        Assert.Equal(IpsSections.AbsentUnknownSystem, noKnown.Code.Coding[0].System);
        Assert.Empty(IpsChecks.Structure(ips.Bundle));
        Assert.Empty(IpsChecks.IpsProfileConstraints(ips.Bundle));
        Assert.Empty(IpsChecks.ValidateR4(ips.Bundle));
    }

    [Fact]
    public async Task BuildAsync_MarkupInRecordText_IsEscapedAndTheNarrativeStaysWellFormed()
    {
        const string hostile = "<script>alert('x')</script> & \"quoted\" \u0001 <b>bold";
        var ips = await BuildAsync(Bundle(Patient(), Condition("c1", Icd10, "J45.909", hostile)));

        var div = ips.Composition.Section[0].Text.Div;
        Assert.True(IpsChecks.IsWellFormedXhtml(div));
        Assert.DoesNotContain("<script", div, StringComparison.Ordinal);
        Assert.Contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;quoted&quot;", div, StringComparison.Ordinal);
        Assert.DoesNotContain("<script", IpsHtml.Render(ips.Bundle), StringComparison.Ordinal);
    }

    [Fact]
    public async Task BuildAsync_ConflictOnTheProvenance_IsNotedInTheSectionNarrative()
    {
        var condition = Condition("c1", Icd10, "I10", "Hypertension");
        var provenance = new Provenance
        {
            Id = Id("p1"),
            Target = [new ResourceReference(Urn("c1"))],
            Recorded = DocumentDate,
            Agent = [new Provenance.AgentComponent { Who = new ResourceReference { Display = "HealthRecord.Sdk" } }],
            Entity =
            [
                new Provenance.EntityComponent { Role = Provenance.ProvenanceEntityRole.Source, What = new ResourceReference { Identifier = new Identifier(EhrIds.SourceSystemPrefix + "clinic", "Condition/7") } },
                new Provenance.EntityComponent { Role = Provenance.ProvenanceEntityRole.Source, What = new ResourceReference { Identifier = new Identifier(EhrIds.SourceSystemPrefix + "hospital", "Condition/9") } },
            ],
            Extension = [new Extension(EhrProvenanceExtensions.ConflictUrl, new FhirString("clinicalStatus: kept 'active' from clinic:Condition/7; also 'resolved' from hospital:Condition/9"))],
        };
        var ips = await BuildAsync(Bundle(Patient(), condition, provenance), new IpsRequest { Date = DocumentDate, IncludeProvenance = true });

        var div = ips.Composition.Section[0].Text.Div;
        Assert.Contains("sources disagree on clinicalStatus: kept &#39;active&#39; from clinic:Condition/7; also &#39;resolved&#39; from hospital:Condition/9", div, StringComparison.Ordinal);
        Assert.Contains("<td>clinic, hospital</td>", div, StringComparison.Ordinal);
        var carried = Assert.Single(ips.Bundle.Entry.Select(e => e.Resource).OfType<Provenance>());
        Assert.Equal(Urn("c1"), carried.Target.Single().Reference);
        Assert.Empty(IpsChecks.ValidateR4(ips.Bundle));
    }

    [Fact]
    public async Task BuildAsync_WithoutProvenanceOption_CarriesNoProvenance()
    {
        var (_, ips) = await SampleAsync(provenance: false);

        Assert.DoesNotContain(ips.Bundle.Entry, e => e.Resource is Provenance);
    }

    [Fact]
    public async Task BuildAsync_RestrictedRecord_DocumentConfidentialityIsTheHighestLabel()
    {
        var normal = Condition("c1", Icd10, "J45.909", "Asthma");
        var restricted = Condition("c2", Icd10, "E11.9", "Type 2 diabetes");
        restricted.Meta = new Meta { Security = [SecurityLabelSystems.ConfidentialityCoding("R")] };
        var ips = await BuildAsync(Bundle(Patient(), normal, restricted));
        var plain = await BuildAsync(Bundle(Patient(), Condition("c1", Icd10, "J45.909", "Asthma")));

        Assert.Equal(Composition.V3ConfidentialityClassification.R, ips.Composition.Confidentiality);
        Assert.Equal("R", ips.Bundle.Meta.Security.Single().Code);
        Assert.Equal(Composition.V3ConfidentialityClassification.N, plain.Composition.Confidentiality);
    }

    [Fact]
    public async Task BuildAsync_ReferencesToRecordsOutsideTheDocument_AreRemovedAndSupportingResourcesCarried()
    {
        var encounter = new Encounter { Id = Id("e1"), Status = Encounter.EncounterStatus.Finished, Class = new Coding("http://terminology.hl7.org/CodeSystem/v3-ActCode", "AMB"), Subject = new ResourceReference(Urn("patient")) };
        var doctor = Practitioner("doctor");
        var condition = Condition("c1", Icd10, "J45.909", "Asthma");
        condition.Encounter = new ResourceReference(Urn("e1"));
        condition.Asserter = new ResourceReference(Urn("doctor"));
        var ips = await BuildAsync(Bundle(Patient(), encounter, doctor, condition));

        var carried = Assert.IsType<Condition>(IpsChecks.Resolve(ips.Bundle, Urn("c1")));
        Assert.Null(carried.Encounter);
        Assert.Equal(Urn("doctor"), carried.Asserter.Reference);
        Assert.NotNull(IpsChecks.Resolve(ips.Bundle, Urn("doctor")));
        Assert.Null(IpsChecks.Resolve(ips.Bundle, Urn("e1")));
        Assert.Empty(IpsChecks.Structure(ips.Bundle));
    }

    [Fact]
    public async Task BuildAsync_BundleAndAggregate_GiveTheSameDocument()
    {
        var (ehr, fromAggregate) = await SampleAsync();
        var fromBundle = await BuildAsync(FhirJson.Parse<Bundle>(FhirJson.Serialize(EhrBundleBuilder.Build(ehr))), new IpsRequest { Date = DocumentDate, IncludeProvenance = true });

        Assert.Equal(FhirJson.Serialize(fromAggregate.Bundle), FhirJson.Serialize(fromBundle.Bundle));
    }

    [Fact]
    public async Task BuildAsync_InputIsNotChanged()
    {
        var ehr = Bundle(Patient(), Condition("c1", Icd10, "J45.909", "Asthma"));
        var before = FhirJson.Serialize(ehr);

        await BuildAsync(ehr);

        Assert.Equal(before, FhirJson.Serialize(ehr));
    }

    [Fact]
    public async Task BuildAsync_BundleWithoutPatient_ThrowsIpsException()
    {
        var ex = await Assert.ThrowsAsync<IpsException>(() => BuildAsync(Bundle(Condition("c1", Icd10, "J45.909", "Asthma"))));

        Assert.Equal(Errors.HealthRecordErrorCode.MissingRequiredData, ex.Code);
    }

    [Fact]
    public async Task AddHealthRecord_RegistersTheBuilderAndTheIpsExporter()
    {
        var (ehr, _) = await SampleAsync(provenance: false);
        using var sp = Services();
        var exporter = Assert.Single(sp.GetServices<IEhrExporter>(), e => e.Format == "ips");
        using var output = new MemoryStream();

        await exporter.ExportAsync(ehr, output);

        var written = FhirJson.Parse<Bundle>(System.Text.Encoding.UTF8.GetString(output.ToArray()));
        Assert.IsType<IpsDocumentBuilder>(sp.GetRequiredService<IIpsDocumentBuilder>());
        Assert.Empty(IpsChecks.Structure(written));
    }
}
