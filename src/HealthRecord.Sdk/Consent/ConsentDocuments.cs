using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;
using System.Text.Json;
using System.Text.Json.Nodes;
using Hl7.Fhir.Serialization;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace HealthRecord.Sdk.Consent;

/// <summary>Reads consents from FHIR JSON: a Consent, or a Bundle of them (the CLI's <c>--consent FILE</c>).</summary>
public static class ConsentDocuments
{
    /// <summary>
    /// Parses the consents in a JSON text. Consents written by other systems often miss an element R4 requires
    /// (<c>scope</c>) or give one value where R4 has a list (<c>provision.code</c>); such a consent is read as far as the
    /// deserializer could recover it, since a partly valid directive must still be honoured. Content that is not
    /// FHIR at all is rejected.
    /// </summary>
    /// <param name="json">A Consent or a Bundle whose entries include Consents (other entries are ignored).</param>
    /// <param name="name">The name of the input, for errors.</param>
    /// <returns>The consents.</returns>
    /// <exception cref="SourceReadException">The text is not FHIR R4 JSON, or holds no Consent.</exception>
    public static IReadOnlyList<FhirConsent> Parse(string json, string name = "consent")
    {
        ArgumentNullException.ThrowIfNull(json);
        Resource resource;
        try
        {
            resource = FhirJson.Parse(Normalize(json));
        }
        catch (DeserializationFailedException ex) when (ex.PartialResult is Resource partial && partial is FhirConsent or Bundle)
        {
            resource = partial;
        }
        catch (DeserializationFailedException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.InvalidResource, name, name, "not a valid FHIR R4 resource: " + ex.Message, ex);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, name, name, ex.Message, ex);
        }
        catch (FormatException ex)
        {
            throw new SourceReadException(HealthRecordErrorCode.MalformedContent, name, name, ex.Message, ex);
        }

        IReadOnlyList<FhirConsent> consents = resource switch
        {
            FhirConsent c => [c],
            Bundle b => [.. b.Entry.Select(e => e.Resource).OfType<FhirConsent>()],
            _ => [],
        };
        return consents.Count > 0
            ? consents
            : throw new SourceReadException(HealthRecordErrorCode.UnsupportedFormat, name, name, $"expected a Consent or a Bundle of Consents, found {resource.TypeName}");
    }

    private static readonly string[] ConsentLists = ["category", "organization", "performer", "policy", "verification"];
    private static readonly string[] ProvisionLists = ["actor", "action", "securityLabel", "purpose", "class", "code", "data", "provision"];

    /// <summary>Wraps single values in arrays where R4 has lists (in Consents, and in the Consents of a Bundle).</summary>
    private static string Normalize(string json)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { MaxDepth = 128 });
        }
        catch (System.Text.Json.JsonException)
        {
            return json; // the deserializer reports it
        }

        if (root is not JsonObject obj)
        {
            return json;
        }

        var changed = false;
        foreach (var consent in obj["resourceType"]?.GetValue<string>() == "Bundle"
            ? (obj["entry"] as JsonArray ?? []).Select(e => e?["resource"] as JsonObject).Where(r => r is not null)
            : [obj])
        {
            if (consent!["resourceType"] is JsonValue t && t.TryGetValue<string>(out var type) && type == "Consent")
            {
                changed |= Wrap(consent, ConsentLists);
                if (consent["provision"] is JsonObject provision)
                {
                    changed |= WrapProvision(provision);
                }
            }
        }

        return changed ? root.ToJsonString() : json;
    }

    private static bool WrapProvision(JsonObject provision)
    {
        var changed = Wrap(provision, ProvisionLists);
        if (provision["provision"] is JsonArray children)
        {
            foreach (var child in children.OfType<JsonObject>())
            {
                changed |= WrapProvision(child);
            }
        }

        return changed;
    }

    private static bool Wrap(JsonObject node, string[] names)
    {
        var changed = false;
        foreach (var name in names)
        {
            if (node[name] is JsonObject single)
            {
                node[name] = new JsonArray(single.DeepClone());
                changed = true;
            }
        }

        return changed;
    }
}
