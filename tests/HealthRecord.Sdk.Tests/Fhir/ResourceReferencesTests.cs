using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Fhir;

public sealed class ResourceReferencesTests
{
    [Fact]
    public void FindsReferencesInExtensionsOfCodingsConceptsAndMeta()
    {
        var observation = new Observation
        {
            Subject = new ResourceReference("Patient/1"),
            Code = new CodeableConcept("http://loinc.org", "1-8"),
            Meta = new Meta(),
        };
        observation.Code.Coding[0].AddExtension("http://example.org/coded-by", new ResourceReference("Practitioner/2"));
        observation.Code.AddExtension("http://example.org/concept-source", new ResourceReference("Organization/3"));
        observation.Meta.Tag.Add(new Coding("http://example.org/tags", "t"));
        observation.Meta.Tag[0].AddExtension("http://example.org/tagged-by", new ResourceReference("Device/4"));
        observation.Value = new Quantity(1, "mg");
        observation.Value.AddExtension("http://example.org/measured-by", new ResourceReference("Device/5"));

        var found = ResourceReferences.Enumerate(observation).Select(r => r.Reference.Reference).ToList();

        // Document order: meta, then the concept's own extension before its codings, the subject, the value.
        Assert.Equal(["Device/4", "Organization/3", "Practitioner/2", "Patient/1", "Device/5"], found);
    }

    [Fact]
    public void FindsWhatAFullWalkFinds_InTheSampleData()
    {
        var resources = Directory.EnumerateFiles(Path.Combine(Corpus.RepositoryRoot, "docs", "samples", "data"), "*.json")
            .SelectMany(f => FhirJson.Parse<Bundle>(File.ReadAllText(f)).Entry.Select(e => e.Resource!))
            .ToList();
        Assert.NotEmpty(resources);
        foreach (var resource in resources)
        {
            Assert.Equal(FullWalk(resource).Select(r => (r.Element, r.Reference.Reference)), ResourceReferences.Enumerate(resource).Select(r => (r.Element, r.Reference.Reference)));
        }
    }

    // Every node but primitives, in document order.
    private static IEnumerable<(string Element, ResourceReference Reference)> FullWalk(Base node, string name = "")
    {
        if (node is ResourceReference reference)
        {
            yield return (name, reference);
        }

        if (node is PrimitiveType)
        {
            yield break;
        }

        foreach (var child in node.EnumerateElements())
        {
            var items = child.Value is Base b ? [b] : child.Value is System.Collections.IEnumerable list and not string ? list.OfType<Base>() : [];
            foreach (var item in items)
            {
                foreach (var found in FullWalk(item, child.Key))
                {
                    yield return found;
                }
            }
        }
    }
}
