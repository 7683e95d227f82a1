using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using FhirConsent = Hl7.Fhir.Model.Consent;

namespace HealthRecord.Sdk.Consent;

/// <summary>Reads consents from FHIR JSON: a Consent, or a Bundle of them (the CLI's <c>--consent FILE</c>).</summary>
public static class ConsentDocuments
{
    /// <summary>Parses the consents in a JSON text.</summary>
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
            resource = FhirJson.Parse(json);
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
}
