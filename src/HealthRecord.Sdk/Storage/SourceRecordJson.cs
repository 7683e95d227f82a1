using System.Text.Json;
using HealthRecord.Sdk.Errors;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Sources;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace HealthRecord.Sdk.Storage;

/// <summary>
/// Source records as a JSON array (one object per record: where it came from, why it was rejected, its warnings,
/// and the FHIR resource as read), so a store keeps what re-aggregation needs.
/// </summary>
internal static class SourceRecordJson
{
    public static byte[] Write(IReadOnlyList<SourceRecord> records)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartArray();
            foreach (var r in records)
            {
                writer.WriteStartObject();
                writer.WriteString("source", r.SourceName);
                writer.WriteString("type", r.ResourceType);
                writer.WriteString("id", r.ResourceId);
                writer.WriteString("location", r.Location);
                if (r.FullUrl is not null)
                {
                    writer.WriteString("fullUrl", r.FullUrl);
                }

                if (r.DocumentId is not null)
                {
                    writer.WriteString("documentId", r.DocumentId);
                }

                if (r.Rejection is not null)
                {
                    writer.WriteStartObject("rejection");
                    writer.WriteNumber("code", (int)r.Rejection.Code);
                    writer.WriteString("reason", r.Rejection.Reason);
                    writer.WriteEndObject();
                }

                if (r.Warnings.Count > 0)
                {
                    writer.WriteStartArray("warnings");
                    foreach (var w in r.Warnings)
                    {
                        writer.WriteStringValue(w);
                    }

                    writer.WriteEndArray();
                }

                if (r.Resource is not null)
                {
                    writer.WritePropertyName("resource");
                    writer.WriteRawValue(FhirJson.SerializeToUtf8(r.Resource), skipInputValidation: true);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        return buffer.ToArray();
    }

    public static IReadOnlyList<SourceRecord> Read(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        using var document = JsonDocument.ParseValue(ref reader);
        var records = new List<SourceRecord>(document.RootElement.GetArrayLength());
        foreach (var e in document.RootElement.EnumerateArray())
        {
            Resource? resource = null;
            if (e.TryGetProperty("resource", out var raw))
            {
                resource = FhirJson.StructuralDeserializer.DeserializeResource(raw.GetRawText());
            }

            SourceRejection? rejection = null;
            if (e.TryGetProperty("rejection", out var rej))
            {
                rejection = new SourceRejection((HealthRecordErrorCode)rej.GetProperty("code").GetInt32(), rej.GetProperty("reason").GetString() ?? "");
            }

            records.Add(new SourceRecord
            {
                SourceName = e.GetProperty("source").GetString() ?? "",
                ResourceType = e.GetProperty("type").GetString() ?? "",
                ResourceId = e.GetProperty("id").GetString() ?? "",
                Location = e.GetProperty("location").GetString() ?? "",
                FullUrl = e.TryGetProperty("fullUrl", out var f) ? f.GetString() : null,
                DocumentId = e.TryGetProperty("documentId", out var d) ? d.GetString() : null,
                Rejection = rejection,
                Warnings = e.TryGetProperty("warnings", out var w) ? w.EnumerateArray().Select(x => x.GetString() ?? "").ToList() : [],
                Resource = resource,
            });
        }

        return records;
    }
}
